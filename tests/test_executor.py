"""Dask execution: 2-worker LocalCluster, a worker killed mid-task, a run killed and resumed."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import cloudpickle
import pytest

from clustergen.compute import executor
from clustergen.compute import store
from clustergen.core.model import write_candidates
from relax_toys import au2_sh2, au4_sh4, au_sch3_2, rattled

# Functions of this test module must reach the spawned workers by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_serial_run_reports_results_and_errors_once_each():
    got, errors = [], []
    tasks = {"a": ((2, 3), {}), "b": ((0, -1), {}), "c": ((3, 2), {})}
    executor.run(pow, tasks, lambda k, v: got.append((k, v)),
                 on_error=lambda k, why: errors.append((k, why)), workers=0, progress=False)
    assert got == [("a", 8), ("c", 9)]
    assert errors == [("b", "ZeroDivisionError: 0.0 cannot be raised to a negative power")]


def test_worker_environment_is_single_threaded_with_openblas(monkeypatch):
    env = executor.worker_environ()
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"
    lib = executor.openblas_path()
    assert (lib in env.get("LD_PRELOAD", "")) if lib else "LD_PRELOAD" not in env
    monkeypatch.setenv("CLUSTERGEN_OPENBLAS", "none")     # the fallback path
    assert "LD_PRELOAD" not in executor.worker_environ()
    assert "reference BLAS" in executor.blas_notice()


def test_local_cluster_with_two_workers(tmp_path):
    from clustergen.compute.relax import relax

    cands = [au_sch3_2(), au2_sh2(), au4_sh4(), rattled(au4_sh4(), 1)]
    out = relax(cands, db=tmp_path / "r.db", workers=2, progress=False)
    assert [a.info["status"] for a in out] == ["converged"] * 4
    assert len({a.info["worker"] for a in out}) == 2          # both workers took work
    expect = "openblas" if executor.openblas_path() else "reference"
    assert {a.info["blas"] for a in out} == {expect}          # fast path reached (or not)
    # same minimum as in-process, whatever the BLAS
    serial = relax(cands[:1], db=tmp_path / "s.db", workers=0, progress=False)
    assert out[0].info["energy"] == pytest.approx(serial[0].info["energy"], abs=1e-4)


def _sleepy(marker, value):
    """First call: leave our pid in ``marker`` and hang; any later call returns at once."""
    if not os.path.exists(marker):
        with open(marker + ".tmp", "w") as fh:
            fh.write(str(os.getpid()))
        os.replace(marker + ".tmp", marker)
        time.sleep(120)
    return value, os.getpid()


def test_killed_worker_task_is_retried_not_lost_or_duplicated(tmp_path):
    marker = str(tmp_path / "pid")

    def killer():
        for _ in range(600):
            if os.path.exists(marker):
                os.kill(int(open(marker).read()), signal.SIGKILL)  # the worker we started
                return
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    got = []
    tasks = {"slow": ((marker, 1), {}), "quick": ((marker + "-q", 2), {})}
    open(marker + "-q", "w").close()                   # "quick" never hangs
    t = time.perf_counter()
    executor.run(_sleepy, tasks, lambda k, v: got.append((k, v)), workers=2, progress=False)
    thread.join(5)
    assert sorted(k for k, _ in got) == ["quick", "slow"]   # each exactly once
    slow_pid = dict(got)["slow"][1]
    assert slow_pid != int(open(marker).read())             # finished by another process
    assert time.perf_counter() - t < 100                    # did not wait out the sleep


def test_run_killed_with_sigkill_resumes_and_finishes_each_once(tmp_path):
    cands = [rattled(au4_sh4(), seed) for seed in range(6)] + [au2_sh2(), au_sch3_2()]
    src, db = tmp_path / "c.extxyz", tmp_path / "r.db"
    write_candidates(src, cands)
    cmd = [sys.executable, "-m", "clustergen", "relax", str(src), "--db", str(db),
           "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            try:
                if os.path.exists(db) and store.stored_status(str(db)):
                    break
            except sqlite3.OperationalError:   # caught between file and table creation
                pass
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)   # the run and its Dask workers, at once
    finally:
        proc.wait(10)
    first = {r.cid: (r.id, r.mtime) for r in store.connect(str(db)).select()}
    assert 1 <= len(first) < len(cands), "the kill should land mid-run"
    from clustergen.cli import main

    assert main(["relax", str(src), "--db", str(db), "--workers", "0", "--no-progress"]) == 0
    rows = list(store.connect(str(db)).select())
    cids = [r.cid for r in rows]
    assert len(cids) == len(set(cids)) == len(cands)           # every candidate, once
    assert all(r.status == "converged" for r in rows)
    for r in rows:                                             # finished rows untouched
        if r.cid in first:
            assert (r.id, r.mtime) == first[r.cid]


def test_existing_scheduler_by_address(tmp_path):
    """--scheduler: the tasks go to a cluster someone else started."""
    from dask.distributed import LocalCluster

    from clustergen.compute.relax import relax

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0") as cluster:
        out = relax([au2_sh2()], db=tmp_path / "r.db", scheduler=cluster.scheduler_address,
                    progress=False)
        worker_pids = {w.pid for w in cluster.workers.values() if hasattr(w, "pid")}
    assert out[0].info["status"] == "converged"
    if worker_pids:
        assert int(out[0].info["worker"].split(":")[1]) in worker_pids


def test_progress_bar_shows_done_total_and_eta(capsys):
    executor.run(pow, {"a": ((2, 3), {}), "b": ((3, 2), {})}, lambda k, v: None,
                 workers=0, progress=True, desc="relax")
    err = capsys.readouterr().err
    assert "relax: 100%" in err and "2/2" in err
    assert "<00:00" in err                     # tqdm's [elapsed<remaining] ETA field


def test_a_dft_or_predicted_row_does_not_count_as_the_relaxation(tmp_path):
    """Rows of another level (DFT results, surrogate predictions) share the candidate id
    with its relaxation; a run must still relax the candidate."""
    from ase import Atoms

    from clustergen.compute.claims import _stored_since

    db = str(tmp_path / "r.db")
    store.connect(db).write(Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]]),
                            cid="c1", status="predicted", level="surrogate")
    assert not _stored_since(db, "c1", since=0.0, retry=False)
    store.connect(db).write(Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]]),
                            cid="c1", status="converged")
    assert _stored_since(db, "c1", since=0.0, retry=False)
