"""Speed-up of 2 local Dask workers over 1 on a batch of built [Au25(SCH3)18]- copies
(GFN1-xTB, FIRE, fixed step count).  Goal >= 1.7x on an idle 2-core machine: the load
average printed says how idle it was.

    python benchmarks/relax_scaling.py [--candidates 4] [--steps 10]
"""

import argparse
import os
import tempfile
import time

from relax_common import au25_model, load_line, rattled_copies, run


def timed(cands, workers, steps):
    from clustergen.compute.relax import relax

    db = os.path.join(tempfile.mkdtemp(prefix="clustergen-scaling-"), "r.db")
    t = time.perf_counter()
    out = relax(cands, db=db, workers=workers, steps=steps, progress=False)
    wall = time.perf_counter() - t
    assert len({a.info["cid"] for a in out}) == len(cands)
    cores = sum(a.info["cpu"] for a in out) / wall    # CPU the tasks actually obtained
    return wall, len({a.info["worker"] for a in out}), cores


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args()
    base = au25_model()
    cands = rattled_copies(base, args.candidates, first_seed=100)
    print(f"{args.candidates} x [Au25(SCH3)18]-, GFN1-xTB, FIRE, {args.steps} steps each")
    print(load_line())
    t1, n1, c1 = timed(cands, 1, args.steps)
    print(f"1 worker:  {t1:6.1f} s ({n1} process, tasks got {c1:.2f} cores)")
    print(load_line())
    t2, n2, c2 = timed(cands, 2, args.steps)
    print(f"2 workers: {t2:6.1f} s ({n2} processes, tasks got {c2:.2f} cores)")
    print(load_line())
    print(f"speed-up {t1 / t2:.2f}x (goal >= 1.7x); CPU obtained {c2 / c1:.2f}x: the "
          f"speed-up cannot exceed what the machine gave")


if __name__ == "__main__":
    run(main)
