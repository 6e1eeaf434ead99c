"""GFN-xTB pre-relaxation with tblite: SCF failure ladder, optimisers and protocols, the runner
(the topology check after each relaxation is :mod:`clustergen.compute.topology`).

GFN1-xTB is the default: on Au-thiolate clusters tblite's GFN2-xTB SCF does not converge
(measured, see docs/relaxation.md).  When the SCF fails the calculation climbs a ladder of
safer settings (:data:`LADDER`: more mixer damping, then a higher electronic temperature,
then GFN1-xTB when another method was asked) and every rung tried is recorded.  FIRE is
the first stage of the default protocol ``FIRE+PreconLBFGS``: FIRE (robust on rough built
geometries) to fmax 0.2 eV/A, then LBFGS preconditioned with ASE's bond-based ``Exp``
preconditioner to 0.02 eV/A, because FIRE alone stops on the flat GFN1 surface of these
clusters about 1 eV above the minima quasi-Newton steps reach, and plain LBFGS needs about
three times the force calls of the preconditioned one to get there (docs/relaxation.md;
``FIRE+LBFGS`` and ``optimiser="FIRE", fmax=0.05``, earlier defaults, are still selectable;
benchmarks/relax_protocols.py).  After relaxation the structure is checked
against the start (:func:`check_topology`); a change is reported as status
``topology-changed``, never dropped.

Runs go through :func:`relax`, which stores every result in an ``ase.db`` (see
:mod:`clustergen.compute.store`) as it finishes and skips candidates already stored, so an
interrupted run resumes where it stopped::

    >>> from clustergen.compute.relax import relax                      # doctest: +SKIP
    >>> relaxed = relax(candidates, db="results.db", workers=2)  # doctest: +SKIP
    >>> relaxed[0].info["status"], relaxed[0].info["gap"]       # doctest: +SKIP
    ('converged', 0.93)
"""

import os
import socket
import time

import numpy as np

from clustergen.compute import blas, claims, executor, store
from clustergen.compute.topology import check_topology, fragments  # noqa: F401  (public here)
from clustergen.core import validate
from clustergen.core.errors import ClusterGenError
from clustergen.core.identity import (  # noqa: F401  charge_multiplicity is public here too
    candidate_ids,
    charge_multiplicity,
    level_of_theory,
)

from .optimisers import (  # noqa: F401  the optimiser names are part of relax's API
    DEFAULT_OPTIMISER,
    HOPS,
    OPTIMISERS,
    PRE_FMAX,
    PRECON_R_NN,
    PROTOCOLS,
    SINGLE,
    _optimiser_class,
    stages,
)

DEFAULT_METHOD = "GFN1-xTB"
METHODS = ("GFN1-xTB", "GFN2-xTB", "IPEA1-xTB")
FMAX = 0.02     # eV/A: energies of one candidate from nearby starts agree (see docs)
STEPS = 600     # step cap per candidate, counted over stages, restarts and rungs

# Rungs tried in order when the SCF does not converge; each overrides tblite settings
# (names as in tblite.ase.TBLite).  Slower mixing needs more iterations; a higher
# electronic temperature smears near-degenerate frontier levels (shifts E by meV).
LADDER = (
    ("as asked", {}),
    ("damping 0.2", {"mixer_damping": 0.2, "max_iterations": 500}),
    ("damping 0.1, 1000 K", {"mixer_damping": 0.1, "electronic_temperature": 1000.0,
                             "max_iterations": 1000}),
    ("damping 0.05, 3000 K", {"mixer_damping": 0.05, "electronic_temperature": 3000.0,
                              "max_iterations": 1000}),
)
# Last resort when another method was asked: GFN1 with tblite's own defaults.
GFN1_RUNG = ("GFN1-xTB", {"method": "GFN1-xTB", "mixer_damping": 0.4,
                          "electronic_temperature": 300.0, "max_iterations": 250})

# Topology cut-offs: bond rules "disulfide", "metal-sulfur" (made below) and
# "metal-sulfur-broken" (broken above: the gap between is a hysteresis) of
# templates/chemistry.yaml (clustergen.core.bonds).


# ----------------------------------------------------------------------------- helpers

def method_settings(method=DEFAULT_METHOD, fmax=FMAX, optimiser=DEFAULT_OPTIMISER,
                    settings=None):
    """:func:`clustergen.core.identity.level_of_theory` with this module's defaults.

    >>> method_settings()["method"]
    'GFN1-xTB'
    """
    return level_of_theory(method, fmax, optimiser, settings)


def calculator(method=DEFAULT_METHOD, charge=0, multiplicity=1, **settings):
    """A quiet tblite ASE calculator.

    >>> calc = calculator("GFN1-xTB", charge=-1)
    >>> calc.parameters.method, calc.parameters.charge
    ('GFN1-xTB', -1)
    """
    return blas.tblite_ase().TBLite(method=method, charge=charge, multiplicity=multiplicity, verbosity=0,
                  **settings)


def frontier_orbitals(calc):
    """HOMO and LUMO energies (eV) of tblite's last single point; None where unknown.

    Occupations are per orbital (0..2, summed over spin): an orbital holding more than
    half an electron counts as occupied, so a singly occupied one is the HOMO.
    """
    from ase.units import Hartree

    res = getattr(calc, "_res", None)  # tblite keeps its Result object here
    if res is None:
        return None, None
    eps = np.asarray(res.get("orbital-energies")) * Hartree
    occ = np.asarray(res.get("orbital-occupations"))
    if eps.ndim == 2:  # spin-resolved: occupations 0..1 per channel
        eps, occ = eps.ravel(), occ.ravel()
    occupied = occ > 0.5
    homo = float(eps[occupied].max()) if occupied.any() else None
    lumo = float(eps[~occupied].min()) if (~occupied).any() else None
    return homo, lumo


def blas_in_use():
    """The BLAS tblite uses in this process: ``"openblas"``, ``"reference"`` (tblite's
    bundled one) or ``"other"``; its route is :func:`clustergen.compute.blas.load`.

    >>> blas_in_use() in ("openblas", "reference", "other")
    True
    """
    return blas.info()["kind"]


def _ladder_for(method, ladder):
    rungs = list(LADDER if ladder is None else ladder)
    if method != "GFN1-xTB" and all(s.get("method") != "GFN1-xTB" for _, s in rungs):
        rungs.append(GFN1_RUNG)
    return rungs


def _counted(calc):
    """Count the calculator's single points in ``calc.force_calls`` (the cost measure:
    line-search optimisers spend more than one per step)."""
    calc.force_calls = 0
    inner = calc.calculate

    def calculate(*args, **kwargs):
        calc.force_calls += 1
        return inner(*args, **kwargs)

    calc.calculate = calculate
    return calc


def _restart_positions(traj):
    """Frames written so far and the last frame's positions (None when nothing usable)."""
    if not traj or not os.path.exists(traj):
        return 0, None
    from ase.io.trajectory import Trajectory

    try:
        with Trajectory(traj) as frames:
            n = len(frames)
            return (n, frames[-1].positions.copy()) if n else (0, None)
    except Exception:  # a file cut by a kill mid-write: start that candidate afresh
        os.remove(traj)
        return 0, None


# ------------------------------------------------------------------------ one candidate

def relax_one(atoms, method=DEFAULT_METHOD, fmax=FMAX, steps=STEPS,
              optimiser=DEFAULT_OPTIMISER, traj=None, ladder=None, settings=None,
              cid=None, threads=1):
    """Relax one candidate; returns ``(relaxed_atoms, record)`` and never raises on
    physics failures (they become ``status = "failed:<reason>"``).

    The relaxed atoms carry a single-point calculator with energy, forces and Mulliken
    charges.  ``record`` has status, steps, energy, homo, lumo, gap (eV), the method and
    rung finally used, the ladder (one dict per rung tried), topology problems, wall
    time and the BLAS the process used.  With ``traj`` the optimisation is written there
    and, when the file already has frames, continues from its last frame.  tblite runs
    with ``threads`` OpenMP threads (1: parallelise over structures; idle OpenMP threads
    spinning on a loaded machine made a 12-atom relaxation 12x slower here).

    >>> from clustergen.core.model import make_cluster
    >>> h2 = make_cluster(["H", "H"], [[0, 0, 0], [0.9, 0, 0]], ["ligand"] * 2,
    ...                   charge=0, multiplicity=1)
    >>> out, rec = relax_one(h2)
    >>> rec["status"], round(float(out.get_distance(0, 1)), 2)   # GFN1 H-H
    ('converged', 0.77)
    """
    blas.tblite_ase()  # the fast BLAS first, then tblite's libgomp, so the thread limit reaches it

    with _thread_limit(threads):
        return _relax_one(atoms, method, fmax, steps, optimiser, traj, ladder, settings, cid)


def _thread_limit(threads):
    """Limit OpenMP/BLAS threads of the libraries already loaded (tblite's libgomp)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def _relax_one(atoms, method, fmax, steps, optimiser, traj, ladder, settings, cid):
    from ase.calculators.calculator import CalculationFailed, InputError
    from ase.calculators.singlepoint import SinglePointCalculator

    t0, c0 = time.perf_counter(), time.process_time()
    start = atoms
    atoms = atoms.copy()
    charge, mult = charge_multiplicity(atoms)
    record = {"cid": cid, "method": method, "optimiser": optimiser, "fmax_target": fmax,
              "charge": charge, "multiplicity": mult, "blas": blas_in_use(),
              "blas_route": blas.load(),
              "worker": f"{socket.gethostname()}:{os.getpid()}",
              "steps": 0, "problems": [], "ladder": []}
    if traj:
        os.makedirs(os.path.dirname(os.path.abspath(traj)), exist_ok=True)
    frames, last = _restart_positions(traj)
    if last is not None and len(last) == len(atoms):
        atoms.positions = last
        record["restarted_from_frame"] = frames - 1
    done = max(frames - 1, 0)
    plan = stages(optimiser, fmax)
    converged, failure, calls = False, None, 0
    for name, over in _ladder_for(method, ladder):
        params = {"method": method, **(settings or {}), **over}
        atoms.calc = _counted(calculator(charge=charge, multiplicity=mult, **params))
        rung = {"rung": name, "settings": over, "method": params["method"]}
        opt = None
        try:
            for stage, stage_fmax in plan:
                opt = _optimiser_class(stage)(atoms, logfile=None, trajectory=traj,
                                              append_trajectory=True)
                opt.attach(executor.check_interrupt)  # Ctrl-C lands between steps
                converged = opt.run(fmax=stage_fmax, steps=max(steps - done, 0))
                done += opt.nsteps
                record.setdefault("stages", []).append(
                    {"optimiser": stage, "fmax": stage_fmax, "steps": opt.nsteps})
                opt = None
        except (CalculationFailed, InputError) as exc:
            calls += atoms.calc.force_calls
            done += opt.nsteps if opt is not None else 0
            rung.update(result=str(exc).strip() or type(exc).__name__, at_step=done)
            record["ladder"].append(rung)
            if "SCF" not in str(exc):  # bad geometry or input: no setting helps
                failure = str(exc).strip().splitlines()[0] if str(exc).strip() else "tblite"
                break
            failure = f"SCF not converged on {len(record['ladder'])} rungs"
            continue
        calls += atoms.calc.force_calls
        rung.update(result="ok", at_step=done)
        record["ladder"].append(rung)
        record.update(method=params["method"], rung=name)
        failure = None
        break
    if not failure and converged and optimiser.endswith(HOPS):
        done, calls = _hop(atoms, plan[-1], steps, done, calls, record)
    record.update(steps=done, force_calls=calls)
    if failure:
        atoms.calc = None
        record.update(status=f"failed:{failure}", wall=time.perf_counter() - t0,
                      cpu=time.process_time() - c0)
        return atoms, record
    calc = atoms.calc
    energy = atoms.get_potential_energy()
    forces = atoms.get_forces()
    charges = atoms.get_charges()
    homo, lumo = frontier_orbitals(calc)
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces, charges=charges)
    problems = check_topology(start, atoms)
    status = "topology-changed" if problems else ("converged" if converged
                                                  else "not-converged")
    record.update(status=status, converged=bool(converged), energy=float(energy),
                  fmax=float(np.linalg.norm(forces, axis=1).max()), homo=homo, lumo=lumo,
                  gap=(lumo - homo) if homo is not None and lumo is not None else None,
                  problems=problems, topology="; ".join(problems) or "ok",
                  wall=time.perf_counter() - t0, cpu=time.process_time() - c0)
    return atoms, record


def _hop(atoms, stage, steps, done, calls, record):
    """S-inversion hops after a converged relaxation (:func:`clustergen.compute.flips.search`),
    each relaxed with the protocol's last stage; their single points and steps count."""
    from ase.calculators.calculator import CalculationFailed

    from clustergen.compute import flips

    name, stage_fmax = stage
    used = [done]
    start = atoms.calc.force_calls

    def again(a):
        opt = _optimiser_class(name)(a, logfile=None)
        opt.attach(executor.check_interrupt)
        ok = opt.run(fmax=stage_fmax, steps=max(steps - used[0], 0))
        used[0] += opt.nsteps
        return ok

    kept = atoms.positions.copy()
    try:
        record["hops"] = flips.search(atoms, again)
    except CalculationFailed as exc:   # SCF lost on a hop: keep the minimum already found
        atoms.positions = kept
        record["hops"] = [{"failed": str(exc).strip().splitlines()[0] if str(exc).strip()
                           else "tblite"}]
    return used[0], calls + atoms.calc.force_calls - start


# ---------------------------------------------------------------------------- many

def _check_options(method, fmax, steps, optimiser):
    if method not in METHODS:
        raise ClusterGenError(f"unknown method '{method}' (known: {', '.join(METHODS)})")
    validate.positive_float(fmax, "fmax")
    validate.bounded_int(0, validate.MAX_STEPS, "steps")(steps)
    stages(optimiser, fmax)


def default_traj_dir(db):
    """Where trajectories go: ``<db>.traj/`` beside a SQLite file, else ``./clustergen-traj``.

    >>> default_traj_dir("runs/results.db")
    'runs/results.db.traj'
    """
    if isinstance(db, (str, os.PathLike)) and not store.is_url(str(db)):
        return f"{db}.traj"
    return "clustergen-traj"


def relax(atoms_or_list, db="results.db", workers=None, scheduler=None,
          method=DEFAULT_METHOD, fmax=FMAX, steps=STEPS, optimiser=DEFAULT_OPTIMISER,
          retry=False, traj_dir=None, progress=True, settings=None, ladder=None):
    """Relax candidates with GFN-xTB, store each result in ``db`` as it finishes.

    ``workers``: Dask worker processes on this machine (default: one per core; each
    single-threaded with OpenBLAS preloaded, see :mod:`clustergen.compute.blas`); ``0``
    runs in this process without Dask.  ``scheduler``: address of an existing Dask scheduler instead.
    Candidates already in ``db`` are skipped (with ``retry=True`` only converged and
    topology-changed ones).  Returns one relaxed candidate per input, in input order
    (duplicates included), each with the input's roles and ``info`` plus cid, status,
    energy, fmax, steps, homo, lumo, gap...; a result missing from the store comes back
    as the input with status ``failed:no result``.

    >>> from clustergen.compute.relax import relax                         # doctest: +SKIP
    >>> out = relax(read_candidates("candidates.extxyz"), db="results.db", workers=2)
    ...                                                             # doctest: +SKIP
    """
    from ase import Atoms


    candidates = [atoms_or_list] if isinstance(atoms_or_list, Atoms) else list(atoms_or_list)
    _check_options(method, fmax, steps, optimiser)
    for k, atoms in enumerate(candidates):
        validate.check_atoms(atoms, f"candidate {k}")
    ids = candidate_ids(candidates, method_settings(method, fmax, optimiser, settings))
    by_cid = {}
    for cid, atoms in zip(ids, candidates):
        by_cid.setdefault(cid, atoms)
    conn = store.connect(db)
    stored = store.stored_status(conn)
    todo = [c for c in by_cid
            if c not in stored or (retry and not store.is_final(stored[c]))]
    traj_dir = traj_dir or default_traj_dir(db)
    tasks = {cid: ((by_cid[cid],), dict(method=method, fmax=fmax, steps=int(steps),
                                         optimiser=optimiser, ladder=ladder,
                                         settings=settings, cid=cid,
                                         traj=os.path.join(traj_dir, f"{cid}.traj")))
             for cid in todo}

    def failure(cid, reason):
        return {"cid": cid, "status": f"failed:{reason}", "method": method}

    def save(cid, result):
        relaxed, record = result
        store.write_result(conn, relaxed, record, start=by_cid[cid])

    def fail(cid, reason):
        store.write_result(conn, by_cid[cid].copy(), failure(cid, reason), start=by_cid[cid])

    def execute(func, jobs, on_result, on_error):
        executor.run(func, jobs, on_result, on_error=on_error, workers=workers,
                     scheduler=scheduler, progress=progress, desc="relax")

    if isinstance(db, (str, os.PathLike)):  # claims: concurrent runs share the work
        name = str(db) if store.is_url(str(db)) else os.path.abspath(db)
        # remote workers may not see a SQLite file: then this process takes the claims
        claims.run_claimed(name, tasks, relax_one, execute, save, fail, retry=retry,
                           in_workers=not scheduler or store.is_url(name))
    else:
        execute(relax_one, tasks, save, fail)
    done = {a.info["cid"]: a for a in store.read_relaxed(conn, ids)}
    # one result per input, in input order; a row the store lacks is a failure, not a gap
    return [done[cid].copy() if cid in done else _unstored(atoms, failure(cid, "no result"))
            for cid, atoms in zip(ids, candidates)]


def _unstored(atoms, record):
    out = atoms.copy()
    out.info.update(record)
    return out


# ---------------------------------------------------------------------------- CLI


