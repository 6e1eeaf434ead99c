"""Permutations and orbits on a cluster framework: symmetry-distinct substitutions.

A symmetry operation of the framework (:mod:`clustergen.core.symmetry`) or an automorphism
of its bond graph is a permutation of framework atoms; the orbits of ``count``-element
subsets under those permutations are the distinct dopings, and Burnside's lemma counts
them independently.

>>> from ase.cluster import Icosahedron
>>> au13 = Icosahedron("Au", 2)
>>> [(sites, mult) for sites, mult in distinct_substitutions(au13, range(13), 1)]
[((0,), 1), ((1,), 12)]
"""

import itertools
from math import comb

import networkx as nx
import numpy as np

from clustergen.core.bonds import bond_matrix, metals, nearest_contacts
from clustergen.core.errors import ClusterGenError
from clustergen.core.symmetry import (
    FRAMEWORK,
    MAX_ORDER,
    framework_indices,
    symmetry_operations,
)

MAX_SUBSETS = 5_000_000  # enumeration bound: C(n, k) subsets are held in memory


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


def kernel_atoms(atoms, kernel=None):
    """Indices of the kernel metal atoms for :func:`bond_graph`: ``kernel`` when given,
    else the atoms with role ``kernel``, else every metal of a bare metal cluster.
    A ligated structure without roles needs ``kernel`` from the analyser
    (:func:`clustergen.analysis.sites.kernel_indices`).

    >>> from ase.cluster import Icosahedron
    >>> len(kernel_atoms(Icosahedron("Au", 2)))
    13
    """
    if kernel is not None:
        return np.asarray(kernel, dtype=int)
    symbols = np.array(atoms.get_chemical_symbols())
    metal = np.isin(symbols, list(metals()))
    if "role" in atoms.arrays:
        return np.flatnonzero(metal & (np.asarray(atoms.arrays["role"]) == "kernel"))
    if not set(symbols) & set(FRAMEWORK):
        return np.flatnonzero(metal)
    raise ClusterGenError("the bond-graph symmetry needs the kernel atoms of a ligated "
                          "structure: give a role array or the kernel indices")


def bond_graph(atoms, index, kernel=None):
    """Framework bond graph on positions 0..len(index)-1, nodes labelled (element,
    kernel?): kernel metal-metal bonds (bond rule ``kernel``) and metal-donor bonds (rule
    ``motifs``) only.  Aurophilic kernel-staple contacts, whose lengths scatter most, are
    left out, so relaxed and crystal structures keep the graph of the ideal framework.
    ``kernel``: kernel atom indices (see :func:`kernel_atoms`).

    >>> from ase.cluster import Icosahedron
    >>> g = bond_graph(Icosahedron("Au", 2), np.arange(13))
    >>> g.number_of_edges()  # 12 centre-shell + 30 shell-shell bonds
    42
    """
    index = np.asarray(index)
    kernel = set(int(i) for i in kernel_atoms(atoms, kernel)) & set(index.tolist())
    frame = atoms[index]
    is_kernel = np.array([int(i) in kernel for i in index])
    is_metal = np.isin(frame.get_chemical_symbols(), list(metals()))
    bonded = bond_matrix(frame, "motifs") & (is_metal[:, None] != is_metal[None])
    if is_kernel.sum() > 1:
        inner = nearest_contacts(frame.positions[is_kernel], "kernel")[1]
        bonded[np.ix_(is_kernel, is_kernel)] = inner
    graph = nx.Graph()
    for k, i in enumerate(index):
        graph.add_node(k, label=(atoms[int(i)].symbol, bool(is_kernel[k])))
    graph.add_edges_from((int(k), int(m)) for k, m in zip(*np.nonzero(np.triu(bonded))))
    return graph


def _graph_images(atoms, index, kernel=None, limit=MAX_ORDER):
    """Permutations of ``index`` positions that are automorphisms of :func:`bond_graph`:
    the symmetry of the ideal framework, whatever distortion relaxation or a crystal
    packing added."""
    graph = bond_graph(atoms, index, kernel)
    matcher = nx.algorithms.isomorphism.GraphMatcher(
        graph, graph, node_match=lambda a, b: a["label"] == b["label"])
    perms = []
    for mapping in matcher.isomorphisms_iter():
        perms.append(np.array([mapping[k] for k in range(len(index))]))
        if len(perms) > limit:
            raise ClusterGenError(f"the framework bond graph has more than {limit} "
                                  "automorphisms (no point group is that large): use "
                                  "the geometric symmetry")
    return perms


def framework_permutations(atoms, elements=None, tolerance=0.3, method="geometry",
                           kernel=None):
    """Symmetry operations of the framework as permutations of atom indices.

    Returns an int array ``images`` of shape (group order, len(atoms)): ``images[g, i]`` is
    the atom that atom ``i`` goes to under operation ``g``; atoms outside the framework
    map to -1.  ``method`` is ``"geometry"`` (point group within ``tolerance``) or
    ``"graph"`` (automorphisms of the bond graph: the ideal symmetry of a slightly
    distorted structure; ``kernel`` as in :func:`kernel_atoms`).

    >>> from ase.cluster import Icosahedron
    >>> framework_permutations(Icosahedron("Au", 2)).shape
    (120, 13)
    """
    index = framework_indices(atoms, elements)
    if method == "geometry":
        perms = list(symmetry_operations(atoms, elements, tolerance)[1])
    elif method == "graph":
        perms = _graph_images(atoms, index, kernel)
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
                           method="geometry", kernel=None):
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
    images = framework_permutations(atoms, tolerance=tolerance, method=method,
                                    kernel=kernel) \
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

    >>> square = np.array([[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]])
    >>> tuple_orbits(square, [(0, 1), (1, 2), (0, 2), (1, 3)])
    [[(0, 1), (1, 2)], [(0, 2), (1, 3)]]
    """
    images = np.asarray(images)
    keys = {}
    for t in tuples:
        key = min(tuple(sorted(int(x) for x in image[list(t)])) for image in images)
        keys.setdefault(key, []).append(t[0] if flat else tuple(sorted(t)))
    return list(keys.values())
