"""Ligand placement speed: PET on [Au25(SR)18]- and on a 60-ligand shell.

Targets: [Au25(PET)18]- under 5 s; a 60-ligand shell under 60 s.  The framework build
is not timed, only :func:`clustergen.ligate` (RDKit conformers included on first use).
Besides built members, the Au102(SR)44 crystal framework (structures/reference, its
p-MBA exchanged) is ligated with PET and TBBT.

Run: OMP_NUM_THREADS=1 python benchmarks/ligate.py
"""

import os
import time

import clustergen
from clustergen.core.model import read_candidates
from clustergen.generation.ligand_chem import resolve

AU102 = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     "structures", "reference", "au102_sr44_xtal.xyz")


def timed(formula, ligand, family_hint="", frame=None):
    if frame is None:
        frame = clustergen.build(formula, ligand="SH", isomers=1)[0]
    resolve.cache_clear()
    t, c = time.perf_counter(), time.process_time()
    try:
        atoms = clustergen.ligate(frame, ligand)
    except clustergen.ClusterGenError as exc:
        print(f"{formula} {ligand}: failed in {time.perf_counter() - t:.1f} s wall "
              f"{time.process_time() - c:.1f} s CPU: {exc}")
        return None
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    n = int(atoms.arrays["ligand_index"].max()) + 1
    # CPU seconds too: on a shared machine the wall time mostly measures the load
    print(f"{atoms.info['formula']:<24} {n:>3} ligands {len(atoms):>5} atoms "
          f"{dt:6.1f} s wall {cpu:6.1f} s CPU {family_hint}", flush=True)
    return dt


def main():
    timed("[Au25(SR)18]-", "PET", "(target < 5 s)")
    timed("Au44(SR)28", "TBBT")
    timed("Au60(SR)36", "PET")
    timed("Au108(SR)60", "PET", "(60-ligand shell, target < 60 s)")
    timed("Au108(SR)60", "TBBT", "(60-ligand shell, target < 60 s)")
    au102 = read_candidates(AU102)[0]
    for ligand in ("PET", "TBBT"):
        timed("Au102(SR)44", ligand, "(crystal framework, p-MBA exchanged)", frame=au102)


if __name__ == "__main__":
    main()
