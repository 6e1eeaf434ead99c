"""GFN1-xTB single point on a built [Au25(SCH3)18]- on each BLAS route of
clustergen.compute.blas: tblite's bundled reference BLAS, the pip wheel cmeel-openblas,
Debian's OpenBLAS.  Each route runs in its own process (the library is chosen before
tblite loads), one OpenMP and one OpenBLAS thread; median of ``--repeat`` single points
after one warm-up (CPU time, steady on a shared machine, and wall time), and the
energies must agree.

    python benchmarks/relax_blas.py [--repeat 3] [--routes none pip apt]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from relax_common import au25_model, load_line, run

CHILD = r"""
import json, sys, time
from clustergen.compute import blas
from clustergen.compute.relax import calculator, _thread_limit
from clustergen.core.model import read_candidates
atoms = read_candidates(sys.argv[1])[0]
times, cpu = [], []
with _thread_limit(1):
    for _ in range(int(sys.argv[2]) + 1):  # the first one warms up
        atoms.calc = calculator("GFN1-xTB", charge=atoms.info["charge"],
                                multiplicity=atoms.info["multiplicity"])
        t, c = time.perf_counter(), time.process_time()
        energy = atoms.get_potential_energy()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
print(json.dumps({"info": blas.info(), "energy": energy, "times": times[1:],
                  "cpu": cpu[1:]}))
"""
LABELS = {"none": "bundled (reference)", "pip": "pip cmeel-openblas", "apt": "apt OpenBLAS"}


def single_point(path, repeat, route):
    """Route ``route`` (a CLUSTERGEN_OPENBLAS value) in a fresh single-threaded process."""
    from clustergen.compute.executor import THREAD_VARIABLES

    env = dict(os.environ, **{v: "1" for v in THREAD_VARIABLES}, CLUSTERGEN_OPENBLAS=route)
    env.pop("LD_PRELOAD", None)
    out = subprocess.run([sys.executable, "-c", CHILD, path, str(repeat)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    from clustergen.core.model import write_candidates

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--routes", nargs="+", default=["none", "pip", "apt"], choices=LABELS)
    args = ap.parse_args()
    atoms = au25_model()
    path = f"/tmp/clustergen-bench-au25-{os.getpid()}.extxyz"
    write_candidates(path, [atoms])
    print(f"[Au25(SCH3)18]- built model, {len(atoms)} atoms, GFN1-xTB single point, "
          f"median of {args.repeat}")
    print(load_line())
    results = {}
    for route in args.routes:
        got = single_point(path, args.repeat, route)
        info = got["info"]
        if route != "none" and info["route"] == "bundled":
            print(f"{LABELS[route]:22s} not available here ({info['why']})")
            continue
        results[route] = got
        print(f"{LABELS[route]:22s} route {info['route']:8s} {info['kind']:9s} median "
              f"CPU {statistics.median(got['cpu']):6.2f} s, wall "
              f"{statistics.median(got['times']):6.2f} s of "
              f"{[round(t, 2) for t in got['times']]}, E = {got['energy']:.6f} eV  "
              f"{info['library'] or ''}", flush=True)
    os.remove(path)
    if "none" in results:
        base = statistics.median(results["none"]["cpu"])
        for route, got in results.items():
            if route != "none":
                print(f"{LABELS[route]}: {base / statistics.median(got['cpu']):.1f}x the "
                      f"bundled speed (CPU time), |dE| = "
                      f"{abs(got['energy'] - results['none']['energy']):.1e} eV")
    energies = [got["energy"] for got in results.values()]
    if energies and max(energies) - min(energies) > 1e-6:
        sys.exit(f"energies differ between routes: {energies}")
    print(load_line())


if __name__ == "__main__":
    run(main)
