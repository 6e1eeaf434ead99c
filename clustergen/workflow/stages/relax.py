"""Relax stage: GFN-xTB pre-relaxation of the candidates into ``results.db``.

Relaxations are keyed by content (the store's candidate id), so a run killed
mid-relaxation resumes with every finished candidate kept.
"""

from clustergen.workflow.state import digest

FILE = "results.db"
RUN_ONLY = ("workers", "scheduler")  # how a relaxation is run, not its result: not hashed


def relax_candidates(candidates, settings, db, retry=False, progress=True):
    """:func:`clustergen.compute.relax.relax` into ``db``; already stored candidates are
    skipped (``retry`` redoes not-converged/failed ones).  Returns relaxed Atoms in the
    candidates' order.

    >>> relaxed = relax_candidates(cands, load(wf)["relax"], "results.db")  # doctest: +SKIP
    """
    from clustergen.compute.relax import relax

    candidates = list(candidates)
    # largest first: the longest relaxations start at once, so the run ends sooner
    order = sorted(range(len(candidates)), key=lambda i: -len(candidates[i]))
    relaxed = relax([candidates[i] for i in order], db=str(db), workers=settings["workers"],
                    scheduler=settings["scheduler"], method=settings["method"],
                    fmax=settings["fmax"], steps=settings["steps"],
                    optimiser=settings["optimiser"], retry=retry, progress=progress)
    out = [None] * len(candidates)
    for i, atoms in zip(order, relaxed):
        out[i] = with_identity(atoms, candidates[i])
    return out


def with_identity(relaxed, candidate):
    """The relaxed structure with the candidate's charge and spin (ase.db hands back a
    ``charge`` key as the sum of initial charges, 0.0, whatever was stored)."""
    relaxed.info["charge"] = int(candidate.info.get("charge", 0))
    # the member's literature status from the family template ("status" in files built
    # before the generator renamed it)
    literature = candidate.info.get("literature", candidate.info.get("status"))
    if literature in ("known", "predicted") and not candidate.info.get("dopant"):
        relaxed.info["known"] = literature  # a doped variant is new whatever its host
    if candidate.info.get("multiplicity") is not None:
        relaxed.info["multiplicity"] = int(candidate.info["multiplicity"])
    return relaxed


def candidate_ids(candidates, settings):
    """Store ids (:func:`clustergen.compute.store.candidate_id`) the relax stage gives these
    candidates with these relax settings."""
    from clustergen.compute.relax import charge_multiplicity, method_settings
    from clustergen.compute.store import candidate_id

    key = method_settings(settings["method"], settings["fmax"], settings["optimiser"])
    return [candidate_id(a, *charge_multiplicity(a), key) for a in candidates]


def run(config, inputs, run_dir):
    old = inputs["state"].get("relax", {})
    built = inputs["state"]["build"]["output"]
    # same candidates, other step cap: continue stored not-converged ones
    retry = bool(old) and old.get("key") != inputs["key"] and old.get("input") == built
    relaxed = relax_candidates(inputs["candidates"], config["relax"], run_dir / FILE,
                               retry=retry, progress=inputs.get("progress", True))
    output = digest([(a.info["cid"], a.info.get("status"), a.info.get("energy"))
                     for a in relaxed])
    return {"relaxed": relaxed, "digest": output,
            "record": {"cids": [a.info["cid"] for a in relaxed], "input": built}}


def reuse(config, inputs, run_dir):
    from clustergen.compute import store

    candidates = inputs["candidates"]
    stored = store.read_relaxed(str(run_dir / FILE), candidate_ids(candidates,
                                                                   config["relax"]))
    if not stored or len(stored) != len(candidates):
        return None  # some relaxation is missing (a killed run): relax what is not stored
    return {"relaxed": [with_identity(a.copy(), c) for a, c in zip(stored, candidates)]}


def log(inputs, status):
    counts = {}
    for a in inputs["relaxed"]:
        counts[a.info.get("status")] = counts.get(a.info.get("status"), 0) + 1
    return [f"relax: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))} "
            f"({status})"]
