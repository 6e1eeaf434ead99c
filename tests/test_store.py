"""Results store: candidate ids, SQLite and PostgreSQL round trips, the results command."""

import json
import os
import uuid

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

from clustergen.compute import store
from clustergen.cli import main
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import read_candidates, write_candidates
from relax_toys import au2_sh2, au4_sh4, au_sch3_2

SETTINGS = {"method": "GFN1-xTB", "fmax": 0.05, "optimiser": "FIRE", "tblite": {}}


def _result(atoms, status="converged", tag=""):
    """A relaxed-looking structure and record, with physically shaped numbers."""
    out = atoms.copy()
    out.positions += 0.01
    n = len(out)
    rng = np.random.default_rng(len(tag))
    forces = rng.normal(scale=0.01, size=(n, 3))
    charges = np.full(n, atoms.info["charge"] / n)
    out.calc = SinglePointCalculator(out, energy=-500.0 - n, forces=forces, charges=charges)
    cid = store.candidate_id(atoms, atoms.info["charge"], atoms.info["multiplicity"],
                             SETTINGS) + tag
    rec = {"cid": cid, "status": status, "steps": 17, "homo": -4.8, "lumo": -0.8,
           "gap": 4.0, "method": "GFN1-xTB", "wall": 0.5, "topology": "ok",
           "ladder": [{"rung": "as asked", "settings": {}, "result": "ok", "at_step": 17}]}
    return out, rec


def test_candidate_id_is_stable_and_content_addressed(tmp_path):
    a = au_sch3_2()
    cid = store.candidate_id(a, -1, 1, SETTINGS)
    assert len(cid) == 16 and int(cid, 16) >= 0
    path = tmp_path / "a.extxyz"
    write_candidates(path, [a])
    [back] = read_candidates(path)
    assert store.candidate_id(back, -1, 1, SETTINGS) == cid           # file round trip
    moved = a.copy()
    moved.positions[0] += 0.01
    assert store.candidate_id(moved, -1, 1, SETTINGS) != cid          # other geometry
    assert store.candidate_id(a, 0, 2, SETTINGS) != cid               # other charge/spin
    assert store.candidate_id(a, -1, 1, {**SETTINGS, "method": "GFN2-xTB"}) != cid
    swapped = a[[1, 0] + list(range(2, len(a)))]
    assert store.candidate_id(swapped, -1, 1, SETTINGS) != cid        # other atom order
    a.info["family"] = "anything"                                     # info does not count
    assert store.candidate_id(a, -1, 1, SETTINGS) == cid


def _round_trip(db):
    """Write three candidates and read them back; used for SQLite and PostgreSQL."""
    tag = "-" + uuid.uuid4().hex[:6]   # rows of other runs may share a server database
    cands = [au_sch3_2(), au2_sh2(), au4_sh4()]
    cands[0].info.update(family="toy", member="AuL2", isomer="anti", score=0.5)
    results = [_result(a, tag=tag) for a in cands]
    for (out, rec), start in zip(results, cands):
        assert store.write_result(db, out, rec, start=start)
    cids = [rec["cid"] for _, rec in results]
    back = store.read_relaxed(db, cids)
    assert len(back) == 3
    for (out, rec), start, got in zip(results, cands, back):
        assert got.info["cid"] == rec["cid"] and got.info["status"] == "converged"
        assert got.get_chemical_symbols() == start.get_chemical_symbols()
        assert np.allclose(got.positions, out.positions)
        assert got.info["energy"] == pytest.approx(out.get_potential_energy())
        assert got.info["fmax"] == pytest.approx(np.linalg.norm(out.get_forces(), axis=1).max())
        assert np.allclose(got.get_charges(), out.get_charges())
        assert list(got.arrays["role"]) == list(start.arrays["role"])
        assert got.info["formula"] == start.info["formula"]
        assert got.info["gap"] == pytest.approx(4.0)
    assert back[0].info["family"] == "toy" and back[0].info["score"] == 0.5
    conn = store.connect(db)
    row = conn.get(cid=cids[0])
    assert row.data["ladder"][0]["rung"] == "as asked"
    assert np.allclose(row.data["start_positions"], cands[0].positions)
    # exactly once: a final row is never written twice ...
    assert not store.write_result(db, *results[0], start=cands[0])
    assert conn.count(cid=cids[0]) == 1
    # ... while a non-final one is replaced by the redo
    out, rec = _result(au2_sh2(), status="not-converged", tag=tag + "x")
    assert store.write_result(db, out, rec)
    rec2 = dict(rec, status="converged", steps=40)
    assert store.write_result(db, out, rec2)
    assert conn.count(cid=rec["cid"]) == 1 and conn.get(cid=rec["cid"]).steps == 40
    status = store.stored_status(db)
    assert all(status[c] == "converged" for c in cids + [rec["cid"]])
    return cids + [rec["cid"]]


def test_sqlite_round_trip(tmp_path):
    cids = _round_trip(str(tmp_path / "results.db"))
    table = store.rows(str(tmp_path / "results.db"))
    assert [r["cid"] for r in table] == cids


def _postgres_url():
    url = os.environ.get("CLUSTERGEN_TEST_POSTGRES")
    if not url:
        pytest.skip("CLUSTERGEN_TEST_POSTGRES not set (postgresql://user:pw@127.0.0.1/db)")
    pytest.importorskip("ase_db_backends")
    pytest.importorskip("psycopg2")
    try:
        store.connect(url)
    except ClusterGenError as exc:
        if os.environ.get("CI"):  # CI starts the server: an unreachable one is a failure
            raise
        pytest.skip(f"no PostgreSQL server: {exc}")
    return url


def test_postgresql_round_trip():
    url = _postgres_url()
    cids = _round_trip(url)
    conn = store.connect(url)
    try:
        got = {r["cid"] for r in store.rows(url)}
        assert set(cids) <= got
    finally:
        conn.delete([row.id for c in cids for row in conn.select(cid=c)])
    assert not set(cids) & set(store.stored_status(url))


def test_postgresql_row_keeps_its_own_id_when_another_run_writes_meanwhile():
    """Two runs writing at once: the row another session inserts between this session's
    INSERT and its id lookup must not take this row's key-value pairs (ase-db-backends
    reads the sequence's global last value; the store reads this session's own)."""
    from ase import Atoms

    url = _postgres_url()
    mine, other = store.connect(url), store.connect(url)
    tag_mine, tag_other = uuid.uuid4().hex, uuid.uuid4().hex
    lookup = mine.get_last_id

    def interleaved(cur):
        other.write(Atoms("He"), tag=tag_other)  # commits, drawing the next id
        return lookup(cur)

    mine.get_last_id = interleaved
    try:
        got = mine.write(Atoms("H"), tag=tag_mine)
        assert mine.get(tag=tag_mine).id == got
        assert mine.get(tag=tag_mine).formula == "H"
        assert other.get(tag=tag_other).formula == "He"
    finally:
        mine.delete([r.id for t in (tag_mine, tag_other) for r in mine.select(tag=t)])


def test_postgresql_error_in_a_transaction_is_rolled_back_not_masked():
    url = _postgres_url()
    import psycopg2

    db = store.connect(url)
    with pytest.raises(psycopg2.Error):  # the server's own error, not an AttributeError
        with db as con:
            con.connection.cursor().execute("SELECT * FROM no_such_table")
    assert db.count() >= 0  # the database is still usable


def test_bad_database_names_are_one_line_errors(tmp_path):
    with pytest.raises(ClusterGenError, match="no results database"):
        store.rows(str(tmp_path / "absent.db"))
    with pytest.raises(ClusterGenError, match="unsupported database URL"):
        store.connect("mysql://x@localhost/db")
    with pytest.raises(ClusterGenError, match="does not exist"):
        store.connect(str(tmp_path / "no" / "dir" / "r.db"))


def test_unreachable_postgres_is_one_line_error(capsys):
    pytest.importorskip("ase_db_backends")
    pytest.importorskip("psycopg2")
    url = "postgresql://nobody:secret@127.0.0.1:9/none"  # port 9 (discard): nothing listens
    assert main(["results", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot open database" in err and "secret" not in err


def test_results_command_formats(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    for atoms, status in ((au_sch3_2(), "converged"), (au2_sh2(), "topology-changed")):
        out, rec = _result(atoms, status)
        store.write_result(db, out, rec)
    store.write_result(db, au4_sh4(), {"cid": "f" * 16, "status": "failed:SCF not converged"})
    assert main(["results", "--db", db]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["cid", "status"] and len(table) == 4
    assert "topology-changed" in table[2] and "failed:SCF" in table[3]
    assert main(["results", "--db", db, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["status"] for d in data] == ["converged", "topology-changed",
                                           "failed:SCF not converged"]
    assert data[0]["gap"] == 4.0 and data[2]["energy"] is None
    assert main(["results", "--db", db, "--format", "csv", "--status", "converged"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("cid,status,")
    row = dict(zip(lines[0].split(","), lines[1].split(",")))
    assert row["status"] == "converged" and float(row["gap"]) == 4.0
