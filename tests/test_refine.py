"""DFT in the loop: real CP2K and PySCF single points on tiny candidates through
``clustergen refine``, results stored beside the GFN1 rows, ranking by level.

The candidates are AuH (closed shell) and Au2- (doublet: unrestricted) relaxed with GFN1
first, so refine reads them from the store exactly as a user's run would.  Settings are
small (CP2K SZV-MOLOPT-SR, 150 Ry, 3 A vacuum; PySCF def2-SVP) so each job is seconds.
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from ase import Atoms

from clustergen.cli import main
from clustergen.compute import store
from clustergen.core.errors import ClusterGenError
from clustergen.dft import parse
from clustergen.dft.refine import refine
from clustergen.dft.run import executable, run_job

CP2K = True
try:
    executable("cp2k")
except ClusterGenError:
    CP2K = False
needs_cp2k = pytest.mark.skipif(not CP2K, reason="CP2K not installed (apt-get install cp2k)")
pyscf = pytest.importorskip("pyscf")

TINY_CP2K = ["--cutoff", "150", "--vacuum", "3", "--basis", "SZV-MOLOPT-SR-GTH",
             "--dispersion", "none"]
TINY_PYSCF = ["--functional", "PBE", "--basis", "def2-SVP", "--dispersion", "none"]


def _candidates():
    auh = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.55]],
                info={"charge": 0, "formula": "AuH", "isomer": "a"})
    au2 = Atoms("Au2", positions=[[0, 0, 0], [2.55, 0, 0]],
                info={"charge": -1, "formula": "[Au2]-", "isomer": "a"})
    return [auh, au2]


@pytest.fixture(scope="module")
def gfn1_db(tmp_path_factory):
    """A results store with the two candidates relaxed by GFN1 (the first level)."""
    from clustergen.compute.relax import relax

    db = tmp_path_factory.mktemp("refine") / "gfn1.db"
    out = relax(_candidates(), db=str(db), workers=0, progress=False)
    assert [a.info["status"] for a in out] == ["converged", "converged"]
    return db


def _copy(db, tmp_path):
    target = tmp_path / "results.db"
    target.write_bytes(db.read_bytes())
    return str(target)


def test_parse_cp2k_failure_is_programs_message():
    text = """ *******************************************************************************
 * [ABORT]                                                                     *
 *  \\___/         Poisson solver for non cubic cells not yet implemented       *
 *    |                                                                        *
 *******************************************************************************
"""
    got = parse.cp2k_output(text)
    assert got["status"] == "failed:Poisson solver for non cubic cells not yet implemented"
    assert got["energy"] is None


@pytest.mark.parametrize("argv,message", [
    (["--code", "orca"], "refine runs cp2k or pyscf"),
    (["--code", "cp2k", "--task", "opt"], "single points"),
    (["--code", "cp2k", "--functional", "B3LYP"], "not offered for cp2k"),
    (["--code", "pyscf", "--basis", "def2-XYZ"], "unknown basis set"),
])
def test_bad_input_is_one_line_error(gfn1_db, tmp_path, capsys, argv, message):
    assert main(["refine", "--db", _copy(gfn1_db, tmp_path), "--no-progress"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_executable_and_charge(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClusterGenError, match="CP2K not found"):
        executable("cp2k")
    monkeypatch.undo()
    bare = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.55]], info={"cid": "x"})
    with pytest.raises(ClusterGenError, match="no charge"):
        refine([bare], db=str(tmp_path / "r.db"), code="pyscf", workers=0, progress=False)


def test_oversized_job_refused_before_it_runs(gfn1_db, tmp_path, capsys):
    db = _copy(gfn1_db, tmp_path)
    assert main(["refine", "--db", db, "--code", "cp2k", "--memory", "0.2", "--cutoff",
                 "2000", "--vacuum", "20", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "job refused before it starts" in captured.err
    assert "estimated" in captured.err  # the estimate was printed first
    assert store.level_rows(db) == []


def _level_rows_by_cid(db):
    return {r["cid"]: r for r in store.level_rows(db)}


@needs_cp2k
def test_cp2k_refine_end_to_end_and_ranking(gfn1_db, tmp_path, capsys):
    db = _copy(gfn1_db, tmp_path)
    assert main(["refine", "--db", db, "--top", "1", "--code", "cp2k", "--workers", "0",
                 "--no-progress"] + TINY_CP2K) == 0
    rows = _level_rows_by_cid(db)
    gfn1 = {r["cid"]: r for r in store.rows(db) if "level" not in r}
    assert set(rows) == set(gfn1)  # linked by the candidate id
    for cid, r in rows.items():
        assert r["status"] == "converged", r.get("message")
        # the level names the cutoff (--cutoff 150) and the default Fermi-Dirac smearing
        assert r["level"] == "PBE/SZV-MOLOPT-SR (CP2K, 150 Ry, FD 300 K)"
        assert r["version"].startswith("CP2K version")
        assert r["scf_iterations"] > 0 and r["wall"] > 0
        # what the program itself used, from the kernel (os.wait4): CP2K's data files alone
        # take more than 50 MB resident
        assert 0 < r["cpu"] < 600 and r["peak_mb"] > 50
        assert r["lumo"] > r["homo"] and r["gap"] == pytest.approx(r["lumo"] - r["homo"])
    # GTH valence energies (eV): Au(q11) atom ~ -890; AuH a bit below Au + H
    auh = next(r for r in rows.values() if r["cluster"] == "AuH")
    au2 = next(r for r in rows.values() if r["cluster"] == "[Au2]-")
    assert -950 < auh["energy"] < -880 and 2 * -950 < au2["energy"] < 2 * -880
    assert au2["multiplicity"] == 2  # odd electrons: UKS
    # smeared UKS keeps the doublet (alpha - beta fixed): the SOMO-to-LUMO gap, not the
    # zero a single Fermi level for both spins gave (measured 0.80 eV)
    assert 0.4 < au2["gap"] < 1.5
    conn = store.connect(db)
    row = next(conn.select(cid=au2["cid"], level=au2["level"]))
    assert len(row.data["mulliken"]) == 2 and sum(row.data["mulliken"]) == pytest.approx(-1, abs=1e-3)
    assert sum(row.data["hirshfeld"]) == pytest.approx(-1, abs=1e-2)
    base = next(r for r in conn.select(cid=au2["cid"]) if "level" not in r)
    assert np.allclose(row.positions, base.positions)  # DFT on the GFN1 geometry
    capsys.readouterr()
    assert main(["results", "--db", db]) == 0  # the plain table names the level as method
    assert capsys.readouterr().out.count("PBE/SZV-MOLOPT-SR (CP2K, 150 Ry, FD 300 K)") == 2
    assert main(["results", "--db", db, "--level", "best", "--format", "csv"]) == 0
    best = capsys.readouterr().out
    assert best.count("PBE/SZV-MOLOPT-SR (CP2K, 150 Ry, FD 300 K)") >= 2
    assert main(["results", "--db", db, "--level", "gfn1", "--format", "csv"]) == 0
    assert "GFN1-xTB" in capsys.readouterr().out
    # stored GFN1 rows are untouched and still what relax / dft --top read
    assert store.stored_status(db) == {c: "converged" for c in gfn1}


@needs_cp2k
def test_rerun_at_another_cutoff_is_a_new_level(gfn1_db, tmp_path):
    """Total energies at two cutoffs are not comparable: the second run must compute,
    not find the first run's rows 'already stored'."""
    db = _copy(gfn1_db, tmp_path)
    args = ["refine", "--db", db, "--top", "1", "--code", "cp2k", "--workers", "0",
            "--no-progress"]
    ot = TINY_CP2K + ["--smearing", "0"]  # OT, integer occupations: 3x faster here
    assert main(args + ot) == 0
    other = [("160" if a == "150" else a) for a in ot]
    assert main(args + other) == 0
    levels = {}
    for r in store.level_rows(db):
        assert r["status"] == "converged", r.get("message")
        levels.setdefault(r["cid"], {})[r["level"]] = r["energy"]
    assert len(levels) == 2
    for by_level in levels.values():
        assert set(by_level) == {"PBE/SZV-MOLOPT-SR (CP2K, 150 Ry)",
                                 "PBE/SZV-MOLOPT-SR (CP2K, 160 Ry)"}
        assert len(set(by_level.values())) == 2  # really computed twice


@needs_cp2k
def test_missing_dft_result_is_not_filled_from_gfn1(gfn1_db, tmp_path, monkeypatch):
    """A DFT run without a LUMO (gap None) stores no gap, not the candidate's GFN1 gap."""
    from clustergen.dft import refine as refine_mod
    from clustergen.dft.batch import read_top

    db = _copy(gfn1_db, tmp_path)
    cand = read_top(db, 1)[0]
    assert cand.info["gap"] > 0 and cand.info["lumo"] is not None  # the GFN1 values

    def no_lumo(atoms, **kwargs):
        return {"status": "converged", "energy": -1.0, "homo": -5.0, "lumo": None,
                "gap": None, "scf_iterations": 3, "wall": 1.0, "level": "PBE/x (CP2K)"}

    monkeypatch.setattr(refine_mod, "run_job", no_lumo)
    refine_mod.refine([cand], db=db, code="cp2k", workers=0, progress=False, cutoff=150)
    (row,) = store.level_rows(db)
    assert row["homo"] == -5.0 and "gap" not in row and "lumo" not in row


def test_cost_model_smeared_scf_fewer_steps_more_memory():
    """The measured trade-off on [PtAu24(SH)18]0 (docs/dft-handoff.md): diagonalisation +
    Broyden + smearing converged in 35 steps where OT had not in 57, and peaked at 4.4 GB
    (Broyden keeps densities on the grid) where OT peaked at 2.1 GB."""
    from ase.build import molecule

    from clustergen.dft import cost
    from clustergen.dft.run import refine_settings

    atoms = molecule("CH4")
    atoms.info["charge"] = 0
    ot = cost.estimate(atoms, refine_settings(atoms, "cp2k", cutoff=200, smearing=0))
    fd = cost.estimate(atoms, refine_settings(atoms, "cp2k", cutoff=200, smearing=300))
    assert ot["grid_points"] == fd["grid_points"]
    assert fd["cpu_hours"] < ot["cpu_hours"] and fd["memory_gb"] > ot["memory_gb"]


def test_pyscf_refine_and_not_converged_is_stored(gfn1_db, tmp_path):
    db = _copy(gfn1_db, tmp_path)
    assert main(["refine", "--db", db, "--code", "pyscf", "--workers", "0",
                 "--density-fit", "--no-progress"] + TINY_PYSCF) == 0
    rows = _level_rows_by_cid(db)
    assert len(rows) == 2
    for r in rows.values():
        assert r["status"] == "converged", r.get("message")
        assert r["level"] == "PBE/def2-SVP (PySCF, RI-J)"  # --density-fit
        assert r["version"].startswith("PySCF") and 0 < r["gap"] < 10
    # the same candidates, SCF capped at 2 cycles: stored as not-converged, with why
    from clustergen.dft.batch import read_top
    cands = read_top(db, 1)
    out = refine(cands, db=db, code="pyscf", workers=0, progress=False, functional="PBE",
                 basis="def2-SVP", dispersion="none", density_fit=False,
                 extra="mf.max_cycle = 2")
    assert {r["status"] for r in out} == {"not-converged"}
    assert all("not converged" in r["message"] for r in out)


@needs_cp2k
def test_failing_run_recorded_with_programs_message(gfn1_db, tmp_path):
    """CP2K stops on a deck it rejects: the row says failed, in CP2K's own words; the job
    directory is kept (even with clean) and a rerun without retry does not redo it."""
    from clustergen.dft.batch import read_top
    db = _copy(gfn1_db, tmp_path)
    cands = read_top(db, 1)[:1]
    kwargs = dict(db=db, code="cp2k", workers=0, progress=False, cutoff=150, vacuum=3,
                  basis="SZV-MOLOPT-SR-GTH", dispersion="none", clean=True,
                  extra="&NOSUCH\n&END NOSUCH")
    out = refine(cands, **kwargs)
    assert out[0]["status"] == "failed:unknown subsection NOSUCH of section __ROOT__"
    assert out[0]["energy"] is None
    assert any((tmp_path / "results.db.dft").glob("*/*/cp2k.out"))
    again = refine(cands, **kwargs)
    assert [r["wall"] for r in again] == [out[0]["wall"]]  # stored failure, not rerun


def test_timeout_is_a_stored_failure(gfn1_db, tmp_path):
    from clustergen.dft.batch import read_top
    db = _copy(gfn1_db, tmp_path)
    out = refine(read_top(db, 1)[:1], db=db, code="pyscf", workers=0, progress=False,
                 dispersion="none", timeout=0.01)
    assert out[0]["status"] == "failed:timeout after 0.01 s"


@needs_cp2k
def test_killed_run_resumes_without_redoing_finished_jobs(gfn1_db, tmp_path):
    db = _copy(gfn1_db, tmp_path)
    cmd = [sys.executable, "-m", "clustergen", "refine", "--db", db, "--code", "cp2k",
           "--workers", "0", "--no-progress", "--clean"] + TINY_CP2K
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, start_new_session=True, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline and not store.level_rows(db) and proc.poll() is None:
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the running CP2K
    proc.wait()
    first = store.level_rows(db)
    assert len(first) == 1, "kill came too late or too early"
    done_cid = first[0]["cid"]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "1 job(s) to run, 1 already stored" in run.stderr
    rows = store.level_rows(db)
    assert len(rows) == 2 and {r["status"] for r in rows} == {"converged"}
    # the finished job was not redone: same row, same wall time
    again = next(r for r in rows if r["cid"] == done_cid)
    assert again["wall"] == first[0]["wall"]
    # --clean removed converged jobs' directories
    assert not any(p.is_dir() for p in (tmp_path / "results.db.dft").glob("*/*"))


def test_run_job_sets_threads_explicitly(tmp_path):
    au = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.55]], info={"charge": 0})
    deck_dir = tmp_path / "job"
    rec = run_job(au, "pyscf", directory=deck_dir, threads=1, dispersion="none",
                  extra="import os; print('THREADS', os.environ['OMP_NUM_THREADS'])")
    assert rec["status"] == "converged", rec["message"]
    assert "THREADS 1" in (deck_dir / "stdout.txt").read_text()


# The site class DFT prefers for one dopant in [MAu24(SR)18]0: Pd and Pt at the centre,
# Cd and Hg in the icosahedral shell (the priors of templates/dopants.yaml, whose DFT
# geometries GFN1 single points reproduce for only one of the four).
DFT_SITE = {"Pd": "centre", "Pt": "centre", "Cd": "kernel-surface", "Hg": "kernel-surface"}


@pytest.mark.slow
@needs_cp2k
@pytest.mark.parametrize("dopant", sorted(DFT_SITE))
def test_dopant_site_class_at_dft_level(dopant, tmp_path):
    """GFN1 screening of one dopant in [Au25(SH)18]0, then CP2K single points on the
    lowest configuration of every site class; the DFT ranking picks the class DFT
    geometries show.  Cost (measured, docs/dft-handoff.md): one CP2K single point on a
    61-atom [MAu24(SH)18] is tens of CPU-minutes and ~6 GB; run it on a cluster."""
    from clustergen.compute.store import rows
    from clustergen.generation.generate import build
    from clustergen.rank.levels import ranking
    from clustergen.screen.dopants import enumerate_dopings, relax_configurations

    host = build("[Au25(SR)18]0", ligand="SH", isomers=1)[0]
    configs = enumerate_dopings(host, dopant, 1)
    db = str(tmp_path / "dopant.db")
    relaxed = [a for a in relax_configurations(configs, db=db, workers=None, progress=False)
               if a is not None and a.info["status"] == "converged"]
    lowest = {}
    for a in sorted(relaxed, key=lambda a: a.info["energy"]):
        lowest.setdefault(a.info["site_class"], a)
    assert {"centre", "kernel-surface"} <= set(lowest)
    out = refine(list(lowest.values()), db=db, code="cp2k", progress=False)
    assert {r["status"] for r in out} == {"converged"}, [r["message"] for r in out]
    table = ranking([r for r in rows(db) if r["cid"] in {a.info["cid"] for a in
                                                          lowest.values()}], "best")
    assert table[0]["level"].endswith("(CP2K, 300 Ry, FD 300 K)")  # cutoff, smearing
    assert table[0]["site_class"] == DFT_SITE[dopant]


def test_job_bigger_than_scheduler_workers_is_refused(gfn1_db, tmp_path):
    """The Dask workers state memory_limit 100 MB; the tiny CP2K job needs ~0.3 GB."""
    from dask.distributed import LocalCluster

    from clustergen.dft.batch import read_top
    db = _copy(gfn1_db, tmp_path)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      memory_limit="100MB", dashboard_address=None) as cluster:
        with pytest.raises(ClusterGenError, match=r"scheduler's workers .* job refused"):
            refine(read_top(db, 1), db=db, code="cp2k", progress=False,
                   scheduler=cluster.scheduler_address, cutoff=150, vacuum=3,
                   basis="SZV-MOLOPT-SR-GTH", dispersion="none")
    assert store.level_rows(db) == []
