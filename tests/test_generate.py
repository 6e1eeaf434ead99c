"""Template-rule generator: physics checks on every member, not snapshots."""

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report
from clustergen.analysis.compare import framework_rmsd
from clustergen.generation.families import families, member, members
from clustergen.generation.generate import build, grow
from clustergen.core.model import motif_size, motif_thiolates, read_candidates, write_candidates
from clustergen.core.symmetry import point_group

REF = Path(__file__).resolve().parents[1] / "structures" / "reference"
LISTED = [(name, m["k"]) for name, fam in families().items() for m in fam["members"]
          if m.get("built", True)       # members the rules cannot build yet say so
          and m.get("staple_ligand", "SR") == "SR"]   # alkynyl staples: test_families_alkynyl
# N* = n - m - q holds for thiolate-only shells; mixed phosphine/halide shells (halides take
# an electron, phosphines none) are counted in tests/test_families_vertex.py
THIOLATE_ONLY = [(name, k) for name, k in LISTED
                 if not families()[name]["series"].get("ligands")]


@lru_cache(maxsize=None)
def built(formula, ligand="SH", isomers=4):
    return tuple(build(formula, ligand=ligand, isomers=isomers))


def framework(atoms):
    return atoms[np.isin(atoms.get_chemical_symbols(), ["Au", "S"])]


@pytest.mark.parametrize("family, k", THIOLATE_ONLY)
def test_member_counts_electrons_and_roles(family, k):
    m = member(family, k)
    f = m["formula"]
    for atoms in built(str(f)):
        if atoms.info["family"] != family:
            continue
        sym = atoms.get_chemical_symbols()
        assert sym.count("Au") == f.n_metal and sym.count("S") == f.n_thiolate
        roles = list(atoms.arrays["role"])
        assert roles.count("kernel") == m["kernel_atoms"]
        assert roles.count("staple") == sum(motif_size(t) * n for t, n in m["motifs"].items())
        assert roles.count("S") == sum(motif_thiolates(t) * n for t, n in m["motifs"].items())
        assert atoms.info["nstar"] == f.n_metal - f.n_thiolate - f.charge == m["nstar"]
        electrons = int(atoms.numbers.sum()) - atoms.info["charge"]
        assert atoms.info["multiplicity"] == (1 if electrons % 2 == 0 else 2)


ANALYSED = LISTED


@pytest.mark.parametrize("family, k", ANALYSED)
def test_analyser_recovers_intended_inventory(family, k):
    m = member(family, k)
    for atoms in built(str(m["formula"])):
        if atoms.info["family"] == family:
            result = analyse(atoms)
            assert result.inventory == m["motifs"]
            assert list(result.roles) == list(atoms.arrays["role"])
            assert result.nstar == m["nstar"]


@pytest.mark.parametrize("family, k", LISTED)
def test_geometry_is_chemically_sensible_before_relaxation(family, k):
    for ligand in ("SH", "SCH3"):
        for atoms in built(str(member(family, k)["formula"]), ligand, 2):
            report = geometry_report(atoms)
            assert report["ok"], (atoms.info["formula"], report["problems"])


def test_au25_framework_is_pyritohedral_and_au36_d2d():
    assert point_group(framework(built("[Au25(SR)18]-")[0])) == "Th"
    assert point_group(framework(built("Au36(SR)24")[0])) == "D2d"
    assert point_group(framework(built("Au44(SR)28")[0])) == "D2"


def test_au38_offers_the_chiral_d3_isomer_seen_in_the_crystal():
    cands = built("Au38(SR)24")
    groups = [point_group(framework(a)) for a in cands]
    assert "D3" in groups
    # C3h ties it on strain and symmetry order; its thiolates of different staples sit
    # closer (nearest inter-staple S...S beyond the shared set 4.54 vs 4.66 A), so the
    # crowding tie-break ranks the D3 one first (what `isomers: 1` keeps)
    assert groups[0] == "D3" and "C3h" in groups
    d3 = cands[groups.index("D3")]
    ref = REF / "au38_sr24_dft.xyz"
    if ref.exists():
        from ase.io import read
        assert framework_rmsd(d3, read(ref)) < 0.45


@pytest.mark.parametrize("formula", ["[Au25(SR)18]-", "Au28(SR)20", "Au36(SR)24"])
def test_isomers_are_distinct(formula):
    cands = built(formula, "SH", 6)
    assert len(cands) >= 2
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            assert framework_rmsd(cands[i], cands[j]) > 0.1


# Goal: <= 0.6 A unrelaxed. Bounds here are what the rules reach today
# (closing note quotes the figures); the first-ranked isomer must be the literature one
# where the rule ranks it first.
REFERENCES = [
    ("[Au25(SR)18]-", "au25_sr18_dft.xyz", 0.35, True),
    ("[Au25(SR)18]-", "au25_sr18_xtal.xyz", 0.45, True),
    # Au38: the D3 framework (0.30 A) ties the C3h one on strain and symmetry order; the
    # thiolate-crowding tie-break (generate.thiolate_crowding) puts it first
    ("Au38(SR)24", "au38_sr24_dft.xyz", 0.40, True),
    ("Au38(SR)24", "au38_sr24_xtal.xyz", 0.60, True),
    # double helix: 0.42, 0.35 / 0.43, 0.29, 0.42 A (bridged pairs stretched, dimer Au
    # leaning over the exposed anchor, S on the kernel held closer to it)
    ("Au28(SR)20", "au28_sr20_dft_a.xyz", 0.47, True),
    ("Au36(SR)24", "au36_sr24_dft.xyz", 0.40, True),
    ("Au36(SR)24", "au36_sr24_xtal.xyz", 0.48, True),
    ("Au44(SR)28", "au44_sr28_dft.xyz", 0.35, True),
    ("Au52(SR)32", "au52_sr32_dft_a.xyz", 0.47, True),
    # fcc Au7-backbone families: the rules leave the published arrangement first; the
    # trimers lie on the kernel ("hug" in [Au23]-) and over the caps ("lean": middle Au on
    # the cap). Measured 0.45, 0.52, 0.39, 0.41 A
    ("Au28(SR)20", "au28_sr20_dft_b.xyz", 0.50, True),
    ("Au29(SR)19", "au29_sr19_dft.xyz", 0.57, True),
    ("Au30(SR)18", "au30_sr18_dft_fcc.xyz", 0.44, True),
    ("[Au23(SR)16]-", "au23_sr16_dft.xyz", 0.46, True),
    # the octameric ring wrapped around the Au7, which the monomers twist; its Au-S-Au
    # is the generic staple angle, fitted to neither public model: 0.57 A here, 0.58 to
    # the Au20(TBBT)16 model of NC_Database (tests/test_au7_backbone.py)
    ("Au20(SR)16", "au20_sr16_dft.xyz", 0.60, True),
    # Au7 + octahedron-completing Au3; the tetramer run round the waist, a dimer resting
    # on the bare corner, the trimer folded over the cap (0.57 A)
    ("Au21(SR)15", "au21_sr15_dft_b.xyz", 0.62, True),
]


@pytest.mark.parametrize("formula, ref, bound, first", REFERENCES)
def test_framework_rmsd_to_published_structures(formula, ref, bound, first):
    path = REF / ref
    if not path.exists():
        pytest.skip(f"reference {ref} not shipped")
    from ase.io import read
    target = read(path)
    cands = built(formula)
    rmsd = [framework_rmsd(a, target) for a in cands]
    print(f"{formula} vs {ref}: " + ", ".join(f"{r:.2f}" for r in rmsd))
    assert min(rmsd) <= bound
    if first:   # first-ranked isomer of the family that builds the literature one
        fam = cands[int(np.argmin(rmsd))].info["family"]
        same = [r for a, r in zip(cands, rmsd) if a.info["family"] == fam]
        assert same[0] == min(same)


def test_ligand_changes_only_r():
    sh, me = built("Au36(SR)24", "SH", 1)[0], built("Au36(SR)24", "SCH3", 1)[0]
    assert np.allclose(framework(sh).positions, framework(me).positions)
    assert sh.get_chemical_symbols().count("H") == 24
    assert me.get_chemical_symbols().count("C") == 24


def test_extxyz_round_trip_keeps_roles_and_info(tmp_path):
    cands = list(built("[Au25(SR)18]-", "SCH3", 2))
    path = tmp_path / "au25.extxyz"
    write_candidates(path, cands)
    back = read_candidates(path)
    assert len(back) == len(cands)
    for a, b in zip(cands, back):
        assert list(a.arrays["role"]) == list(b.arrays["role"])
        for key in ("formula", "charge", "multiplicity", "nstar", "family", "member",
                    "isomer", "motifs", "host"):
            assert a.info[key] == b.info[key]
        assert np.allclose(a.positions, b.positions)


def test_neutral_au25_is_a_doublet_and_spin_choice_is_checked():
    a = build("Au25(SR)18", ligand="SH", isomers=1)[0]
    assert a.info["charge"] == 0 and a.info["nstar"] == 7 and a.info["multiplicity"] == 2
    assert build("Au25(SR)18", ligand="SH", isomers=1, multiplicity=4)[0].info["multiplicity"] == 4
    from clustergen.core.errors import ClusterGenError
    with pytest.raises(ClusterGenError, match="impossible"):
        build("Au25(SR)18", ligand="SH", isomers=1, multiplicity=1)


def test_grow_double_helix_predicts_the_series():
    series = grow("double-helix", upto=84, ligand="SH")
    assert [a.info["formula"] for a in series] == [
        f"Au{8 * k + 4}(SH){4 * k + 8}" for k in range(3, 11)]
    assert [a.info["nstar"] for a in series] == [4 * k - 4 for k in range(3, 11)]
    assert [a.info["literature"] for a in series][-4:] == ["predicted"] * 4
    for atoms in series:
        assert analyse(atoms).inventory == {"dimer": 4,
                                            "bridging": atoms.info["nstar"]}
        assert geometry_report(atoms)["ok"]


def test_families_list_known_and_predicted_members():
    fs = families()
    assert {"double-helix", "face-sharing-icosahedra"} <= set(fs)
    statuses = {m["status"] for m in members("face-sharing-icosahedra")}
    assert statuses == {"known", "predicted"}
    for name, fam in fs.items():
        for m in fam["members"]:       # listed formulas agree with the series rule
            from clustergen.core.formula import parse
            assert member(fam, m["k"])["formula"] == parse(m["formula"])


def test_many_isomers_are_all_sound():
    """Asking for many isomers reaches high-strain arrangements; those that the restraints
    cannot shape are dropped, never returned broken (or crashing the ligand step)."""
    cands = build("Au28(SR)20", ligand="SH", isomers=40)
    assert len(cands) > 8
    for atoms in cands:
        assert geometry_report(atoms)["au_s"][1] <= 2.6
        assert geometry_report(atoms)["heavy_min"] >= 2.2
