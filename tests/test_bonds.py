"""Bond rules (core.bonds) and rotation fits (core.rotations): checked on distances,
periodic images, graph components and known rotations."""

import os

import networkx as nx
import numpy as np
import pytest
from ase import Atoms
from ase.io import read
from scipy.spatial.transform import Rotation

from clustergen.core.bonds import (bond_matrix, bonded_pairs, components, cutoffs,
                                   fragment_count, nearest_contacts, pair_cutoff, rule)
from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError
from clustergen.core.rotations import fit_orthogonal, rotation_onto

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "structures", "reference")


def test_every_rule_resolves_and_the_most_specific_key_wins():
    for name, spec in load("chemistry.yaml")["bonds"].items():
        assert rule(name)["unit"] == spec["unit"]
    assert pair_cutoff("motifs", "Au", "Au") == pytest.approx(1.22 * 2 * 1.36)
    assert pair_cutoff("motifs", "S", "Au") == pytest.approx(1.15 * (1.36 + 1.05))
    assert pair_cutoff("motifs", "C", "H") == pytest.approx(1.20 * (0.76 + 0.31))
    assert pair_cutoff("motifs", "Pt", "H") is None           # metal-H: null
    assert pair_cutoff("metal-sulfur", "Cu", "S") == 2.7
    assert pair_cutoff("metal-sulfur", "C", "S") is None       # no key matches
    made, broken = (pair_cutoff(n, "Au", "S") for n in ("metal-sulfur", "metal-sulfur-broken"))
    assert broken > made
    with pytest.raises(ClusterGenError, match="unknown bond rule"):
        rule("nonsense")
    with pytest.raises(ClusterGenError, match="nearest"):
        pair_cutoff("kernel", "Au", "Au")


def test_reference_au25_bonds_are_the_ones_its_chemistry_says():
    path = os.path.join(REFERENCE, "au25_sr18_xtal.xyz")
    if not os.path.exists(path):
        pytest.skip("reference structure not in this checkout")
    atoms = read(path)
    sym = np.array(atoms.get_chemical_symbols())
    i, j, d, _ = bonded_pairs(atoms, "motifs")
    pair = {tuple(sorted(p)) for p in zip(sym[i], sym[j])}
    assert ("S", "S") not in pair and ("Au", "H") not in pair
    au_s = d[((sym[i] == "Au") & (sym[j] == "S")) | ((sym[i] == "S") & (sym[j] == "Au"))]
    assert len(au_s) == 36 and 2.25 < au_s.min() and au_s.max() < 2.55  # 18 S x 2 Au
    # every S holds exactly two gold atoms (thiolate bridging two Au)
    s_idx = np.flatnonzero(sym == "S")
    m = bond_matrix(atoms, "motifs")
    assert (m[np.ix_(s_idx, np.flatnonzero(sym == "Au"))].sum(axis=1) == 2).all()


def test_periodic_cell_finds_the_bond_across_the_face():
    atoms = Atoms("AuS", positions=[[0.5, 5, 5], [9.1, 5, 5]], cell=[10, 10, 10])
    assert len(bonded_pairs(atoms, "motifs")[0]) == 0       # 8.6 A apart in a molecule
    atoms.pbc = True
    i, j, d, vec = bonded_pairs(atoms, "motifs")
    assert (i.tolist(), j.tolist()) == ([0], [1])
    assert d[0] == pytest.approx(1.4) and vec[0] == pytest.approx([-1.4, 0, 0])


def test_molecule_and_periodic_searches_agree_inside_a_large_cell():
    rng = np.random.default_rng(3)
    atoms = Atoms("Au20S12", positions=rng.uniform(0, 8, (32, 3)))
    periodic = atoms.copy()
    periodic.cell = [40, 40, 40]
    periodic.pbc = True
    for name in ("motifs", "covalent", "metal-sulfur"):
        a, b = bonded_pairs(atoms, name), bonded_pairs(periodic, name)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        d = atoms.get_all_distances()
        cut = cutoffs(atoms.get_chemical_symbols(), name)
        sym = atoms.get_chemical_symbols()
        brute = [(p, q) for p in range(32) for q in range(p + 1, 32)
                 if (sym[p], sym[q]) in cut and d[p, q] < cut[(sym[p], sym[q])]]
        assert list(zip(a[0].tolist(), a[1].tolist())) == brute


def test_components_match_networkx_and_fragments_count_pieces():
    rng = np.random.default_rng(5)
    edges = rng.integers(0, 40, (25, 2))
    labels = components(40, edges[:, 0], edges[:, 1])
    g = nx.Graph()
    g.add_nodes_from(range(40))
    g.add_edges_from(edges.tolist())
    assert len(set(labels.tolist())) == nx.number_connected_components(g)
    for piece in nx.connected_components(g):
        assert len({labels[k] for k in piece}) == 1
    h2 = Atoms("H4", positions=[[0, 0, 0], [0.74, 0, 0], [3, 0, 0], [3.74, 0, 0]])
    assert fragment_count(h2) == 2
    h2.positions[2:] -= [1.56, 0, 0]   # 0.70 A < 1.2 x 2 x 0.31 A: one H4 chain
    assert fragment_count(h2) == 1


def test_nearest_rule_scales_with_the_lattice():
    from ase.cluster import Octahedron
    small = Octahedron("Au", 3, 1).positions
    for stretch in (1.0, 1.1):
        nn, bonded, _ = nearest_contacts(small * stretch, "kernel")
        assert nn == pytest.approx(2.884 * stretch, abs=0.01)
        assert bonded.sum(axis=1).max() == 12   # the centre of the 19-atom octahedron


def test_rotation_fits_recover_known_rotations_and_mirrors():
    rng = np.random.default_rng(11)
    p = rng.normal(size=(12, 3))
    p -= p.mean(axis=0)
    rot = Rotation.random(random_state=4).as_matrix()
    assert fit_orthogonal(p, p @ rot.T) == pytest.approx(rot, abs=1e-9)
    mirrored = rot @ np.diag([1, 1, -1])
    assert fit_orthogonal(p, p @ mirrored.T, mirror=True) == pytest.approx(mirrored, abs=1e-9)
    # without mirror, the proper fit of a mirror image cannot be exact
    proper = fit_orthogonal(p, p @ mirrored.T)
    assert np.linalg.det(proper) == pytest.approx(1.0)
    assert np.abs(p @ proper.T - p @ mirrored.T).max() > 0.1
    for a in list(rng.normal(size=(5, 3))) + [np.array([0, 0, 1.0])]:
        a /= np.linalg.norm(a)
        for b in (rng.normal(size=3), -a):
            b = b / np.linalg.norm(b)
            r = rotation_onto(a, b)
            assert r @ a == pytest.approx(b, abs=1e-9)
            assert np.linalg.det(r) == pytest.approx(1.0)
            assert r @ r.T == pytest.approx(np.eye(3))
