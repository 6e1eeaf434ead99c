"""Dopant substitution, symmetry-distinct enumeration, screening bookkeeping and CLI."""

import math
from math import comb

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.optimize import FIRE

from clustergen.cli.common import format_table
from clustergen.screen.dopants import (KB, boltzmann, enumerate_dopings, priors, screen,
                                       substitute, summary)
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import dopant_mask, read_candidates, write_candidates
from clustergen.analysis.sites import CLASSES
from clustergen.core.orbits import burnside_count, framework_permutations, site_permutations
from dopant_structures import au13, au25_framework, run_cli


def test_substitute_follows_dopant_valence():
    au25 = au25_framework()  # [Au25(SH)18]-, 8e
    pt = substitute(au25, [0], "Pt")
    assert pt.info["formula"] == "[PtAu24(SH)18]-"
    assert (pt.info["nstar"], pt.info["multiplicity"]) == (7, 2)
    neutral = substitute(au25, [0], "Pt", charge=0)  # the 6e [PtAu24(SR)18]0
    assert (neutral.info["formula"], neutral.info["nstar"]) == ("PtAu24(SH)18", 6)
    assert neutral.info["multiplicity"] == 1
    cd = substitute(au25, [1], "Cd", charge=0)  # Cd gives two electrons: 8e, neutral
    assert (cd.info["nstar"], cd.info["multiplicity"]) == (8, 1)
    # only the chosen atom changed; roles kept, so the model sees one dopant
    assert pt[0].symbol == "Pt" and au25[0].symbol == "Au"
    assert dopant_mask(pt).sum() == 1 and dopant_mask(pt)[0]
    assert list(pt.arrays["role"]) == list(au25.arrays["role"])
    assert np.allclose(pt.positions, au25.positions)
    # total electron parity agrees with the spin multiplicity the relaxer will check
    electrons = int(pt.numbers.sum()) - pt.info["charge"]
    assert (electrons % 2 == 1) == (pt.info["multiplicity"] == 2)


def test_substitute_rejects_non_metal_and_unknown_dopant():
    au25 = au25_framework()
    s_index = int(np.flatnonzero(au25.arrays["role"] == "S")[0])
    with pytest.raises(ClusterGenError, match="not a metal"):
        substitute(au25, [s_index], "Pt")
    with pytest.raises(ClusterGenError, match="unknown dopant"):
        substitute(au25, [0], "Xx")


def test_single_dopant_in_au25_gives_three_classes():
    configs = enumerate_dopings(au25_framework(), "Pt")
    got = sorted((c.info["site_class"], c.info["site_multiplicity"]) for c in configs)
    assert got == [("centre", 1), ("kernel-surface", 12), ("staple", 12)]
    assert {c.info["point_group"] for c in configs} == {"Th"}
    for c in configs:  # the labelled site really holds the dopant
        site = int(c.info["dopant_sites"].strip("[]"))
        assert c[site].symbol == "Pt"
        assert c.get_chemical_symbols().count("Pt") == 1


def test_two_dopants_match_burnside_and_cover_all_pairs():
    atoms = au25_framework()
    configs = enumerate_dopings(atoms, "Ag", 2)
    gold = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s == "Au"]
    perms = site_permutations(framework_permutations(atoms), gold)
    assert len(configs) == burnside_count(perms, len(gold), 2)
    assert sum(c.info["site_multiplicity"] for c in configs) == comb(25, 2)
    labels = {c.info["site_class"] for c in configs}
    assert labels == {"centre+kernel-surface", "centre+staple", "kernel-surface",
                      "kernel-surface+staple", "staple"}


def test_class_filter_restricts_sites():
    configs = enumerate_dopings(au25_framework(), "Cu", 2, classes=["staple"])
    assert sum(c.info["site_multiplicity"] for c in configs) == comb(12, 2)
    assert {c.info["site_class"] for c in configs} == {"staple"}
    with pytest.raises(ClusterGenError, match="unknown site class"):
        enumerate_dopings(au25_framework(), "Cu", 1, classes=["core"])
    with pytest.raises(ClusterGenError, match="host metal"):
        enumerate_dopings(au25_framework(), "Au")
    with pytest.raises(ClusterGenError, match="only 1"):
        enumerate_dopings(au25_framework(), "Pt", 2, classes=["centre"])


def test_priors_are_data_with_notes():
    table = {(p["dopant"], p["host"]): p["site"] for p in priors()}
    assert table == {("Pt", "Au"): "centre", ("Pd", "Au"): "centre",
                     ("Ag", "Au"): "kernel-surface", ("Cd", "Au"): "kernel-surface",
                     ("Hg", "Au"): "kernel-surface", ("Cu", "Au"): "staple",
                     ("Au", "Ag"): "centre"}
    assert all(p["site"] in CLASSES and "Lyu et al." in p["note"] for p in priors())


def emt_relax(configurations):
    """A cheap physical engine for bare Pt/Pd/Ag/Cu/Au clusters: EMT + FIRE."""
    out = []
    for c in configurations:
        a = c.copy()
        a.calc = EMT()
        FIRE(a, logfile=None).run(fmax=0.02, steps=300)
        a.info.update(energy=a.get_potential_energy(), status="converged", gap=None)
        out.append(a)
    return out


def test_screen_ranks_and_weights_by_multiplicity():
    rows = screen(enumerate_dopings(au13(), "Pt"), relax=emt_relax, temperature=1500)
    assert [r["rel_energy"] for r in rows] == sorted(r["rel_energy"] for r in rows)
    assert rows[0]["rel_energy"] == 0.0
    assert math.isclose(sum(r["population"] for r in rows), 1.0)
    # population ratio = multiplicity ratio x Boltzmann factor
    a, b = rows
    expected = b["multiplicity"] / a["multiplicity"] * math.exp(
        -(b["energy"] - a["energy"]) / (KB * 1500))
    assert b["population"] / a["population"] == pytest.approx(expected)
    # EMT puts Pt in the middle of Au13 (strongest Pt bonds), like the literature
    assert rows[0]["site_class"] == "centre" and rows[0]["prior"] == "centre"
    line = summary(rows, "Pt", temperature=1500)
    assert line.startswith("Pt: preferred site class centre")
    assert "kernel-surface +" in line and "prior: centre (agrees)" in line


def test_boltzmann_limits():
    # equal energies: populations follow degeneracy; high T: too; low T: ground state
    assert boltzmann([0.0, 0.0], [1, 12]) == pytest.approx([1 / 13, 12 / 13])
    assert boltzmann([0.0, 0.1], [1, 12], 1e7) == pytest.approx([1 / 13, 12 / 13], rel=1e-3)
    assert boltzmann([0.0, 0.1], [1, 12], 10) == pytest.approx([1.0, 0.0], abs=1e-12)
    pops = boltzmann([0.0, float("nan")], [1, 1])
    assert pops[0] == 1.0 and math.isnan(pops[1])


def test_cap_and_priors_decide_what_is_relaxed():
    calls = []

    def engine(cs):
        calls.append([c.info["site_class"] for c in cs])
        return emt_relax(cs)

    configs = enumerate_dopings(au13(), "Ag")  # prior: kernel-surface
    rows = screen(configs, relax=engine, cap=1, use_priors=True)
    assert calls == [["kernel-surface"]]
    status = {r["site_class"]: r["status"] for r in rows}
    assert status == {"kernel-surface": "converged", "centre": "skipped"}
    calls.clear()
    screen(configs, relax=engine, cap=1)  # without priors: enumeration order
    assert calls == [["centre"]]
    rows = screen(configs, relax=False)
    assert {r["status"] for r in rows} == {"not-relaxed"}
    assert "no preferred site class" in summary(rows, "Ag")


def test_failed_relaxation_is_listed_without_population():
    def engine(cs):
        out = emt_relax(cs)
        out[1].info.update(status="failed:scf", energy=None)
        return out

    rows = screen(enumerate_dopings(au13(), "Pt"), relax=engine)
    failed = [r for r in rows if r["status"] == "failed:scf"]
    assert len(failed) == 1 and failed[0]["population"] is None
    assert [r["population"] for r in rows if r is not failed[0]] == [1.0]
    assert f"{failed[0]['site_class']} not ranked (failed:scf)" in summary(rows, "Pt")


def _run(argv, monkeypatch):
    return run_cli(argv, monkeypatch, "clustergen.screen.dopants")


def test_cli_enumerates_a_structure_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "au25.extxyz"
    write_candidates(path, [au25_framework()])
    out = tmp_path / "pt.csv"
    status = _run(["dopants", str(path), "--dopant", "Pt", "--format", "csv", "-o",
                   str(out), "--structures", str(tmp_path / "pt.extxyz")], monkeypatch)
    assert status == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,dopant,sites,site_class,multiplicity")
    classes = sorted(line.split(",")[3] for line in lines[1:])
    assert classes == ["centre", "kernel-surface", "staple"]
    frames = read_candidates(tmp_path / "pt.extxyz")
    assert [f.get_chemical_symbols().count("Pt") for f in frames] == [1, 1, 1]
    assert "prior: centre" in capsys.readouterr().out


def test_cli_bad_input_exits_2(tmp_path, monkeypatch, capsys):
    assert _run(["dopants", str(tmp_path / "missing.extxyz"), "--dopant", "Pt"],
                monkeypatch) == 2
    assert "no such file" in capsys.readouterr().err
    path = tmp_path / "au25.extxyz"
    write_candidates(path, [au25_framework()])
    assert _run(["dopants", str(path), "--dopant", "Xx"], monkeypatch) == 2
    assert _run(["dopants", str(path), "--dopant", "Pt", "--count", "0"], monkeypatch) == 2


def test_table_format():
    text = format_table([{"id": "a", "energy": 1.0, "population": float("nan")}],
                        columns=("id", "energy", "population"))
    assert text.splitlines() == ["id  energy    population", "a   1.000000"]


@pytest.mark.slow
def test_gfn1_screening_of_pt_in_au13(tmp_path):
    """Real pipeline: GFN1-xTB relaxations through clustergen.compute.relax, stored in a db."""
    pytest.importorskip("tblite")
    base = au13()
    base.info.update(charge=0, formula="Au13", nstar=13, multiplicity=2)
    configs = enumerate_dopings(base, "Pt")
    db = str(tmp_path / "screen.db")
    rows = screen(configs, db=db, workers=0, progress=False, fmax=0.1)
    assert {r["status"] for r in rows} <= {"converged", "not-converged"}
    assert all(r["energy"] is not None and r["gap"] is not None for r in rows)
    assert len({r["id"] for r in rows}) == 2
    gap = rows[1]["rel_energy"]
    assert 0.0 < gap < 3.0  # sites differ, by less than a bond energy
    # rerun: everything comes from the database, same energies
    again = screen(configs, db=db, workers=0, progress=False, fmax=0.1)
    assert [r["energy"] for r in again] == [r["energy"] for r in rows]


@pytest.fixture(scope="module")
def built_au25():
    generate = pytest.importorskip("clustergen.generation.generate")
    return generate.build("[Au25(SR)18]0", ligand="SCH3", isomers=1)[0]


def test_built_au25_pt_is_a_6e_cluster_with_three_site_classes(built_au25):
    configs = enumerate_dopings(built_au25, "Pt")
    assert {c.info["site_class"] for c in configs} == set(CLASSES)
    assert sum(c.info["site_multiplicity"] for c in configs) == 25
    assert len(configs) < 25  # the framework symmetry saves relaxations
    centre = [c for c in configs if c.info["site_class"] == "centre"]
    assert len(centre) == 1 and centre[0].info["site_multiplicity"] == 1
    assert {c.info["formula"] for c in configs} == {"PtAu24(SCH3)18"}
    assert {(c.info["nstar"], c.info["multiplicity"]) for c in configs} == {(6, 1)}


def test_cli_builds_a_formula(monkeypatch, capsys, built_au25):
    assert _run(["dopants", "[Au25(SR)18]0", "--ligand", "SCH3", "--dopant", "Cd",
                 "--format", "csv"], monkeypatch) == 0
    out = capsys.readouterr()
    rows = [line.split(",") for line in out.out.splitlines()[1:] if line.startswith("c")]
    assert sum(int(r[4]) for r in rows) == 25
    assert "CdAu24(SCH3)18" in out.err
