"""One colour scheme by role for every picture of a candidate (3D views and static figures).

The colours, labels and drawing radii live in ``templates/colours.yaml``.  Each atom gets a
*colour key*: its role (``kernel``, ``staple``, ``S``, ``P``, ``halide``), ``dopant`` for a
metal atom that is not the host metal, or ``ligand:C``, ``ligand:H``... for R-group atoms.
Structures without a role array (a crystal structure, a relaxed frame read from a plain XYZ)
are classified by :func:`clustergen.analysis.analyse.analyse`.

>>> from clustergen.core.model import make_cluster
>>> a = make_cluster(["Pt", "Au", "S", "C"], [[0, 0, 0], [2.8, 0, 0], [5.1, 0, 0], [6.9, 0, 0]],
...                  ["kernel", "staple", "S", "ligand"], host="Au")
>>> colour_keys(a)
['dopant', 'staple', 'S', 'ligand:C']
>>> [label for label, _ in legend([a])]
['staple metal', 'dopant', 'S (thiolate)', 'ligand C']
"""

from collections import Counter

import numpy as np
from ase.data import covalent_radii
from scipy.spatial import cKDTree

from clustergen.core import model
from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError

# Groups hidden by the view toggles ("hide ligands", "kernel only"); see groups().
MODES = {"all": (), "noligand": ("ligand",), "kernel": ("shell", "ligand")}
# Bonds drawn between atoms closer than BOND_FACTOR x (sum of covalent radii): Au-Au 3.13 A,
# Au-S 2.77 A, C-C 1.75 A -- the same reach as 3Dmol.js's own bonding rule for Au.
BOND_FACTOR = 1.15


def scheme():
    """The colour scheme (``templates/colours.yaml``) as a dict.

    >>> scheme()["roles"]["kernel"]["label"]
    'kernel metal'
    """
    return load("colours.yaml")


def roles_of(atoms):
    """Per-atom roles: ``atoms.arrays["role"]`` when present, otherwise from the analyser.

    >>> from ase import Atoms
    >>> roles_of(Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]])).tolist()
    ['S', 'staple', 'S']
    """
    if "role" in atoms.arrays:
        return np.asarray(atoms.arrays["role"]).astype(str)
    from clustergen.analysis.analyse import (
        analyse,  # the analyser imports heavier machinery; only when needed
    )

    return np.asarray(analyse(atoms).roles).astype(str)


def _host(atoms, roles):
    host = atoms.info.get("host")
    if host:
        return host
    metals = [s for s, r in zip(atoms.get_chemical_symbols(), roles) if r in model.METAL_ROLES]
    return Counter(metals).most_common(1)[0][0] if metals else None


def colour_keys(atoms):
    """Key into the scheme for each atom: role, ``dopant`` or ``ligand:<element>``."""
    roles = roles_of(atoms)
    symbols = atoms.get_chemical_symbols()
    ligand = scheme()["ligand"]
    host = _host(atoms, roles)
    keys = []
    for symbol, role in zip(symbols, roles.tolist()):
        if role in model.METAL_ROLES and symbol != host:
            keys.append("dopant")
        elif role == "ligand":
            keys.append(f"ligand:{symbol if symbol in ligand else 'other'}")
        else:
            keys.append(role)
    return keys


def colour(key):
    """Hex colour of one key.

    >>> colour("kernel"), colour("ligand:H")
    ('#F2A900', '#D6D6D6')
    """
    data = scheme()
    if key.startswith("ligand:"):
        return data["ligand"][key.split(":", 1)[1]]
    if key not in data["roles"]:
        raise ClusterGenError(f"no colour for '{key}' (roles: {', '.join(data['roles'])})")
    return data["roles"][key]["colour"]


def label(key):
    """Legend text of one key: ``'kernel metal'``, ``'ligand C'``..."""
    if key.startswith("ligand:"):
        return "ligand " + key.split(":", 1)[1]
    return scheme()["roles"][key]["label"]


def colours(atoms):
    """Hex colour of every atom."""
    return [colour(k) for k in colour_keys(atoms)]


def radii(atoms):
    """Drawing radius (Angstrom) of every atom: metals large, ligand atoms small."""
    table = scheme()["radius"]
    out = []
    for key, symbol in zip(colour_keys(atoms), atoms.get_chemical_symbols()):
        if key.startswith("ligand:"):
            out.append(table["H"] if symbol == "H" else table["ligand"])
        else:
            out.append(table[key])
    return np.array(out)


def groups(atoms):
    """What each atom belongs to for the view toggles: ``kernel``, ``shell`` or ``ligand``.

    "Hide ligands" hides the ``ligand`` group (S, P and halides stay); "kernel only" keeps
    ``kernel`` (kernel metals, dopants included).
    """
    roles = roles_of(atoms)
    return ["kernel" if r == "kernel" else "ligand" if r == "ligand" else "shell" for r in roles]


def hidden_groups(hide_ligands=False, kernel_only=False):
    """Groups (see :func:`groups`) hidden by the toggles.

    >>> hidden_groups(kernel_only=True)
    ('shell', 'ligand')
    """
    return MODES["kernel" if kernel_only else "noligand" if hide_ligands else "all"]


def legend(structures):
    """(label, colour) for every key present in ``structures``, in the scheme's order."""
    present = set()
    for atoms in structures:
        present.update(colour_keys(atoms))
    order = list(scheme()["roles"]) + [f"ligand:{e}" for e in scheme()["ligand"]]
    return [(label(k), colour(k)) for k in order if k in present]


def bonds(atoms, factor=BOND_FACTOR):
    """Bonded pairs (i, j), i < j, as an (n, 2) array: d < factor x (r_i + r_j).

    >>> from ase.build import molecule
    >>> len(bonds(molecule("CH4")))
    4
    """
    if len(atoms) < 2:
        return np.zeros((0, 2), dtype=int)
    r = covalent_radii[atoms.numbers]
    pairs = np.array(sorted(cKDTree(atoms.positions).query_pairs(factor * 2 * r.max())),
                     dtype=int).reshape(-1, 2)
    d = np.linalg.norm(atoms.positions[pairs[:, 0]] - atoms.positions[pairs[:, 1]], axis=1)
    return pairs[d < factor * (r[pairs[:, 0]] + r[pairs[:, 1]])]
