"""Chemical sanity figures of a built structure, before any quantum relaxation.

Windows from the reference structures (docs/reference-geometry.md): Au-S 2.3-2.5 A,
staple S-Au-S >= 160 deg, kernel Au-Au nearest-neighbour contacts 2.7-3.1 A, no heavy
atom pair closer than 2.2 A, no H-H closer than 1.5 A.
"""

import numpy as np
from scipy.spatial import cKDTree

from clustergen.core.bonds import bond_matrix, pair_cutoff
from clustergen.core.model import roles as get_roles

WINDOWS = {"au_s": (2.3, 2.5), "staple_angle_min": 160.0, "kernel_nn": (2.7, 3.1),
           "heavy_min": 2.2, "hh_min": 1.5}


def geometry_report(atoms, bond=None):
    """Distances and angles that decide whether a candidate is chemically sensible.

    Returns a dict: ``au_s`` (min, max Au-S bond), ``staple_angle`` (smallest S-Au-S at a
    staple metal), ``kernel_nn`` (min, max of each kernel atom's nearest kernel
    neighbour), ``heavy_min`` (closest non-H pair), ``hh_min`` (closest H-H pair), and
    ``ok`` with the list ``problems`` against :data:`WINDOWS`.  ``bond`` (A) is the
    longest metal-S bond, default the ``metal-sulfur`` rule of :mod:`clustergen.core.bonds`.

    >>> from clustergen.generation.generate import build
    >>> geometry_report(build("[Au25(SR)18]-", ligand="SH", isomers=1)[0])["ok"]
    True
    """
    role = get_roles(atoms)
    if bond is None:
        bond = pair_cutoff("metal-sulfur", "Au", "S")
    pos = atoms.positions
    sym = np.array(atoms.get_chemical_symbols())
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    metal = np.isin(role, ("kernel", "staple"))
    s = role == "S"
    ms = d[np.ix_(metal, s)]
    au_s = ms[ms < bond]
    angles = []
    for i in np.flatnonzero(role == "staple"):
        nb = np.flatnonzero(s & (d[i] < bond))
        for a in range(len(nb)):
            for b in range(a + 1, len(nb)):
                u, v = pos[nb[a]] - pos[i], pos[nb[b]] - pos[i]
                angles.append(np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))))
    kern = role == "kernel"
    knn = d[np.ix_(kern, kern)].min(axis=1) if kern.sum() > 1 else np.array([np.nan])
    heavy = sym != "H"
    hyd = ~heavy
    # covalent bonds (S-C, C-C, C-H, Au-S: rule "loose") are not contacts
    contact = ~bond_matrix(atoms, "loose")
    contact |= metal[:, None] & metal[None]
    rep = {
        "au_s": (float(au_s.min()), float(au_s.max())) if au_s.size else (np.nan, np.nan),
        "staple_angle": float(min(angles)) if angles else np.nan,
        "kernel_nn": (float(knn.min()), float(knn.max())),
        "heavy_min": float(np.where(contact, d, np.inf)[np.ix_(heavy, heavy)].min()),
        "hh_min": float(np.where(contact | (d > 1.6), d, np.inf)[np.ix_(hyd, hyd)].min())
        if hyd.sum() > 1 else np.inf,
    }
    problems = []
    lo, hi = WINDOWS["au_s"]
    if au_s.size and not (lo <= rep["au_s"][0] and rep["au_s"][1] <= hi):
        problems.append(f"Au-S {rep['au_s'][0]:.2f}-{rep['au_s'][1]:.2f} outside {lo}-{hi}")
    if angles and rep["staple_angle"] < WINDOWS["staple_angle_min"]:
        problems.append(f"staple S-Au-S {rep['staple_angle']:.0f} < 160")
    lo, hi = WINDOWS["kernel_nn"]
    if not (lo <= rep["kernel_nn"][0] and rep["kernel_nn"][1] <= hi):
        problems.append(f"kernel Au-Au {rep['kernel_nn'][0]:.2f}-{rep['kernel_nn'][1]:.2f}"
                        f" outside {lo}-{hi}")
    if rep["heavy_min"] < WINDOWS["heavy_min"]:
        problems.append(f"heavy atoms {rep['heavy_min']:.2f} A apart")
    if rep["hh_min"] < WINDOWS["hh_min"]:
        problems.append(f"H-H {rep['hh_min']:.2f} A apart")
    rep["problems"] = problems
    rep["ok"] = not problems
    return rep


def ligand_contacts(atoms, reach=3.0):
    """Closest H...heavy (``mixed``), H...H (``HH``) and heavy...heavy (``heavy``) distances
    (A; inf beyond ``reach``) between atoms of different ligands, or between a ligand's R
    atom and the framework: the overlaps a ligand placement must avoid.  Needs the
    ``ligand_index`` and ``role`` arrays the builders write.

    >>> from ase import Atoms
    >>> a = Atoms("SCH", positions=[[0, 0, 0], [1.8, 0, 0], [0, 1.6, 0]])
    >>> a.set_array("ligand_index", np.array([0, 0, 1]))
    >>> a.set_array("role", np.array(["S", "ligand", "ligand"]))
    >>> {k: round(v, 2) for k, v in ligand_contacts(a).items()}
    {'mixed': 1.6, 'HH': inf, 'heavy': inf}
    """
    idx, role = atoms.arrays["ligand_index"], np.asarray(atoms.arrays["role"])
    h = atoms.numbers == 1
    pairs = cKDTree(atoms.positions).query_pairs(reach, output_type="ndarray").reshape(-1, 2)
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.linalg.norm(atoms.positions[i] - atoms.positions[j], axis=1)
    inter = (idx[i] != idx[j]) & ((role[i] == "ligand") | (role[j] == "ligand"))
    return {name: float(d[inter & m].min(initial=np.inf)) for name, m in
            (("mixed", h[i] ^ h[j]), ("HH", h[i] & h[j]), ("heavy", ~h[i] & ~h[j]))}
