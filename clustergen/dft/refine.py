"""DFT in the loop: single points on stored candidates, results back in the same store.

:func:`refine` takes candidates (usually the lowest GFN1 ones per formula, from
:func:`clustergen.dft.batch.read_top`), checks that each job fits the memory it will get,
runs them through :func:`clustergen.compute.executor.run` (local processes, or a Dask
scheduler by address, e.g. one started by dask-jobqueue on SLURM/PBS) and stores each
result as it finishes as a row with the candidate's ``cid`` and a ``level`` key
(:func:`clustergen.compute.store.write_level_result`).  A rerun skips candidates that
already have a converged row at that level, so a killed run resumes; ``retry`` redoes
failed and unconverged ones.  Every job has its own scratch directory,
``<db>.dft/<level>/<cid>/``, kept unless ``clean`` and the run converged.
"""

import os
import re
import sys
from pathlib import Path

import numpy as np

from clustergen.compute import store
from clustergen.core.errors import ClusterGenError

from . import cost
from .run import (
    check_code,
    describe,
    executable,
    level_name,
    refine_settings,
    run_job,
    table,
)


def scratch_root(db, scratch=None):
    """Where job directories go: ``scratch``, else ``<db>.dft`` beside a SQLite file.

    >>> scratch_root("runs/results.db")
    'runs/results.db.dft'
    """
    if scratch:
        return str(scratch)
    if isinstance(db, (str, os.PathLike)) and not store.is_url(str(db)):
        return f"{db}.dft"
    return "clustergen-dft"


def slug(level):
    """File-name-safe form of a level name.

    >>> slug("PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K)")
    'PBE-D3_BJ_DZVP-MOLOPT-SR_CP2K'
    """
    return re.sub(r"[^A-Za-z0-9.-]+", "_", level).strip("_")


def common_box_vacua(candidates, vacuum):
    """Vacuum per candidate such that all candidates of one formula share one cubic box
    (the largest extent + 2 x ``vacuum``): energies compared within a composition then
    come from the same grid, with no box-size or egg-box differences between isomers.

    >>> from ase import Atoms
    >>> a = Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]], info={"formula": "Au2"})
    >>> b = Atoms("Au2", positions=[[0, 0, 0], [3.5, 0, 0]], info={"formula": "Au2"})
    >>> common_box_vacua([a, b], 5.0)
    [5.5, 5.0]
    """
    def extent(atoms):
        return float(np.ptp(atoms.positions, axis=0).max()) if len(atoms) > 1 else 0.0

    def formula(atoms):
        return str(atoms.info.get("formula") or atoms.get_chemical_formula())

    largest = {}
    for atoms in candidates:
        largest[formula(atoms)] = max(largest.get(formula(atoms), 0.0), extent(atoms))
    return [float(vacuum) + (largest[formula(a)] - extent(a)) / 2 for a in candidates]


def plan(candidates, code="cp2k", task="sp", threads=1, **overrides):
    """Settings, level and cost estimate per candidate; every input problem raised here,
    before anything runs.  Returns ``[(atoms, settings, estimate)]`` and the level."""
    check_code(code, task)
    executable(code)
    planned, levels = [], set()
    vacua = common_box_vacua(candidates, overrides.get("vacuum") or table()["cp2k"]["vacuum"])
    for atoms, vacuum in zip(candidates, vacua):
        if not atoms.info.get("cid"):
            raise ClusterGenError("candidate has no store id (cid): refine reads candidates "
                                  "from a results database (clustergen relax / dopants --relax)")
        if code == "cp2k":
            overrides = {**overrides, "vacuum": vacuum}
        settings = refine_settings(atoms, code, task, **overrides)
        levels.add(level_name(settings))
        planned.append((atoms, settings, cost.estimate(atoms, settings, threads)))
    if len(levels) > 1:
        raise ClusterGenError(f"candidates resolve to several levels: {sorted(levels)}")
    return planned, levels.pop() if levels else None


def refine(candidates, db="results.db", code="cp2k", task="sp", workers=None,
           scheduler=None, threads=1, memory_gb=None, clean=False, retry=False,
           scratch=None, timeout=None, progress=True, dry_run=False, log=None,
           **overrides):
    """Run DFT single points on ``candidates`` and store them at their level.

    ``workers`` local processes (default: as many as cores and memory allow), each
    running one job with ``threads`` OpenMP threads; ``scheduler``: a Dask scheduler
    address instead.  ``memory_gb``: memory one job may use (default: this machine's
    available memory / workers, or the scheduler's worker limit); a job estimated
    above it is refused before anything runs.  ``dry_run`` prints the estimates only.
    Returns the level rows of these candidates (dicts, as :func:`store.level_rows`).
    """
    from clustergen.compute import executor

    log = log or sys.stderr
    candidates = list(candidates)
    if not candidates:
        raise ClusterGenError("no candidates to refine")
    planned, level = plan(candidates, code, task, threads, **overrides)
    budget, workers = cost.budget(planned, workers, scheduler, threads, memory_gb)
    for atoms, settings, est in planned:
        print(f"{atoms.info['cid']} {atoms.info.get('formula', atoms.get_chemical_formula())}"
              f": {cost.describe(est)}", file=log)
    cost.refuse_oversized(planned, budget, scheduler)
    if dry_run:
        return []
    conn = store.connect(db)
    done = store.level_status(conn, level)
    todo = {a.info["cid"]: (a, s) for a, s, _ in planned
            if a.info["cid"] not in done or (retry and done[a.info["cid"]] != "converged")}
    skipped = len({a.info["cid"] for a, _, _ in planned}) - len(todo)
    where = (f"on {scheduler}" if scheduler else "in this process" if workers == 0
             else f"on {workers} local worker(s)")
    print(f"{level}: {len(todo)} job(s) to run, {skipped} already stored; {where}, "
          f"{threads} thread(s) each, {budget:.1f} GB per job", file=log)
    root = Path(scratch_root(db, scratch)) / slug(level)
    tasks = {cid: ((atoms,), dict(code=code, task=task, directory=str(root / cid),
                                  threads=threads, memory_mb=int(budget * 1024 * 0.8),
                                  timeout=timeout, clean=clean,
                                  **settings["overrides"],
                                  **({"density_fit": settings["density_fit"]}
                                     if code == "pyscf" else {})))
             for cid, (atoms, settings) in todo.items()}

    def save(cid, record):
        # a result this run lacks (None: e.g. no LUMO printed) must not be filled in with
        # the candidate's GFN1 value of the same name from its info
        atoms = todo[cid][0].copy()
        for key in [k for k, v in record.items() if v is None]:
            atoms.info.pop(key, None)
        store.write_level_result(conn, atoms, {**record, "cid": cid})
        print(f"{cid}: {describe(record)}", file=log)

    def fail(cid, reason):
        store.write_level_result(conn, todo[cid][0], {
            "cid": cid, "level": level, "method": level, "code": code, "task": task,
            "status": f"failed:{reason}", "message": reason})

    executor.run(run_job, tasks, save, on_error=fail, workers=workers if not scheduler
                 else None, scheduler=scheduler, progress=progress, desc="refine")
    wanted = {a.info["cid"] for a in candidates}
    return [r for r in store.level_rows(conn, level) if r.get("cid") in wanted]
