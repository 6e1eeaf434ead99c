"""GFN1-xTB single point on a built [Au25(SCH3)18]-: tblite's bundled reference BLAS vs
Debian's OpenBLAS preloaded (one thread each).  Prints the best of ``--repeat`` timings.

    python benchmarks/relax_blas.py [--repeat 3]
"""

import argparse
import json
import os
import subprocess
import sys

from relax_common import au25_model, load_line, run

CHILD = r"""
import json, sys, time
from clustergen.core.model import read_candidates
from clustergen.compute.relax import blas_in_use, calculator, _thread_limit
import tblite.ase
atoms = read_candidates(sys.argv[1])[0]
times = []
with _thread_limit(1):
    for _ in range(int(sys.argv[2])):
        atoms.calc = calculator("GFN1-xTB", charge=atoms.info["charge"],
                                multiplicity=atoms.info["multiplicity"])
        t = time.perf_counter()
        energy = atoms.get_potential_energy()
        times.append(time.perf_counter() - t)
print(json.dumps({"blas": blas_in_use(), "energy": energy, "times": times}))
"""


def single_point(path, repeat, preload):
    from clustergen.compute.executor import THREAD_VARIABLES

    env = dict(os.environ, **{v: "1" for v in THREAD_VARIABLES})
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    out = subprocess.run([sys.executable, "-c", CHILD, path, str(repeat)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    from clustergen.compute.executor import openblas_path
    from clustergen.core.model import write_candidates

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    atoms = au25_model()
    path = "/tmp/clustergen-bench-au25.extxyz"
    write_candidates(path, [atoms])
    print(f"[Au25(SCH3)18]- built model, {len(atoms)} atoms, GFN1-xTB single point")
    print(load_line())
    ref = single_point(path, args.repeat, None)
    print(f"reference BLAS ({ref['blas']}): best {min(ref['times']):.2f} s "
          f"of {[round(t, 2) for t in ref['times']]}, E = {ref['energy']:.6f} eV")
    lib = openblas_path()
    if not lib:
        print("OpenBLAS not installed (apt-get install libopenblas0-pthread): no fast run")
        return
    fast = single_point(path, args.repeat, lib)
    print(f"OpenBLAS ({fast['blas']}, {lib}): best {min(fast['times']):.2f} s "
          f"of {[round(t, 2) for t in fast['times']]}, E = {fast['energy']:.6f} eV")
    print(f"speed-up {min(ref['times']) / min(fast['times']):.1f}x, "
          f"|dE| = {abs(ref['energy'] - fast['energy']):.1e} eV")


if __name__ == "__main__":
    run(main)
