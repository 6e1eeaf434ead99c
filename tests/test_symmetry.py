"""Point groups and symmetry-distinct substitutions, checked against brute force and
Burnside's lemma on clusters whose symmetry is known by construction."""

import itertools
from math import comb

import numpy as np
import pytest
from ase import Atoms
from ase.cluster import Icosahedron, Octahedron

from clustergen.errors import ClusterGenError
from clustergen.symmetry import (burnside_count, distinct_substitutions,
                                 framework_permutations, point_group, site_orbits,
                                 site_permutations, subset_orbits)


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
