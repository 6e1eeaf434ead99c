"""Overhead of ``clustergen.relax`` (Dask worker, db writes, trajectories, topology check)
over bare tblite + ASE FIRE calls on the same structures and the same number of steps.
Both sides run single-threaded with OpenBLAS preloaded.  Goal: <= 5 %.

    python benchmarks/relax_overhead.py [--candidates 3] [--steps 15]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from relax_common import au25_model, load_line, rattled_copies

BARE = r"""
import json, sys, time
from ase.optimize import FIRE
from tblite.ase import TBLite
from clustergen.model import read_candidates
from clustergen.relax import _thread_limit
cands = read_candidates(sys.argv[1])
t = time.perf_counter()
with _thread_limit(1):
    for atoms in cands:
        atoms.calc = TBLite(method="GFN1-xTB", charge=atoms.info["charge"],
                            multiplicity=atoms.info["multiplicity"], verbosity=0)
        FIRE(atoms, logfile=None).run(fmax=0.05, steps=int(sys.argv[2]))
print(json.dumps({"wall": time.perf_counter() - t}))
"""


def bare(path, steps):
    from clustergen.executor import worker_environ

    env = dict(os.environ, **worker_environ())
    out = subprocess.run([sys.executable, "-c", BARE, path, str(steps)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["wall"]


def pipeline(cands, steps, workdir):
    from clustergen.relax import relax

    t = time.perf_counter()
    out = relax(cands, db=os.path.join(workdir, "r.db"), workers=1, steps=steps,
                progress=False)
    return time.perf_counter() - t, out


def main():
    from clustergen.model import write_candidates

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=3)
    ap.add_argument("--steps", type=int, default=15)
    args = ap.parse_args()
    base = au25_model()
    cands = rattled_copies(base, args.candidates, first_seed=0)
    work = tempfile.mkdtemp(prefix="clustergen-overhead-")
    path = os.path.join(work, "c.extxyz")
    write_candidates(path, cands)
    print(f"{args.candidates} x [Au25(SCH3)18]- ({len(base)} atoms), GFN1-xTB, FIRE, "
          f"{args.steps} steps each")
    print(load_line())
    t_bare = bare(path, args.steps)
    t_pipe, out = pipeline(cands, args.steps, work)
    inner = sum(a.info["wall"] for a in out)
    print(f"bare tblite + FIRE:       {t_bare:7.1f} s")
    print(f"clustergen relax (1 wkr): {t_pipe:7.1f} s  (tasks {inner:.1f} s, cluster start/"
          f"stop and db {t_pipe - inner:.1f} s); steps {[a.info['steps'] for a in out]}, "
          f"blas {sorted({a.info['blas'] for a in out})}")
    print(f"overhead {100 * (t_pipe / t_bare - 1):+.1f} % (goal <= 5 %); inside the tasks "
          f"{100 * (inner / t_bare - 1):+.1f} %")
    print(load_line())


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"benchmark wall time {time.perf_counter() - t0:.0f} s")
