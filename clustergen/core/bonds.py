"""Which atoms are bonded: one set of named rules, read from ``templates/chemistry.yaml``.

Each use of "bonded" in clustergen (the analyser's motif graph, fragment counts, the
topology check after relaxation, adsorption sites, the framework graph of the symmetry
engine, kernel neighbours) names a rule of the ``bonds:`` section instead of carrying its
own numbers.  A rule is one of three kinds (its ``unit``):

* ``covalent``: a pair is bonded closer than ``pairs[key]`` x (r_i + r_j), the covalent
  radii of :data:`ase.data.covalent_radii`;
* ``angstrom``: closer than ``pairs[key]`` Angstrom;
* ``nearest``: closer than ``scale`` x the nearest-neighbour distance of the atoms given
  (``reference: min`` over all pairs or the ``median`` of each atom's nearest neighbour),
  for bare metal kernels of any metal and strain.

Pair keys are ``A-B`` with A, B an element, ``metal`` (any metal of ``chemistry.yaml``) or
``any``; the most specific key matching a pair wins and ``null`` means never bonded.  Pairs
are found with :func:`ase.neighborlist.neighbor_list` and per-element-pair cut-offs in a
periodic cell, with the same test on a :class:`scipy.spatial.cKDTree` for a molecule.

>>> from ase import Atoms
>>> pair_cutoff("motifs", "Au", "S")  # 1.15 x (1.36 + 1.05) A
2.7715
>>> i, j, d, _ = bonded_pairs(Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]]),
...                          "motifs")
>>> list(zip(i.tolist(), j.tolist()))
[(0, 1), (1, 2)]
"""

from functools import lru_cache

import numpy as np
from ase.data import atomic_numbers, covalent_radii
from ase.neighborlist import neighbor_list
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError

UNITS = ("covalent", "angstrom", "nearest")
_SPECIFICITY = {"any": 0, "metal": 1}  # anything else is an element: 2


@lru_cache(maxsize=None)
def metals():
    """The metals of ``templates/chemistry.yaml`` (the ``metal`` of a pair key).

    >>> "Au" in metals(), "S" in metals()
    (True, False)
    """
    return frozenset(load("chemistry.yaml")["metals"])


def rule(name):
    """The bond rule ``name`` of ``templates/chemistry.yaml`` (a dict with ``unit``).

    >>> rule("kernel")["unit"], rule("kernel")["scale"]
    ('nearest', 1.25)
    """
    rules = load("chemistry.yaml").get("bonds", {})
    if name not in rules:
        raise ClusterGenError(f"unknown bond rule '{name}' (known: {', '.join(rules)})")
    spec = rules[name]
    if spec.get("unit") not in UNITS:
        raise ClusterGenError(f"bond rule '{name}' has unit {spec.get('unit')!r}, "
                              f"not one of {', '.join(UNITS)}")
    return spec


def _match(key_part, element):
    if key_part == "any":
        return True
    if key_part == "metal":
        return element in metals()
    return key_part == element


@lru_cache(maxsize=None)
def pair_cutoff(name, a, b):
    """Cut-off distance (Angstrom) of rule ``name`` for elements ``a`` and ``b``; None
    when the rule never bonds them.

    >>> pair_cutoff("motifs", "Au", "H") is None, pair_cutoff("disulfide", "S", "S")
    (True, 2.5)
    """
    spec = rule(name)
    if spec["unit"] == "nearest":
        raise ClusterGenError(f"bond rule '{name}' scales with the nearest-neighbour "
                              "distance: use nearest_contacts")
    best, factor = -1, None
    for key, value in spec["pairs"].items():
        p, q = key.split("-")
        if (_match(p, a) and _match(q, b)) or (_match(p, b) and _match(q, a)):
            score = sum(_SPECIFICITY.get(k, 2) for k in (p, q))
            if score > best:
                best, factor = score, value
    if factor is None:
        return None
    if spec["unit"] == "angstrom":
        return float(factor)
    radii = covalent_radii[atomic_numbers[a]] + covalent_radii[atomic_numbers[b]]
    return float(factor * radii)


def cutoffs(symbols, name):
    """``{(a, b): Angstrom}`` over the element pairs of ``symbols`` that rule ``name``
    bonds, in the form :func:`ase.neighborlist.neighbor_list` takes.

    >>> cutoffs(["Au", "S", "H"], "motifs")[("Au", "S")]
    2.7715
    """
    elements = sorted(set(symbols))
    out = {}
    for k, a in enumerate(elements):
        for b in elements[k:]:
            cut = pair_cutoff(name, a, b)
            if cut is not None:
                out[(a, b)] = out[(b, a)] = cut
    return out


def bonded_pairs(atoms, name):
    """Bonded pairs ``i < j`` of ``atoms`` under rule ``name``, sorted: index arrays, the
    distances and the vectors i -> j (minimum image in a periodic cell).

    >>> from ase import Atoms
    >>> bonded_pairs(Atoms("H2H2", positions=[[0, 0, 0], [0.74, 0, 0], [5, 0, 0],
    ...                                        [5.74, 0, 0]]), "covalent")[0].tolist()
    [0, 2]
    """
    symbols = atoms.get_chemical_symbols()
    cut = cutoffs(symbols, name)
    if not cut or len(atoms) < 2:
        empty = np.zeros(0, dtype=int)
        return empty, empty, np.zeros(0), np.zeros((0, 3))
    if atoms.pbc.any():
        i, j, d, vec = neighbor_list("ijdD", atoms, cut)
        keep = i < j
        i, j, d, vec = i[keep], j[keep], d[keep], vec[keep]
    else:
        # a molecule: the same per-pair test on a k-d tree, 10-100x faster than
        # neighbor_list's binning for the 500-1000 atoms of a ligated cluster
        pos = atoms.get_positions()
        ij = cKDTree(pos).query_pairs(max(cut.values()), output_type="ndarray")
        i, j = ij[:, 0], ij[:, 1]
        vec = pos[j] - pos[i]
        d = np.linalg.norm(vec, axis=1)
        elements = sorted(set(symbols))
        code = np.searchsorted(elements, symbols)
        table = np.zeros((len(elements), len(elements)))  # 0: never bonded
        for (a, b), c in cut.items():
            table[elements.index(a), elements.index(b)] = c
        keep = d < table[code[i], code[j]]
        i, j, d, vec = i[keep], j[keep], d[keep], vec[keep]
    order = np.lexsort((j, i))
    return i[order], j[order], d[order], vec[order]


def bond_matrix(atoms, name):
    """Symmetric boolean matrix of the pairs rule ``name`` bonds (diagonal False).

    >>> from ase import Atoms
    >>> bond_matrix(Atoms("AuS", positions=[[0, 0, 0], [2.4, 0, 0]]), "motifs").tolist()
    [[False, True], [True, False]]
    """
    i, j, _, _ = bonded_pairs(atoms, name)
    out = np.zeros((len(atoms), len(atoms)), dtype=bool)
    out[i, j] = out[j, i] = True
    return out


def components(n, i, j):
    """Connected-component labels of the graph on ``n`` nodes with edges ``i``-``j``
    (:func:`scipy.sparse.csgraph.connected_components`).

    >>> components(4, np.array([0, 2]), np.array([1, 3])).tolist()
    [0, 0, 1, 1]
    """
    graph = coo_matrix((np.ones(len(i)), (np.asarray(i), np.asarray(j))), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def fragment_count(atoms, name="covalent"):
    """Number of pieces ``atoms`` fall into under rule ``name``.

    >>> from ase import Atoms
    >>> fragment_count(Atoms("H2H2", positions=[[0, 0, 0], [0.74, 0, 0], [5, 0, 0],
    ...                                          [5.74, 0, 0]]))
    2
    """
    i, j, _, _ = bonded_pairs(atoms, name)
    return int(components(len(atoms), i, j).max() + 1) if len(atoms) else 0


def nearest_contacts(positions, name):
    """``(nearest-neighbour distance, bonded matrix, distance matrix)`` of a set of metal
    positions under a ``nearest`` rule; the diagonal of the distances is inf.

    >>> from ase.cluster import Icosahedron
    >>> nn, bonded, _ = nearest_contacts(Icosahedron("Au", 2).positions, "kernel")
    >>> int(bonded[0].sum()), int(bonded.sum()) // 2
    (12, 42)
    """
    nn, cut, dist = _nearest(positions, name)
    return nn, dist < cut, dist


def nearest_reach(positions, name):
    """Cut-off distance (A) of a ``nearest`` rule for a set of metal positions.

    >>> from ase.cluster import Icosahedron
    >>> round(nearest_reach(Icosahedron("Au", 2).positions, "lattice-site"), 2)
    3.84
    """
    return _nearest(positions, name)[1]


def _nearest(positions, name):
    spec = rule(name)
    if spec["unit"] != "nearest":
        raise ClusterGenError(f"bond rule '{name}' is not a nearest-neighbour rule")
    pos = np.asarray(positions, dtype=float)
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    if len(pos) < 2:
        return np.inf, -np.inf, dist
    nearest = dist.min(axis=1)
    nn = float(np.median(nearest) if spec.get("reference") == "median" else nearest.min())
    return nn, spec["scale"] * nn, dist
