"""Framework RMSD: invariance to rotation, order and mirroring; response to real changes."""

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.io import read
from scipy.spatial.transform import Rotation

from clustergen.analysis.compare import align_frameworks, framework_rmsd
from clustergen.core.errors import ClusterGenError

REFERENCE = Path(__file__).resolve().parents[1] / "structures" / "reference"


def random_cluster(n_au=20, n_s=12, seed=1, dmin=2.3):
    """An irregular Au/S blob with no two atoms closer than ``dmin`` (no symmetry)."""
    rng = np.random.default_rng(seed)
    pos = []
    while len(pos) < n_au + n_s:
        p = rng.uniform(-6, 6, 3)
        if all(np.linalg.norm(p - q) > dmin for q in pos):
            pos.append(p)
    return Atoms(["Au"] * n_au + ["S"] * n_s, positions=pos)


def scrambled(atoms, seed=2, mirror=True):
    """Randomly permuted, rotated, translated (and mirrored) copy; returns (copy, perm)."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(atoms))
    b = atoms[perm]
    rot = Rotation.random(random_state=seed).as_matrix()
    if mirror:
        rot = rot @ np.diag([1, 1, -1])
    b.positions = b.positions @ rot.T + rng.uniform(-10, 10, 3)
    return b, perm


def test_scrambled_mirrored_copy_matches_exactly_and_recovers_permutation():
    a = random_cluster()
    b, perm = scrambled(a)
    al = align_frameworks(a, b)
    assert al.rmsd < 1e-6
    assert al.mirrored
    # b[j] is a[perm[j]], so the atom of b matched to a[i] must satisfy perm[j] == i
    assert np.array_equal(perm[al.index_b], al.index_a)
    assert np.allclose(al.positions[al.index_b], a.positions[al.index_a], atol=1e-6)


def test_mirror_not_allowed_keeps_handedness():
    a = random_cluster()
    b, _ = scrambled(a, mirror=True)
    assert framework_rmsd(a, b, mirror=False) > 0.5
    c, _ = scrambled(a, seed=5, mirror=False)
    assert framework_rmsd(a, c, mirror=False) < 1e-6


def test_perturbed_copy_gives_rms_of_perturbation():
    a = random_cluster(seed=3)
    rng = np.random.default_rng(4)
    noise = rng.normal(scale=0.08, size=a.positions.shape)
    noise -= noise.mean(axis=0)
    b = a.copy()
    b.positions += noise
    b, _ = scrambled(b, seed=6)
    rms = np.sqrt(np.mean(np.sum(noise ** 2, axis=1)))
    rmsd = framework_rmsd(a, b)
    # the best overlay can only absorb a little of random noise (3 rotational dof)
    assert 0.9 * rms < rmsd <= rms + 1e-9


def test_ligand_atoms_are_ignored():
    a = random_cluster(seed=7)
    b = a + Atoms("CH3", positions=[[9, 9, 9], [10, 9, 9], [9, 10, 9], [9, 9, 10]])
    b, _ = scrambled(b, seed=8)
    assert framework_rmsd(a, b) < 1e-6


def test_different_counts_raise_with_counts():
    a = random_cluster(n_au=20, n_s=12)
    b = random_cluster(n_au=20, n_s=11)
    with pytest.raises(ClusterGenError, match="Au20S12 vs Au20S11"):
        framework_rmsd(a, b)


def test_no_framework_atoms_raise():
    with pytest.raises(ClusterGenError, match="no framework atoms"):
        framework_rmsd(Atoms("CH4"), Atoms("CH4"))


@pytest.mark.skipif(not (REFERENCE / "au25_sr18_xtal.xyz").exists(),
                    reason="reference structures not present")
def test_crystal_and_dft_au25_agree_but_differ_from_au38():
    """Same framework from two sources: small RMSD; a different cluster: error."""
    xtal = read(REFERENCE / "au25_sr18_xtal.xyz")
    dft = read(REFERENCE / "au25_sr18_dft.xyz")
    assert framework_rmsd(xtal, dft) < 0.35  # PET crystal vs SCH3 DFT model
    b, _ = scrambled(xtal, seed=9)
    assert framework_rmsd(xtal, b) < 1e-6  # high-symmetry cluster, full ligand shell
    with pytest.raises(ClusterGenError, match="Au25S18 vs Au38S24"):
        framework_rmsd(xtal, read(REFERENCE / "au38_sr24_xtal.xyz"))


@pytest.mark.skipif(not (REFERENCE / "au38_sr24_xtal.xyz").exists(),
                    reason="reference structures not present")
def test_chiral_au38_mirror_image_only_matches_with_mirror():
    a = read(REFERENCE / "au38_sr24_xtal.xyz")
    b = a.copy()
    b.positions[:, 0] *= -1
    assert framework_rmsd(a, b, mirror=True) < 1e-6
    assert framework_rmsd(a, b, mirror=False) > 0.3


def test_cli_compare_prints_rmsd_per_frame(tmp_path, capsys):
    import argparse

    from ase.io import write

    from clustergen.cli.compare import register_cli

    a = random_cluster(seed=11)
    b, _ = scrambled(a, seed=12)
    c = b.copy()
    c.positions[0] += [0.5, 0, 0]
    write(tmp_path / "a.xyz", a)
    write(tmp_path / "b.xyz", [b, c])
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers())
    args = parser.parse_args(["compare", str(tmp_path / "a.xyz"), str(tmp_path / "b.xyz")])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "0.000 Å (mirror image)" in lines[0]
    assert float(lines[1].split("\t")[2].split()[0]) > 0.05
    args = parser.parse_args(["compare", str(tmp_path / "missing.xyz"), str(tmp_path / "b.xyz")])
    with pytest.raises(ClusterGenError, match="cannot read structure"):
        args.func(args)
