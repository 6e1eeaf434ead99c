"""Vertex-sharing icosahedra (phosphine/halide/thiolate rods) and the octahedral Au18
isomer of Au30(SR)18: counts, N*, analyser round trip, windows, point groups, errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.io import read

from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report
from clustergen.analysis.compare import framework_rmsd
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import parse
from clustergen.core.symmetry import point_group
from clustergen.generation.donors import add_donors, donor_report
from clustergen.generation.families import match, members
from clustergen.generation.generate import build, grow
from clustergen.generation.kernels import edge_capped_octahedron, vertex_shared_icosahedra

REF = Path(__file__).resolve().parents[1] / "structures" / "reference" / "gpl"
FRAME = ("Au", "P", "S", "Cl")
# k, formula, N*, bridging SR, P, Cl, framework point group (eclipsed rod: D5h for an even
# number of icosahedra, D5d for an odd one, whose middle icosahedron is staggered)
SERIES = [(1, "[Au13(dppe)5Cl2]3+", 8, 0, 10, 2, "D5d"),
          (2, "[Au25(PPh3)10(SR)5Cl2]2+", 16, 5, 10, 2, "D5h"),
          (3, "[Au37(PPh3)10(SR)10Cl2]+", 24, 10, 10, 2, "D5d"),
          (4, "Au49(PPh3)10(SR)15Cl2", 32, 15, 10, 2, "D5h")]


@pytest.fixture(scope="module")
def rods():
    return {m["k"]: m for m in members("vertex-sharing-icosahedra")}, \
        {a.info["member"]: a for a in grow("vertex-sharing-icosahedra", ligand="SH")}


@pytest.mark.parametrize("k, formula, nstar, n_sr, n_p, n_cl, group", SERIES)
def test_member_counts_nstar_and_round_trip(rods, k, formula, nstar, n_sr, n_p, n_cl, group):
    listed, built = rods
    m = listed[k]
    assert str(m["formula"]) == formula and m["nstar"] == nstar == parse(formula).nstar
    a = built[f"vertex-sharing-icosahedra:k={k}"]
    sym = a.get_chemical_symbols()
    assert (sym.count("Au"), sym.count("S"), sym.count("P"), sym.count("Cl")) == \
        (12 * k + 1, n_sr, n_p, n_cl)
    result = analyse(a)
    assert result.inventory == ({"bridging": n_sr} if n_sr else {})
    assert result.nstar == nstar
    assert list(result.roles) == list(a.arrays["role"])
    assert point_group(a, elements=FRAME) == group


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_windows_and_shared_vertex_coordination(rods, k):
    a = rods[1][f"vertex-sharing-icosahedra:k={k}"]
    assert geometry_report(a)["ok"], geometry_report(a)["problems"]
    assert all(ok for _, _, ok in donor_report(a).values())
    role = a.arrays["role"]
    kern = np.flatnonzero(role == "kernel")
    d = a.get_all_distances()
    _, labels = vertex_shared_icosahedra(k)
    cn = (d[np.ix_(kern, kern)] < 3.1).sum(axis=1) - 1
    for i, lab in enumerate(labels):
        # a shared vertex: 12 kernel neighbours (both centres, both pentagons), no ligand
        if lab == "waist":
            assert cn[i] == 12 and d[kern[i], role != "kernel"].min() > 3.5
        if lab == "apex":
            assert cn[i] == 6


def test_each_thiolate_bridges_two_icosahedra(rods):
    a = rods[1]["vertex-sharing-icosahedra:k=3"]
    pos, role = a.positions, a.arrays["role"]
    _, labels = vertex_shared_icosahedra(3)
    centres = pos[[i for i, lab in enumerate(labels) if lab == "centre"]]
    kern = np.flatnonzero(role == "kernel")
    for s in np.flatnonzero(role == "S"):
        au = kern[np.linalg.norm(pos[kern] - pos[s], axis=1) < 2.6]
        assert len(au) == 2
        owner = {int(np.linalg.norm(centres - pos[i], axis=1).argmin()) for i in au}
        assert len(owner) == 2
        u, v = pos[au] - pos[s]
        angle = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
        assert 70 < angle < 100


def test_build_matches_mixed_ligand_formulas_only_exactly():
    assert [m["k"] for m in match("[Au25(PPh3)10(SR)5Cl2]2+")] == [2]
    a = build("[Au25(PPh3)10(SR)5Cl2]2+", ligand="SCH3", isomers=1)[0]
    assert a.info["formula"] == "[Au25(PPh3)10(SCH3)5Cl2]2+"
    assert a.info["charge"] == 2 and a.info["multiplicity"] == 1 and a.info["nstar"] == 16
    with pytest.raises(ClusterGenError, match="no template family builds"):
        match("[Au25(PPh3)8(SR)5Cl2]2+")


def test_bad_donor_and_rod_inputs():
    with pytest.raises(ClusterGenError, match="at least one icosahedron"):
        vertex_shared_icosahedra(0)
    pos, labels = vertex_shared_icosahedra(1)
    core = Atoms("Au13", positions=pos)
    core.set_array("role", np.array(["kernel"] * 13, dtype="U8"))
    with pytest.raises(ClusterGenError, match="outside 2.25-2.4"):
        add_donors(core, 13, labels, {"P": {"labels": ["outer"], "bond": 2.6}})


def test_cli_bad_mixed_formula_exits_2():
    res = subprocess.run([sys.executable, "-m", "clustergen", "build",
                          "[Au25(PPh3)10(SR)6Cl2]2+"], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 2
    assert "no template family builds" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def _reference(name):
    """A public model placed locally (not shipped: see structures/reference/PROVENANCE.md)."""
    path = REF / name
    if not path.exists():
        pytest.skip(f"{path} not present (NC_Database model, obtained separately)")
    return read(path)


def test_octahedral_au18_kernel_against_dft_model():
    """The S6 Au18 kernel from its rule lies within 0.15 A of the Au30(S-Adm)18 DFT
    model's kernel (validation only: the builder never reads the model)."""
    ref = _reference("au30_sadm18_dft.xyz")
    kern = analyse(ref).kernel
    pos, labels = edge_capped_octahedron(a=3.0, cap=2.80)
    assert framework_rmsd(Atoms("Au18", positions=pos), ref[kern]) < 0.15
    assert point_group(Atoms("Au18", positions=pos)) == "S6"


def test_au30_offers_both_families_labelled():
    cands = build("Au30(SR)18", ligand="SH", isomers=2)
    fams = {a.info["family"] for a in cands}
    assert {"double-au7-backbone", "octahedral-au18"} <= fams
    octa = [a for a in cands if a.info["family"] == "octahedral-au18"]
    assert all(a.info["motifs"] == "dimer:6" and geometry_report(a)["ok"] for a in octa)
    # within a family, candidates come in score order
    assert [a.info["score"] for a in octa] == sorted(a.info["score"] for a in octa)
    # the first one is the DFT model's arrangement: S6, unrelaxed framework 0.59 A from it
    assert point_group(octa[0], elements=("Au", "S")) == "S6"
    ref = _reference("au30_sadm18_dft.xyz")
    assert framework_rmsd(octa[0], ref) < 0.65


def test_au30_crystal_isomer_meets_the_rmsd_goal():
    """`build "Au30(SR)18"`: the first octahedral-au18 isomer (the crystal-type one, S6)
    within 0.6 A (unrelaxed, Au+S) of the Au30(S-Adm)18 model; measured 0.59 A."""
    ref = _reference("au30_sadm18_dft.xyz")
    cands = build("Au30(SR)18", ligand="SH", isomers=4)
    octa = next(a for a in cands if a.info["family"] == "octahedral-au18")
    assert octa.info["isomer"] == "a"
    assert framework_rmsd(octa, ref) <= 0.6


def test_octahedral_family_bad_input_exits_2():
    with pytest.raises(ClusterGenError, match="does not build"):
        build("Au30(SR)19", family="octahedral-au18")
    res = subprocess.run([sys.executable, "-m", "clustergen", "build", "Au31(SR)18",
                          "--family", "octahedral-au18"], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_vertex_sharing_workflow_ships_and_checks(tmp_path):
    """workflows/vertex-sharing-series.yaml loads (every member up to Au49) and passes
    `clustergen run --check` without running anything."""
    from clustergen.cli import main
    from clustergen.workflow import load
    path = Path(__file__).resolve().parents[1] / "workflows" / "vertex-sharing-series.yaml"
    wf = load(path)
    assert wf["build"]["formulas"] == ["[Au13(dppe)5Cl2]3+", "[Au25(PPh3)10(SR)5Cl2]2+",
                                       "[Au37(PPh3)10(SR)10Cl2]+", "Au49(PPh3)10(SR)15Cl2"]
    assert main(["run", str(path), "-o", str(tmp_path / "run"), "--check"]) == 0
    assert not (tmp_path / "run").exists()


def test_au30_crystal_isomer_counts_nstar_and_round_trip():
    a = build("Au30(SR)18", ligand="SH", isomers=1, family="octahedral-au18")[0]
    sym = a.get_chemical_symbols()
    assert (sym.count("Au"), sym.count("S")) == (30, 18)
    assert a.info["nstar"] == 12 == parse("Au30(SR)18").nstar
    result = analyse(a)
    # the S6 Au18 kernel under six dimers, as the analyser reads the DFT model
    assert result.inventory == {"dimer": 6} and len(result.kernel) == 18
    assert result.nstar == 12 and list(result.roles) == list(a.arrays["role"])
