"""Real ligands: RDKit library, placement geometry, ligand exchange, round trips, errors."""

import subprocess
import sys

import numpy as np
import pytest
from ase import Atoms
from scipy.spatial import cKDTree

import clustergen
from clustergen.analysis.analyse import analyse
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster, read_candidates, write_candidates
from clustergen.generation.ligand_chem import library, resolve
from clustergen.generation.ligate import ligate

METALS = ("kernel", "staple")


@pytest.fixture(scope="module")
def au25_sh():
    return clustergen.build("[Au25(SR)18]-", ligand="SH", isomers=1)[0]


@pytest.fixture(scope="module")
def au25_pet(au25_sh):
    return ligate(au25_sh, "PET")


@pytest.fixture(scope="module")
def au25_tbbt(au25_sh):
    return ligate(au25_sh, "TBBT")


def _framework(atoms):
    """Metal + donor (S, P, halide) positions: what a ligand must never move."""
    keep = np.isin(atoms.arrays["role"], METALS + ("S", "P", "halide"))
    return atoms.get_chemical_symbols(), atoms.positions[keep]


def _thiolate_geometry(atoms):
    """S-C lengths, Au-S-C angles and S->C tilts from the radial direction (deg)."""
    sym = np.array(atoms.get_chemical_symbols())
    pos = atoms.positions
    metal = np.isin(atoms.arrays["role"], METALS)
    centre = pos[metal].mean(axis=0)
    sc, msc, tilt = [], [], []
    for s in np.flatnonzero(atoms.arrays["role"] == "S"):
        d = np.linalg.norm(pos - pos[s], axis=1)
        c = np.flatnonzero((sym == "C") & (d < 2.0))
        assert len(c) == 1, f"S{s} has {len(c)} carbon neighbours"
        v = pos[c[0]] - pos[s]
        sc.append(np.linalg.norm(v))
        for m in np.flatnonzero(metal & (d < 2.7)):
            u = pos[m] - pos[s]
            msc.append(np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))))
        r = pos[s] - centre
        tilt.append(np.degrees(np.arccos(r @ v / np.linalg.norm(r) / np.linalg.norm(v))))
    return np.array(sc), np.array(msc), np.array(tilt)


def _worst_contacts(atoms):
    """Closest heavy-heavy, H-H and H-heavy distances between different ligands and
    between ligand R atoms and the framework (independent of ligand_fit)."""
    idx = atoms.arrays["ligand_index"]
    role = atoms.arrays["role"]
    r_atom = role == "ligand"
    h = atoms.numbers == 1
    pairs = cKDTree(atoms.positions).query_pairs(2.3, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.linalg.norm(atoms.positions[i] - atoms.positions[j], axis=1)
    inter = (idx[i] != idx[j]) & (r_atom[i] | r_atom[j])
    out = {}
    for name, mask in (("heavy", ~h[i] & ~h[j]), ("HH", h[i] & h[j]), ("mixed", h[i] ^ h[j])):
        sel = inter & mask
        out[name] = float(d[sel].min()) if sel.any() else np.inf
    return out


def test_library_covers_the_named_ligands_and_resolves():
    need = {"SH", "SCH3", "PET", "TBBT", "SAdm", "S-c-C6H11", "StBu", "p-MBA", "o-MBT",
            "2,4-DMBT", "SC6H13", "PPh3", "PMe3", "dppe", "Cl", "Br", "PhC2"}
    assert need <= set(library())
    for name, entry in library().items():
        lig = resolve(name)
        assert lig.kind == entry["class"] and lig.symbols[0] == entry["donor"], name
        assert lig.electrons == entry["electrons"] and entry.get("citation"), name
        assert lig.electrons == (0 if lig.kind == "phosphine" else 1)
    assert resolve("dppe").donors == (0, 1)
    # the donor H is gone: a thiolate has no H on S, an alkynyl none on C alpha
    pet = resolve("PET")
    xyz = pet.conformers[0]
    near_s = np.linalg.norm(xyz - xyz[0], axis=1) < 1.5
    assert not any(np.array(pet.symbols)[near_s] == "H")


def test_pet_on_au25_bonds_angles_tilt_and_no_clashes(au25_pet):
    sc, msc, tilt = _thiolate_geometry(au25_pet)
    assert len(sc) == 18 and ((sc >= 1.82) & (sc <= 1.86)).all()
    assert ((msc >= 100) & (msc <= 115)).all(), (msc.min(), msc.max())
    assert 40 <= tilt.mean() <= 70 and tilt.min() > 30   # tilted, not radial
    worst = _worst_contacts(au25_pet)
    assert worst["heavy"] >= 2.2 and worst["HH"] >= 1.5 and worst["mixed"] >= 1.9


def test_roles_ligand_index_and_nstar(au25_pet):
    idx, role = au25_pet.arrays["ligand_index"], au25_pet.arrays["role"]
    assert idx.max() + 1 == 18                     # donor count = m
    for k in range(18):
        mine = idx == k
        assert (role[mine] == "S").sum() == 1 and (role[mine] == "ligand").sum() == 17
    assert (idx[np.isin(role, METALS)] == -1).all()
    assert au25_pet.info["nstar"] == 8 and au25_pet.info["formula"] == "[Au25(PET)18]-"
    a = analyse(au25_pet)
    assert a.inventory == {"dimer": 6} and a.nstar == 8


def test_framework_identical_across_ligands_and_after_exchange(au25_sh, au25_pet, au25_tbbt):
    ref = au25_sh.positions[np.isin(au25_sh.arrays["role"], METALS + ("S",))]
    for atoms in (au25_pet, au25_tbbt, ligate(au25_tbbt, "SCH3"), ligate(au25_pet, "TBBT")):
        assert np.array_equal(_framework(atoms)[1], ref)
    # exchange PET -> TBBT gives what TBBT on the bare framework gives
    assert np.allclose(ligate(au25_pet, "TBBT").positions, au25_tbbt.positions)


def test_bare_framework_from_a_plain_xyz(au25_sh, tmp_path):
    keep = np.isin(au25_sh.arrays["role"], METALS + ("S",))
    bare = Atoms(np.array(au25_sh.get_chemical_symbols())[keep],
                 positions=au25_sh.positions[keep])
    path = tmp_path / "framework.xyz"
    bare.write(path)
    from clustergen.cli import main
    assert main(["ligate", str(path), "--ligand", "SCH3", "--charge", "-1",
                 "-o", str(tmp_path / "out.extxyz")]) == 0
    out = read_candidates(tmp_path / "out.extxyz")[0]
    assert out.info["formula"] == "[Au25(SCH3)18]-" and out.info["nstar"] == 8
    assert np.allclose(out.positions[:len(bare)], bare.positions, atol=1e-6)  # file precision


def _smiles_of(atoms, k):
    """RDKit canonical SMILES of ligand ``k`` cut out of a cluster, donor capped with H
    where the metal was (the neutral molecule), bonds perceived from 3D only."""
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds
    idx = atoms.arrays["ligand_index"]
    mine = np.flatnonzero(idx == k)
    sym = [atoms[i].symbol for i in mine]
    xyz = list(atoms.positions[mine])
    metal = np.isin(atoms.arrays["role"], METALS)
    for n, i in enumerate(mine):
        if sym[n] in ("S", "Cl", "Br") or (sym[n] == "C" and atoms.arrays["role"][i] ==
                                           "ligand" and _bonded_to_metal(atoms, i, metal)):
            if sym[n] == "P":
                continue
            m = np.flatnonzero(metal)[np.argmin(np.linalg.norm(
                atoms.positions[metal] - atoms.positions[i], axis=1))]
            v = atoms.positions[m] - atoms.positions[i]
            sym.append("H")
            xyz.append(atoms.positions[i] + 1.1 * v / np.linalg.norm(v))
    block = f"{len(sym)}\n\n" + "\n".join(f"{s} {x:.5f} {y:.5f} {z:.5f}"
                                          for s, (x, y, z) in zip(sym, xyz))
    mol = Chem.MolFromXYZBlock(block)
    rdDetermineBonds.DetermineBonds(mol, charge=0)
    return Chem.MolToSmiles(Chem.RemoveHs(mol))


def _bonded_to_metal(atoms, i, metal):
    return np.linalg.norm(atoms.positions[metal] - atoms.positions[i], axis=1).min() < 2.3


@pytest.mark.parametrize("name", ["PET", "TBBT"])
def test_smiles_round_trip(name, au25_pet, au25_tbbt):
    from rdkit import Chem
    atoms = au25_pet if name == "PET" else au25_tbbt
    want = Chem.CanonSmiles(library()[name]["smiles"])
    got = {_smiles_of(atoms, k) for k in range(18)}
    assert got == {want}


def test_any_thiol_smiles_builds_and_maps_to_the_library():
    a = clustergen.build("Au28(SR)20", ligand="SC1=CC=C(C=C1)C(C)(C)C", isomers=1)[0]
    assert a.info["formula"] == "Au28(TBBT)20" and a.info["ligand"] == "TBBT"
    b = clustergen.build("[Au25(SR)18]-", ligand="SCCCC", isomers=1)[0]  # not in library
    assert b.info["formula"] == "[Au25(SR)18]-" and b.info["ligand"] == "CCCCS"
    assert (b.arrays["ligand_index"].max() + 1) == 18


def _au_complex(donors, bond):
    """Linear X-Au-X (one Au, donors on both sides) as a framework."""
    pos = [[0, 0, 0]] + [[s * bond, 0, 0] for s in (-1, 1)][:len(donors)]
    return Atoms(["Au"] + list(donors), positions=pos)


def test_phosphine_halide_alkynyl_and_exchange():
    from rdkit import Chem
    frame = Atoms(["Au", "P", "Cl"], positions=[[0, 0, 0], [2.25, 0, 0], [-2.28, 0, 0]])
    out = ligate(frame, ["PPh3", "Cl"])
    assert out.info["formula"] == "Au(PPh3)Cl" and out.info["nstar"] == 0
    assert (out.arrays["role"] == "P").sum() == 1 and (out.arrays["role"] == "halide").sum()
    p = out.positions[1]
    c = out.positions[(out.numbers == 6) & (np.linalg.norm(out.positions - p, axis=1) < 2)]
    assert len(c) == 3
    bond = np.linalg.norm(c - p, axis=1)
    ang = np.degrees(np.arccos((c - p) @ (out.positions[0] - p) / bond / 2.25))
    assert ((bond > 1.78) & (bond < 1.88)).all() and ((ang > 105) & (ang < 122)).all()
    assert _smiles_of(out, out.arrays["ligand_index"][1]) == Chem.CanonSmiles(
        library()["PPh3"]["smiles"])
    br = ligate(out, "Br")                  # halide exchange: element and bond length
    x = br.positions[br.numbers == 35]
    assert len(x) == 1 and abs(np.linalg.norm(x[0]) - 2.42) < 1e-6
    assert br.info["formula"] == "Au(PPh3)Br"
    alk = ligate(Atoms("CAuC", positions=[[-2.0, 0, 0], [0, 0, 0], [2.0, 0, 0]]), "PhC2",
                 charge=-1)
    assert alk.info["formula"] == "[Au(PhC2)2]-" and alk.info["nstar"] == 0
    cb = alk.positions[(alk.numbers == 6)]
    ca = alk.positions[[0, 2]]
    near = [cb[np.argsort(np.linalg.norm(cb - a, axis=1))[1]] for a in ca]
    for a, b in zip(ca, near):
        assert 1.18 < np.linalg.norm(b - a) < 1.24
        cos = (b - a) @ (-a) / np.linalg.norm(b - a) / np.linalg.norm(a)
        assert np.degrees(np.arccos(cos)) > 160  # Au-C#C nearly linear


def test_dppe_bridges_two_au_at_its_bite_or_says_why():
    lig = resolve("dppe")
    xyz = lig.conformers[0]
    p = xyz[[0, 1]]
    lone = []
    for i in (0, 1):
        nb = xyz[(np.linalg.norm(xyz - xyz[i], axis=1) < 2.0) &
                 (np.linalg.norm(xyz - xyz[i], axis=1) > 0.1)]
        v = ((nb - xyz[i]) / np.linalg.norm(nb - xyz[i], axis=1)[:, None]).sum(0)
        lone.append(-v / np.linalg.norm(v))
    au = [p[i] + 2.28 * lone[i] for i in (0, 1)]
    cl = [au[i] + 2.30 * lone[i] for i in (0, 1)]
    frame = Atoms(["P", "P", "Au", "Au", "Cl", "Cl"], positions=np.vstack([p, au, cl]))
    out = ligate(frame, ["dppe", "Cl"])
    assert out.info["formula"] == "Au2(dppe)Cl2"
    assert set(out.arrays["ligand_index"][:2]) == {out.arrays["ligand_index"][0]}
    worst = _worst_contacts(out)
    assert worst["heavy"] >= 2.2 and worst["HH"] >= 1.5
    far = frame.copy()
    far.positions[[1, 3, 5]] += 6.0 * lone[1]            # second AuP unit 6 A further out
    with pytest.raises(ClusterGenError, match="no partner at that distance"):
        ligate(far, "dppe")



def test_analyser_tells_the_ph3_modelled_dppe_from_monodentate_phosphines(tmp_path):
    a = clustergen.build("[Au13(dppe)5Cl2]3+", isomers=1)[0]
    got = analyse(a).formula
    assert got.ligands == {"dppe": 5, "Cl": 2} and str(got) == "[Au13(dppe)5Cl2]3+"
    idx, pos = a.arrays["ligand_index"], a.positions
    p = np.flatnonzero(a.numbers == 15)
    au = np.flatnonzero(a.numbers == 79)
    cl = pos[a.numbers == 17]
    axis = (cl[1] - cl[0]) / np.linalg.norm(cl[1] - cl[0])
    centre = pos[au].mean(axis=0)
    for k in np.unique(idx[p]):
        mine = idx == k
        assert (a.numbers[mine] == 15).sum() == 2 and (a.numbers[mine] == 1).sum() == 6
        p1, p2 = pos[mine & (a.numbers == 15)]
        host = [au[np.linalg.norm(pos[au] - x, axis=1).argmin()] for x in (p1, p2)]
        assert a.get_distance(*host) < 3.2                # the two Au it spans are bonded
        z1, z2 = (p1 - centre) @ axis, (p2 - centre) @ axis
        assert z1 * z2 < 0 and abs(z1 + z2) < 0.1        # one P on each pentagon
    # the geometry alone cannot: without the index the ten PH3 read as ten PPh3
    bare = a.copy()
    del bare.arrays["ligand_index"]
    assert analyse(bare).formula.ligands == {"PPh3": 10, "Cl": 2}
    path = tmp_path / "au13.extxyz"                       # the index travels in extxyz
    write_candidates(path, [a])
    assert analyse(read_candidates(path)[0]).formula.ligands == {"dppe": 5, "Cl": 2}
    b = clustergen.build("[Au25(PPh3)10(SR)5Cl2]2+", isomers=1)[0]
    assert analyse(b).formula.ligands == {"PPh3": 10, "SR": 5, "Cl": 2}
    frame = Atoms(["Au", "P", "Cl"], positions=[[0, 0, 0], [2.25, 0, 0], [-2.28, 0, 0]])
    assert analyse(ligate(frame, ["PPh3", "Cl"])).formula.ligands == {"PPh3": 1, "Cl": 1}


def test_crowding_is_reported_with_the_ligand_and_site(au25_sh):
    with pytest.raises(ClusterGenError, match=r"ligand \d+ on donor atom S\d+ clashes"):
        ligate(au25_sh, "SAdm")     # adamantyl thiolates do not fit on Au25's shell


def run(*args):
    return subprocess.run([sys.executable, "-m", "clustergen", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def au25_file(tmp_path_factory, au25_sh):
    path = tmp_path_factory.mktemp("lig") / "au25.extxyz"
    write_candidates(path, [au25_sh])
    return str(path)


@pytest.mark.parametrize("args, words", [
    (["--ligand", "XYZ"], "unknown ligand 'XYZ'"),
    (["--ligand", "CSC"], "has no donor atom"),
    (["--ligand", "SCCS"], "several candidate donors"),
    (["--ligand", "[S-]C"], "is charged"),
    (["--ligand", "C[CH2]"], "is a radical"),
    (["--ligand", "PPh3"], "no phosphine donor sites"),
    (["--ligand", "PET", "--ligand", "TBBT"], "two ligands of one class"),
])
def test_bad_ligate_input_exits_2_with_one_line(au25_file, args, words):
    res = run("ligate", au25_file, *args, "-o", "/dev/null")
    assert res.returncode == 2 and words in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_build_rejects_a_non_thiolate_and_ligands_lists_the_library():
    res = run("build", "Au25(SR)18", "--ligand", "PPh3")
    assert res.returncode == 2 and "is a phosphine, not a thiolate" in res.stderr
    res = run("ligands")
    assert res.returncode == 0
    assert "PET" in res.stdout and "SCCc1ccccc1" in res.stdout and "phosphine" in res.stdout


def test_extxyz_store_deck_and_viz_take_the_new_elements(au25_pet, tmp_path):
    from clustergen.compute import store
    from clustergen.dft import write_deck
    from clustergen.visual.viz import render
    frame = Atoms(["Au", "P", "Cl"], positions=[[0, 0, 0], [2.25, 0, 0], [-2.28, 0, 0]])
    mixed = ligate(frame, ["PMe3", "Cl"])
    for atoms in (au25_pet, mixed):
        path = tmp_path / "x.extxyz"
        write_candidates(path, [atoms])
        back = read_candidates(path)[0]
        assert np.array_equal(back.arrays["ligand_index"], atoms.arrays["ligand_index"])
        assert list(back.arrays["role"]) == list(atoms.arrays["role"])
        assert back.info["formula"] == atoms.info["formula"]
    deck = write_deck(mixed, code="orca", task="sp", directory=str(tmp_path / "orca"))
    text = deck.read_text()
    assert "\nP " in text and "\nCl " in text
    render(mixed, str(tmp_path / "m.html"))
    assert (tmp_path / "m.html").stat().st_size > 1000
    db = str(tmp_path / "r.db")
    assert store.write_result(db, mixed, {"cid": "m", "status": "converged"})
    row = store.rows(db)[0]
    assert row["cid"] == "m"



def test_ligand_index_survives_the_store_and_extxyz(au25_pet, tmp_path):
    """Which ligand each atom belongs to comes back from a stored row (relaxed or not)."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from clustergen.compute import store
    db = str(tmp_path / "r.db")
    done = au25_pet.copy()
    done.positions += 0.01          # stands in for the relaxed positions
    done.calc = SinglePointCalculator(done, energy=-1.0, forces=np.zeros((len(done), 3)))
    assert store.write_result(db, done, {"cid": "p", "status": "converged"}, start=au25_pet)
    back = store.read_relaxed(db)[0]
    assert np.array_equal(back.arrays["ligand_index"], au25_pet.arrays["ligand_index"])
    assert back.arrays["ligand_index"].dtype.kind == "i"
    assert list(back.arrays["role"]) == list(au25_pet.arrays["role"])
    assert np.allclose(back.positions, done.positions)
    from clustergen.core.identity import scalar_info
    path = tmp_path / "back.extxyz"          # and writes out again as `relax -o` does
    write_candidates(path, [scalar_info(back)])
    again = read_candidates(path)[0]
    assert np.array_equal(again.arrays["ligand_index"], au25_pet.arrays["ligand_index"])
    # a row written before ligand_index was stored still reads (roles only)
    old = store.connect(str(tmp_path / "old.db"))
    bare = au25_pet.copy()
    del bare.arrays["ligand_index"]
    store.write_result(old, bare, {"cid": "o", "status": "converged"})
    assert "ligand_index" not in store.read_relaxed(old)[0].arrays


def test_ligand_index_survives_a_real_relax_and_store(tmp_path):
    """Two GFN1 steps on [Au(PET)2]- through relax(): the stored structure keeps it."""
    pytest.importorskip("tblite")
    from relax_toys import au_sch3_2

    from clustergen.compute import store
    from clustergen.compute.relax import relax
    pet = ligate(au_sch3_2(), "PET")
    assert pet.info["formula"] == "[Au(PET)2]-"
    db = str(tmp_path / "r.db")
    out = relax(pet, db=db, workers=0, steps=2, progress=False)[0]
    assert out.info["steps"] == 2
    back = store.read_relaxed(db)[0]
    for atoms in (out, back):
        assert np.array_equal(atoms.arrays["ligand_index"], pet.arrays["ligand_index"])
    assert not np.allclose(back.positions, pet.positions)   # it did move



def test_workflow_takes_a_thiol_smiles_and_builds_with_it(tmp_path):
    from clustergen.workflow.config import load
    from clustergen.workflow.stages.build import build_candidates
    head = "build: {formulas: ['[Au25(SR)18]-'], isomers: 1, ligand: "
    assert load(head + "SC2H4Ph}")["build"]["ligand"] == "PET"           # alias
    assert load(head + "'SCCc1ccccc1'}")["build"]["ligand"] == "PET"     # library SMILES
    wf = load(head + "'SCCCC'}")                                         # any thiol
    assert wf["build"]["ligand"] == "CCCCS"
    atoms = build_candidates(wf["build"])[0]
    assert atoms.info["formula"] == "[Au25(SR)18]-"
    c = atoms.numbers == 6
    assert c.sum() == 18 * 4 and (atoms.numbers == 1).sum() == 18 * 9   # 18 butyls
    path = tmp_path / "bad.yaml"
    path.write_text(head + "CSC}")
    res = run("run", str(path), "-o", str(tmp_path / "run"), "--check")
    assert res.returncode == 2 and "build.ligand: ligand 'CSC' has no donor atom" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


@pytest.mark.slow
def test_gfn1_relaxation_of_au25_pet_keeps_the_staples(au25_pet):
    """GFN1-xTB relaxation of [Au25(PET)18]- built from rules: converges, staples intact."""
    from clustergen.analysis.compare import framework_rmsd
    from clustergen.compute.relax import relax_one
    out, rec = relax_one(au25_pet, fmax=0.05, steps=1500)
    assert rec["status"] == "converged", rec["status"]
    assert rec["problems"] == []
    assert analyse(out).inventory == {"dimer": 6}
    sc, msc, _ = _thiolate_geometry(out)
    assert ((sc > 1.78) & (sc < 1.90)).all() and ((msc > 95) & (msc < 120)).all()
    assert framework_rmsd(au25_pet, out) < 0.5
    print(f"GFN1 [Au25(PET)18]-: {rec['steps']} steps, {rec['wall']:.0f} s, "
          f"framework RMSD {framework_rmsd(au25_pet, out):.3f} A")
