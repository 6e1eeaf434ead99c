"""The Delta-learning input of the DFT gap model: the GFN1-xTB gap of a cluster's
Au-S framework with every thiolate capped by CH3 (:func:`capped`, :func:`gfn1_gap`).

Kept apart from :mod:`clustergen.rank.dft_gap` (which trains the shipped model) so a
loaded surrogate can compute its input without importing the trainer.

>>> capped(_demo_framework()).get_chemical_formula()
'C2H6Au2S2'
"""

import numpy as np

from clustergen.core.errors import ClusterGenError

CAP = "SCH3"
FRAMEWORK = ("Au", "Ag", "Cu", "Pd", "Pt", "Cd", "Hg", "S")


def _demo_framework():
    from clustergen.core.model import make_cluster
    return make_cluster(["S", "Au", "Au", "S"], [[-3.9, 0, 0], [-1.6, 0.5, 0],
                                                 [1.6, 0.5, 0], [3.9, 0, 0]],
                        ["S", "staple", "staple", "S"], charge=0)


def bare_framework(atoms):
    """Metal and S atoms of ``atoms`` with roles from the analyser (R groups dropped).

    >>> len(bare_framework(_demo_framework()))
    4
    """
    from clustergen.rank.descriptors import ensure_roles
    keep = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s in FRAMEWORK]
    frame = atoms[keep]
    if "role" not in atoms.arrays:
        frame = ensure_roles(frame)
    frame.info.update({k: atoms.info[k] for k in ("charge", "host") if k in atoms.info})
    return frame


def capped(atoms):
    """The framework of ``atoms`` with every thiolate capped by CH3 (the GFN1 input).

    With R groups present the ligand is cut after its alpha carbon, which keeps its
    place; three H atoms complete a tetrahedral CH3 around the S-C axis, the first
    towards the carbon's old neighbour.  A bare framework gets CH3 groups placed by
    :func:`clustergen.generation.ligands.add_ligands`.  (Placing fresh CH3 groups on
    the DFT frameworks gave GFN1 gaps correlating with the DFT gaps at r = 0.61 over 13
    clusters; keeping the alpha carbon raised the adamantanethiolate clusters' gaps by
    0.5-0.7 eV towards DFT.)
    """
    from ase import Atoms

    from clustergen.generation.ligands import add_ligands
    charge = int(atoms.info.get("charge", 0))
    sym = np.array(atoms.get_chemical_symbols())
    carbons = np.flatnonzero(sym == "C")
    if not len(carbons):
        out = add_ligands(bare_framework(atoms), CAP)
        out.info["charge"] = charge
        out.info.pop("multiplicity", None)
        return out
    pos = atoms.positions
    keep = [i for i, s in enumerate(sym) if s in FRAMEWORK]
    symbols, positions = list(sym[keep]), list(pos[keep])
    for s_atom in np.flatnonzero(sym == "S"):
        d = np.linalg.norm(pos[carbons] - pos[s_atom], axis=1)
        for c in carbons[d < 2.0]:
            symbols += ["C", "H", "H", "H"]
            positions += [pos[c], *_methyl_hydrogens(pos[s_atom], pos[c], pos, c)]
    return Atoms(symbols, positions, info={"charge": charge})


def _methyl_hydrogens(s, c, pos, index):
    """Three H positions of a tetrahedral CH3 on the S-C axis."""
    u = (c - s) / np.linalg.norm(c - s)
    d = np.linalg.norm(pos - c, axis=1)
    near = [k for k in np.flatnonzero((d > 0.5) & (d < 1.75)) if k != index and
            np.linalg.norm(pos[k] - s) > 0.5]
    ref = pos[near[0]] - c if near else np.cross(u, [1.0, 0.0, 0.0])
    p = ref - (ref @ u) * u
    if np.linalg.norm(p) < 1e-6:
        p = np.cross(u, [0.0, 1.0, 0.0])
    p /= np.linalg.norm(p)
    q = np.cross(u, p)
    theta = np.radians(180.0 - 109.47)   # H-C-S angle 109.47 deg
    return [c + 1.09 * (np.cos(theta) * u + np.sin(theta) * (np.cos(f) * p + np.sin(f) * q))
            for f in np.radians([0.0, 120.0, 240.0])]


def gfn1_gap(atoms):
    """GFN1-xTB gap (eV) of the CH3-capped framework of ``atoms`` (one single point,
    through the SCF ladder of :func:`clustergen.compute.relax.relax_one`); cached in
    ``info["gfn1_gap_sch3"]``."""
    from clustergen.compute.relax import relax_one
    if atoms.info.get("gfn1_gap_sch3") is not None:
        return float(atoms.info["gfn1_gap_sch3"])
    _, record = relax_one(capped(atoms), steps=0)
    if record.get("gap") is None:
        raise ClusterGenError(f"GFN1-xTB single point failed for "
                              f"{atoms.get_chemical_formula()}: {record['status']}")
    atoms.info["gfn1_gap_sch3"] = float(record["gap"])
    return float(record["gap"])
