"""Point group of a cluster framework and symmetry-distinct substitutions.

The symmetry that matters for doping and adsorption is that of the heavy-atom framework
(metal + S, P, halide): R groups (CH3 rotors, phenyl rings) lower the point group without
making two metal sites chemically different.  A symmetry operation is turned into a
permutation of framework atoms by matching images within ``tolerance``; the orbits of
``count``-element subsets under those permutations are the distinct dopings, and Burnside's
lemma counts them independently.

>>> from ase.cluster import Icosahedron
>>> au13 = Icosahedron("Au", 2)
>>> point_group(au13)
'Ih'
>>> [(sites, mult) for sites, mult in distinct_substitutions(au13, range(13), 1)]
[((0,), 1), ((1,), 12)]
"""

import itertools
from math import comb

import networkx as nx
import numpy as np
from ase.neighborlist import natural_cutoffs, neighbor_list
from scipy.spatial import cKDTree

from .errors import ClusterGenError

FRAMEWORK = ("S", "P", "Cl", "Br", "I")  # non-metal framework elements; metals always count
MAX_SUBSETS = 5_000_000  # enumeration bound: C(n, k) subsets are held in memory
# Relative tolerance for degenerate principal moments.  pymatgen's default (0.01) loses
# the icosahedral group of an Au13 with 0.04 A noise; 0.05 keeps it, and every operation
# found is still checked atom by atom against ``tolerance``.
EIGEN_TOLERANCE = 0.05


def framework_elements(atoms):
    """Elements that define the framework: every metal of ``templates/chemistry.yaml``
    present in ``atoms`` plus S, P and halides.

    >>> from ase import Atoms
    >>> framework_elements(Atoms("AuPtSCH3"))
    ('Au', 'Pt', 'S')
    """
    from .formula import chemistry
    metals = chemistry()["metals"]
    present = dict.fromkeys(atoms.get_chemical_symbols())
    return tuple(e for e in present if e in metals or e in FRAMEWORK)


def framework_indices(atoms, elements=None):
    """Indices of the atoms whose element is in ``elements`` (default: the framework)."""
    elements = framework_elements(atoms) if elements is None else tuple(elements)
    symbols = np.array(atoms.get_chemical_symbols())
    return np.flatnonzero(np.isin(symbols, elements))


def _molecule(atoms, index):
    from pymatgen.core import Molecule
    if len(index) == 0:
        raise ClusterGenError("no framework atoms to take the symmetry of")
    return Molecule([atoms[i].symbol for i in index], atoms.positions[index])


def point_group(atoms, elements=None, tolerance=0.3):
    """Schoenflies symbol of the framework point group (pymatgen's PointGroupAnalyzer).

    ``tolerance`` (Angstrom) is how far an image may lie from an atom of the same element.

    >>> from ase.cluster import Octahedron
    >>> point_group(Octahedron("Au", 3, 1))
    'Oh'
    """
    from pymatgen.symmetry.analyzer import PointGroupAnalyzer
    index = framework_indices(atoms, elements)
    if len(index) == 1:
        return "Kh"  # a lone atom: full rotation-reflection group
    return PointGroupAnalyzer(_molecule(atoms, index), tolerance=tolerance,
                              eigen_tolerance=EIGEN_TOLERANCE).sch_symbol


def close_group(perms):
    """Smallest set of permutations closed under composition that contains ``perms``.

    Rounding can make an operation of the generated group fail the tolerance match; the
    closure restores it from the operations that matched.

    >>> len(close_group([np.array([1, 2, 0])]))
    3
    """
    perms = [np.asarray(p, dtype=int) for p in perms]
    n = len(perms[0]) if perms else 0
    seen = {tuple(range(n)): np.arange(n)}
    for p in perms:
        seen.setdefault(tuple(p), p)
    frontier = list(seen.values())
    gens = list(seen.values())
    while frontier:
        new = []
        for p in frontier:
            for g in gens:
                q = g[p]
                key = tuple(q)
                if key not in seen:
                    seen[key] = q
                    new.append(q)
        frontier = new
    return np.array(sorted(seen), dtype=int)


def _geometric_images(atoms, index, tolerance):
    """Permutations of ``index`` positions from the point-group operations."""
    from pymatgen.symmetry.analyzer import PointGroupAnalyzer
    mol = _molecule(atoms, index)
    if len(index) == 1:
        return [np.zeros(1, dtype=int)]
    pga = PointGroupAnalyzer(mol, tolerance=tolerance, eigen_tolerance=EIGEN_TOLERANCE)
    centred = pga.centered_mol.cart_coords
    symbols = np.array([atoms[i].symbol for i in index])
    perms = []
    for op in pga.get_symmetry_operations():
        image = centred @ op.rotation_matrix.T
        perm = np.full(len(index), -1)
        for element in set(symbols):
            mine = np.flatnonzero(symbols == element)
            dist, near = cKDTree(centred[mine]).query(image[mine])
            if np.all(dist <= tolerance):
                perm[mine] = mine[near]
        if np.all(perm >= 0) and len(set(perm)) == len(perm):
            perms.append(perm)
    return perms


def _graph_images(atoms, index, bond_scale=1.2, limit=100_000):
    """Permutations of ``index`` positions that are automorphisms of the bond graph.

    The bond graph (element-labelled, bonds within ``bond_scale`` x covalent radii) keeps
    its symmetry when a relaxation distorts the geometry slightly.
    """
    sub = atoms[index]
    cutoffs = natural_cutoffs(sub, mult=bond_scale)
    i, j = neighbor_list("ij", sub, cutoffs, self_interaction=False)
    graph = nx.Graph()
    for k, symbol in enumerate(sub.get_chemical_symbols()):
        graph.add_node(k, element=symbol)
    graph.add_edges_from(zip(i.tolist(), j.tolist()))
    matcher = nx.algorithms.isomorphism.GraphMatcher(
        graph, graph, node_match=lambda a, b: a["element"] == b["element"])
    perms = []
    for mapping in matcher.isomorphisms_iter():
        perms.append(np.array([mapping[k] for k in range(len(index))]))
        if len(perms) > limit:
            raise ClusterGenError(f"bond graph has more than {limit} automorphisms; "
                                  "use the geometric symmetry")
    return perms


def framework_permutations(atoms, elements=None, tolerance=0.3, method="geometry"):
    """Symmetry operations of the framework as permutations of atom indices.

    Returns an int array ``images`` of shape (group order, len(atoms)): ``images[g, i]`` is
    the atom that atom ``i`` goes to under operation ``g``; atoms outside the framework
    map to -1.  ``method`` is ``"geometry"`` (point group within ``tolerance``) or
    ``"graph"`` (automorphisms of the bond graph: the ideal symmetry of a slightly
    distorted structure).

    >>> from ase.cluster import Icosahedron
    >>> framework_permutations(Icosahedron("Au", 2)).shape
    (120, 13)
    """
    index = framework_indices(atoms, elements)
    if method == "geometry":
        perms = _geometric_images(atoms, index, tolerance)
    elif method == "graph":
        perms = _graph_images(atoms, index)
    else:
        raise ClusterGenError(f"unknown symmetry method '{method}' (geometry, graph)")
    local = close_group(perms or [np.arange(len(index))])
    images = np.full((len(local), len(atoms)), -1)
    images[:, index] = index[local]
    return images


def site_permutations(images, sites):
    """Restrict framework permutations to ``sites`` (atom indices).

    Only operations that map the site set onto itself are kept (its set-wise stabiliser,
    itself a group); the result acts on positions 0..len(sites)-1 of ``sorted(sites)``.

    >>> images = np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]])
    >>> site_permutations(images, [0, 1]).tolist()
    [[0, 1], [1, 0]]
    """
    sites = np.array(sorted(set(int(s) for s in sites)))
    position = {int(s): k for k, s in enumerate(sites)}
    perms = set()
    for image in np.asarray(images):
        mapped = image[sites]
        if all(int(m) in position for m in mapped):
            perms.add(tuple(position[int(m)] for m in mapped))
    return np.array(sorted(perms), dtype=int).reshape(len(perms), len(sites))


def canonical(perms, subset):
    """Lexicographically smallest sorted image of ``subset`` under ``perms``.

    >>> canonical(np.array([[0, 1, 2], [2, 0, 1], [1, 2, 0]]), (1, 2))
    (0, 1)
    """
    subset = np.asarray(subset, dtype=int)
    return min(tuple(sorted(p[subset].tolist())) for p in perms)


def subset_orbits(perms, count, n_sites=None):
    """Orbits of ``count``-element subsets of ``range(n_sites)`` under ``perms``.

    Returns ``[(representative, orbit size), ...]`` in lexicographic order of the
    representatives, each the smallest subset of its orbit.  Walks the subsets in
    lexicographic order and marks each new orbit, so every subset is visited once.

    >>> cyclic = np.array([[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]])
    >>> subset_orbits(cyclic, 2)
    [((0, 1), 4), ((0, 2), 2)]
    """
    perms = np.asarray(perms, dtype=int)
    n = perms.shape[1] if n_sites is None else n_sites
    if not 0 <= count <= n:
        raise ClusterGenError(f"cannot place {count} dopant(s) on {n} site(s)")
    if comb(n, count) > MAX_SUBSETS:
        raise ClusterGenError(f"C({n}, {count}) = {comb(n, count)} configurations is too "
                              f"many to enumerate (limit {MAX_SUBSETS}); lower --count "
                              "or restrict the sites")
    seen = set()
    orbits = []
    for subset in itertools.combinations(range(n), count):
        if subset in seen:
            continue
        orbit = {tuple(sorted(p[list(subset)].tolist())) for p in perms}
        seen |= orbit
        orbits.append((subset, len(orbit)))
    return orbits


def burnside_count(perms, n_sites, count):
    """Number of orbits of ``count``-subsets by Burnside's lemma: the average over the
    group of the subsets each operation fixes.  A permutation fixes a subset when the
    subset is a union of its cycles, so the fixed count is the x^count coefficient of
    prod over cycles (1 + x^length).

    >>> burnside_count(np.array([[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]]), 4, 2)
    2
    """
    perms = np.asarray(perms, dtype=int)
    total = 0
    for p in perms:
        poly = np.zeros(n_sites + 1, dtype=object)
        poly[0] = 1
        for length in _cycle_lengths(p):
            shifted = np.zeros_like(poly)
            shifted[length:] = poly[:len(poly) - length]
            poly = poly + shifted
        total += poly[count]
    if total % len(perms):
        raise ArithmeticError("Burnside sum not divisible by the group order: not a group")
    return int(total // len(perms))


def _cycle_lengths(perm):
    seen = np.zeros(len(perm), dtype=bool)
    lengths = []
    for start in range(len(perm)):
        if seen[start]:
            continue
        length, k = 0, start
        while not seen[k]:
            seen[k] = True
            k = perm[k]
            length += 1
        lengths.append(length)
    return lengths


def distinct_substitutions(atoms, sites, count, group=None, tolerance=0.3,
                           method="geometry"):
    """Every way to put ``count`` dopants on ``sites`` (atom indices), up to symmetry.

    Returns ``[(atom indices, multiplicity), ...]``; the multiplicities (orbit sizes) sum
    to C(len(sites), count).  ``group`` may be the output of
    :func:`framework_permutations` to reuse it.

    >>> from ase.cluster import Icosahedron
    >>> au13 = Icosahedron("Au", 2)
    >>> [m for _, m in distinct_substitutions(au13, range(1, 13), 2)]
    [30, 30, 6]
    """
    sites = sorted(set(int(s) for s in sites))
    if not sites:
        raise ClusterGenError("no sites to substitute")
    if min(sites) < 0 or max(sites) >= len(atoms):
        raise ClusterGenError(f"site index out of range 0..{len(atoms) - 1}")
    images = framework_permutations(atoms, tolerance=tolerance, method=method) \
        if group is None else np.asarray(group)
    missing = [s for s in sites if images[0, s] < 0]
    if missing:
        raise ClusterGenError(f"sites {missing} are not framework (metal/S) atoms")
    perms = site_permutations(images, sites)
    return [(tuple(sites[k] for k in rep), mult)
            for rep, mult in subset_orbits(perms, count)]


def site_orbits(images, indices):
    """Group atom ``indices`` into symmetry-equivalent sets under ``images``.

    >>> from ase.cluster import Icosahedron
    >>> [len(o) for o in site_orbits(framework_permutations(Icosahedron("Au", 2)), range(13))]
    [1, 12]
    """
    return [list(orbit) for orbit in tuple_orbits(images, [(i,) for i in indices], flat=True)]


def tuple_orbits(images, tuples, flat=False):
    """Group unordered atom tuples (e.g. bridge pairs, hollow triples) into orbits.

    Returns a list of orbits, each a list of the input tuples (sorted) in input order;
    ``flat`` turns 1-tuples into plain indices.
    """
    images = np.asarray(images)
    keys = {}
    for t in tuples:
        key = min(tuple(sorted(int(x) for x in image[list(t)])) for image in images)
        keys.setdefault(key, []).append(t[0] if flat else tuple(sorted(t)))
    return list(keys.values())
