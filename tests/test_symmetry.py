"""Point groups and symmetry-distinct substitutions, checked against brute force and
Burnside's lemma on clusters whose symmetry is known by construction."""

import itertools
from math import comb

import numpy as np
import pytest
from ase import Atoms
from ase.cluster import Icosahedron, Octahedron

from clustergen.core.errors import ClusterGenError
from dopant_structures import au25_framework
from clustergen.core.orbits import (bond_graph, burnside_count, distinct_substitutions,
                                   framework_permutations, site_orbits, site_permutations,
                                   subset_orbits)
from clustergen.core.symmetry import point_group, symmetry_operations


def au13():
    return Icosahedron("Au", 2)  # atom 0 is the centre


def tetrahedron20():
    """Au20 tetrahedral pyramid (Td): 4 vertices, 12 edge atoms, 4 face centres."""
    a = 2.88 / np.sqrt(2)
    pts = set()
    for i, j, k in itertools.product(range(4), repeat=3):
        if i + j + k <= 3:
            pts.add((i, j, k))
    # fcc (111) stacking written in the basis of three nearest-neighbour vectors
    basis = a * np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]])
    pos = np.array([np.dot(p, basis) for p in sorted(pts)])
    return Atoms(f"Au{len(pos)}", positions=pos)


def twisted_prism(twist=20.0, centre=True):
    """Two Au3 triangles twisted by ``twist`` degrees about z plus a centre: D3."""
    pos = []
    for z, phase in ((-1.4, 0.0), (1.4, twist)):
        for k in range(3):
            t = np.radians(120 * k + phase)
            pos.append([2.8 * np.cos(t), 2.8 * np.sin(t), z])
    if centre:
        pos.insert(0, [0, 0, 0])
    return Atoms(f"Au{len(pos)}", positions=pos)


def d2_cluster():
    """Four S atoms at (+-a, +-b, c) twisted pairs around a Au2 axis: D2, order 4."""
    pos = [[0, 0, 1.4], [0, 0, -1.4]]
    for sx, sy in ((1, 1), (-1, -1)):
        pos.append([sx * 2.4, sy * 0.7, 2.0])
        pos.append([sx * 2.4, -sy * 0.7, -2.0])
    return Atoms("Au2S4", positions=pos)


def brute_force(perms, n, count):
    """Orbit sizes by canonicalising every subset under every operation."""
    counts = {}
    for subset in itertools.combinations(range(n), count):
        key = min(tuple(sorted(p[list(subset)])) for p in perms)
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())


CASES = [  # (builder, point group, group order)
    (au13, "Ih", 120),
    (lambda: Octahedron("Au", 3, 1), "Oh", 48),  # Au13 cuboctahedron
    (tetrahedron20, "Td", 24),
    (twisted_prism, "D3", 6),
    (d2_cluster, "D2", 4),
]


@pytest.mark.parametrize("build, group, order", CASES)
def test_point_group_and_operations_are_isometries(build, group, order):
    atoms = build()
    assert point_group(atoms) == group
    images = framework_permutations(atoms)
    assert len(images) == order
    dist = atoms.get_all_distances()
    symbols = np.array(atoms.get_chemical_symbols())
    for p in images:  # each permutation keeps elements and every interatomic distance
        assert (symbols[p] == symbols).all()
        assert np.allclose(dist[np.ix_(p, p)], dist, atol=1e-3)


@pytest.mark.parametrize("build, group, order", CASES)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_enumeration_matches_brute_force_and_burnside(build, group, order, count):
    atoms = build()
    metals = list(range(len(atoms)))  # every framework atom (Au2S4 mixes two elements)
    images = framework_permutations(atoms)
    perms = site_permutations(images, metals)
    found = distinct_substitutions(atoms, metals, count, group=images)
    assert sum(m for _, m in found) == comb(len(metals), count)
    assert len(found) == burnside_count(perms, len(metals), count)
    position = {s: k for k, s in enumerate(metals)}
    mine = sorted((tuple(position[s] for s in sites), m) for sites, m in found)
    assert mine == brute_force(perms, len(metals), count)


def test_icosahedron_known_counts():
    atoms = au13()
    one = distinct_substitutions(atoms, range(13), 1)
    assert [(sites, m) for sites, m in one] == [((0,), 1), ((1,), 12)]
    # two dopants on the shell: nearest neighbours (30 edges), second neighbours (30),
    # opposite vertices (6)
    two = distinct_substitutions(atoms, range(1, 13), 2)
    assert len(two) == 3
    shell_pairs = sorted((round(atoms.get_distance(*sites), 2), m) for sites, m in two)
    assert [m for _, m in shell_pairs] == [30, 30, 6]
    edge = shell_pairs[0][0]
    assert shell_pairs[1][0] == pytest.approx(edge * 1.618, rel=0.01)  # golden ratio
    assert shell_pairs[2][0] == pytest.approx(2 * atoms.get_distance(0, 1), rel=0.01)


def test_framework_ignores_ligand_hydrogens():
    """A CH3 rotor on each S must not lower the framework symmetry of [Au(SCH3)2]-."""
    pos = [[0, 0, 0], [2.3, 0, 0], [-2.3, 0, 0], [3.0, 1.7, 0], [-3.0, -1.7, 0],
           [2.6, 2.3, 0.9], [3.8, 1.9, -0.4], [2.3, 2.2, -0.8],
           [-2.4, -2.5, 0.2], [-3.6, -1.6, 0.9], [-3.7, -1.9, -0.8]]
    atoms = Atoms("AuS2C2H6", positions=pos)
    assert point_group(atoms) == "D*h"  # Au and the two S are collinear
    images = framework_permutations(atoms)
    assert sorted(map(tuple, images[:, :3])) == [(0, 1, 2), (0, 2, 1)]
    assert (images[:, 3:] == -1).all()


def test_distorted_cluster_tolerance_and_graph_fallback():
    atoms = au13()
    rng = np.random.default_rng(7)
    atoms.positions += rng.normal(scale=0.04, size=atoms.positions.shape)
    assert point_group(atoms, tolerance=0.3) == "Ih"
    assert point_group(atoms, tolerance=0.005) == "C1"
    assert len(framework_permutations(atoms, tolerance=0.005)) == 1
    # the bond graph keeps the ideal symmetry whatever the distortion
    graph = framework_permutations(atoms, tolerance=0.005, method="graph")
    assert len(graph) == 120
    geometric = framework_permutations(au13())
    assert {tuple(p) for p in graph} == {tuple(p) for p in geometric}


def test_orbits_and_set_stabiliser():
    atoms = twisted_prism()
    images = framework_permutations(atoms)
    assert [len(o) for o in site_orbits(images, range(7))] == [1, 6]
    # the operations that keep the top triangle in place: C3 and identity only
    assert len(site_permutations(images, [4, 5, 6])) == 3
    assert subset_orbits(site_permutations(images, [4, 5, 6]), 1) == [((0,), 3)]


def test_bad_input_is_a_clustergen_error():
    atoms = au13()
    with pytest.raises(ClusterGenError, match="cannot place"):
        distinct_substitutions(atoms, range(3), 4)
    with pytest.raises(ClusterGenError, match="out of range"):
        distinct_substitutions(atoms, [0, 99], 1)
    with pytest.raises(ClusterGenError, match="unknown symmetry method"):
        framework_permutations(atoms, method="magic")


def _atoms(symbols, pos):
    return Atoms(symbols, positions=np.array(pos, dtype=float))


SMALL = [  # (structure, Schoenflies symbol known by construction)
    (_atoms("Au3", [[0, 0, 0], [2.8, 0, 0], [1.4, 2.425, 0]]), "D3h"),
    (_atoms("Au4", [[0, 0, 0], [2.8, 0, 0], [2.8, 2.8, 0], [0, 2.8, 0]]), "D4h"),
    (_atoms("Au2S", [[-1.5, 0, 0], [1.5, 0, 0], [0, 1.8, 0]]), "C2v"),
    (_atoms("Au4", [[0, 0, 0], [2.8, 0, 0], [1.4, 2.425, 0], [1.4, 0.81, 3.5]]), "C3v"),
    (_atoms("Au4S4", [[1.9, 0.7, 1.0], [-1.9, -0.7, 1.0], [-0.7, 1.9, -1.0],
                      [0.7, -1.9, -1.0], [3.0, -1.5, 2.5], [-3.0, 1.5, 2.5],
                      [1.5, 3.0, -2.5], [-1.5, -3.0, -2.5]]), "S4"),  # two S4 orbits
    (_atoms("Au2S2", [[1.4, 0, 0], [-1.4, 0, 0], [2.5, 1.8, 0], [-2.5, -1.8, 0]]), "C2h"),
    (_atoms("Au3", [[0, 0, 0], [2.8, 0, 0], [0.5, 3.5, 0]]), "Cs"),
    (_atoms("AuS2", [[0.3, 0.1, 0.2], [2.6, 0.5, 0.1], [-0.8, 3.0, 1.5]]), "Cs"),
    (_atoms("Au4", [[0, 0, 0], [2.8, 0, 0], [0.6, 3.4, 0], [0.9, 1.0, 2.9]]), "C1"),
    (_atoms("Au2S2Cl2", [[1.1, 0.2, 0.3], [-1.1, -0.2, -0.3], [0.3, 1.9, 0.6],
                         [-0.3, -1.9, -0.6], [0.5, 0.4, 2.1], [-0.5, -0.4, -2.1]]), "Ci"),
]


@pytest.mark.parametrize("atoms, group", SMALL)
def test_schoenflies_of_small_frameworks(atoms, group):
    assert point_group(atoms) == group
    n_ops = {"D3h": 12, "D4h": 16, "C2v": 4, "C3v": 6, "S4": 4, "C2h": 4, "Cs": 2,
             "C1": 1, "Ci": 2}[group]
    ops, perms = symmetry_operations(atoms)
    assert len(ops) == n_ops
    for op in ops:
        assert np.allclose(op @ op.T, np.eye(3), atol=1e-8)
    # the plane of a planar framework is a mirror that moves no atom
    centred = atoms.positions - atoms.positions.mean(axis=0)
    planar = np.linalg.matrix_rank(centred, tol=0.1) == 2
    assert len(framework_permutations(atoms)) == n_ops // (2 if planar else 1)


@pytest.mark.parametrize("build, group, order", CASES)
def test_agrees_with_pymatgen_on_ideal_clusters(build, group, order):
    from pymatgen.core import Molecule
    from pymatgen.symmetry.analyzer import PointGroupAnalyzer
    atoms = build()
    mol = Molecule(atoms.get_chemical_symbols(), atoms.positions)
    assert PointGroupAnalyzer(mol, tolerance=0.3).sch_symbol == point_group(atoms)


def test_au25_framework_is_th_with_three_single_dopant_sites():
    """The six dimeric staples of [Au25(SR)18] keep Th of the framework: one centre, the
    12 shell atoms and the 12 staple Au each form one orbit."""
    atoms = au25_framework()
    assert point_group(atoms) == "Th"
    gold = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Au"]
    found = distinct_substitutions(atoms, gold, 1)
    roles = atoms.arrays["role"]
    assert sorted((roles[s[0]], m) for s, m in found) == [
        ("kernel", 1), ("kernel", 12), ("staple", 12)]
    # two dopants: Burnside on Th for 25 sites; brute force agrees
    images = framework_permutations(atoms)
    perms = site_permutations(images, gold)
    two = distinct_substitutions(atoms, gold, 2, group=images)
    assert len(two) == burnside_count(perms, 25, 2) == len(brute_force(perms, 25, 2))
    assert sum(m for _, m in two) == 300


def _reference(name):
    import os
    from ase.io import read
    path = os.path.join(os.path.dirname(__file__), "..", "structures", "reference",
                        name + ".xyz")
    if not os.path.exists(path):
        pytest.skip(f"reference structure {name} not in this checkout")
    return read(path)


@pytest.mark.parametrize("name, geometric, graph, singles", [
    # crystal and DFT frameworks are distorted far beyond 0.3 A from Th / D3, yet their
    # bond graphs keep the ideal symmetry
    ("au25_sr18_xtal", 1, 24, 3),
    ("au25_sr18_dft", 2, 24, 3),
    ("au38_sr24_dft", 1, 6, 8),
])
def test_graph_symmetry_of_published_structures(name, geometric, graph, singles):
    pytest.importorskip("clustergen.analysis.analyse")
    from clustergen.analysis.sites import kernel_indices
    atoms = _reference(name)
    assert len(framework_permutations(atoms, tolerance=0.3)) == geometric
    kernel = kernel_indices(atoms)
    images = framework_permutations(atoms, method="graph", kernel=kernel)
    assert len(images) == graph
    gold = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Au"]
    assert len(distinct_substitutions(atoms, gold, 1, group=images)) == singles
    # each automorphism maps every bond onto a bond of similar length (within 0.4 A)
    frame = np.flatnonzero(images[0] >= 0)
    dist = atoms.get_all_distances()[np.ix_(frame, frame)]
    bonds = np.array(bond_graph(atoms, frame, kernel).edges())
    position = {int(a): k for k, a in enumerate(frame)}
    for image in images:
        p = np.array([position[int(a)] for a in image[frame]])
        before = dist[bonds[:, 0], bonds[:, 1]]
        after = dist[p[bonds[:, 0]], p[bonds[:, 1]]]
        assert np.abs(after - before).max() < 0.4
    perms = site_permutations(images, gold)
    two = distinct_substitutions(atoms, gold, 2, group=images)
    assert len(two) == burnside_count(perms, len(gold), 2)


def test_loose_tolerance_is_reported_not_silently_used():
    # at 2 A every atom of an Au55 icosahedron matches several others: the matched
    # "operations" generate a permutation group larger than any point group
    with pytest.raises(ClusterGenError, match="too loose"):
        framework_permutations(Icosahedron("Au", 3), tolerance=2.0)
