"""Overhead of ``clustergen.compute.relax`` (Dask worker, db writes, trajectories, topology check)
over bare tblite + ASE FIRE calls on the same structures and the same number of steps.
Both sides run single-threaded on OpenBLAS (clustergen.compute.blas).  Goal: <= 5 %.

Wall time is what a user waits for, but on a shared machine it swings by tens of per
cent from one minute to the next, so CPU time (all processes: driver, scheduler, worker
start-up, tasks) is printed too; bare and pipeline runs alternate ``--rounds`` times.

    python benchmarks/relax_overhead.py [--candidates 3] [--steps 15]
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

from relax_common import au25_model, load_line, rattled_copies, run

BARE = r"""
import sys
from ase.optimize import FIRE
from clustergen.compute.blas import tblite_ase
from clustergen.core.model import read_candidates
from clustergen.compute.relax import _thread_limit
TBLite = tblite_ase().TBLite  # the same BLAS route as the pipeline's workers
cands = read_candidates(sys.argv[1])
with _thread_limit(1):
    for atoms in cands:
        atoms.calc = TBLite(method="GFN1-xTB", charge=atoms.info["charge"],
                            multiplicity=atoms.info["multiplicity"], verbosity=0)
        FIRE(atoms, logfile=None).run(fmax=0.05, steps=int(sys.argv[2]))
"""


def cpu_children():
    """CPU seconds of this process plus its finished (reaped) child processes."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bare(path, steps):
    """Wall and CPU time of the whole bare process (imports included, as for relax)."""
    from clustergen.compute.executor import worker_environ

    env = dict(os.environ, **worker_environ())
    c, t = cpu_children(), time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE, path, str(steps)], env=env,
                   capture_output=True, text=True, check=True)
    return time.perf_counter() - t, cpu_children() - c


def pipeline(cands, steps, workdir):
    """Wall time of relax() including cluster start and stop; CPU of every process."""
    from clustergen.compute.relax import relax

    db = os.path.join(workdir, f"r{time.time_ns()}.db")
    c, t = cpu_children(), time.perf_counter()
    out = relax(cands, db=db, workers=1, steps=steps, progress=False)
    return time.perf_counter() - t, cpu_children() - c, out


def main():
    from clustergen.core.model import write_candidates

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=3)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    base = au25_model()
    cands = rattled_copies(base, args.candidates, first_seed=0)
    work = tempfile.mkdtemp(prefix="clustergen-overhead-")
    path = os.path.join(work, "c.extxyz")
    write_candidates(path, cands)
    print(f"{args.candidates} x [Au25(SCH3)18]- ({len(base)} atoms), GFN1-xTB, FIRE, "
          f"{args.steps} steps each")
    print(load_line())
    walls, cpus = {"bare": [], "relax": []}, {"bare": [], "relax": []}
    for _ in range(args.rounds):
        w, c = bare(path, args.steps)
        walls["bare"].append(w)
        cpus["bare"].append(c)
        w, c, out = pipeline(cands, args.steps, work)
        walls["relax"].append(w)
        cpus["relax"].append(c)
        print(f"  bare {walls['bare'][-1]:.1f} s wall / {cpus['bare'][-1]:.1f} s CPU;  relax "
              f"{w:.1f} s wall / {c:.1f} s CPU (tasks {sum(a.info['cpu'] for a in out):.1f} "
              f"s CPU); {load_line()}", flush=True)
    assert all(a.info["steps"] == args.steps for a in out), "both sides must do equal work"
    wb, wr, cb, cr = (min(walls["bare"]), min(walls["relax"]), min(cpus["bare"]),
                      min(cpus["relax"]))
    print(f"best bare tblite + FIRE:      {wb:6.1f} s wall  {cb:6.1f} s CPU")
    print(f"best clustergen relax, 1 wkr: {wr:6.1f} s wall  {cr:6.1f} s CPU  "
          f"(blas {sorted({a.info['blas'] for a in out})})")
    print(f"overhead: wall {100 * (wr / wb - 1):+.1f} %, CPU {100 * (cr / cb - 1):+.1f} % "
          f"(goal <= 5 %)")


if __name__ == "__main__":
    run(main)
