"""S-inversion hops (clustergen.compute.flips): geometry of the move, the screen and the
"+flips" protocol on a four-atom toy (GFN1 single points, seconds)."""

import numpy as np
import pytest

from clustergen.compute import flips
from clustergen.compute.relax import calculator, relax_one, stages
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster
from clustergen.generation.sulfur import configuration


def _toy(side=1.0):
    """Au3(SH): one S bridging two Au, its H off the Au-S-Au plane on the side ``side``
    (+1/-1); a third Au below the pair, off that plane, makes the two sides differ."""
    return make_cluster(["Au", "S", "Au", "H", "Au"],
                        [[-1.45, 0, 0], [0, 1.75, 0], [1.45, 0, 0], [0.0, 2.3, side * 1.2],
                         [0.0, -1.2, 2.2]],
                        ["kernel", "S", "staple", "ligand", "kernel"], charge=0,
                        multiplicity=1)


def test_mirror_keeps_bonds_and_angles_and_inverts_the_s():
    a = _toy()
    [inv] = flips.inversions(a)
    b = a.copy()
    b.positions = flips.mirrored(a, inv)
    assert np.isclose(b.get_distance(1, 3), a.get_distance(1, 3))
    for m in (0, 2):
        assert np.isclose(b.get_angle(m, 1, 3), a.get_angle(m, 1, 3))
    p, q = a.positions, b.positions
    assert configuration(q[1], q[0], q[2], q[3]) == -configuration(p[1], p[0], p[2], p[3])


def test_screen_prices_each_inversion_and_hop_applies_the_lower():
    a = _toy()
    a.calc = calculator(charge=0, multiplicity=1)
    [(de, inv)] = flips.screen(a)
    assert np.isfinite(de) and abs(de) > 1e-4           # the two sides differ
    assert np.allclose(a.positions, _toy().positions)   # the screen leaves the atoms as they were
    pos, n = flips.hop(a, threshold=abs(de) + 1.0)       # a threshold every move passes
    assert n == 1 and not np.allclose(pos[3], a.positions[3])
    assert flips.hop(a, threshold=-abs(de) - 1.0) == (None, 0)


def test_flips_protocol_runs_after_the_relaxation():
    assert stages("FIRE+PreconLBFGS+flips", 0.02) == [("FIRE", 0.2), ("PreconLBFGS", 0.02)]
    out, rec = relax_one(_toy(), optimiser="FIRE+PreconLBFGS+flips", fmax=0.05)
    assert rec["status"] == "converged"
    assert isinstance(rec["hops"], list)
    for h in rec["hops"]:                     # a kept hop went down, a refused one is undone
        assert h["kept"] == (h["energy_change"] < -flips.GAIN)
    with pytest.raises(ClusterGenError, match="unknown optimiser"):
        stages("FIRE+flips", 0.02)
