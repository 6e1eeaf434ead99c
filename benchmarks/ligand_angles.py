"""S->C tilt and Au-S-C angles: clustergen's ligand placement vs published full-ligand DFT.

For each cluster the Au-S framework is built from the template rules (best isomer), the
named ligand placed by :func:`clustergen.ligate`, and the angle distributions compared
with the DFT structure of the same cluster from NC_Database
(structures/reference/full_ligand/, validation only).

Run: python benchmarks/ligand_angles.py
"""

from pathlib import Path

import numpy as np
from ase.io import read

import clustergen

REF = Path(__file__).resolve().parent.parent / "structures" / "reference" / "full_ligand"
CASES = [("[Au25(SR)18]-", "PET", "au25_pet18_-1_opt.xyz"),
         ("Au38(SR)24", "PET", "au38_pet24q_opt.xyz"),
         ("Au28(SR)20", "TBBT", "au28_tbbt20_opt.xyz"),
         ("Au36(SR)24", "TBBT", "au36_tbbt24_opt.xyz"),
         ("Au44(SR)28", "TBBT", "au44_tbbt28_opt.xyz")]


def thiolate_angles(atoms):
    """(tilt of S->C from the centre->S radial direction, Au-S-C angles) in degrees."""
    sym = np.array(atoms.get_chemical_symbols())
    pos = atoms.positions
    au = pos[sym == "Au"]
    centre = au.mean(axis=0)
    tilt, msc = [], []
    for s in np.flatnonzero(sym == "S"):
        c = pos[(sym == "C") & (np.linalg.norm(pos - pos[s], axis=1) < 2.0)][0]
        v = c - pos[s]
        r = pos[s] - centre
        tilt.append(np.degrees(np.arccos(v @ r / np.linalg.norm(v) / np.linalg.norm(r))))
        for m in au[np.linalg.norm(au - pos[s], axis=1) < 2.7]:
            u = m - pos[s]
            msc.append(np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))))
    return np.array(tilt), np.array(msc)


def _fmt(x):
    return f"{x.mean():6.1f} {x.min():6.1f} {x.max():6.1f}"


def main():
    print(f"{'cluster':<16}{'ligand':<6}{'source':<10}"
          f"{'tilt mean/min/max':>22}{'Au-S-C mean/min/max':>24}")
    print("built = rule framework + ligate; re-ligated = published framework, R stripped, "
          "R placed by ligate; published = the DFT model")
    for formula, ligand, ref in CASES:
        published = read(REF / ref)
        published.info["charge"] = clustergen.parse_formula(formula).charge
        rows = [("built", lambda: clustergen.build(formula, ligand=ligand, isomers=1)[0]),
                ("re-ligated", lambda: clustergen.ligate(published, ligand)),
                ("published", lambda: published)]
        for label, make in rows:
            try:
                atoms = make()
            except clustergen.ClusterGenError as exc:
                print(f"{formula:<16}{ligand:<6}{label:<10}  failed: {exc}")
                continue
            tilt, msc = thiolate_angles(atoms)
            print(f"{formula:<16}{ligand:<6}{label:<10}{_fmt(tilt):>22}{_fmt(msc):>24}",
                  flush=True)


if __name__ == "__main__":
    main()
