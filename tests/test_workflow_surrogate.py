"""Workflow surrogate and DFT-in-the-loop pieces on their own: the new keys' validation,
predictions kept apart from computed rows in the store, the rank stage's surrogate
errors, and the refine stage with real CP2K single points on tiny candidates (the
pattern of tests/test_refine.py: AuH and [Au2]- relaxed with GFN1 first)."""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from clustergen import cli
from clustergen import workflow as wf_mod
from clustergen.compute import store
from clustergen.core.errors import ClusterGenError
from clustergen.rank import levels, stored
from clustergen.rank.data import rows_from_store
from clustergen.workflow import runner

BUILD = "build: {formulas: ['[Au25(SR)18]-'], ligand: SH}\n"
RANK = "rank: {top: 1}\n"

BAD = [
    (BUILD + "learn: {target: homo}", "learn.target: unknown 'homo' (known: energy, gap)"),
    (BUILD + "learn: {budget: 0}", "learn.budget: must be >= 1, got 0"),
    (BUILD + "learn: {budgit: 3}", "learn: unknown key 'budgit'"),
    (BUILD + "learn: {acquisition: greedy}", "learn.acquisition: unknown 'greedy'"),
    (BUILD + "learn: {batch: 0}", "learn.batch: must be >= 1"),
    ("build: {family: double-helix, upto: 36}\nlearn: {budget: 4}",
     "learn.target: energy needs candidates of one formula; build has 2"),
    (BUILD + "refine: {code: cp2k}", "refine: needs a rank stage"),
    (BUILD + RANK + "refine: {code: orca}", "refine: refine runs cp2k or pyscf, not 'orca'"),
    (BUILD + RANK + "refine: {top: 0}", "refine.top: must be >= 1, got 0"),
    (BUILD + RANK + "refine: {code: pyscf, basis: def2-XYZ}", "refine: "),
    (BUILD + RANK + "refine: {code: cp2k, density_fit: true}",
     "refine.density_fit: applies to code pyscf only"),
    (BUILD + "rank: {by: magic}", "rank.by: unknown 'magic' (known: energy, surrogate)"),
    (BUILD + "rank: {by: surrogate, target: homo}", "rank.target: unknown 'homo'"),
    (BUILD + "rank: {target: gap}", "rank.target: only with by: surrogate"),
    (BUILD + "rank: {by: surrogate, target: rel_energy, model: dft-gap}",
     "rank.model: dft-gap predicts gaps"),
    (BUILD + "rank: {by: surrogate, model: none.model}", "rank.model: no model file"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_sections_exit_2_with_one_line(text, message, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    status = cli.main(["run", str(path), "-o", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_defaults_and_keys():
    wf = wf_mod.load(BUILD + "learn:\n" + RANK + "refine: {code: pyscf, workers: 2}")
    assert wf["learn"] == {"budget": 24, "target": "energy", "acquisition": "lcb",
                           "batch": 1, "seed": 0, "settle": True}
    assert wf_mod.load(BUILD + "learn: {target: gap}")["learn"]["acquisition"] == "ucb"
    assert wf["refine"]["code"] == "pyscf" and wf["refine"]["top"] is None
    relax_stage, rank_stage = runner.TABLE[1], runner.TABLE[2]
    # a workflow without the new keys hashes exactly what it did before them
    plain = wf_mod.load(BUILD)
    assert set(runner.hashed_settings(rank_stage, plain)) == {
        "top", "gap", "energy_window", "topology_kept", "converged_only"}
    assert "learn" not in runner.hashed_settings(relax_stage, plain)
    assert runner.hashed_settings(relax_stage, wf)["learn"]["budget"] == 24
    # how DFT jobs run is not what they compute: workers leave the key alone
    key = runner.hashed_settings(rank_stage, wf)
    other = wf_mod.load(BUILD + RANK + "refine: {code: pyscf, workers: 1}")
    assert runner.hashed_settings(rank_stage, other) == key
    basis = wf_mod.load(BUILD + RANK + "refine: {code: pyscf, basis: def2-TZVP}")
    assert runner.hashed_settings(rank_stage, basis) != key


# ---------------------------------------------------------------- the store

def _au2(k):
    a = Atoms("Au2", positions=[[0, 0, 0], [2.5 + 0.01 * k, 0, 0]],
              info={"formula": "Au2", "charge": 0, "isomer": f"i{k}"})
    return a


def _store(path, energies):
    db = store.connect(str(path))
    for k, e in enumerate(energies):
        a = _au2(k)
        a.calc = SinglePointCalculator(a, energy=e, forces=np.zeros((2, 3)))
        store.write_result(db, a, {"cid": f"c{k}", "status": "converged", "gap": 1.0 + 0.1 * k})
    return str(path)


def test_predictions_are_never_ranked_or_learned_as_computed(tmp_path):
    db = _store(tmp_path / "r.db", [-10.0, -10.2, -10.1])
    guesses = [_au2(k) for k in (3, 4)]
    for k, a in zip((3, 4), guesses):
        a.info["cid"] = f"c{k}"
    # predicted lower than anything computed: must still not come first anywhere
    assert stored.write_predictions(db, guesses, "energy", [-11.0, -12.0], [0.1, 0.2]) == 2
    assert [r["cid"] for r in levels.ranking(store.rows(db), "best")] == ["c1", "c2", "c0"]
    assert {r["id"] for r in rows_from_store(db, "gap")} == {"c0", "c1", "c2"}
    assert set(store.stored_status(db)) == {"c0", "c1", "c2"}
    rows = {r["cid"]: r for r in stored.prediction_rows(db)}
    assert rows["c4"]["predicted"] == -12.0 and rows["c4"]["std"] == 0.2
    assert rows["c4"].get("energy") is None               # never under `energy`
    # written again: replaced, not doubled; dropped: gone
    stored.write_predictions(db, guesses[:1], "energy", [-10.5], [0.05])
    assert len(stored.prediction_rows(db)) == 2
    assert stored.prediction_rows(db, ["c3"])[0]["predicted"] == -10.5
    assert stored.drop_predictions(db, ["c3", "c4"]) == 2 and not stored.has_predictions(db)


def test_rank_by_surrogate_with_too_few_rows_names_the_stage(tmp_path):
    from clustergen.workflow.stages import rank

    _store(tmp_path / "results.db", [-10.0, -10.2])
    relaxed = store.read_relaxed(str(tmp_path / "results.db"))
    wf = wf_mod.load(BUILD + "rank: {by: surrogate, target: gap}")
    with pytest.raises(ClusterGenError, match=r"^rank \(by surrogate\): 2 usable gap "
                                              r"value\(s\); a surrogate needs at least 5$"):
        rank.ranked(wf, {"relaxed": relaxed}, tmp_path)


# ---------------------------------------------------------------- refine (real CP2K)

needs_cp2k = pytest.mark.skipif(
    __import__("shutil").which("cp2k") is None and
    __import__("shutil").which("cp2k.psmp") is None, reason="CP2K not installed")
TINY_CP2K = {"code": "cp2k", "cutoff": 150.0, "vacuum": 3.0, "basis": "SZV-MOLOPT-SR-GTH",
             "dispersion": "none", "workers": 0}


@needs_cp2k
def test_refine_stage_ranks_survivors_at_the_dft_level(tmp_path, capsys):
    from clustergen.compute.relax import relax
    from clustergen.workflow.stages import rank, refine

    db = str(tmp_path / "results.db")
    cands = [Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.55]],
                   info={"charge": 0, "formula": "AuH", "isomer": "a"}),
             Atoms("Au2", positions=[[0, 0, 0], [2.55, 0, 0]],
                   info={"charge": -1, "formula": "[Au2]-", "isomer": "a"})]
    relaxed = relax(cands, db=db, workers=0, progress=False)
    wf = wf_mod.load(BUILD + RANK + "refine: " + str(TINY_CP2K).replace("'", ""))
    rows = rank.rank(relaxed, wf["rank"])
    out, cids = refine.refine_rows(rows, relaxed, wf["refine"], db, "GFN1-xTB",
                                   progress=False)
    assert set(cids) == {a.info["cid"] for a in relaxed}
    dft = {r["cid"]: r for r in store.level_rows(db)}
    for r in out:
        assert r["level"] == "PBE/SZV-MOLOPT-SR (CP2K, 150 Ry, FD 300 K)"  # cutoff, smearing
        assert r["level_energy_eV"] == pytest.approx(dft[r["cid"]]["energy"])
        assert r["level_rel_energy_eV"] == 0.0      # one candidate per formula
        assert r["level_gap_eV"] == pytest.approx(dft[r["cid"]]["gap"])
    # GTH valence energies (eV): AuH a bit below one Au (~ -890), [Au2]- about twice that
    energy = {r["formula"]: r["level_energy_eV"] for r in out}
    assert -950 < energy["AuH"] < -880 and 2 * -950 < energy["[Au2]-"] < 2 * -880
    capsys.readouterr()
    # the whole rank stage again (as a rerun does): no DFT job runs twice
    again, columns = rank.ranked(wf, {"relaxed": relaxed}, tmp_path, progress=False)
    assert "0 job(s) to run, 2 already stored" in capsys.readouterr().err
    assert len(store.level_rows(db)) == 2
    assert columns == wf_mod.RANKING_COLUMNS + refine.COLUMNS
    assert [(r["cid"], r["level_energy_eV"]) for r in again] == \
        [(r["cid"], r["level_energy_eV"]) for r in out]


# ---------------------------------------------------------------- dopants --learn

def test_dopants_learn_stores_predictions_linked_by_candidate_id(tmp_path, capsys):
    """Two Cu in an Au13- icosahedron (4 configurations), GFN1 single points: 3 computed,
    1 predicted and stored; relaxing everything later computes exactly the predicted one,
    under the id the prediction was stored with, and drops the prediction."""
    from ase.cluster import Icosahedron

    from clustergen.core.model import write_candidates

    host = Icosahedron("Au", 2)
    host.info.update(charge=-1, multiplicity=1)
    path, db = str(tmp_path / "au13.extxyz"), str(tmp_path / "d.db")
    write_candidates(path, [host])
    common = [path, "--dopant", "Cu", "--count", "2", "--workers", "0", "--steps", "0",
              "--db", db, "--no-progress", "--format", "csv"]
    assert cli.main(["dopants"] + common + ["--learn", "--budget", "3"]) == 0
    capsys.readouterr()
    kept = stored.prediction_rows(db)
    assert len(kept) == 1 and kept[0]["std"] > 0 and len(store.stored_status(db)) == 3
    assert kept[0]["cid"] not in store.stored_status(db)
    assert cli.main(["results", "--db", db, "--format", "csv"]) == 0
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sorted(r["source"] for r in table) == ["computed"] * 3 + ["predicted"]
    guess = next(r for r in table if r["source"] == "predicted")
    assert guess["cid"] == kept[0]["cid"] and float(guess["std"]) > 0 and not guess["energy"]
    assert cli.main(["dopants"] + common + ["--relax"]) == 0
    assert set(store.stored_status(db)) == {r["cid"] for r in store.rows(db)}
    assert kept[0]["cid"] in store.stored_status(db) and not stored.has_predictions(db)


def test_report_table_names_source_and_level(tmp_path):
    from clustergen.workflow.stages.report import HEAD, columns, write_report

    base = dict(formula="AuH", n_metal=1, known="", steps=3, isomer="a", reason="",
                status="converged", gap_eV=1.0, level_energy_eV=None)
    rows = [dict(base, cid="a", energy_eV=-10.0, rel_energy_eV=0.0, survivor="yes",
                 source="computed", std_eV=None, level="PBE/SZV-MOLOPT-SR (CP2K)",
                 level_rel_energy_eV=0.0, level_gap_eV=2.1),
            dict(base, cid="b", energy_eV=-9.9, rel_energy_eV=0.1, survivor="no",
                 status="predicted", gap_eV=None, source="predicted", std_eV=0.05,
                 level="predicted", level_rel_energy_eV=None, level_gap_eV=None)]
    keys, head = columns(rows)
    assert head[:len(HEAD)] == HEAD and "predicted_gap" not in keys
    assert head[len(HEAD):] == ("source", "std (eV)", "level", "ΔE at level (eV)",
                                "gap at level (eV)")
    page = write_report(rows, [], tmp_path / "report.html").read_text()
    assert "<th>level</th>" in page and "<td>PBE/SZV-MOLOPT-SR (CP2K)</td>" in page
    assert "<td>&#177;0.050</td>" in page and "1 candidate(s) were" in page
    assert columns([{k: v for k, v in rows[0].items() if k not in dict.fromkeys(
        ("source", "std_eV", "level", "level_rel_energy_eV", "level_gap_eV"))}])[1] == HEAD


def test_rank_by_shipped_dft_gap_model(tmp_path):
    """The built [Au25(SCH3)18]- ranked with model: dft-gap (one GFN1 single point of
    its framework): the DFT HOMO-LUMO gap of [Au25(PET)18]- is 1.20 eV (NC_Database);
    the model's held-out error is about 0.05 eV.  A Cu-doped cluster is refused in one
    line naming the stage (the model never saw Cu)."""
    from clustergen.workflow.stages import rank

    text = ("build: {formulas: ['[Au25(SR)18]-'], ligand: SCH3, isomers: 1}\n"
            "rank: {by: surrogate, target: gap, model: dft-gap}")
    wf = wf_mod.load(text)
    cands = wf_mod.build_candidates(wf["build"])
    for k, a in enumerate(cands):
        a.info.update(cid=f"c{k}", energy=-1.0, gap=1.0, status="converged")
    rows, columns = rank.ranked(wf, {"relaxed": cands}, tmp_path)
    assert columns[-3:] == ("predicted_gap", "predicted_std", "predicted_level")
    assert rows[0]["predicted_level"] == "DFT (NC_Database)" and rows[0]["survivor"] == "yes"
    assert 1.0 < rows[0]["predicted_gap"] < 1.4 and 0 < rows[0]["predicted_std"] < 0.2
    doped = [c.copy() for c in cands]
    doped[0][1].symbol = "Cu"
    with pytest.raises(ClusterGenError, match=r"^rank \(by surrogate\): .*Cu never seen"):
        rank.ranked(wf, {"relaxed": doped}, tmp_path)


def test_shipped_example_checks(capsys):
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "workflows", "screen-cu3-learn.yaml")
    assert cli.main(["run", path, "-o", os.path.join(root, "runs", "never"), "--check"]) == 0
    out = capsys.readouterr().out
    assert '"budget": 24' in out and out.splitlines()[-1].startswith("learn: ")
    wf = wf_mod.load(path)
    assert wf["build"]["dope"] == {"element": "Cu", "count": 3}
    assert wf["rank"]["by"] == "surrogate" and wf["refine"] is None
    cands = wf_mod.build_candidates(wf["build"])
    # 3 Cu on the 25 Au sites of the built Th framework: 120 distinct configurations
    assert len(cands) == 120 and {c.info["formula"] for c in cands} == {"[Cu3Au22(SH)18]-"}
