"""The coarse-grained staple relaxation that makes room for a bulky thiolate
(clustergen.generation.framework_room): its gradient, and what it keeps."""

import numpy as np
from ase import Atoms

from clustergen.generation.framework_room import _energy, make_room, restraints
from clustergen.generation.ligand_chem import resolve


def _staple():
    """Kernel Au0, Au4 holding S1-Au2-S3 (a monomeric staple), with a kernel Au5 above
    the staple Au in the way of both R groups."""
    pos = np.array([[0.0, 0, 0], [1.2, 1.9, 0], [3.5, 2.4, 0], [5.8, 1.9, 0], [7.0, 0, 0],
                    [3.5, 6.0, 0.8]])
    f = Atoms("AuSAuSAuAu", positions=pos)
    f.set_array("role", np.array(["kernel", "S", "staple", "S", "kernel", "kernel"]))
    return f, {1: np.array([0, 2]), 3: np.array([2, 4])}


def test_gradient_is_the_derivative_of_the_energy():
    f, sites = _staple()
    movable = np.array([False, True, True, True, False, False])
    terms, bends = restraints(f.positions, f.get_chemical_symbols(), sites, [1, 3], movable,
                              3.5, 2.65)
    arrays = tuple(np.array([t[c] for t in terms], dtype=int if c in (0, 1, 4) else float)
                   for c in range(5))
    bends = np.array(bends, float).reshape(-1, 4)
    rng = np.random.default_rng(3)
    x0 = np.vstack([f.positions, f.positions[[1, 3]] + [[0, 0, 3.5], [0, 0, 3.5]]])
    x0 += rng.normal(scale=0.2, size=x0.shape)
    free = np.concatenate([movable, [True, True]])
    tether = np.concatenate([np.where(movable, 0.3, 0.0), [0.0, 0.0]])
    flat = x0[free].ravel()
    e, g = _energy(flat, x0, free, arrays, tether, bends)
    num = np.array([(_energy(flat + h, x0, free, arrays, tether, bends)[0]
                     - _energy(flat - h, x0, free, arrays, tether, bends)[0]) / 2e-6
                    for h in np.eye(len(flat)) * 1e-6])
    assert e > 0 and np.allclose(g, num, rtol=1e-4, atol=1e-3)


def test_make_room_keeps_bonds_and_a_straight_staple():
    f, sites = _staple()
    new = make_room(f, sites, [1, 3], resolve("SAdm"))
    assert new is not None
    assert np.allclose(new[[0, 4, 5]], f.positions[[0, 4, 5]])        # kernel fixed
    for d, metals in sites.items():                                     # bonds kept
        assert np.allclose(np.linalg.norm(new[metals] - new[d], axis=1),
                           np.linalg.norm(f.positions[metals] - f.positions[d], axis=1),
                           atol=0.03)
    u, v = new[1] - new[2], new[3] - new[2]
    before = np.degrees(np.arccos((f.positions[1] - f.positions[2]) @ (f.positions[3]
                                  - f.positions[2]) / 2.35 ** 2))
    angle = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
    assert angle >= min(before, 165.0) - 1.0
    # the staple turned away from the Au in the way of its R groups
    assert np.linalg.norm(new[2] - new[5]) > np.linalg.norm(f.positions[2] - f.positions[5])


def test_nothing_to_do_for_a_ligand_without_one_thiolate_donor():
    f, sites = _staple()
    assert make_room(f, sites, [1, 3], resolve("PPh3")) is None
