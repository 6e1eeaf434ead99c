"""Shared bits of the relaxation benchmarks: the Au25 model and the machine load."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def au25_model():
    """A built [Au25(SCH3)18]- (clustergen.generation.generate.build), or the structure in
    ``$CLUSTERGEN_BENCH_XYZ`` when given (extxyz with charge/multiplicity info)."""
    from clustergen.core.model import read_candidates

    path = os.environ.get("CLUSTERGEN_BENCH_XYZ")
    if path:
        return read_candidates(path)[0]
    from clustergen.generation.generate import build

    return build("[Au25(SR)18]-", ligand="SCH3", isomers=1)[0]


def load_line():
    """Cores and load averages, to read timings on a shared machine."""
    one, five, fifteen = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.1f} {five:.1f} {fifteen:.1f}"


def rattled_copies(atoms, n, first_seed=0, stdev=0.02):
    """``n`` copies displaced by Gaussian noise: distinct candidates, same physics."""
    out = []
    for seed in range(first_seed, first_seed + n):
        a = atoms.copy()
        a.rattle(stdev, seed=seed)
        out.append(a)
    return out


def run(main):
    """Run a benchmark's ``main`` and print its wall time (the ``__main__`` of each)."""
    t0 = time.perf_counter()
    main()
    print(f"benchmark wall time {time.perf_counter() - t0:.0f} s")
