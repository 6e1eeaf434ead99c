"""Workflows: a study described in a small YAML file, run stage by stage into a directory.

Stages, in order (each a plain function over Atoms or ranking rows, usable from Python):

``build``   candidates from a growth family (``family`` + ``upto``) or a list of
            ``formulas``, with ``ligand`` and ``isomers`` (an int, or ``all``: every
            isomer the generator embeds, ``clustergen.generation.generate.MAX_EMBED`` per member);
            optional ``dope`` (element, count, classes, charge) through
            :func:`clustergen.screen.dopants.enumerate_dopings`          -> :func:`build_candidates`
``relax``   GFN-xTB pre-relaxation (method, fmax, steps, optimiser, workers or
            scheduler) into ``results.db``                       -> :func:`relax_candidates`
``rank``    per-formula lowest energy, relative energies, HOMO-LUMO gap window, topology
            kept, converged only, top-N survivors per formula     -> :func:`rank`
``dft``     decks for the survivors: ``codes``, ``task``, ``settings`` -> :func:`write_dft`
``report``  ``report.html``: 3D views, plots along the series, the table -> :func:`write_report`

A run directory holds ``candidates.extxyz``, ``results.db`` (:mod:`clustergen.compute.store`),
``ranking.csv``, ``dft/<code>/`` (decks, manifest, SLURM script), ``report.html`` and
``workflow-state.json``.  The state keeps, per stage, a hash of its settings and of the
previous stage's output; a stage whose hash is unchanged and whose output is on disk is
reused, so a second run redoes nothing and changing one stage's settings redoes only that
stage and those after it.  Relaxations are keyed by content (the store's candidate id), so
a run killed mid-relaxation resumes with every finished candidate kept.

>>> wf = load({"build": {"formulas": ["[Au25(SR)18]-"], "ligand": "SH", "isomers": 1},
...            "relax": {"fmax": 0.5, "steps": 5}})
>>> wf["relax"]["method"], wf["rank"]["top"], wf["dft"]
('GFN1-xTB', 1, None)
>>> load({"relax": {"fmx": 0.1}, "build": {"family": "double-helix"}})
Traceback (most recent call last):
...
clustergen.core.errors.ClusterGenError: relax: unknown key 'fmx' (known: method, fmax, steps, optimiser, workers, scheduler)
"""

import copy
import csv
import hashlib
import html
import io
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from clustergen.core.errors import ClusterGenError

STAGES = ("build", "relax", "rank", "dft", "report")
STATE = "workflow-state.json"
_ANY = object()

# stage -> key -> (accepted types, default); None as default means "not set"
SCHEMA = {
    "build": {"family": ((str,), None), "upto": ((int,), None),
              "formulas": ((list, str), None), "ligand": ((str,), "SCH3"),
              "isomers": ((int, str), "all"), "dope": ((dict,), None)},
    "relax": {"method": ((str,), "GFN1-xTB"), "fmax": ((int, float), 0.05),
              "steps": ((int,), 300), "optimiser": ((str,), "FIRE"),
              "workers": ((int,), None), "scheduler": ((str,), None)},
    "rank": {"top": ((int,), 1), "gap": ((list,), None), "energy_window": ((int, float), None),
             "topology_kept": ((bool,), True), "converged_only": ((bool,), True)},
    "dft": {"codes": ((list, str), None), "task": ((str,), "opt"),
            "settings": ((dict,), None)},
    "report": {"title": ((str,), None), "show": ((str,), "lowest")},
}
DOPE_KEYS = {"element": (str,), "count": (int,), "classes": (list,), "charge": (int,)}
DFT_SETTINGS = ("functional", "basis", "dispersion", "nstates", "solvent", "vacuum",
                "cutoff", "extra")
SHOW = ("lowest", "survivors", "all")
# settings that change how a relaxation is run, not its result: kept out of the hash
RUN_ONLY = ("workers", "scheduler")
RANKING_COLUMNS = ("cid", "formula", "family", "member", "known", "isomer", "n_metal",
                   "energy_eV", "rel_energy_eV", "gap_eV", "status", "steps", "survivor",
                   "reason")


# ------------------------------------------------------------------------ validation

def _typename(types):
    names = {bool: "true/false", int: "integer", float: "number", str: "text",
             list: "list", dict: "mapping"}
    return " or ".join(names[t] for t in types)


def _check_type(where, value, types):
    # YAML booleans are ints to Python: never accept true/false for a number
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        raise ClusterGenError(f"{where}: expected {_typename(types)}, got {value!r}")


def _stage(name, given):
    schema = SCHEMA[name]
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ClusterGenError(f"{name}: expected a mapping of settings, got {given!r}")
    for key in given:
        if key not in schema:
            raise ClusterGenError(f"{name}: unknown key '{key}' (known: {', '.join(schema)})")
    out = {}
    for key, (types, default) in schema.items():
        value = given.get(key, default)
        if value is not None:
            _check_type(f"{name}.{key}", value, types)
        out[key] = value
    return out


def _check_build(b):
    from clustergen.generation import families
    from clustergen.generation.generate import MAX_EMBED
    from clustergen.core import formula

    if (b["family"] is None) == (b["formulas"] is None):
        raise ClusterGenError("build: give either 'family' (with 'upto') or 'formulas'")
    if b["family"] is not None:
        fam = families.family(b["family"])  # unknown family -> error listing the known ones
        members = families.members(fam, b["upto"])
        if not members:
            raise ClusterGenError(f"build.upto: {b['upto']} is below the first member of "
                                  f"{b['family']}")
        b["formulas"] = [str(m["formula"]) for m in members]
    elif b["upto"] is not None:
        raise ClusterGenError("build.upto: only with 'family'")
    else:
        if isinstance(b["formulas"], str):
            b["formulas"] = [b["formulas"]]
        if not b["formulas"]:
            raise ClusterGenError("build.formulas: empty list")
        for f in b["formulas"]:
            _check_type("build.formulas", f, (str,))
            families.match(f)  # impossible formula or no family -> one-line reason
    b["ligand"] = formula.ligand_info(b["ligand"])[0]
    if isinstance(b["isomers"], str):
        if b["isomers"] != "all":
            raise ClusterGenError(f"build.isomers: expected an integer or 'all', got "
                                  f"{b['isomers']!r}")
    elif not 1 <= b["isomers"] <= MAX_EMBED:
        raise ClusterGenError(f"build.isomers: {b['isomers']} outside 1..{MAX_EMBED}")
    if b["dope"] is not None:
        d = b["dope"]
        for key, value in d.items():
            if key not in DOPE_KEYS:
                raise ClusterGenError(f"build.dope: unknown key '{key}' "
                                      f"(known: {', '.join(DOPE_KEYS)})")
            _check_type(f"build.dope.{key}", value, DOPE_KEYS[key])
        if "element" not in d:
            raise ClusterGenError("build.dope: 'element' is required")
        if d["element"] not in formula.chemistry()["metals"]:
            raise ClusterGenError(f"build.dope.element: unknown metal '{d['element']}'")
        if d.get("count", 1) < 1:
            raise ClusterGenError(f"build.dope.count: must be >= 1, got {d['count']}")


def _check_relax(r):
    from clustergen.compute.relax import METHODS, OPTIMISERS

    if r["method"] not in METHODS:
        raise ClusterGenError(f"relax.method: unknown '{r['method']}' "
                              f"(known: {', '.join(METHODS)})")
    if r["optimiser"] not in OPTIMISERS:
        raise ClusterGenError(f"relax.optimiser: unknown '{r['optimiser']}' "
                              f"(known: {', '.join(OPTIMISERS)})")
    if not r["fmax"] > 0:
        raise ClusterGenError(f"relax.fmax: must be positive, got {r['fmax']}")
    if r["steps"] < 0:
        raise ClusterGenError(f"relax.steps: must be >= 0, got {r['steps']}")
    if r["workers"] is not None and r["workers"] < 0:
        raise ClusterGenError(f"relax.workers: must be >= 0, got {r['workers']}")
    if r["workers"] is not None and r["scheduler"]:
        raise ClusterGenError("relax: give 'workers' or 'scheduler', not both")
    r["fmax"] = float(r["fmax"])


def _check_rank(r):
    if r["top"] is not None and r["top"] < 1:
        raise ClusterGenError(f"rank.top: must be >= 1, got {r['top']}")
    gap = r["gap"]
    if gap is not None:
        if len(gap) != 2:
            raise ClusterGenError(f"rank.gap: expected [min, max] in eV, got {gap!r}")
        for v in gap:
            if v is not None:
                _check_type("rank.gap", v, (int, float))
        if None not in gap and gap[0] > gap[1]:
            raise ClusterGenError(f"rank.gap: min {gap[0]} > max {gap[1]}")
        r["gap"] = [None if v is None else float(v) for v in gap]
    if r["energy_window"] is not None and r["energy_window"] < 0:
        raise ClusterGenError(f"rank.energy_window: must be >= 0, got {r['energy_window']}")


def _check_dft(d):
    from ase import Atoms

    from clustergen.dft import TASKS, codes, resolve

    if d["codes"] is None:
        raise ClusterGenError("dft.codes: required (e.g. [orca, cp2k])")
    if isinstance(d["codes"], str):
        d["codes"] = [d["codes"]]
    for code in d["codes"]:
        if code not in codes():
            raise ClusterGenError(f"dft.codes: unknown code {code!r} "
                                  f"(known: {', '.join(codes())})")
    if d["task"] not in TASKS:
        raise ClusterGenError(f"dft.task: unknown {d['task']!r} (known: {', '.join(TASKS)})")
    d["settings"] = dict(d["settings"] or {})
    for key in d["settings"]:
        if key not in DFT_SETTINGS:
            raise ClusterGenError(f"dft.settings: unknown key '{key}' "
                                  f"(known: {', '.join(DFT_SETTINGS)})")
    # resolve the level of theory on a stand-in now, not after an hour of relaxation
    probe = Atoms("AuSH", positions=[[0, 0, 0], [2.3, 0, 0], [2.6, 1.3, 0]],
                  info={"charge": 0})
    for code in d["codes"]:
        try:
            resolve(probe, code=code, task=d["task"], **d["settings"])
        except ClusterGenError as exc:
            raise ClusterGenError(f"dft ({code}): {exc}") from None


def load(source):
    """Read and validate a workflow: a YAML path, YAML text or a dict; returns a dict
    with every stage's settings filled in (``dft`` is None when the file has none).

    Errors name the stage and key: unknown stage or key, wrong type, unknown family,
    impossible formula, unknown ligand, method or DFT code.

    >>> load("build: {family: double-helix, upto: 36}")["build"]["formulas"]
    ['Au28(SR)20', 'Au36(SR)24']
    >>> load("build: {family: helix}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: unknown family 'helix' (known: ...double-helix...)
    """
    import yaml

    if isinstance(source, dict):
        data = copy.deepcopy(source)
    else:
        text = str(source)
        if isinstance(source, os.PathLike) or ("\n" not in text and (
                os.path.exists(text) or text.endswith((".yaml", ".yml")))):
            if not os.path.exists(text):
                raise ClusterGenError(f"no such workflow file '{text}'")
            text = Path(text).read_text()
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            first = str(exc).strip().splitlines()
            raise ClusterGenError(f"workflow is not valid YAML: {' '.join(first[:3])}") \
                from None
    if not isinstance(data, dict):
        raise ClusterGenError("workflow must be a mapping of stages (build, relax, ...)")
    for key in data:
        if key not in STAGES and key not in ("name", "description"):
            raise ClusterGenError(f"unknown stage '{key}' (stages: {', '.join(STAGES)}; "
                                  "also name, description)")
    if "build" not in data:
        raise ClusterGenError("workflow has no 'build' stage")
    wf = {"name": str(data.get("name") or "workflow"),
          "description": str(data.get("description") or "")}
    for name in STAGES:
        wf[name] = _stage(name, data.get(name))
    _check_build(wf["build"])
    _check_relax(wf["relax"])
    _check_rank(wf["rank"])
    if data.get("dft") is None:
        wf["dft"] = None
    else:
        _check_dft(wf["dft"])
    if wf["report"]["show"] not in SHOW:
        raise ClusterGenError(f"report.show: expected one of {', '.join(SHOW)}, got "
                              f"{wf['report']['show']!r}")
    return wf


# ---------------------------------------------------------------------------- stages

def build_candidates(settings):
    """Build stage: candidates for every formula (only the named family's, if one is
    given), optionally doped; ``settings`` as in ``load(...)["build"]``.

    >>> cands = build_candidates(load("build: {formulas: ['[Au25(SR)18]-'], ligand: SH, "
    ...                               "isomers: 1}")["build"])
    >>> [(c.info["formula"], c.info["isomer"], len(c)) for c in cands]
    [('[Au25(SH)18]-', 'a', 61)]
    """
    from clustergen.generation.generate import MAX_EMBED, build

    isomers = MAX_EMBED if settings["isomers"] == "all" else settings["isomers"]
    out = []
    for formula in settings["formulas"]:
        cands = build(formula, ligand=settings["ligand"], isomers=isomers)
        if settings["family"]:
            cands = [c for c in cands if c.info.get("family") == settings["family"]]
        out += cands
    dope = settings.get("dope")
    if dope:
        from clustergen.screen.dopants import enumerate_dopings

        out = [d for c in out
               for d in enumerate_dopings(c, dope["element"], dope.get("count", 1),
                                          classes=dope.get("classes"),
                                          charge=dope.get("charge"))]
    return out


def relax_candidates(candidates, settings, db, retry=False, progress=True):
    """Relax stage: :func:`clustergen.compute.relax.relax` into ``db``; already stored candidates
    are skipped (``retry`` redoes not-converged/failed ones).  Returns relaxed Atoms.

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
        out[i] = _with_identity(atoms, candidates[i])
    return out


def _with_identity(relaxed, candidate):
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


def _n_metal(formula):
    from clustergen.core.formula import parse

    try:
        return parse(formula).n_metal
    except ClusterGenError:
        return None


def rank(relaxed, settings):
    """Rank stage: one row per candidate (dict), survivors marked.

    Energies are compared only within a formula: ``rel_energy_eV`` is the energy above
    the lowest relaxed candidate of the same formula.  A candidate survives when it
    converged (``converged_only``), kept its topology (``topology_kept``), has its gap
    inside the ``gap`` window, lies within ``energy_window`` eV of its formula's lowest,
    and is among the ``top`` lowest of its formula that pass; ``reason`` says why not.
    Rows come sorted by formula size, then energy.

    >>> from ase import Atoms
    >>> a = [Atoms("Au2", info=dict(cid=c, formula="Au2", status="converged", energy=e,
    ...      gap=g)) for c, e, g in (("x", -1.0, 0.5), ("y", -1.3, 2.0))]
    >>> rows = rank(a, {"top": 1, "gap": [1.0, None], "energy_window": None,
    ...                 "topology_kept": True, "converged_only": True})
    >>> [(r["cid"], r["rel_energy_eV"], r["survivor"]) for r in rows]
    [('y', 0.0, 'yes'), ('x', 0.3, 'no')]
    """
    seen, rows = set(), []
    for atoms in relaxed:
        info = atoms.info
        if info.get("cid") in seen:
            continue  # the same structure twice in the input: one row
        seen.add(info.get("cid"))
        energy = info.get("energy")
        gap = info.get("gap")
        rows.append({
            "cid": info.get("cid", ""), "formula": str(info.get("formula", "")),
            "family": info.get("family", ""), "member": info.get("member", ""),
            "known": info.get("known", ""),
            "isomer": str(info.get("isomer", "")),
            "n_metal": _n_metal(str(info.get("formula", ""))),
            "energy_eV": None if energy is None else float(energy),
            "gap_eV": None if gap is None else float(gap),
            "status": str(info.get("status", "")), "steps": info.get("steps"),
            "topology": info.get("topology")})
    lowest = {}
    for r in rows:
        if r["energy_eV"] is not None:
            lowest[r["formula"]] = min(lowest.get(r["formula"], np.inf), r["energy_eV"])
    lo, hi = settings["gap"] or (None, None)
    for r in rows:
        e = r["energy_eV"]
        r["rel_energy_eV"] = None if e is None else round(e - lowest[r["formula"]], 6)
        why = []
        if e is None:
            why.append("no energy")
        if settings["converged_only"] and r["status"] != "converged":
            why.append(r["status"] or "not relaxed")
        if settings["topology_kept"] and r["status"] == "topology-changed":
            if "topology-changed" in why:
                why.remove("topology-changed")
            problem = r.pop("topology", None)  # what changed, from the relax check
            why.append("topology-changed" + (f" ({problem})" if problem and problem != "ok"
                                              else ""))
        if (lo is not None or hi is not None) and r["gap_eV"] is None:
            why.append("no gap")
        elif lo is not None and r["gap_eV"] < lo:
            why.append(f"gap < {lo:g} eV")
        elif hi is not None and r["gap_eV"] > hi:
            why.append(f"gap > {hi:g} eV")
        if (settings["energy_window"] is not None and e is not None
                and r["rel_energy_eV"] > settings["energy_window"]):
            why.append(f"> {settings['energy_window']:g} eV above lowest")
        r["reason"] = "; ".join(why)
    for r in rows:
        r.pop("topology", None)
    rows.sort(key=lambda r: (r["n_metal"] or 0, r["formula"],
                             np.inf if r["energy_eV"] is None else r["energy_eV"]))
    kept = {}
    for r in rows:
        if not r["reason"]:
            kept[r["formula"]] = kept.get(r["formula"], 0) + 1
            if settings["top"] is not None and kept[r["formula"]] > settings["top"]:
                r["reason"] = f"not in top {settings['top']}"
        r["survivor"] = "no" if r["reason"] else "yes"
    return rows


def write_ranking(rows, path):
    """Write ranking rows as CSV (``RANKING_COLUMNS``; energies in eV)."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(RANKING_COLUMNS)
        for r in rows:
            writer.writerow(["" if r.get(k) is None else
                             (f"{r[k]:.6f}" if isinstance(r[k], float) else r[k])
                             for k in RANKING_COLUMNS])


def read_ranking(path):
    """Ranking rows back from CSV (numbers as floats, empty cells as None).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.csv")
    >>> write_ranking([{"cid": "x", "energy_eV": -1.5, "survivor": "yes"}], p)
    >>> read_ranking(p)[0]["energy_eV"], read_ranking(p)[0]["survivor"]
    (-1.5, 'yes')
    """
    numeric = ("energy_eV", "rel_energy_eV", "gap_eV")
    out = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            r = {k: (v if v != "" else None) for k, v in row.items()}
            for k in numeric:
                r[k] = None if r[k] is None else float(r[k])
            for k in ("n_metal", "steps"):
                r[k] = None if r[k] is None else int(r[k])
            out.append(r)
    return out


def _scalar_info(atoms):
    """A copy without calculator whose info holds scalars only (extxyz-safe)."""
    out = atoms.copy()
    out.calc = None
    out.info = {k: v for k, v in atoms.info.items()
                if isinstance(v, (str, int, float, bool, np.generic))}
    return out


def write_dft(survivors, settings, directory):
    """DFT stage: for each code, decks + manifest + SLURM script in ``directory/<code>``
    (:func:`clustergen.dft.write_decks`).  Returns ``{code: manifest entries}``; an empty
    list of survivors writes nothing.

    >>> write_dft(survivors, {"codes": ["orca"], "task": "opt", "settings": {}}, "dft")
    ... # doctest: +SKIP
    """
    from clustergen.dft import write_decks

    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)  # decks of candidates that no longer survive must go
    directory.mkdir(parents=True)
    if not survivors:
        return {}
    survivors = [_scalar_info(a) for a in survivors]
    return {code: write_decks(survivors, code=code, task=settings["task"],
                              directory=directory / code, **settings["settings"])
            for code in settings["codes"]}


# ---------------------------------------------------------------------------- report

def _svg(fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.find("<svg"):]


def series_plots(rows, optical=None):
    """Two inline SVG plots along the series: HOMO-LUMO gap and relative energy against
    the number of metal atoms; survivors filled, measured optical gaps (``{n: eV}``) as
    crosses for comparison."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "clustergen"  # stable ids: same rows, same page
    done = [r for r in rows if r["n_metal"] is not None and r["energy_eV"] is not None]
    out = []
    for key, label in (("gap_eV", "HOMO-LUMO gap (GFN1-xTB), eV"),
                       ("rel_energy_eV", "energy above lowest isomer, eV")):
        fig, ax = plt.subplots(figsize=(5.6, 3.6))
        pts = [r for r in done if r[key] is not None]
        for surv, style in (("no", dict(facecolors="none", edgecolors="#777777",
                                        label="candidate")),
                            ("yes", dict(color="#c8102e", label="survivor"))):
            sel = [r for r in pts if r["survivor"] == surv]
            if sel:
                ax.scatter([r["n_metal"] for r in sel], [r[key] for r in sel], s=36,
                           zorder=3, **style)
        if key == "gap_eV":
            best = {}
            for r in pts:
                if r["rel_energy_eV"] == 0:
                    best[r["n_metal"]] = r[key]
            if best:
                xs = sorted(best)
                ax.plot(xs, [best[x] for x in xs], "-", color="#c8102e", lw=1,
                        label="lowest-energy isomer")
            if optical:
                xs = sorted(optical)
                ax.plot(xs, [optical[x] for x in xs], "x", color="#1f4e9a", ms=8,
                        label="measured optical gap")
        ax.set_xlabel("metal atoms n")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if pts:
            ax.set_xticks(sorted({r["n_metal"] for r in pts}))
            ax.legend(fontsize=8)
        out.append(_svg(fig))
        plt.close(fig)
    return out


def _table(rows):
    head = ("formula", "member", "isomer", "energy (eV)", "ΔE (eV)", "gap (eV)", "status",
            "steps", "survivor", "why not", "cid")
    keys = ("formula", "known", "isomer", "energy_eV", "rel_energy_eV", "gap_eV", "status",
            "steps", "survivor", "reason", "cid")
    fmt = {"energy_eV": "{:.3f}", "rel_energy_eV": "{:.3f}", "gap_eV": "{:.2f}"}
    lines = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k)
            text = "" if v is None else fmt.get(k, "{}").format(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        cls = ' class="survivor"' if r["survivor"] == "yes" else ""
        lines.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    return "\n".join(lines + ["</table>"])


def member_summary(rows):
    """One line per formula: lowest isomer, its gap and status, the next isomer's ΔE and
    the survivor.

    >>> member_summary([{"formula": "Au2", "known": "", "isomer": "a", "rel_energy_eV": 0.0,
    ...                  "gap_eV": 1.5, "status": "converged", "survivor": "yes"}])
    ['Au2: lowest isomer a (converged), gap 1.50 eV; 1 isomer(s); survivor a']
    """
    groups = {}
    for r in rows:
        groups.setdefault(r["formula"], []).append(r)
    out = []
    for formula, group in groups.items():
        done = sorted((r for r in group if r["rel_energy_eV"] is not None),
                      key=lambda r: r["rel_energy_eV"])
        known = next((r["known"] for r in group if r.get("known")), "")
        text = formula + (f" ({known})" if known else "") + ": "
        if not done:
            out.append(text + f"no energy ({', '.join(r['status'] for r in group)})")
            continue
        best = done[0]
        gap = "n/a" if best["gap_eV"] is None else f"{best['gap_eV']:.2f}"
        text += f"lowest isomer {best['isomer']} ({best['status']}), gap {gap} eV"
        if len(done) > 1:
            text += f"; next isomer {done[1]['isomer']} +{done[1]['rel_energy_eV']:.3f} eV"
        surv = [r["isomer"] for r in group if r["survivor"] == "yes"]
        text += f"; {len(group)} isomer(s); survivor {', '.join(surv) or 'none'}"
        out.append(text)
    return out


def _shown(rows, relaxed, show):
    by_cid = {a.info.get("cid"): a for a in relaxed}
    if show == "all":
        pick = [r for r in rows if r["energy_eV"] is not None]
    elif show == "survivors":
        pick = [r for r in rows if r["survivor"] == "yes"]
    else:  # the lowest of each formula, plus any other survivor
        pick = [r for r in rows if r["rel_energy_eV"] == 0 or r["survivor"] == "yes"]
    return [by_cid[r["cid"]] for r in pick if r["cid"] in by_cid]


def write_report(rows, relaxed, path, title="clustergen workflow", show="lowest",
                 optical=None, notes=()):
    """Report stage: a self-contained HTML page (3Dmol.js inlined, no network): plots of
    gap and relative energy along the series, 3D views of the chosen structures (``show``:
    lowest of each formula, survivors, all) and the ranking table.

    >>> write_report(rows, relaxed, "report.html")  # doctest: +SKIP
    """
    from clustergen.visual.viewer import library_script
    from clustergen.visual.viz import view

    plots = series_plots(rows, optical)
    shown = _shown(rows, relaxed, show)
    views = ""
    if shown:
        v = view([_scalar_info(a) for a in shown], grid=True, cols=min(3, len(shown)),
                 title=f"{len(shown)} structures ({show}); hover an atom for its role",
                 inline_js=False)
        views = library_script() + v.html(inline_js=False)
    n_surv = sum(r["survivor"] == "yes" for r in rows)
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in member_summary(rows))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{font-family: sans-serif; margin: 16px; max-width: 1200px; color: #222}}
table {{border-collapse: collapse; font-size: 13px}}
td, th {{border: 1px solid #ccc; padding: 3px 6px; text-align: left}}
tr.survivor {{background: #fde8ea; font-weight: bold}}
.plots {{display: flex; flex-wrap: wrap; gap: 12px}}
.plots svg {{max-width: 560px; height: auto}}
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{len(rows)} candidates, {n_surv} survivor(s). Energies are GFN1-xTB total energies;
ΔE compares isomers of the same formula only.</p>
<ul>{summary}</ul>
<h2>Along the series</h2>
<div class="plots">{''.join(plots)}</div>
<h2>Structures</h2>
{views or '<p>No relaxed structure to show.</p>'}
<h2>Ranking</h2>
{_table(rows)}
<h2>Run</h2>
<ul>{notes}</ul>
</body></html>
"""
    Path(path).write_text(page.encode("ascii", "xmlcharrefreplace").decode("ascii"))
    return Path(path)


# ------------------------------------------------------------------------- the runner

def _digest(*parts):
    h = hashlib.sha1()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"|")
    return h.hexdigest()[:16]


def _file_digest(path):
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]


def _read_state(run_dir):
    path = Path(run_dir) / STATE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text()).get("stages", {})
    except (ValueError, AttributeError):
        return {}  # a state cut by a crash: redo the checks, the store keeps relaxations


def _write_state(run_dir, stages):
    path = Path(run_dir) / STATE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"stages": stages}, indent=1) + "\n")
    os.replace(tmp, path)  # atomic: a kill never leaves half a state


def _optical_gaps(family_name):
    if not family_name:
        return None
    from clustergen.generation.families import family, member

    fam = family(family_name)
    out = {}
    for m in fam.get("members", []):
        if m.get("optical_gap_eV") is not None:
            out[member(fam, m["k"])["formula"].n_metal] = float(m["optical_gap_eV"])
    return out or None


def run(workflow, run_dir, workers=None, scheduler=None, progress=True, log=None):
    """Run a workflow (path, YAML text or dict) into ``run_dir``; returns
    ``{stage: "ran" | "reused" | "skipped"}``.

    ``workers``/``scheduler`` override the relax stage's.  Every stage whose settings
    and input are unchanged since the last run is reused; relaxations already in
    ``results.db`` are never redone.

    >>> run("workflows/predict-au60.yaml", "runs/au60")  # doctest: +SKIP
    {'build': 'ran', 'relax': 'ran', 'rank': 'ran', 'dft': 'ran', 'report': 'ran'}
    """
    wf = load(workflow)
    if workers is not None:
        wf["relax"].update(workers=workers, scheduler=None)
    if scheduler:
        wf["relax"].update(scheduler=scheduler, workers=None)
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    state = _read_state(run_dir)
    done = {}
    t_start = time.perf_counter()

    def fresh(name, key, *outputs):
        old = state.get(name, {})
        return old.get("key") == key and all((run_dir / o).exists() for o in outputs)

    def record(name, key, output, t0, **extra):
        state[name] = {"key": key, "output": output, "wall": round(time.perf_counter() - t0, 1),
                       "finished": time.strftime("%Y-%m-%d %H:%M:%S"), **extra}
        _write_state(run_dir, state)
        done[name] = "ran"

    # build
    cand_path = run_dir / "candidates.extxyz"
    key = _digest("build", wf["build"])
    if fresh("build", key, cand_path.name) and \
            _file_digest(cand_path) == state["build"]["output"]:
        done["build"] = "reused"
    else:
        from clustergen.core.model import write_candidates

        t0 = time.perf_counter()
        cands = build_candidates(wf["build"])
        write_candidates(cand_path, [_scalar_info(a) for a in cands])
        record("build", key, _file_digest(cand_path), t0, candidates=len(cands))
    from clustergen.core.model import read_candidates

    # what is relaxed is exactly what the file holds, so ids agree run after run
    candidates = read_candidates(cand_path)
    log(f"build: {len(candidates)} candidates ({done['build']})")

    # relax
    db = run_dir / "results.db"
    relax_key = {k: v for k, v in wf["relax"].items() if k not in RUN_ONLY}
    key = _digest("relax", relax_key, state["build"]["output"])
    stored = []
    if fresh("relax", key, db.name):
        from clustergen.compute import store

        stored = store.read_relaxed(str(db), candidate_ids(candidates, wf["relax"]))
    if stored and len(stored) == len(candidates):
        relaxed = [_with_identity(a.copy(), c) for a, c in zip(stored, candidates)]
        done["relax"] = "reused"
    else:
        t0 = time.perf_counter()
        old = state.get("relax", {})
        # same candidates, other step cap: continue stored not-converged ones
        retry = bool(old) and old.get("key") != key and \
            old.get("input") == state["build"]["output"]
        relaxed = relax_candidates(candidates, wf["relax"], db, retry=retry,
                                   progress=progress)
        cids = [a.info["cid"] for a in relaxed]
        output = _digest([(a.info["cid"], a.info.get("status"), a.info.get("energy"))
                          for a in relaxed])
        record("relax", key, output, t0, cids=cids, input=state["build"]["output"])
    counts = {}
    for a in relaxed:
        counts[a.info.get("status")] = counts.get(a.info.get("status"), 0) + 1
    log(f"relax: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))} "
        f"({done['relax']})")

    # rank
    ranking = run_dir / "ranking.csv"
    key = _digest("rank", RANKING_COLUMNS, wf["rank"], state["relax"]["output"])
    if fresh("rank", key, ranking.name) and _file_digest(ranking) == state["rank"]["output"]:
        rows = read_ranking(ranking)
        done["rank"] = "reused"
    else:
        t0 = time.perf_counter()
        rows = rank(relaxed, wf["rank"])
        write_ranking(rows, ranking)
        record("rank", key, _file_digest(ranking), t0)
    survivor_ids = [r["cid"] for r in rows if r["survivor"] == "yes"]
    log(f"rank: {len(survivor_ids)} survivor(s) of {len(rows)} ({done['rank']})")
    for line in member_summary(rows):
        log(f"  {line}")

    # dft
    dft_dir = run_dir / "dft"
    if wf["dft"] is None:
        done["dft"] = "skipped"
        dft_out = None
        if state.pop("dft", None) is not None:  # decks of an earlier version of the study
            shutil.rmtree(dft_dir, ignore_errors=True)
            _write_state(run_dir, state)
    else:
        key = _digest("dft", wf["dft"], state["rank"]["output"])
        if fresh("dft", key, "dft"):
            done["dft"] = "reused"
        else:
            t0 = time.perf_counter()
            by_cid = {a.info["cid"]: a for a in relaxed}
            manifests = write_dft([by_cid[c] for c in survivor_ids if c in by_cid],
                                  wf["dft"], dft_dir)
            record("dft", key, _digest(manifests), t0,
                   decks={c: len(m) for c, m in manifests.items()})
        dft_out = state["dft"]["output"]
        decks = ", ".join(f"{n} {c}" for c, n in state["dft"]["decks"].items()) or "no"
        log(f"dft: {decks} deck(s) in {dft_dir} ({done['dft']})")

    # report
    report = run_dir / "report.html"
    key = _digest("report", wf["report"], state["rank"]["output"], dft_out)
    if fresh("report", key, report.name):
        done["report"] = "reused"
    else:
        t0 = time.perf_counter()
        notes = [f"{name}: {s.get('wall', 0):.0f} s (finished {s.get('finished', '?')})"
                 for name, s in state.items() if name in STAGES]
        notes.append(f"relax: {wf['relax']['method']}, fmax {wf['relax']['fmax']} eV/Å, "
                     f"step cap {wf['relax']['steps']}, {wf['relax']['optimiser']}")
        if wf["dft"]:
            notes.append(f"dft: {', '.join(wf['dft']['codes'])} {wf['dft']['task']} decks "
                         f"for the survivors in dft/")
        write_report(rows, relaxed, report,
                     title=wf["report"]["title"] or wf["description"] or wf["name"],
                     show=wf["report"]["show"],
                     optical=_optical_gaps(wf["build"]["family"]), notes=notes)
        record("report", key, _file_digest(report), t0)
    log(f"report: {report} ({done['report']}); {time.perf_counter() - t_start:.0f} s")
    return done


# ---------------------------------------------------------------------------- CLI
