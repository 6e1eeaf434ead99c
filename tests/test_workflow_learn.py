"""Workflow with active learning and surrogate ranking: a tiny real GFN1-xTB run.

The pool is every symmetry-distinct way to put two Cu atoms in a built [Au25(SH)18]-
(20 configurations); ``relax.steps: 0`` makes each "relaxation" one GFN1 single point
(about a second each here, under load), so the learn stage evaluates 6 of the 20 and
the surrogate predicts the other 14.
"""

import numpy as np
import pytest
from test_workflow import Counter, _mtimes

from clustergen import cli
from clustergen import workflow as wf_mod
from clustergen.compute import store
from clustergen.rank import stored

LEARN = """
name: tiny-learn
build: {formulas: ["[Au25(SR)18]-"], ligand: SH, isomers: 1, dope: {element: Cu, count: 2}}
relax: {fmax: 0.3, steps: 0, workers: 0}
learn: {budget: 6, batch: 2}
rank: {top: 1, converged_only: false, by: surrogate, target: gap}
report: {title: "tiny <learn>", show: all}
"""
POOL, BUDGET = 20, 6


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("learn")
    with pytest.MonkeyPatch.context() as mp:
        count = Counter(mp)
        stages = wf_mod.run(LEARN, run_dir, progress=False, log=lambda text: None)
    return run_dir, stages, count


def _rows(run_dir):
    return wf_mod.read_ranking(run_dir / "ranking.csv")


def test_learn_relaxes_at_most_the_budget_and_predicts_the_rest(learned):
    run_dir, stages, count = learned
    assert stages == dict.fromkeys(wf_mod.STAGES, "ran") | {"dft": "skipped"}
    rows = _rows(run_dir)
    computed = [r for r in rows if r["source"] == "computed"]
    predicted = [r for r in rows if r["source"] == "predicted"]
    assert len(rows) == POOL and count.relaxations == len(computed) <= BUDGET
    assert len(computed) + len(predicted) == POOL and len({r["cid"] for r in rows}) == POOL
    energies = [r["energy_eV"] for r in computed]
    # GFN1 total energy of [Cu2Au23(SH)18]-; isomers of one composition within ~1 eV
    assert all(e < -4000 for e in energies) and np.ptp(energies) < 1.0
    for r in predicted:
        assert r["std_eV"] > 0 and r["status"] == "predicted" and r["survivor"] == "no"
        assert r["gap_eV"] is None and r["steps"] is None
        assert min(energies) - 1.0 < r["energy_eV"] < max(energies) + 1.0
        assert r["rel_energy_eV"] == pytest.approx(r["energy_eV"] - min(energies), abs=1e-5)
    assert all(r["std_eV"] is None for r in computed)


def test_predictions_are_stored_apart_from_computed_rows(learned):
    run_dir, _, _ = learned
    db = str(run_dir / "results.db")
    rows = _rows(run_dir)
    by_source = {s: {r["cid"] for r in rows if r["source"] == s}
                 for s in ("computed", "predicted")}
    kept = stored.prediction_rows(db)
    assert {r["cid"] for r in kept} == by_source["predicted"]
    assert all(r["target"] == "energy" and r["std"] > 0 for r in kept)
    # the relaxer and the surrogate's training data see the computed rows only
    assert set(store.stored_status(db)) == by_source["computed"]
    assert {a.info["cid"] for a in store.read_relaxed(db)} == by_source["computed"]
    # the ids are those the relax stage gives the same candidates
    cands = wf_mod.build_candidates(wf_mod.load(LEARN)["build"])
    ids = set(wf_mod.candidate_ids(cands, wf_mod.load(LEARN)["relax"]))
    assert by_source["computed"] | by_source["predicted"] == ids


def test_predictions_hold_up_against_gfn1_on_unseen_candidates(learned):
    """The two most confident predictions against GFN1 single points never run by the
    workflow: within three standard deviations."""
    from clustergen.compute.relax import relax_one

    run_dir, _, _ = learned
    wf = wf_mod.load(LEARN)
    cands = wf_mod.build_candidates(wf["build"])
    by_cid = dict(zip(wf_mod.candidate_ids(cands, wf["relax"]), cands))
    best = sorted((r for r in _rows(run_dir) if r["source"] == "predicted"),
                  key=lambda r: r["std_eV"])[:2]
    for r in best:
        _, rec = relax_one(by_cid[r["cid"]], steps=0)
        assert abs(rec["energy"] - r["energy_eV"]) < 3 * r["std_eV"]


def test_rank_by_surrogate_writes_prediction_columns(learned):
    run_dir, _, _ = learned
    header = (run_dir / "ranking.csv").read_text().splitlines()[0].split(",")
    assert header[:len(wf_mod.RANKING_COLUMNS)] == list(wf_mod.RANKING_COLUMNS)
    for column in ("source", "std_eV", "predicted_gap", "predicted_std", "predicted_level"):
        assert column in header
    rows = _rows(run_dir)
    computed = [r for r in rows if r["source"] == "computed"]
    assert all(r["predicted_std"] > 0 and r["predicted_level"] == "GFN1-xTB" for r in rows)
    # trained on the computed gaps: it reproduces them within its uncertainty
    for r in computed:
        assert abs(r["predicted_gap"] - r["gap_eV"]) < 3 * r["predicted_std"] + 0.02
    survivors = [r for r in rows if r["survivor"] == "yes"]
    assert len(survivors) == 1 and survivors[0]["source"] == "computed"
    assert survivors[0]["predicted_gap"] == max(r["predicted_gap"] for r in computed)


def test_report_shows_parity_learning_curve_and_sources(learned):
    run_dir, _, _ = learned
    page = (run_dir / "report.html").read_text()
    for name in ("learn-parity", "learn-learning-curve", "rank-parity",
                 "rank-learning-curve"):
        png = (run_dir / f"{name}.png").read_bytes()
        assert png[:4] == b"\x89PNG" and len(png) > 5000
        assert f"({name}.png)" in page
    assert page.count('src="data:image/png;base64,') == 4
    assert "held-out MAE" in page and "cross-validation" in page
    assert "tiny &lt;learn&gt;" in page and "<learn>" not in page
    assert page.count("<td>computed</td>") == sum(r["source"] == "computed"
                                                  for r in _rows(run_dir))


def test_rerun_recomputes_nothing(learned, monkeypatch):
    run_dir, _, _ = learned
    before = _mtimes(run_dir)
    count = Counter(monkeypatch)
    stages = wf_mod.run(LEARN, run_dir, progress=False, log=lambda text: None)
    assert stages == dict.fromkeys(wf_mod.STAGES, "reused") | {"dft": "skipped"}
    assert count.calculators == 0 and count.relaxations == 0
    assert _mtimes(run_dir) == before


def test_results_cli_marks_computed_and_predicted(learned, capsys):
    run_dir, _, _ = learned
    assert cli.main(["results", "--db", str(run_dir / "results.db")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[-4:] == ["source", "target", "predicted", "std"]
    n_computed = sum(r["source"] == "computed" for r in _rows(run_dir))
    assert sum(" computed" in line for line in lines[1:]) == n_computed
    assert sum(" predicted " in line for line in lines[1:]) == POOL - n_computed


def test_killed_run_replays_the_search_without_redoing_finished_work(learned, monkeypatch):
    """No state, one relaxation lost: only that one is computed again, and the search
    (deterministic) ends with the same candidates computed."""
    import ase.db

    run_dir, _, _ = learned
    before = {r["cid"]: r for r in _rows(run_dir)}
    (run_dir / wf_mod.STATE).unlink()
    db = ase.db.connect(str(run_dir / "results.db"))
    lost = next(row for row in db.select() if "level" not in row)
    db.delete([lost.id])
    count = Counter(monkeypatch)
    stages = wf_mod.run(LEARN, run_dir, progress=False, log=lambda text: None)
    assert stages["relax"] == "ran" and count.relaxations == 1
    after = {r["cid"]: r for r in _rows(run_dir)}
    assert {c for c, r in after.items() if r["source"] == "computed"} == \
        {c for c, r in before.items() if r["source"] == "computed"}
    assert after[lost.cid]["energy_eV"] == pytest.approx(lost.energy, abs=1e-6)


def test_larger_budget_relaxes_only_new_picks_and_replaces_their_predictions(
        learned, monkeypatch):
    run_dir, _, _ = learned
    before = {r["cid"]: r for r in _rows(run_dir)}
    count = Counter(monkeypatch)
    stages = wf_mod.run(LEARN.replace("budget: 6", "budget: 8"), run_dir, progress=False,
                        log=lambda text: None)
    assert stages["relax"] == "ran" and stages["build"] == "reused"
    after = {r["cid"]: r for r in _rows(run_dir)}
    old = {c for c, r in before.items() if r["source"] == "computed"}
    new = {c for c, r in after.items() if r["source"] == "computed"}
    assert old < new and len(new) <= 8 and count.relaxations == len(new - old)
    # the newly computed were predicted before; now computed, with a real status
    assert all(before[c]["source"] == "predicted" for c in new - old)
    assert all(after[c]["status"] == "not-converged" for c in new)
    db = str(run_dir / "results.db")
    assert {r["cid"] for r in stored.prediction_rows(db)} == set(after) - new
