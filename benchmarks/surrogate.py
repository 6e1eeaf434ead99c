"""Surrogate ranking benchmark: 3 Cu in [Au25(SH)18]-.

Every symmetry-distinct configuration is relaxed once with GFN1-xTB (package defaults)
into this benchmark's own database (``benchmarks/surrogate_cu3.db``, reused on reruns);
then the learning curve of the gap and relative-energy models and the relaxations an
active search needs to find the lowest-energy configuration, against random order.

    OMP_NUM_THREADS=1 nice python benchmarks/surrogate.py [--relax-only]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HERE = os.path.dirname(os.path.abspath(__file__))
DB = os.environ.get("CLUSTERGEN_SURROGATE_DB", os.path.join(HERE, "surrogate_cu3.db"))
SP_DB = os.path.join(HERE, "surrogate_cu3_sp.db")  # single points on the relaxed host


def configurations():
    """The symmetry-distinct Cu3 dopings of a GFN1-relaxed [Au25(SH)18]-.

    The host is relaxed first (one run, stored in :data:`DB`) so each doped start is
    close to its minimum; the bond-graph symmetry of the ideal framework gives the
    distinct configurations (the relaxed geometry is only nearly Th).
    """
    from clustergen.compute.relax import relax
    from clustergen.generation.generate import build
    from clustergen.screen.dopants import enumerate_dopings

    host = build("[Au25(SR)18]-", ligand="SH", isomers=1)[0]
    relaxed = relax(host, db=DB, workers=0, progress=False)[0]
    if relaxed.info.get("status") != "converged":
        raise SystemExit(f"host relaxation: {relaxed.info.get('status')}")
    relaxed.info["host"] = "Au"
    return enumerate_dopings(relaxed, "Cu", 3, method="graph")


def relaxed(workers=0, single_point=False):
    """All configurations relaxed (stored in :data:`DB`; only missing ones are run).

    ``single_point``: GFN1 single points of the unrelaxed doped structures instead
    (stored in :data:`SP_DB`), a cheap stand-in data set of the same pool.
    """
    from clustergen.screen.dopants import relax_configurations

    if single_point:
        return relax_configurations(configurations(), db=SP_DB, workers=workers,
                                    progress=False, steps=0)
    return relax_configurations(configurations(), db=DB, workers=workers, progress=False)


if __name__ == "__main__" and "--relax-only" in sys.argv:
    out = relaxed(single_point="--single-point" in sys.argv)
    print(f"{sum(a is not None for a in out)} relaxed configurations in {DB}")
