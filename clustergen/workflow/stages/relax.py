"""Relax stage: GFN-xTB pre-relaxation of the candidates into ``results.db``.

Relaxations are keyed by content (the store's candidate id), so a run killed
mid-relaxation resumes with every finished candidate kept.  With a ``learn`` section
the stage relaxes only what active learning asks for and predicts the rest
(:mod:`clustergen.workflow.stages.learn`).
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
    # relax() returns one result per input, in input order, identity kept by the store
    relaxed = relax([candidates[i] for i in order], db=str(db), workers=settings["workers"],
                    scheduler=settings["scheduler"], method=settings["method"],
                    fmax=settings["fmax"], steps=settings["steps"],
                    optimiser=settings["optimiser"], retry=retry, progress=progress)
    out = [None] * len(candidates)
    for i, atoms in zip(order, relaxed):
        out[i] = with_literature(atoms, candidates[i])
    return out


def with_literature(relaxed, candidate):
    """The relaxed structure labelled with its member's literature status ("known" or
    "predicted" from the family template; "status" in files built before the generator
    renamed it), which the report marks.  In the relaxed info ``status`` is the relax
    status, so the label is read from the candidate."""
    literature = candidate.info.get("literature", candidate.info.get("status"))
    if literature in ("known", "predicted") and not candidate.info.get("dopant"):
        relaxed.info["known"] = literature  # a doped variant is new whatever its host
    return relaxed


def candidate_ids(candidates, settings):
    """Store ids the relax stage gives these candidates with these relax settings.

    >>> from clustergen.core.model import make_cluster
    >>> a = make_cluster(["Au", "Au"], [[0, 0, 0], [2.8, 0, 0]], ["kernel"] * 2, charge=0)
    >>> ids = candidate_ids([a], {"method": "GFN1-xTB", "fmax": 0.05, "optimiser": "FIRE"})
    >>> len(ids[0])
    16
    """
    from clustergen.core import identity

    level = identity.level_of_theory(settings["method"], settings["fmax"], settings["optimiser"])
    return identity.candidate_ids(candidates, level)


def run(config, inputs, run_dir):
    old = inputs["state"].get("relax", {})
    built = inputs["state"]["build"]["output"]
    # same candidates, other step cap: continue stored not-converged ones (a change of
    # the learn section alone is no reason to redo a relaxation)
    mine = digest({k: v for k, v in config["relax"].items() if k not in RUN_ONLY})
    changed = old.get("settings") != mine if "settings" in old else \
        old.get("key") != inputs["key"]
    retry = bool(old) and changed and old.get("input") == built
    if config.get("learn"):
        from clustergen.workflow.stages import learn

        out = learn.run(config, inputs, run_dir, run_dir / FILE, retry)
        out["record"].update(input=built, settings=mine)
        return out
    relaxed = relax_candidates(inputs["candidates"], config["relax"], run_dir / FILE,
                               retry=retry, progress=inputs.get("progress", True))
    _drop_stale_predictions(run_dir / FILE, [a.info["cid"] for a in relaxed])
    output = digest([(a.info["cid"], a.info.get("status"), a.info.get("energy"))
                     for a in relaxed])
    return {"relaxed": relaxed, "digest": output,
            "record": {"cids": [a.info["cid"] for a in relaxed], "input": built,
                       "settings": mine}}


def _drop_stale_predictions(db, cids):
    """Predictions of an earlier learned run for candidates relaxed now."""
    from clustergen.rank import stored

    if stored.has_predictions(str(db)):
        stored.drop_predictions(str(db), cids)


def reuse(config, inputs, run_dir):
    from clustergen.compute import store

    if config.get("learn"):
        from clustergen.workflow.stages import learn

        return learn.reuse(config, inputs, run_dir, run_dir / FILE)
    candidates = inputs["candidates"]
    stored = store.read_relaxed(str(run_dir / FILE), candidate_ids(candidates,
                                                                   config["relax"]))
    if not stored or len(stored) != len(candidates):
        return None  # some relaxation is missing (a killed run): relax what is not stored
    return {"relaxed": [with_literature(a.copy(), c) for a, c in zip(stored, candidates)]}


def log(inputs, status):
    counts = {}
    for a in inputs["relaxed"]:
        counts[a.info.get("status")] = counts.get(a.info.get("status"), 0) + 1
    lines = [f"relax: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))} ({status})"]
    if inputs.get("predicted") is not None:
        from clustergen.workflow.stages import learn

        lines += learn.log_lines(inputs)
    return lines
