"""Fermi-Dirac smearing, the fallback for an SCF that does not converge with integer
occupations: off by default, written into CP2K (diagonalisation + &SMEAR + added MOs) and
PySCF (scf.addons.smearing) decks, a level of its own, bad values rejected."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from ase import Atoms, units

from clustergen.cli.refine import add_refine_arguments, refine_options
from clustergen.core.errors import ClusterGenError
from clustergen.dft import write_deck
from clustergen.dft.cp2k import valence_electrons
from clustergen.dft.run import level_name, refine_settings

CP2K = shutil.which("cp2k.psmp") or shutil.which("cp2k.popt") or shutil.which("cp2k")
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}


def _au_sh2():
    """[Au(SH)2]-: linear S-Au-S, 2 x 7 + 11 + 1 = 26 GTH valence electrons."""
    return Atoms("AuSSHH", positions=[[0, 0, 0], [2.3, 0, 0], [-2.3, 0, 0],
                                      [2.6, 1.3, 0], [-2.6, -1.3, 0]],
                 info={"charge": -1, "formula": "[Au(SH)2]-"})


def _section(text, name):
    start = text.index(f"&{name}")
    return text[start:text.index(f"&END {name}", start)]


def test_cp2k_default_is_ot_without_smearing(tmp_path):
    text = write_deck(_au_sh2(), code="cp2k", task="sp", directory=tmp_path).read_text()
    assert "&OT" in text and "&SMEAR" not in text and "ADDED_MOS" not in text


def test_cp2k_smearing_deck(tmp_path):
    atoms = _au_sh2()
    assert valence_electrons(atoms, -1) == 26
    text = write_deck(atoms, code="cp2k", task="sp", directory=tmp_path,
                      smearing=500).read_text()
    scf = _section(text, "SCF")
    assert "&OT" not in scf  # OT needs integer occupations
    assert "&DIAGONALIZATION ON" in scf and "BROYDEN_MIXING" in scf
    smear = _section(scf, "SMEAR")
    assert "METHOD FERMI_DIRAC" in smear and "ELECTRONIC_TEMPERATURE [K] 500" in smear
    # 13 occupied MOs: 20 % is 3, so the minimum of 10 added MOs applies
    assert "ADDED_MOS 10\n" in scf
    # charge and spin still come from the candidate
    assert "CHARGE -1" in text and "MULTIPLICITY 1" in text


def test_cp2k_added_mos_scale_with_electrons(tmp_path):
    # Au25: 25 x 11 = 275 electrons -> 138 occupied MOs -> 28 added (20 %, rounded up)
    au25 = Atoms("Au25", positions=[[3.0 * i, 0, 0] for i in range(25)], info={"charge": 0})
    text = write_deck(au25, code="cp2k", task="sp", directory=tmp_path, smearing=300,
                      dispersion="none").read_text()
    assert "ADDED_MOS 28\n" in text and "MULTIPLICITY 2" in text and "UKS .TRUE." in text


@pytest.mark.skipif(not CP2K, reason="CP2K not installed (apt-get install cp2k)")
def test_cp2k_accepts_smearing_deck(tmp_path):
    deck = write_deck(_au_sh2(), code="cp2k", task="sp", directory=tmp_path, smearing=300,
                      poisson="WAVELET", vacuum=4.0, cutoff=200)
    run = subprocess.run([CP2K, "-c", deck.name], cwd=deck.parent, capture_output=True,
                         text=True, timeout=120, env=ONE_THREAD)
    assert "SUCCESS, the input could be parsed correctly" in run.stdout, run.stdout[-2000:]


def test_pyscf_smearing_runs_with_fractional_occupations(tmp_path):
    """A square H4 (degenerate frontier orbitals) at 3000 K: the deck runs and the two
    degenerate orbitals share the last two electrons (a real PySCF run, ~1 s)."""
    pytest.importorskip("pyscf")
    h4 = Atoms("H4", positions=[[0, 0, 0], [1.2, 0, 0], [1.2, 1.2, 0], [0, 1.2, 0]],
               info={"charge": 0})
    deck = write_deck(h4, code="pyscf", task="sp", directory=tmp_path, basis="def2-SVP",
                      functional="PBE", dispersion="none", smearing=3000)
    text = deck.read_text()
    sigma = 3000 * units.kB / units.Hartree
    assert f'addons.smearing(mf, sigma={sigma:.9g}, method="fermi")' in text
    assert text.index("addons.smearing") < text.index("mf.kernel()")
    deck.write_text(text + "\nimport json\njson.dump(list(map(float, mf.mo_occ)), "
                           "open('occ.json', 'w'))\n")
    subprocess.run([sys.executable, deck.name], cwd=tmp_path, check=True, env=ONE_THREAD,
                   capture_output=True, timeout=300)
    occ = json.loads((tmp_path / "occ.json").read_text())
    assert abs(sum(occ) - 4) < 1e-6
    fractional = [o for o in occ if 0.05 < o < 1.95]
    assert len(fractional) >= 2, occ


def test_pyscf_default_has_no_smearing(tmp_path):
    h2 = Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]], info={"charge": 0})
    text = write_deck(h2, code="pyscf", task="sp", directory=tmp_path).read_text()
    assert "smearing" not in text


def test_smearing_is_its_own_level_and_the_cp2k_refine_default():
    atoms = _au_sh2()
    default = level_name(refine_settings(atoms, "cp2k"))
    plain = level_name(refine_settings(atoms, "cp2k", smearing=0))
    # the CP2K level also names the density cutoff (300 Ry by default)
    assert default == "PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K, 300 Ry, FD 300 K)"
    assert plain == "PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K, 300 Ry)"
    assert refine_settings(atoms, "cp2k", smearing=0)["smearing"] is None
    assert refine_settings(atoms, "pyscf")["smearing"] is None  # PySCF: off unless asked


def test_smeared_open_shell_keeps_its_multiplicity(tmp_path):
    """UKS with one Fermi level for both spins lets smearing pick the spin state; the
    deck fixes alpha - beta to the candidate's unpaired electrons instead."""
    au2 = Atoms("Au2", positions=[[0, 0, 0], [2.55, 0, 0]], info={"charge": -1})
    text = write_deck(au2, code="cp2k", task="sp", directory=tmp_path / "a",
                      smearing=300).read_text()
    assert "MULTIPLICITY 2" in text
    assert "FIXED_MAGNETIC_MOMENT 1" in _section(text, "SMEAR")
    closed = write_deck(_au_sh2(), code="cp2k", task="sp", directory=tmp_path / "b",
                        smearing=300).read_text()
    assert "FIXED_MAGNETIC_MOMENT" not in closed


@pytest.mark.parametrize("code, kwargs, message", [
    ("orca", {"smearing": 300}, "smearing is written for cp2k and pyscf"),
    ("cp2k", {"smearing": -5}, "smearing must be positive"),
    ("cp2k", {"smearing": 1e6}, "beyond"),
])
def test_bad_smearing_raises_before_writing(code, kwargs, message, tmp_path):
    with pytest.raises(ClusterGenError, match=message):
        write_deck(_au_sh2(), code=code, task="sp", directory=tmp_path / "deck", **kwargs)
    assert not (tmp_path / "deck").exists()


def test_cli_smearing_option():
    import argparse

    p = argparse.ArgumentParser()
    add_refine_arguments(p)
    assert refine_options(p.parse_args(["--smearing", "300"]))["smearing"] == 300.0
    assert "smearing" not in refine_options(p.parse_args([]))


@pytest.mark.slow
@pytest.mark.skipif(not CP2K, reason="CP2K not installed (apt-get install cp2k)")
def test_cp2k_smeared_run_converges_to_the_ot_energy(tmp_path):
    """Au-S-H (closed shell, gap > 1 eV): Fermi-Dirac at 300 K occupies nothing above the
    gap, so the smeared (diagonalisation) and OT energies agree.  Measured here: OT 22
    steps, smeared 20 steps, energies 0.05 meV apart (3 A vacuum, 200 Ry)."""
    from clustergen.dft.run import run_job

    auSH = Atoms("AuSH", positions=[[0, 0, 0], [2.28, 0, 0], [2.6, 1.3, 0]],
                 info={"charge": 0})
    common = dict(code="cp2k", vacuum=3.0, cutoff=200, poisson="WAVELET")
    ot = run_job(auSH, directory=tmp_path / "ot", **common)
    fd = run_job(auSH, directory=tmp_path / "fd", smearing=300, **common)
    assert ot["status"] == fd["status"] == "converged", (ot["message"], fd["message"])
    assert "SMEAR" in (tmp_path / "fd" / "cp2k.inp").read_text()
    assert fd["level"].endswith("FD 300 K)")
    assert abs(ot["energy"] - fd["energy"]) < 1e-3  # eV


def test_cp2k_smeared_output_frontier_orbitals():
    """CP2K 2023.1 with &SMEAR writes 'Lowest eigenvalues' (lower case) and a Fermi
    energy line after the occupied block (as in a [PtAu24(SH)18]0 run); both are read."""
    from clustergen.dft import parse

    text = """
  Eigenvalues of the occupied subspace spin            1
 ---------------------------------------------
      -0.30000000      -0.20000000
 Fermi Energy [eV] :   -4.360387

  Lowest eigenvalues of the unoccupied subspace spin            1
 ---------------------------------------------
      -0.15000000

 ENERGY| Total FORCE_EVAL ( QS ) energy [a.u.]:            -10.0
  *** SCF run converged in    35 steps ***
 PROGRAM ENDED AT
"""
    out = parse.cp2k_output(text)
    assert out["status"] == "converged" and out["scf_iterations"] == 35
    assert out["gap"] == pytest.approx(0.05 * 27.211386, abs=1e-4)
