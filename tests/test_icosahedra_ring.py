"""Pentameric ring of vertex-sharing Au13 icosahedra (the Au60 kernel of
[Au60Se2(PPh3)10(SeR)15]+): geometry only (no shell rule builds the cluster)."""

import numpy as np
import pytest
from ase import Atoms

from clustergen.core.errors import ClusterGenError
from clustergen.core.symmetry import point_group
from clustergen.generation.polyhedra import icosahedra_ring


@pytest.mark.parametrize("count", [4, 5, 6])
def test_ring_closes_with_ideal_icosahedra(count):
    radius = 2.78
    pos, labels = icosahedra_ring(count, radius)
    assert len(pos) == 12 * count and labels.count("waist") == count
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    centres = [i for i, lab in enumerate(labels) if lab == "centre"]
    for c in centres:
        # each centre: exactly 12 atoms at the icosahedron radius (undistorted)
        assert np.isclose(np.sort(d[c])[1:13], radius, atol=1e-6).all()
        assert np.sort(d[c])[13] > radius + 0.5
    # each shared vertex: the vertex of both neighbouring icosahedra (two centres)
    for w in (i for i, lab in enumerate(labels) if lab == "waist"):
        assert (np.abs(d[w, centres] - radius) < 1e-6).sum() == 2
    # the centres on a regular polygon
    cc = np.sort(d[np.ix_(centres, centres)][0])[1]
    assert np.allclose(np.linalg.norm(pos[centres] - pos[centres].mean(axis=0), axis=1),
                       cc / (2 * np.sin(np.pi / count)))


def test_au60_is_d5h_with_no_short_contacts_between_icosahedra():
    pos, labels = icosahedra_ring(5, 2.78)
    assert point_group(Atoms("Au60", positions=pos), elements=("Au",), tolerance=0.05) == "D5h"
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    centres = [i for i, lab in enumerate(labels) if lab == "centre"]
    owner = np.argmin(d[:, centres], axis=1)
    shared = np.array([lab == "waist" for lab in labels])
    between = (owner[:, None] != owner[None]) & ~shared[:, None] & ~shared[None]
    # the inner atoms of neighbouring icosahedra touch (2.76 A) but do not clash
    assert 2.7 < d[between].min() < 3.0
    # neighbouring centres 1.995 R apart (2 R in the straight rod)
    cc = np.sort(d[np.ix_(centres, centres)][0])[1]
    assert abs(cc / 2.78 - 1.9945) < 1e-3


def test_bad_ring():
    with pytest.raises(ClusterGenError):
        icosahedra_ring(2)
