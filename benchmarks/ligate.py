"""Ligand placement speed: PET on [Au25(SR)18]- and on a 60-ligand shell.

Targets: [Au25(PET)18]- under 5 s; a 60-ligand shell under 60 s.  The framework build
is not timed, only :func:`clustergen.ligate` (RDKit conformers included on first use).

Run: python benchmarks/ligate.py
"""

import time

import clustergen
from clustergen.generation.ligand_chem import resolve


def timed(formula, ligand, family_hint=""):
    frame = clustergen.build(formula, ligand="SH", isomers=1)[0]
    resolve.cache_clear()
    t = time.perf_counter()
    try:
        atoms = clustergen.ligate(frame, ligand)
    except clustergen.ClusterGenError as exc:
        print(f"{formula} {ligand}: failed in {time.perf_counter() - t:.1f} s: {exc}")
        return None
    dt = time.perf_counter() - t
    n = int(atoms.arrays["ligand_index"].max()) + 1
    print(f"{atoms.info['formula']:<24} {n:>3} ligands {len(atoms):>5} atoms "
          f"{dt:6.1f} s {family_hint}", flush=True)
    return dt


def main():
    timed("[Au25(SR)18]-", "PET", "(target < 5 s)")
    timed("Au44(SR)28", "TBBT")
    timed("Au60(SR)36", "PET")
    timed("Au108(SR)60", "PET", "(60-ligand shell, target < 60 s)")
    timed("Au108(SR)60", "TBBT")


if __name__ == "__main__":
    main()
