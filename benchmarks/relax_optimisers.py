"""Relaxation steps per ASE optimiser on a built [Au25(SCH3)18]- with GFN1-xTB: steps to
fmax 0.05 eV/A, wall time, energy, topology kept, Au+S RMSD to the public DFT model.
Runs the optimisers as parallel tasks through clustergen's executor (OpenBLAS workers).

    python benchmarks/relax_optimisers.py [--optimisers FIRE BFGS LBFGS BFGSLineSearch]
                                          [--workers 2] [--steps 300]
"""

import argparse
import os
import time

from relax_common import au25_model, load_line

REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "structures", "reference", "au25_sr18_dft.xyz")


def main():
    from clustergen.compute import executor
    from clustergen.compute.relax import relax_one

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--optimisers", nargs="+",
                    default=["FIRE", "BFGS", "LBFGS", "BFGSLineSearch"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    atoms = au25_model()
    print(f"[Au25(SCH3)18]- built model ({atoms.info.get('motifs')}), {len(atoms)} atoms, "
          f"GFN1-xTB, fmax 0.05 eV/A, cap {args.steps} steps")
    print(load_line())
    tasks = {name: ((atoms,), {"optimiser": name, "steps": args.steps})
             for name in args.optimisers}
    results = {}
    executor.run(relax_one, tasks, lambda k, v: results.__setitem__(k, v),
                 workers=args.workers, desc="optimisers")
    ref = None
    if os.path.exists(REFERENCE):
        from ase.io import read

        ref = read(REFERENCE)
    print(f"{'optimiser':15s} {'status':17s} {'steps':>5s} {'wall/s':>7s} {'s/step':>6s} "
          f"{'E/eV':>12s} {'fmax':>6s} {'RMSD/A':>6s}  topology")
    for name in args.optimisers:
        out, rec = results[name]
        rmsd = ""
        if ref is not None:
            from clustergen.analysis.compare import framework_rmsd

            rmsd = f"{framework_rmsd(out, ref):.3f}"
        print(f"{name:15s} {rec['status']:17s} {rec['steps']:5d} {rec['wall']:7.1f} "
              f"{rec['wall'] / max(rec['steps'], 1):6.2f} {rec.get('energy', float('nan')):12.4f} "
              f"{rec.get('fmax', float('nan')):6.3f} {rmsd:>6s}  {rec.get('topology', '')}")
    print(f"({rec['blas']} BLAS in the workers; {load_line()})")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"benchmark wall time {time.perf_counter() - t0:.0f} s")
