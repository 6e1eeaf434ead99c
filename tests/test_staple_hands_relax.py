"""The staple hand decides the GFN1 basin of a chiral double-helix cluster (slow: two
GFN1-xTB relaxations of Au28(SH)20, about 2 CPU min)."""

import numpy as np
import pytest

import clustergen
from clustergen.compute.relax import relax_one


def _staple_contacts(atoms):
    """Mean number of Au within 3.4 A of each two-S-coordinated staple Au (aurophilic
    contacts of the dimer staples with the kernel and each other)."""
    d = atoms.get_all_distances()
    au = np.flatnonzero(atoms.numbers == 79)
    s = np.flatnonzero(atoms.numbers == 16)
    staple = np.flatnonzero(atoms.arrays["role"] == "staple")
    assert all((d[i, s] < 2.7).sum() == 2 for i in staple)
    return float(np.mean([((d[i, au] < 3.4).sum() - 1) for i in staple]))


@pytest.mark.slow
def test_au28_other_hand_relaxes_lower_with_folded_staples():
    steric, other = clustergen.build("Au28(SR)20", ligand="SH", isomers=1,
                                     family="double-helix", sulfur="hands")[::-1]
    assert other.info["isomer"] == "a" and steric.info["isomer"] == "a-hand"
    (out_s, rec_s), (out_o, rec_o) = relax_one(steric), relax_one(other)
    for rec in (rec_s, rec_o):
        assert rec["status"] == "converged", rec.get("topology")
    print(f"\nAu28(SH)20 GFN1: steric hand {rec_s['energy']:.3f} eV ({rec_s['force_calls']} "
          f"calls), other hand {rec_o['energy']:.3f} eV ({rec_o['force_calls']} calls); "
          f"staple Au contacts {_staple_contacts(out_s):.1f} vs {_staple_contacts(out_o):.1f}")
    # measured 0.58 eV (benchmarks/relax_members.py); the family's default must be lower
    assert rec_o["energy"] < rec_s["energy"] - 0.3
    # in the lower basin the dimers lie folded onto the kernel: more Au...Au contacts
    assert _staple_contacts(out_o) > _staple_contacts(out_s) + 0.5
