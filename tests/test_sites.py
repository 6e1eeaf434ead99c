"""Site classes (centre, kernel-surface, staple) from geometry, for any kernel type."""

import os
from collections import Counter

import numpy as np
import pytest
from ase.cluster import Icosahedron, Octahedron
from ase.io import read

from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster
from clustergen.analysis.sites import CLASSES, class_counts, hull_depth, site_classes
from dopant_structures import au13, au25_framework, biicosahedron


def test_au25_with_roles_has_one_centre_12_shell_12_staple():
    atoms = au25_framework()
    classes = site_classes(atoms)
    assert class_counts(classes) == {"centre": 1, "kernel-surface": 12, "staple": 12}
    assert classes[0] == "centre"  # the icosahedron centre is atom 0 by construction
    # only metal atoms are classified
    assert set(classes) == {i for i, s in enumerate(atoms.get_chemical_symbols())
                            if s == "Au"}
    assert set(classes.values()) <= set(CLASSES)


def test_dopant_keeps_its_site_class():
    atoms = au25_framework()
    staple = int(np.flatnonzero(atoms.arrays["role"] == "staple")[0])
    atoms[0].symbol, atoms[staple].symbol = "Pt", "Cu"
    classes = site_classes(atoms)
    assert classes[0] == "centre" and classes[staple] == "staple"


def test_face_sharing_biicosahedron_has_two_centres():
    atoms = biicosahedron()
    assert len(atoms) == 23
    classes = site_classes(atoms)
    assert class_counts(classes) == {"centre": 2, "kernel-surface": 21, "staple": 0}
    assert classes[0] == classes[1] == "centre"
    # the shared-face atoms lie in the concave waist, 0.9 A inside the hull of the rest,
    # and must stay surface atoms
    pos = atoms.positions
    waist = [i for i in range(2, 23)
             if np.linalg.norm(pos[i] - pos[0]) < 3 and np.linalg.norm(pos[i] - pos[1]) < 3]
    assert len(waist) == 3
    for i in waist:
        depth = hull_depth(np.delete(pos, [i], axis=0), pos[i])
        assert 0.5 < depth < 1.5
        assert classes[i] == "kernel-surface"


@pytest.mark.parametrize("cluster, centres", [
    (Octahedron("Au", 4, 1), 6),      # Au38 truncated octahedron: inner Au6 octahedron
    (Octahedron("Au", 3, 1), 1),      # Au13 cuboctahedron
    (Octahedron("Au", 5, 2), 13),     # Au55 cuboctahedron: inner Au13
    (Icosahedron("Au", 3), 13),       # Au55 Mackay icosahedron
    (Icosahedron("Cu", 3, latticeconstant=3.61), 13),  # Cu: the cutoff scales
])
def test_bare_fcc_and_icosahedral_fragments(cluster, centres):
    classes = site_classes(cluster)  # no roles, no S: a bare cluster is all kernel
    assert class_counts(classes)["centre"] == centres
    # every centre is fully coordinated and nearer the middle than any surface atom
    radius = np.linalg.norm(cluster.positions - cluster.positions.mean(axis=0), axis=1)
    inner = [radius[i] for i, c in classes.items() if c == "centre"]
    outer = [radius[i] for i, c in classes.items() if c == "kernel-surface"]
    assert max(inner) < min(outer)


def test_tetrahedral_and_planar_kernels_have_no_centre():
    au4 = make_cluster(["Au"] * 4, [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]],
                       ["kernel"] * 4)
    au4.positions *= 2.9 / (2 * np.sqrt(2))
    assert class_counts(site_classes(au4)) == {"centre": 0, "kernel-surface": 4,
                                               "staple": 0}
    au3 = make_cluster(["Au"] * 3, [[0, 0, 0], [2.8, 0, 0], [1.4, 2.4, 0]], ["kernel"] * 3)
    assert set(site_classes(au3).values()) == {"kernel-surface"}


def test_no_roles_and_no_analyser_is_a_clear_error(monkeypatch):
    atoms = au25_framework()
    del atoms.arrays["role"]
    import sys
    monkeypatch.setitem(sys.modules, "clustergen.analysis.analyse", None)  # as if not installed
    with pytest.raises(ClusterGenError, match="no 'role' array"):
        site_classes(atoms)


def test_bare_au13_without_roles():
    assert Counter(site_classes(au13(roles=False)).values()) == {"centre": 1,
                                                                  "kernel-surface": 12}


def test_without_roles_the_analyser_finds_the_kernel():
    pytest.importorskip("clustergen.analysis.analyse")
    atoms = au25_framework()
    with_roles = site_classes(atoms)
    del atoms.arrays["role"]
    assert site_classes(atoms) == with_roles


def test_classes_survive_a_small_distortion():
    atoms = au25_framework()
    rng = np.random.default_rng(3)
    atoms.positions += rng.normal(scale=0.08, size=atoms.positions.shape)
    assert class_counts(site_classes(atoms)) == {"centre": 1, "kernel-surface": 12,
                                                 "staple": 12}


REFERENCE = os.path.join(os.path.dirname(__file__), "..", "structures", "reference")


def reference(name, **info):
    path = os.path.join(REFERENCE, name + ".xyz")
    if not os.path.exists(path):
        pytest.skip(f"reference structure {name} not in this checkout")
    atoms = read(path)
    atoms.info.update(info)
    return atoms


@pytest.mark.parametrize("name, family, expected", [
    # [Au25(SR)18]- crystal: Au13 icosahedron + 6 dimeric staples
    ("au25_sr18_xtal", None, {"centre": 1, "kernel-surface": 12, "staple": 12}),
    # Au38(SR)24: face-fused bi-icosahedral Au23 + 3 monomeric + 6 dimeric staples
    ("au38_sr24_dft", None, {"centre": 2, "kernel-surface": 21, "staple": 15}),
    # double-helix Au28(SR)20: Au20 kernel of two interpenetrating cuboctahedra
    ("au28_sr20_dft_a", "double-helix", {"centre": 2, "kernel-surface": 18, "staple": 8}),
    # double-helix Au36(SR)24: Au28 kernel of four interpenetrating cuboctahedra
    ("au36_sr24_dft", "double-helix", {"centre": 4, "kernel-surface": 24, "staple": 8}),
])
def test_site_classes_of_published_structures(name, family, expected):
    """Validation against published coordinates (roles from the analyser)."""
    pytest.importorskip("clustergen.analysis.analyse")
    atoms = reference(name, **({"family": family} if family else {}))
    assert class_counts(site_classes(atoms)) == expected
