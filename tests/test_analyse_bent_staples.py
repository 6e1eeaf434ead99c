"""Group-12 and Cu dopants bend their staple site; the analyser must still call it a staple."""

import numpy as np
import pytest

from clustergen.analysis.analyse import analyse
from clustergen.generation.generate import build


def _bend(atoms, metal, angle):
    """Move ``metal`` (bonded to two S) so that its S-M-S angle becomes ``angle``."""
    pos = atoms.positions
    s = np.flatnonzero(atoms.arrays["role"] == "S")
    s = s[np.argsort(np.linalg.norm(pos[s] - pos[metal], axis=1))[:2]]
    mid = pos[s].mean(axis=0)
    half = np.linalg.norm(pos[s[0]] - pos[s[1]]) / 2
    out = pos[metal] - mid
    out -= (out @ (pos[s[0]] - mid)) / half ** 2 * (pos[s[0]] - mid)
    out /= np.linalg.norm(out)
    pos[metal] = mid + out * half / np.tan(np.radians(angle / 2))
    atoms.positions = pos


@pytest.mark.parametrize("dopant, kept", [("Hg", True), ("Cd", True), ("Cu", True),
                                           ("Au", False)])
def test_bent_dopant_staple_stays_a_staple(dopant, kept):
    atoms = build("[Au25(SR)18]-", ligand="SH", isomers=1)[0]
    metal = int(np.flatnonzero(atoms.arrays["role"] == "staple")[0])
    atoms.symbols[metal] = dopant
    _bend(atoms, metal, 138.0)
    res = analyse(atoms)
    assert (metal in res.staple) == kept
    if kept:
        assert res.inventory == {"dimer": 6}
