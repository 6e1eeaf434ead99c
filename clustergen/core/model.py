"""Candidates are plain ASE ``Atoms`` with a per-atom ``role`` array and cluster ``info``.

Roles (``atoms.arrays["role"]``):
  ``kernel``  metal atom of the kernel (core)      ``staple``  metal atom in a staple motif
  ``S``       thiolate sulfur                      ``ligand``  atom of an R group (C, H, ...)
  ``P``       phosphine phosphorus                 ``halide``  Cl, Br, I bound to metal
Dopants keep their positional role; they are the metal atoms whose element differs from
``info["host"]`` (see :func:`dopant_mask`).

``atoms.info`` keys: formula, charge, multiplicity, nstar, family, member, isomer,
motifs (inventory string such as ``"dimer:6"``), host, score.
"""

import numpy as np
from ase import Atoms
from ase.io import read, write

ROLES = ("kernel", "staple", "S", "ligand", "P", "halide")
METAL_ROLES = ("kernel", "staple")
MOTIF_ORDER = ("bridging", "monomer", "dimer", "trimer", "tetramer", "pentamer",
               "hexamer", "heptamer", "octamer")


def motif_name(n_metal):
    """Motif name for a staple with ``n_metal`` metal atoms (0 = bridging SR).

    >>> motif_name(0), motif_name(2)
    ('bridging', 'dimer')
    """
    if n_metal < len(MOTIF_ORDER):
        return MOTIF_ORDER[n_metal]
    return f"{n_metal}-mer"


def motif_size(name):
    """Inverse of :func:`motif_name`: metal atoms in a motif (rings: ``"octamer-ring"``).

    >>> motif_size("trimer"), motif_size("octamer-ring"), motif_size("terminal")
    (3, 8, 0)
    """
    if name == "terminal":
        return 0
    name = name.removesuffix("-ring")
    if name in MOTIF_ORDER:
        return MOTIF_ORDER.index(name)
    return int(name.split("-")[0])


def motif_thiolates(name):
    """SR groups in a motif: n + 1 for a chain of n metals, n for a ring, 1 for bridging.

    >>> motif_thiolates("dimer"), motif_thiolates("octamer-ring"), motif_thiolates("bridging")
    (3, 8, 1)
    """
    n = motif_size(name)
    return n if name.endswith("-ring") else n + 1


def format_motifs(inventory):
    """Inventory dict -> canonical string, smallest motif first, zeros dropped.

    >>> format_motifs({"dimer": 6, "monomer": 0, "bridging": 2})
    'bridging:2,dimer:6'
    """
    items = sorted((motif_size(k), k, v) for k, v in inventory.items() if v)
    return ",".join(f"{k}:{v}" for _, k, v in items)


def parse_motifs(text):
    """Inventory string -> dict.

    >>> parse_motifs("monomer:3,dimer:6")
    {'monomer': 3, 'dimer': 6}
    """
    if not text:
        return {}
    return {k: int(v) for k, v in (item.split(":") for item in text.split(","))}


def make_cluster(symbols, positions, roles, **info):
    """Build a candidate ``Atoms`` with roles and info.

    >>> a = make_cluster(["Au", "S"], [[0, 0, 0], [2.4, 0, 0]], ["staple", "S"], charge=0)
    >>> a.arrays["role"].tolist(), a.info["charge"]
    (['staple', 'S'], 0)
    """
    atoms = Atoms(symbols, positions=positions)
    set_roles(atoms, roles)
    atoms.info.update(info)
    return atoms


def set_roles(atoms, roles):
    """Attach the per-atom role array, checking every value is a known role."""
    roles = np.asarray(roles, dtype="U8")
    if len(roles) != len(atoms):
        raise ValueError(f"{len(roles)} roles for {len(atoms)} atoms")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}; known: {ROLES}")
    atoms.set_array("role", roles)
    return atoms


def roles(atoms):
    """The role array of a candidate (KeyError when it has none)."""
    return atoms.arrays["role"]


def dopant_mask(atoms):
    """Boolean mask of metal atoms whose element is not the host metal.

    >>> a = make_cluster(["Pt", "Au"], [[0, 0, 0], [2.8, 0, 0]], ["kernel"] * 2, host="Au")
    >>> dopant_mask(a).tolist()
    [True, False]
    """
    host = atoms.info.get("host", "Au")
    metal = np.isin(roles(atoms), METAL_ROLES)
    return metal & (np.array(atoms.get_chemical_symbols()) != host)


def write_candidates(path, candidates):
    """Write candidates as frames of one extended XYZ file (best guess first).

    >>> import tempfile, os
    >>> a = make_cluster(["Au"], [[0, 0, 0]], ["kernel"], motifs="dimer:6", charge=-1)
    >>> p = os.path.join(tempfile.mkdtemp(), "c.extxyz"); write_candidates(p, [a])
    >>> read_candidates(p)[0].info["motifs"]
    'dimer:6'
    """
    if isinstance(candidates, Atoms):
        candidates = [candidates]
    write(str(path), list(candidates), format="extxyz")


def read_candidates(path):
    """Read every frame of an extended XYZ (or any ASE-readable) file as a list."""
    frames = read(str(path), index=":")
    for atoms in frames:
        for key, value in atoms.info.items():
            if isinstance(value, np.generic):  # extxyz gives numpy scalars
                atoms.info[key] = value.item()
        if "motifs" in atoms.info and not isinstance(atoms.info["motifs"], str):
            atoms.info["motifs"] = str(atoms.info["motifs"])
    return frames
