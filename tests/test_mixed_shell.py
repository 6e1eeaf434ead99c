"""Mixed phosphine/halide/thiolate shells built with real ligands: ``build`` takes one
ligand per donor class; named phosphines are built whole, named halides swapped, and the
Au framework, the N* count and the donor windows stay what the template gives."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial import cKDTree

import clustergen
from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report, ligand_contacts
from clustergen.generation.donors import donor_report
from clustergen.generation.ligand_chem import resolve
from clustergen.generation.ligand_relax import _joint_energy, site_rule

AU25 = "[Au25(PPh3)10(SR)5Cl2]2+"


def _closest(atoms):
    """(H...heavy, H...H, heavy...heavy) closest contacts between ligands."""
    return list(ligand_contacts(atoms).values())


def _framework(atoms):
    keep = np.isin(atoms.arrays["role"], ("kernel", "staple", "S", "P", "halide"))
    return atoms.positions[keep]


@pytest.fixture(scope="module")
def au25_pph3():
    return (clustergen.build(AU25, ligand=["SCH3", "PPh3"], isomers=1)[0],
            clustergen.build(AU25, ligand="SCH3", isomers=1)[0])


def test_pph3_is_built_whole_on_the_biicosahedron(au25_pph3):
    real, model = au25_pph3
    assert real.info["formula"] == "[Au25(PPh3)10(SCH3)5Cl2]2+" and real.info["nstar"] == 16
    # 10 PPh3 (C18H15 each) and 5 SCH3
    assert real.get_chemical_formula() == "C185H165Au25Cl2P10S5"
    # the phosphines go where the PH3 models were: framework to the last digit
    assert np.allclose(_framework(real), _framework(model))
    mixed, hh, heavy = _closest(real)
    assert mixed >= 1.9 and hh >= 1.5 and heavy >= 2.2, (mixed, hh, heavy)
    assert geometry_report(real)["ok"] and all(ok for _, _, ok in donor_report(real).values())
    pos, sym, role = real.positions, np.array(real.get_chemical_symbols()), real.arrays["role"]
    au = np.flatnonzero(sym == "Au")
    for p in np.flatnonzero(role == "P"):
        c = np.flatnonzero((sym == "C") & (np.linalg.norm(pos - pos[p], axis=1) < 2.0))
        m = au[np.argmin(np.linalg.norm(pos[au] - pos[p], axis=1))]
        assert len(c) == 3                                  # three P-C bonds
        u = (pos[m] - pos[p]) / np.linalg.norm(pos[m] - pos[p])
        v = (pos[c] - pos[p]) / np.linalg.norm(pos[c] - pos[p], axis=1)[:, None]
        # Au-P-C of PPh3 gold clusters: about 110-118 deg (tetrahedral-like P)
        ang = np.degrees(np.arccos(v @ u))
        assert ((ang > 100) & (ang < 125)).all(), ang
    assert analyse(real).inventory_string == analyse(model).inventory_string


def test_dppe_spans_the_two_pentagons_of_au13():
    a = clustergen.build("[Au13(dppe)5Cl2]3+", ligand="dppe", isomers=1)[0]
    assert a.info["formula"] == "[Au13(dppe)5Cl2]3+" and a.info["nstar"] == 8
    assert a.get_chemical_formula() == "C130H120Au13Cl2P10"
    mixed, hh, heavy = _closest(a)
    assert mixed >= 1.9 and hh >= 1.5 and heavy >= 2.2, (mixed, hh, heavy)
    assert all(ok for _, _, ok in donor_report(a).values())
    pos, role, idx = a.positions, a.arrays["role"], a.arrays["ligand_index"]
    phos = np.flatnonzero(role == "P")
    kernel = np.flatnonzero(role == "kernel")
    centre = pos[kernel].mean(axis=0)
    apex = pos[np.flatnonzero(role == "halide")] - centre
    axis = apex[0] / np.linalg.norm(apex[0])
    owners = {int(idx[p]) for p in phos}
    assert len(owners) == 5
    lig = resolve("dppe")
    bites = np.linalg.norm(lig.conformers[:, 0] - lig.conformers[:, 1], axis=1)
    for o in owners:
        pair = phos[idx[phos] == o]
        assert len(pair) == 2
        # one P over each pentagon: opposite signs of height along the Cl...Cl axis
        heights = [(pos[p] - centre) @ axis for p in pair]
        assert heights[0] * heights[1] < 0
        d = np.linalg.norm(pos[pair[0]] - pos[pair[1]])
        assert bites.min() - 0.05 <= d <= bites.max() + 0.05
        # the backbone: each P bonded to its two phenyl C and one CH2 (three C)
        for p in pair:
            near = np.linalg.norm(pos - pos[p], axis=1)
            assert ((near < 2.0) & (a.numbers == 6)).sum() == 3


def test_named_halide_and_phosphine_swap_with_their_windows():
    a = clustergen.build(AU25, ligand=["PET", "PMe3", "Br"], isomers=1)[0]
    assert a.info["formula"] == "[Au25(PMe3)10(PET)5Br2]2+" and a.info["nstar"] == 16
    pos, sym = a.positions, np.array(a.get_chemical_symbols())
    au = pos[sym == "Au"]
    d = np.linalg.norm(pos[sym == "Br"][:, None] - au[None], axis=2).min(axis=1)
    assert ((d > 2.35) & (d < 2.55)).all(), d       # terminal Au-Br
    assert donor_report(a)["halide"][2] and donor_report(a)["P"][2]
    mixed, hh, heavy = _closest(a)
    assert mixed >= 1.9 and hh >= 1.5 and heavy >= 2.2


@pytest.mark.parametrize("ligands, message", [
    (["PET", "TBBT"], "two thiolate ligands"),
    (["PhC2"], "alkynyl"),
    # five P per pentagon on the biicosahedron: no way to pair them for a diphosphine
    (["SCH3", "dppe"], "cannot pair"),
])
def test_bad_ligand_lists_exit_2_in_one_line(ligands, message):
    args = [a for lig in ligands for a in ("--ligand", lig)]
    out = subprocess.run([sys.executable, "-m", "clustergen", "build", AU25, *args,
                          "-o", "/dev/null"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr


def test_a_phosphine_on_a_thiolate_only_cluster_is_refused():
    with pytest.raises(clustergen.ClusterGenError, match="no phosphine ligands"):
        clustergen.build("[Au25(SR)18]-", ligand=["SCH3", "PPh3"], isomers=1)


def test_joint_turn_gradient_is_the_derivative_of_its_energy():
    rng = np.random.default_rng(3)
    local = rng.normal(size=(2, 6, 3)) * 1.2
    s = np.array([[0.0, 0, 0], [2.5, 0.3, 0]])
    fixed = rng.normal(size=(20, 3)) * 2.5
    site = {"pos": np.zeros((1, 3)), "metals": [np.array([[0, 0, -2.3]])]}
    axis0 = local[:, 0] / np.linalg.norm(local[:, 0], axis=1)[:, None]
    system = {"local": local.reshape(-1, 3), "owner": np.repeat([0, 1], 6), "s": s,
              "axis0": axis0, "is_h": rng.random(12) < 0.5,
              "fixed": fixed, "tree": cKDTree(fixed), "fixed_h": rng.random(20) < 0.5,
              "own": np.zeros((2, 20), bool),
              "rules": [site_rule("phosphine", site, axis0[m])[0] for m in range(2)]}
    for x in (np.zeros(6), rng.normal(size=6) * 0.3):
        e, g = _joint_energy(x, system)
        num = [(_joint_energy(x + h, system)[0] - _joint_energy(x - h, system)[0]) / 2e-6
               for h in np.eye(6) * 1e-6]
        assert e > 0 and np.allclose(g, num, rtol=1e-4, atol=1e-3)


def test_a_long_alkanethiolate_takes_the_waist_with_pph3():
    # [Au25(PPh3)10(SCnH2n+1)5Cl2]2+ is known for n = 2-18 (Shichibu et al., J. Phys. Chem. C
    # 2007, 111, 7845); the hexyl chains fit among the PPh3 only when placed first
    a = clustergen.build(AU25, ligand=["SC6H13", "PPh3"], isomers=1)[0]
    assert a.info["formula"] == "[Au25(PPh3)10(SC6H13)5Cl2]2+"
    mixed, hh, heavy = _closest(a)
    assert mixed >= 1.9 and hh >= 1.5 and heavy >= 2.2, (mixed, hh, heavy)
    assert geometry_report(a)["ok"] and all(ok for _, _, ok in donor_report(a).values())
    assert analyse(a).inventory_string == "bridging:5"
