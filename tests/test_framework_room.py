"""The coarse-grained staple relaxation that makes room for a bulky thiolate
(clustergen.generation.framework_room): its gradient, and what it keeps."""

import numpy as np
from ase import Atoms

from clustergen.generation.framework_room import _energy, beads, make_room, restraints
from clustergen.generation.ligand_chem import resolve


def _staple():
    """Kernel Au0, Au4 holding S1-Au2-S3 (a monomeric staple), with kernel Au5 and Au6
    above and below the staple, in the way of both R groups."""
    pos = np.array([[0.0, 0, 0], [1.2, 1.9, 0], [3.5, 2.4, 0], [5.8, 1.9, 0], [7.0, 0, 0],
                    [3.5, 5.0, 2.0], [3.5, 5.0, -2.0]])
    f = Atoms("AuSAuSAuAuAu", positions=pos)
    f.set_array("role", np.array(["kernel", "S", "staple", "S", "kernel", "kernel",
                                  "kernel"]))
    return f, {1: np.array([0, 2]), 3: np.array([2, 4])}


def test_gradient_is_the_derivative_of_the_energy():
    f, sites = _staple()
    movable = np.array([False, True, True, True, False, False, False])
    length, spheres = beads(resolve("SAdm"))
    terms, bends = restraints(f.positions, f.get_chemical_symbols(), sites, [1, 3], movable,
                              length, spheres)
    arrays = tuple(np.array([t[c] for t in terms], dtype=int if c in (0, 1, 4) else float)
                   for c in range(5))
    bends = np.array(bends, float).reshape(-1, 4)
    rng = np.random.default_rng(3)
    x0 = np.vstack([f.positions, f.positions[[1, 3]] + [[0, 0, 3.5], [0, 0, 3.5]]])
    x0 += rng.normal(scale=0.2, size=x0.shape)
    free = np.concatenate([movable, [True, True]])
    tether = np.concatenate([np.where(movable, 0.3, 0.0), [0.0, 0.0]])
    chain = (np.array([1, 3]), np.array([l for l, _ in spheres]) / length)
    flat = x0[free].ravel()
    e, g = _energy(flat, x0, free, arrays, tether, bends, chain)
    num = np.array([(_energy(flat + h, x0, free, arrays, tether, bends, chain)[0]
                     - _energy(flat - h, x0, free, arrays, tether, bends, chain)[0]) / 2e-6
                    for h in np.eye(len(flat)) * 1e-6])
    assert e > 0 and np.allclose(g, num, rtol=1e-4, atol=1e-3)


def test_make_room_keeps_bonds_and_a_straight_staple():
    f, sites = _staple()
    room = make_room(f, sites, [1, 3], resolve("SAdm"))
    assert room is not None
    new, axes = room
    assert sorted(axes) == [1, 3] and np.allclose(np.linalg.norm(axes[1]), 1.0)
    assert np.allclose(new[[0, 4, 5, 6]], f.positions[[0, 4, 5, 6]])  # kernel fixed
    for d, metals in sites.items():                                     # bonds kept
        assert np.allclose(np.linalg.norm(new[metals] - new[d], axis=1),
                           np.linalg.norm(f.positions[metals] - f.positions[d], axis=1),
                           atol=0.03)
    u, v = new[1] - new[2], new[3] - new[2]
    before = np.degrees(np.arccos((f.positions[1] - f.positions[2]) @ (f.positions[3]
                                  - f.positions[2]) / 2.35 ** 2))
    angle = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
    assert angle >= min(before, 165.0) - 1.0
    assert np.linalg.norm(new[[1, 2, 3]] - f.positions[[1, 2, 3]], axis=1).max() > 0.1
    # each R axis: M-S-R in the window, and the R spheres clear of the Au in the way
    _, spheres = beads(resolve("SAdm"))
    for d, metals in sites.items():
        u = (new[metals] - new[d]) / np.linalg.norm(new[metals] - new[d], axis=1)[:, None]
        ang = np.degrees(np.arccos(u @ axes[d]))
        assert ((ang > 97.5) & (ang < 118.5)).all(), ang     # walls are soft
        for l, rad in spheres:
            gap = np.linalg.norm(new[[5, 6]] - (new[d] + l * axes[d]), axis=1).min()
            assert gap > rad + 1.9, (d, l, gap)


def test_nothing_to_do_for_a_ligand_without_one_thiolate_donor():
    f, sites = _staple()
    assert make_room(f, sites, [1, 3], resolve("PPh3")) is None
