"""Workflow runner: a tiny [Au25(SH)18]- study end to end, resume, partial reruns, errors."""

import json
import os

import numpy as np
import pytest
from ase import Atoms

from clustergen import cli
from clustergen.compute import relax as relax_mod
from clustergen import workflow as wf_mod
from clustergen.core.errors import ClusterGenError

TINY = """
name: tiny
build: {formulas: ["[Au25(SR)18]-"], ligand: SH, isomers: 2}
relax: {fmax: 0.3, steps: 4, workers: 0}
rank: {top: 1, converged_only: false}
dft: {codes: [orca, cp2k], task: sp}
report: {title: tiny study, show: all}
"""


class Counter:
    """Counts tblite calculators made and relaxations started in this process."""

    def __init__(self, monkeypatch):
        self.calculators = 0
        self.relaxations = 0
        real_calc, real_one = relax_mod.calculator, relax_mod.relax_one

        def calculator(*args, **kwargs):
            self.calculators += 1
            return real_calc(*args, **kwargs)

        def relax_one(*args, **kwargs):
            self.relaxations += 1
            return real_one(*args, **kwargs)

        monkeypatch.setattr(relax_mod, "calculator", calculator)
        monkeypatch.setattr(relax_mod, "relax_one", relax_one)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The tiny workflow run once (relaxations in this process, workers: 0)."""
    run_dir = tmp_path_factory.mktemp("tiny")
    with pytest.MonkeyPatch.context() as mp:
        count = Counter(mp)
        stages = wf_mod.run(TINY, run_dir, progress=False, log=lambda text: None)
    return run_dir, stages, count


def _mtimes(run_dir):
    return {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()
            and p.name != wf_mod.STATE}


def test_first_run_outputs_physics(first_run):
    run_dir, stages, count = first_run
    assert stages == dict.fromkeys(wf_mod.STAGES, "ran")
    assert count.relaxations == 2 and count.calculators >= 2
    rows = wf_mod.read_ranking(run_dir / "ranking.csv")
    assert len(rows) == 2 and {r["isomer"] for r in rows} == {"a", "b"}
    energies = [r["energy_eV"] for r in rows]
    # GFN1 total energy of Au25(SH)18-: thousands of eV below zero, isomers within a few eV
    assert all(e < -1000 for e in energies) and abs(energies[0] - energies[1]) < 10
    assert rows[0]["rel_energy_eV"] == 0.0
    assert rows[1]["rel_energy_eV"] == pytest.approx(energies[1] - energies[0], abs=1e-5)
    assert all(0.1 < r["gap_eV"] < 5 for r in rows)            # a closed-shell 8e cluster
    assert all(r["status"] in ("converged", "not-converged") for r in rows)
    assert [r["survivor"] for r in rows] == ["yes", "no"]
    assert rows[1]["reason"] == "not in top 1"
    # the store holds both relaxations; its rows are the ranking's
    from clustergen.compute.store import rows as stored
    assert {r["cid"] for r in stored(str(run_dir / "results.db"))} == {r["cid"] for r in rows}


def test_first_run_dft_decks_and_report(first_run):
    run_dir, _, _ = first_run
    survivor = wf_mod.read_ranking(run_dir / "ranking.csv")[0]
    for code in ("orca", "cp2k"):
        manifest = json.loads((run_dir / "dft" / code / "manifest.json").read_text())
        assert [m["cid"] for m in manifest] == [survivor["cid"]]
        assert manifest[0]["charge"] == -1 and manifest[0]["multiplicity"] == 1
        assert manifest[0]["natoms"] == 25 + 18 * 2
        assert (run_dir / "dft" / code / manifest[0]["deck"]).exists()
        assert list((run_dir / "dft" / code).glob("run_*.slurm"))
    page = (run_dir / "report.html").read_text()
    assert page.count("<svg") >= 2                 # gap and relative-energy plots inlined
    assert "createViewer" in page                  # 3Dmol.js travels with the page
    assert "<script src" not in page and "cdn." not in page.lower()
    assert survivor["cid"] in page and "[Au25(SH)18]-" in page


def test_second_run_recomputes_nothing(first_run, monkeypatch):
    run_dir, _, _ = first_run
    before = _mtimes(run_dir)
    count = Counter(monkeypatch)
    stages = wf_mod.run(TINY, run_dir, progress=False, log=lambda text: None)
    assert stages == dict.fromkeys(wf_mod.STAGES, "reused")
    assert count.calculators == 0 and count.relaxations == 0
    assert _mtimes(run_dir) == before


def test_rank_change_reruns_rank_dft_report_only(first_run, monkeypatch, tmp_path):
    run_dir, _, _ = first_run
    count = Counter(monkeypatch)
    changed = TINY.replace("rank: {top: 1", "rank: {top: 2")
    stages = wf_mod.run(changed, run_dir, progress=False, log=lambda text: None)
    assert stages == {"build": "reused", "relax": "reused", "rank": "ran", "dft": "ran",
                      "report": "ran"}
    assert count.calculators == 0 and count.relaxations == 0
    rows = wf_mod.read_ranking(run_dir / "ranking.csv")
    assert [r["survivor"] for r in rows] == ["yes", "yes"]
    assert len(json.loads((run_dir / "dft" / "orca" / "manifest.json").read_text())) == 2
    # and back: the original ranking again, still without a calculation
    stages = wf_mod.run(TINY, run_dir, progress=False, log=lambda text: None)
    assert stages["relax"] == "reused" and stages["rank"] == "ran"
    assert len(json.loads((run_dir / "dft" / "orca" / "manifest.json").read_text())) == 1
    assert count.calculators == 0


def test_crash_resume_redoes_only_the_missing_relaxation(first_run, monkeypatch):
    """A run killed mid-relaxation: no stage state, one candidate never stored."""
    import ase.db

    run_dir, _, _ = first_run
    (run_dir / wf_mod.STATE).unlink()
    db = ase.db.connect(str(run_dir / "results.db"))
    lost = next(db.select(isomer="b"))
    db.delete([lost.id])
    count = Counter(monkeypatch)
    stages = wf_mod.run(TINY, run_dir, progress=False, log=lambda text: None)
    assert count.relaxations == 1                    # isomer b only; a comes from the store
    assert stages["relax"] == "ran"
    rows = wf_mod.read_ranking(run_dir / "ranking.csv")
    # same structure, same settings, same GFN1 energy as before the "crash"
    again = {r["cid"]: r["energy_eV"] for r in rows}
    assert again[lost.cid] == pytest.approx(lost.energy, abs=1e-6)


# ---------------------------------------------------------------- ranking rules

def _cand(cid, formula, energy, gap, status="converged"):
    return Atoms("Au2", positions=[[0, 0, 0], [2.6, 0, 0]],
                 info=dict(cid=cid, formula=formula, energy=energy, gap=gap, status=status,
                           isomer=cid))


RULES = {"top": 1, "gap": None, "energy_window": None, "topology_kept": True,
         "converged_only": True}


def test_rank_filters_and_relative_energies():
    cands = [_cand("a", "Au28(SH)20", -10.0, 1.2, "topology-changed"),
             _cand("b", "Au28(SH)20", -9.5, 0.2),
             _cand("c", "Au28(SH)20", -9.0, 1.0),
             _cand("d", "Au28(SH)20", None, None, "failed:SCF"),
             _cand("e", "Au36(SH)24", -20.0, 0.9, "not-converged"),
             _cand("f", "Au36(SH)24", -19.0, 0.9)]
    rows = {r["cid"]: r for r in wf_mod.rank(cands, dict(RULES, gap=[0.5, None]))}
    # relative energies within each formula, against its lowest relaxed candidate
    assert rows["b"]["rel_energy_eV"] == pytest.approx(0.5)
    assert rows["f"]["rel_energy_eV"] == pytest.approx(1.0)
    assert rows["d"]["rel_energy_eV"] is None
    assert {c for c, r in rows.items() if r["survivor"] == "yes"} == {"c", "f"}
    assert rows["a"]["reason"] == "topology-changed"
    cands[0].info["topology"] = "motif inventory bridging:8,dimer:4 -> dimer:4,trimer:2"
    told = {r["cid"]: r for r in wf_mod.rank(cands, RULES)}
    assert told["a"]["reason"] == f"topology-changed ({cands[0].info['topology']})"
    assert "topology" not in told["a"]
    assert rows["b"]["reason"] == "gap < 0.5 eV"
    loose = {r["cid"]: r for r in wf_mod.rank(cands, dict(RULES, topology_kept=False,
                                                          converged_only=False, top=None,
                                                          energy_window=0.6))}
    assert {c for c, r in loose.items() if r["survivor"] == "yes"} == {"a", "b", "e"}
    assert loose["c"]["reason"] == "> 0.6 eV above lowest"


def test_ranking_csv_round_trip(tmp_path):
    rows = wf_mod.rank([_cand("a", "Au28(SH)20", -10.0, 1.2), _cand("b", "Au28(SH)20", -9.0,
                                                                     1.3)], RULES)
    wf_mod.write_ranking(rows, tmp_path / "r.csv")
    back = wf_mod.read_ranking(tmp_path / "r.csv")
    assert [r["cid"] for r in back] == ["a", "b"]
    assert np.allclose([r["rel_energy_eV"] for r in back], [0.0, 1.0])
    header = (tmp_path / "r.csv").read_text().splitlines()[0].split(",")
    for column in ("cid", "formula", "family", "isomer", "energy_eV", "rel_energy_eV",
                   "gap_eV", "status", "survivor"):
        assert column in header


# ---------------------------------------------------------------- validation

def _cli(argv, capsys, monkeypatch):
    status = cli.main(argv)
    return status, capsys.readouterr().err


BAD = [
    ("build: {family: double-helix}\nrelx: {}", "unknown stage 'relx'"),
    ("build: {family: double-helix, upto: 36}\nrelax: {fmx: 0.1}", "relax: unknown key 'fmx'"),
    ("build: {family: double-helix, upto: 36}\nrelax: {fmax: fast}",
     "relax.fmax: expected integer or number, got 'fast'"),
    ("build: {family: double-helix, upto: 36}\nrelax: {steps: true}", "relax.steps"),
    ("build: {family: triple-helix}", "unknown family 'triple-helix'"),
    ("build: {formulas: ['Au7(SR)40']}", "Au7(SR)40"),
    ("build: {formulas: ['[Au25(SR)18]-'], ligand: SXYZ}", "unknown ligand 'SXYZ'"),
    ("build: {formulas: ['[Au25(SR)18]-'], isomers: many}", "build.isomers"),
    ("build: {formulas: ['[Au25(SR)18]-'], sulfur: c3}",
     "build.sulfur: unknown S-configuration pattern 'c3'"),
    ("build: {formulas: ['[Au25(SR)18]-'], sulfur: 2}", "build.sulfur: expected text"),
    ("build: {formulas: ['[Au25(SR)18]-']}\ndft: {codes: [turbomole]}", "dft.codes"),
    ("build: {formulas: ['[Au25(SR)18]-']}\ndft: {codes: [orca], settings: {functional: XYZ}}",
     "dft (orca): unknown functional 'XYZ'"),
    ("build: {formulas: ['[Au25(SR)18]-']}\nrank: {gap: [2.0, 1.0]}", "rank.gap"),
    ("build: {formulas: ['[Au25(SR)18]-']}\nrelax: {method: GFN3-xTB}", "relax.method"),
    ("build: [1, 2", "not valid YAML"),
    ("relax: {}", "no 'build' stage"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_workflow_exit_2_names_the_key(text, message, tmp_path, capsys, monkeypatch):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    status, err = _cli(["run", str(path), "-o", str(tmp_path / "run")], capsys, monkeypatch)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()          # nothing started


def test_missing_file_and_check(tmp_path, capsys, monkeypatch):
    status, err = _cli(["run", str(tmp_path / "none.yaml"), "-o", str(tmp_path)], capsys,
                       monkeypatch)
    assert status == 2 and "no such workflow file" in err
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for name in ("predict-au60.yaml", "face-sharing-series.yaml"):
        status = cli.main(["run", os.path.join(root, "workflows", name), "-o",
                           str(tmp_path / "x"), "--check"])
        assert status == 0
    wf = wf_mod.load(os.path.join(root, "workflows", "predict-au60.yaml"))
    assert wf["build"]["formulas"][-1] == "Au60(SR)36" and wf["build"]["ligand"] == "SH"
    assert wf["dft"]["codes"] == ["orca", "cp2k"]


def test_load_rejects_build_without_members():
    with pytest.raises(ClusterGenError, match="either 'family'"):
        wf_mod.load({"build": {"ligand": "SH"}})
    with pytest.raises(ClusterGenError, match="below the first member"):
        wf_mod.load({"build": {"family": "double-helix", "upto": 20}})
