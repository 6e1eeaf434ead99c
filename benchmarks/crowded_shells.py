"""Crowded shells: bulky thiolates (S-Adm, TBBT) and whole phosphines (PPh3, dppe) on the
rule-built frameworks: which build, how far the staples had to move, how close the atoms
come.

For each (formula, family, ligands) row (ligands joined by "+", one per donor class):
``clustergen.build(formula, ligand=[...], isomers=1, family=...)``, then the largest
staple shift of the last-resort staple relaxation
(``info["framework_room"]``, A; "-" when the placement needed none), the closest
H...heavy / H...H / heavy...heavy contacts between different ligands or a ligand and the
framework (hard limits 1.9 / 1.5 / 2.2 A), the Au-S-C range at two-coordinate S and at
mu3-S (or the Au-P-C range), whether ``geometry_report`` and ``donor_report`` pass and
the motif inventory equals the SH build's, and the wall time (the machine's other work
included: a load figure, not a target).

Run: OMP_NUM_THREADS=1 python benchmarks/crowded_shells.py [--rows "Au40(SR)24:tetrahedral-ring:SAdm" ...]
     OMP_NUM_THREADS=1 python benchmarks/crowded_shells.py --mixed
"""

import argparse
import time

import numpy as np

import clustergen
from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report, ligand_contacts
from clustergen.generation.donors import donor_report

ROWS = ["Au21(SR)15:bioctahedral-au10:SAdm", "Au21(SR)15:au7-backbone:SAdm",
        "Au30(SR)18:double-au7-backbone:SAdm", "Au20(SR)16:au7-backbone:SAdm",
        "Au28(SR)20:tetrahedral-ring:SAdm", "Au34(SR)22:tetrahedral-ring:SAdm",
        "Au40(SR)24:tetrahedral-ring:SAdm", "Au28(SR)20:double-au7-backbone:SAdm",
        "Au29(SR)19:double-au7-backbone:SAdm", "Au36(SR)22:double-au7-backbone:SAdm",
        "Au28(SR)20:double-helix:SAdm", "Au36(SR)24:double-helix:SAdm",
        "Au44(SR)28:double-helix:SAdm", "Au52(SR)32:double-helix:SAdm",
        "Au52(SR)32:double-helix:TBBT", "[Au25(SR)18]-:face-sharing-icosahedra:SAdm"]
VSI = "vertex-sharing-icosahedra"
MIXED = ([f"[Au13(dppe)5Cl2]3+:{VSI}:{p}" for p in ("dppe", "dppe+I", "PMe3+Br", "PPh3")]
         + [f"{m}:{VSI}:{r}+{p}" for m in ("[Au25(PPh3)10(SR)5Cl2]2+",
                                             "[Au37(PPh3)10(SR)10Cl2]+",
                                             "Au49(PPh3)10(SR)15Cl2")
            for r in ("SH", "SCH3", "PET", "TBBT", "SAdm", "StBu", "S-c-C6H11", "SPh",
                      "p-MBA", "o-MBT", "2,4-DMBT", "SC6H13") for p in ("PPh3",)]
         + [f"[Au25(PPh3)10(SR)5Cl2]2+:{VSI}:PET+PMe3+Br"])


def donor_angles(atoms, donor, bonded="C"):
    """M-X-C range (deg) at two-coordinate and at higher-coordinate donors X of role
    ``donor`` (None where there is none)."""
    pos, role, sym = atoms.positions, atoms.arrays["role"], np.array(atoms.get_chemical_symbols())
    metal = np.flatnonzero(np.isin(role, ("kernel", "staple")))
    two, three = [], []
    for x in np.flatnonzero(role == donor):
        d = np.linalg.norm(pos - pos[x], axis=1)
        m = metal[d[metal] < 2.77]
        u = (pos[m] - pos[x]) / d[m][:, None]
        for c in np.flatnonzero((sym == bonded) & (d < 2.0)):
            ang = np.degrees(np.arccos(u @ (pos[c] - pos[x]) / d[c]))
            (two if len(m) <= 2 else three).extend(ang)
    return [(min(a), max(a)) if a else None for a in (two, three)]


def row(formula, family, ligands):
    t = time.perf_counter()
    names = ligands.split("+")
    try:
        atoms = clustergen.build(formula, ligand=names, isomers=1, family=family)[0]
    except clustergen.ClusterGenError as exc:
        return (f"| {formula} | {family} | {ligands} | refused: {exc} | | | | | "
                f"{time.perf_counter() - t:.0f} |")
    dt = time.perf_counter() - t
    sh = clustergen.build(formula, ligand="SH", isomers=1, family=family)[0]
    same = analyse(atoms).inventory_string == analyse(sh).inventory_string
    ok = geometry_report(atoms)["ok"] and all(v[2] for v in donor_report(atoms).values())
    angles = []
    for donor, label in (("S", "Au-S-C"), ("P", "Au-P-C")):
        two, three = donor_angles(atoms, donor)
        if two:
            angles.append(f"{label} {two[0]:.1f}-{two[1]:.1f}"
                          + (f" (mu3 {three[0]:.1f}-{three[1]:.1f})" if three else ""))
    near = " / ".join(f"{x:.2f}" if x < 3 else "> 3" for x in ligand_contacts(atoms).values())
    room = atoms.info.get("framework_room", "-")
    return (f"| {formula} | {family} | {ligands} | builds | {room} | {near} | "
            f"{'; '.join(angles) or '-'} | {'yes' if ok and same else 'NO'} | {dt:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=ROWS, metavar="FORMULA:FAMILY:LIGANDS")
    parser.add_argument("--mixed", action="store_true",
                        help="the vertex-sharing members with whole phosphines instead")
    args = parser.parse_args()
    if args.mixed:
        args.rows = MIXED
    print("| formula | family | ligands | result | room A | closest H...heavy / H...H / heavy A "
          "| M-X-C deg | reports ok, SH motifs | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for spec in args.rows:
        formula, family, ligand = spec.rsplit(":", 2)
        print(row(formula, family, ligand), flush=True)


if __name__ == "__main__":
    main()
