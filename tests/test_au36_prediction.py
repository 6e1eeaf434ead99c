"""Predicted Au36(SR)22: the double-Au7-backbone template plus one Au3 unit.

Composition known (seed ref 70, "an additional Au3 unit"), structure not public: the
Au3 growth rule, the inventories the counts allow, and the candidates the engine ranks.
"""

import itertools
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest
from ase import Atoms

from clustergen.generation import shell
from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report
from clustergen.analysis.compare import framework_rmsd
from clustergen.generation.families import family, member
from clustergen.generation.generate import build, kernel_options, shell_rule
from clustergen.generation.kernels import au3_units, bitetrahedral_backbone, capped_cuboctahedra_pair
from clustergen.core.model import motif_size, motif_thiolates

FAM = "double-au7-backbone"
AU36 = {"trimer": 3, "monomer": 2, "bridging": 6}


@lru_cache(maxsize=None)
def built(ligand):
    return tuple(build("Au36(SR)22", ligand=ligand, isomers=8))


def framework(atoms):
    return atoms[np.isin(atoms.get_chemical_symbols(), ["Au", "S"])]


def lattice(pos, a=2.0):
    return [tuple(int(x) for x in np.rint(p / (a / 2) + [0.5, 0.5, 0.0])) for p in pos]


def test_au3_rule_reproduces_the_au10_half_hexagon():
    au7 = [tuple(p) for p in np.rint(bitetrahedral_backbone(1, a=2.0)[0]).astype(int)]
    au10 = {tuple(p) for p in np.rint(bitetrahedral_backbone(2, a=2.0)[0]).astype(int)}
    assert set(au7) | set(au3_units(au7)[0]) == au10


def test_au3_positions_on_the_au30_kernel():
    pos, labels = capped_cuboctahedra_pair(2, a=2.0)
    sites = lattice(pos)
    units = au3_units(sites, labels, min_bonds=4)
    assert len(units) == 4
    # the member builds every one of them
    assert member(FAM, 3)["kernel_args"]["au3"] == list(range(len(units)))
    nn = {v for v in itertools.product((-1, 0, 1), repeat=3) if sum(map(abs, v)) == 2}
    for unit in units:
        assert not set(unit) & set(sites)                        # no overlap
        assert all(tuple(np.subtract(p, q)) in nn for p, q in itertools.combinations(unit, 2))
        grown = set(sites) | set(unit)
        for p in unit:                                           # held by the kernel
            assert sum(tuple(np.add(p, v)) in grown for v in nn) >= 4
            assert sum(tuple(np.add(p, v)) in set(sites) for v in nn) >= 2
    # no triangle of free sites has every atom bonded to three kernel atoms
    assert au3_units(sites, labels, min_bonds=5) == []
    # symmetry-distinct: no two grown kernels superimpose (mirror images allowed)
    kernels = [Atoms("Au25", positions=p * 4.30 / 2.0) for p, _ in
               (capped_cuboctahedra_pair(2, a=2.0, au3=i) for i in range(4))]
    for x, y in itertools.combinations(kernels, 2):
        assert framework_rmsd(x, y, elements=("Au",)) > 0.1


def test_inventories_with_the_counts_and_which_the_rule_places():
    au30 = member(FAM, 2)
    base = au30["motifs"]
    options = [AU36,
               dict(base, dimer=1, monomer=3, bridging=5),
               dict(base, monomer=5, bridging=4)]
    fam = family(FAM)
    rule = shell_rule(fam, 3)
    rule = dict(rule, motifs=dict(rule["motifs"], dimer={"anchor_distance": [1.65, 1.8],
                                                       "anchor_labels": ["shell", "row"]}))
    placed = []
    for motifs in options:
        metals = 25 + sum(motif_size(t) * n for t, n in motifs.items())
        sr = sum(motif_thiolates(t) * n for t, n in motifs.items())
        assert (metals, sr, metals - sr) == (36, 22, 14)
        placed.append(sum(len(shell.arrangements(k, lab, motifs, rule)[0])
                          for k, lab in kernel_options(fam, 3)))
    # monomers end on the two "row" atoms: only the extra trimer can be placed
    assert placed[0] > 0 and placed[1:] == [0, 0]


@pytest.mark.parametrize("ligand", ["SH", "SCH3"])
def test_au36_candidates_count_read_back_and_keep_the_windows(ligand):
    cands = built(ligand)
    assert len(cands) >= 1
    for atoms in cands:
        sym = atoms.get_chemical_symbols()
        assert sym.count("Au") == 36 and sym.count("S") == 22
        assert atoms.info["nstar"] == 14 and atoms.info["multiplicity"] == 1
        assert atoms.info["family"] == FAM and atoms.info["literature"] == "predicted"
        assert list(atoms.arrays["role"]).count("kernel") == 25
        result = analyse(atoms)
        assert result.inventory == AU36 and result.nstar == 14
        assert list(result.roles) == list(atoms.arrays["role"])
        report = geometry_report(atoms)
        assert report["ok"], report["problems"]
    for x, y in itertools.combinations(cands, 2):
        assert framework_rmsd(x, y) > 0.1


def test_au36_unit_atoms_are_bonded_into_the_kernel():
    atoms = built("SH")[0]
    kernel = atoms.positions[atoms.arrays["role"] == "kernel"]
    d = np.linalg.norm(kernel[:, None] - kernel[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    assert ((d < 3.3).sum(axis=1) >= 4).all()
    # the ligand changes only R
    assert np.allclose(framework(atoms).positions, framework(built("SCH3")[0]).positions)


def test_families_lists_au36_as_predicted():
    out = subprocess.run([sys.executable, "-m", "clustergen", "families"],
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if "Au36(SR)22" in x and "k=3" in x)
    assert "N*=14" in line and "predicted" in line and "trimer:3" in line
