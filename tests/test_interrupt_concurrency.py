"""Ctrl-C and concurrent runs: real processes against real databases.

A SIGINT sent to the process group of a running ``clustergen relax`` (as a terminal
sends it) ends it with one line and exit 130, leaving the store consistent; two runs
started together on one database share the candidates through claims
(:mod:`clustergen.compute.claims`): nothing computed twice, nothing dropped, one
trajectory per candidate.  PostgreSQL runs when ``CLUSTERGEN_TEST_POSTGRES`` is set.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from clustergen.compute import claims, store
from clustergen.core.model import write_candidates

sys.path.insert(0, os.path.dirname(__file__))
from relax_toys import au2_sh2  # noqa: E402

PG = os.environ.get("CLUSTERGEN_TEST_POSTGRES")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _candidates(path, n, seed):
    """``n`` distinct Au2(SH)2 rings (Gaussian noise 0.05 A): distinct ids, same physics."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        a = au2_sh2()
        a.positions += rng.normal(0, 0.05, a.positions.shape)
        frames.append(a)
    write_candidates(path, frames)
    return frames


def _relax(src, db, cwd, workers="0"):
    return subprocess.Popen(
        [sys.executable, "-m", "clustergen", "relax", str(src), "--db", str(db),
         "--workers", workers, "--no-progress"], cwd=cwd, env=ENV, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=_foreground_sigint)


def _foreground_sigint():
    """Ctrl-C as in a terminal's foreground job: a test run started in the background
    of a non-interactive shell inherits SIGINT ignored, which would reach the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _rows(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("SELECT count(*) FROM systems").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _claims_left(db):
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute(f"SELECT count(*) FROM {claims.TABLE}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("workers", ["0", "2"])
def test_ctrl_c_is_one_line_exit_130_and_the_rerun_resumes(tmp_path, workers):
    src, db = tmp_path / "c.extxyz", tmp_path / "r.db"
    n = 12
    _candidates(src, n, seed=1)
    proc = _relax(src, db, tmp_path, workers)
    deadline = time.time() + 240
    while _rows(db) < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    lines = [line for line in err.splitlines() if line.strip()
             and not line.startswith("clustergen: OpenBLAS not found")]  # a notice
    assert len(lines) == 1, err
    m = re.fullmatch(r"clustergen relax: interrupted; (\d+) finished results kept, "
                     r"rerun to resume", lines[0])
    assert m, lines
    kept = int(m.group(1))
    assert kept == _rows(db) >= 1 and kept < n           # every finished result stored
    assert _claims_left(db) == 0                         # and no claim left behind
    if workers != "0":
        return  # resuming is the same with or without Dask: checked once, below
    rerun = _relax(src, db, tmp_path, "0")
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert f"12 candidates in {db}: 12 converged; {12 - kept} relaxed by this run" in err
    assert _rows(db) == 12


def _done_by(err):
    m = re.search(r"(\d+) candidates in .*; (\d+) relaxed by this run", err)
    assert m, err
    return int(m.group(1)), int(m.group(2))


def _two_runs(src, db, cwd, n):
    a, b = _relax(src, db, cwd), _relax(src, db, cwd)
    (_, err_a), (_, err_b) = a.communicate(timeout=900), b.communicate(timeout=900)
    assert a.returncode == 0 and b.returncode == 0, (err_a, err_b)
    (total_a, mine_a), (total_b, mine_b) = _done_by(err_a), _done_by(err_b)
    assert total_a == total_b == n                       # both see every result
    assert mine_a + mine_b == n                          # each computed exactly once
    assert min(mine_a, mine_b) >= 1                      # and the work was shared
    return mine_a, mine_b


def test_two_runs_on_one_sqlite_database_share_the_work(tmp_path):
    n = 10
    src, db = tmp_path / "c.extxyz", tmp_path / "r.db"
    _candidates(src, n, seed=2)
    _two_runs(src, db, tmp_path, n)
    rows = store.rows(str(db))
    assert len(rows) == n and len({r["cid"] for r in rows}) == n
    assert all(r["status"] == "converged" for r in rows)
    assert _claims_left(db) == 0
    # one trajectory per candidate, never two runs appended to one file: start frame
    # plus one frame per optimiser step
    from ase.io import read
    trajs = sorted(os.listdir(f"{db}.traj"))
    assert trajs == sorted(f"{r['cid']}.traj" for r in rows)
    for r in rows:
        assert len(read(f"{db}.traj/{r['cid']}.traj", index=":")) == r["steps"] + 1


@pytest.mark.skipif(not PG, reason="CLUSTERGEN_TEST_POSTGRES not set")
def test_two_runs_on_one_postgres_database_share_the_work(tmp_path):
    n = 8
    src = tmp_path / "c.extxyz"
    frames = _candidates(src, n, seed=int.from_bytes(os.urandom(4), "little"))
    mine = _two_runs(src, PG, tmp_path, n)
    from clustergen.compute.relax import charge_multiplicity, method_settings
    key = method_settings()
    cids = {store.candidate_id(a, *charge_multiplicity(a), key) for a in frames}
    conn = store.connect(PG)
    found = [row.cid for cid in cids for row in conn.select(cid=cid)]
    assert sorted(found) == sorted(cids)                 # one row each
    assert sum(mine) == n


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_claims_expire_and_dead_owners_lose_them(tmp_path, monkeypatch, backend):
    if backend == "postgresql" and not PG:
        pytest.skip("CLUSTERGEN_TEST_POSTGRES not set")
    db = PG if backend == "postgresql" else str(tmp_path / "r.db")
    tag = os.urandom(4).hex()
    with claims.Claims(db, "otherhost-1-aaaaaa", heartbeat=False) as other, \
            claims.Claims(db) as mine:
        assert other.claim(f"c1-{tag}") and not mine.claim(f"c1-{tag}")
        assert mine.holder(f"c1-{tag}") == "otherhost-1-aaaaaa"
        monkeypatch.setenv("CLUSTERGEN_CLAIM_TTL", "0.5")
        time.sleep(0.7)                                  # no heartbeat: stale
        assert mine.holder(f"c1-{tag}") is None and mine.claim(f"c1-{tag}")
        assert not other.claim(f"c1-{tag}")              # the taker's claim is live
        monkeypatch.delenv("CLUSTERGEN_CLAIM_TTL")
        host = claims.owner_id().rsplit("-", 2)[0]
        ghost = claims.Claims(db, f"{host}-999999999-bbbbbb", heartbeat=False)
        assert ghost.claim(f"c2-{tag}")                  # a pid that cannot exist
        assert mine.claim(f"c2-{tag}")                   # dead owner: taken over at once
        ghost.con.close()
    with claims.Claims(db, heartbeat=False) as later:    # exits released everything
        assert later.holder(f"c1-{tag}") is None and later.holder(f"c2-{tag}") is None


def test_heartbeat_keeps_a_long_claim_alive(tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERGEN_CLAIM_TTL", "0.8")
    db = str(tmp_path / "r.db")
    with claims.Claims(db) as busy, claims.Claims(db, heartbeat=False) as other:
        assert busy.claim("c1")
        time.sleep(1.5)                                  # > TTL, heartbeat every TTL/4
        assert not other.claim("c1") and other.holder("c1") == busy.owner


def test_driver_side_claims_split_the_work(tmp_path):
    """With workers that cannot reach the database (a remote scheduler and a SQLite
    file) the driving process claims before submitting: a second run computes only what
    the first did not claim, and waits for the rest."""
    db = str(tmp_path / "r.db")
    done = []

    def execute(call, jobs, on_result, on_error):
        for cid, (args, kwargs) in jobs.items():
            on_result(cid, call(*args, **kwargs))

    def save(cid, result):
        done.append(cid)
        store.write_result(db, au2_sh2(), {"cid": cid, "status": "converged"})

    tasks = {f"c{k}": ((None,), {"cid": f"c{k}"}) for k in range(4)}
    with claims.Claims(db, "otherhost-1-aaaaaa") as other:
        assert other.claim("c0") and other.claim("c1")
        store.write_result(db, au2_sh2(), {"cid": "c0", "status": "converged"})
        other.release(["c0"])
        import threading
        # the other run finishes c1 a moment later; this run must wait, not redo it
        timer = threading.Timer(0.5, lambda: store.write_result(
            db, au2_sh2(), {"cid": "c1", "status": "converged"}))
        timer.start()
        claims.run_claimed(db, tasks, lambda atoms, cid: cid, execute, save,
                           in_workers=False)
        timer.join()
    assert sorted(done) == ["c2", "c3"]
    assert sorted(r["cid"] for r in store.rows(db)) == ["c0", "c1", "c2", "c3"]
