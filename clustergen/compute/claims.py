"""Claims: which run is computing which candidate, so concurrent runs on one database
share the work instead of repeating it.

A claim is a row ``(cid, owner, heartbeat)`` in the table ``clustergen_claims`` of the
results database itself (SQLite file or PostgreSQL), so every run that can store a result
sees it.  A task takes the claim just before it computes (:func:`claimed_call`) and the
run that owns it deletes it once the result is stored; the owning run refreshes the
heartbeat of all its claims from a background thread.  A claim whose heartbeat is older
than the time-to-live, or whose owner is a dead process on this host, is stale and may
be taken over: a killed run blocks nobody for long.  A candidate a task finds claimed by
another live run is not computed; :func:`run_claimed` waits for the other run's result
(or for its claim to go stale, and then computes it).  Trajectories are written per run
(``<cid>.<owner>.traj``), a file taken over from a dead run being copied first, so two
runs never append to one file; a finished candidate's file is renamed ``<cid>.traj``.
Workers on other hosts (a remote Dask scheduler with a SQLite file they cannot see) do
not touch the database: the driving process takes the claims before submitting.

>>> import os, tempfile
>>> db = os.path.join(tempfile.mkdtemp(), "r.db")
>>> with Claims(db, "host-1-a") as mine, Claims(db, "host-2-b") as other:
...     mine.claim("c1"), other.claim("c1"), mine.holder("c1")
(True, False, 'host-1-a')
"""

import glob
import os
import secrets
import shutil
import socket
import threading
import time

from clustergen.core.errors import ClusterGenError

TABLE = "clustergen_claims"
TTL = 120.0      # s without a heartbeat before a claim is stale (env CLUSTERGEN_CLAIM_TTL)
LOCK_KEY = 0x636C6761  # PostgreSQL advisory lock taken while creating the table
POLL = 2.0       # s between looks at candidates another run is computing


def ttl():
    """Claim time-to-live in seconds (``CLUSTERGEN_CLAIM_TTL`` overrides :data:`TTL`).

    >>> ttl() > 0
    True
    """
    try:
        value = float(os.environ.get("CLUSTERGEN_CLAIM_TTL", TTL))
    except ValueError:
        return TTL
    return value if value > 0 else TTL


def owner_id():
    """A name for this run: host, process id and a random tag (safe in file names).

    >>> owner_id().count("-") >= 2
    True
    """
    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40]
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


def _alive_here(owner):
    """False when ``owner`` names a process on this host that no longer exists."""
    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40]
    parts = owner.rsplit("-", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return True
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _connect(db):
    """A DB-API connection and its parameter marker for the results database ``db``."""
    if "://" in db:
        import psycopg2
        try:
            return psycopg2.connect(db), "%s"
        except psycopg2.Error as exc:
            raise ClusterGenError(f"cannot open database for claims: "
                                  f"{str(exc).strip().splitlines()[0]}") from None
    import sqlite3
    con = sqlite3.connect(db, timeout=120, isolation_level=None)
    return con, "?"


class Claims:
    """The claims of one run (``owner``) in database ``db`` (path or URL); a context
    manager that keeps them alive with a heartbeat and releases them all on exit."""

    def __init__(self, db, owner=None, heartbeat=True):
        self.db, self.owner = str(db), owner or owner_id()
        self.con, self.mark = _connect(self.db)
        self._stop = threading.Event()
        self._beat = heartbeat
        self._thread = None
        with self._transaction() as cur:
            if self.mark == "%s":  # concurrent CREATE IF NOT EXISTS can clash in PostgreSQL
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            cur.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (cid TEXT PRIMARY KEY, "
                        "owner TEXT NOT NULL, heartbeat DOUBLE PRECISION NOT NULL)")

    def _transaction(self):
        return _Transaction(self.con, self.mark == "?")

    def _sql(self, text):
        return text.replace("?", self.mark)

    def claim(self, cid):
        """Take the claim on ``cid`` unless another live run holds it; True if ours."""
        now = time.time()
        with self._transaction() as cur:
            cur.execute(self._sql(f"SELECT owner, heartbeat FROM {TABLE} WHERE cid = ?"),
                        (cid,))
            row = cur.fetchone()
            if row is None:
                cur.execute(self._sql(f"INSERT INTO {TABLE} (cid, owner, heartbeat) "
                                      "VALUES (?, ?, ?) ON CONFLICT (cid) DO NOTHING"),
                            (cid, self.owner, now))
            elif row[0] == self.owner or row[1] < now - ttl() or not _alive_here(row[0]):
                cur.execute(self._sql(f"UPDATE {TABLE} SET owner = ?, heartbeat = ? "
                                      "WHERE cid = ? AND owner = ?"),
                            (self.owner, now, cid, row[0]))
            cur.execute(self._sql(f"SELECT owner FROM {TABLE} WHERE cid = ?"), (cid,))
            got = cur.fetchone()
        return got is not None and got[0] == self.owner

    def holder(self, cid):
        """Owner of the live claim on ``cid``, or None (no claim, or a stale one)."""
        with self._transaction() as cur:
            cur.execute(self._sql(f"SELECT owner, heartbeat FROM {TABLE} WHERE cid = ?"),
                        (cid,))
            row = cur.fetchone()
        if row is None or row[1] < time.time() - ttl() or not _alive_here(row[0]):
            return None
        return row[0]

    def release(self, cids=None):
        """Give up our claims on ``cids`` (all of ours when None)."""
        with self._transaction() as cur:
            if cids is None:
                cur.execute(self._sql(f"DELETE FROM {TABLE} WHERE owner = ?"), (self.owner,))
            for cid in cids or ():
                cur.execute(self._sql(f"DELETE FROM {TABLE} WHERE cid = ? AND owner = ?"),
                            (cid, self.owner))

    def _heartbeat(self):
        con, _ = _connect(self.db)  # a connection belongs to the thread that made it
        try:
            while not self._stop.wait(ttl() / 4):
                with _Transaction(con, self.mark == "?") as cur:
                    cur.execute(self._sql(f"UPDATE {TABLE} SET heartbeat = ? "
                                          "WHERE owner = ?"), (time.time(), self.owner))
        finally:
            con.close()

    def __enter__(self):
        if self._beat:
            self._thread = threading.Thread(target=self._heartbeat, daemon=True,
                                            name=f"claims-{self.owner}")
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        try:
            self.release()
        finally:
            self.con.close()
        return False


class _Transaction:
    """``with`` block of one transaction (BEGIN IMMEDIATE on SQLite: one writer)."""

    def __init__(self, con, sqlite):
        self.con, self.sqlite = con, sqlite

    def __enter__(self):
        self.cur = self.con.cursor()
        if self.sqlite:
            self.cur.execute("BEGIN IMMEDIATE")
        return self.cur

    def __exit__(self, kind, *rest):
        if kind is None:
            self.con.commit() if not self.sqlite else self.cur.execute("COMMIT")
        else:
            self.con.rollback() if not self.sqlite else self.cur.execute("ROLLBACK")
        self.cur.close()
        return False


def trajectory(path, owner):
    """This run's trajectory file for the candidate file ``path`` (``<cid>.traj``):
    ``<cid>.<owner>.traj``, started as a copy of the newest earlier trajectory of the
    candidate (a killed run's), so the optimisation continues where it stopped.

    >>> import tempfile, os; d = tempfile.mkdtemp()
    >>> os.path.basename(trajectory(os.path.join(d, "ab12.traj"), "h-1-x"))
    'ab12.h-1-x.traj'
    """
    stem = path[:-len(".traj")] if path.endswith(".traj") else path
    mine = trajectory_name(path, owner)
    if not os.path.exists(mine):
        earlier = [p for p in glob.glob(glob.escape(stem) + "*.traj") if p != mine]
        if earlier:
            os.makedirs(os.path.dirname(os.path.abspath(mine)), exist_ok=True)
            shutil.copyfile(max(earlier, key=os.path.getmtime), mine)
    return mine


def _finish_trajectory(path, owner):
    """The finished candidate's trajectory becomes ``<cid>.traj`` (we hold its claim,
    so nobody else writes it); left per-run only when a run stops mid-way."""
    if path:
        mine = trajectory_name(path, owner)
        if os.path.exists(mine):
            os.replace(mine, path)
        stem = path[:-len(".traj")] if path.endswith(".traj") else path
        for left in glob.glob(glob.escape(stem) + ".*.traj"):  # killed runs' partial files
            if not _alive_here(left[len(stem) + 1:-len(".traj")]):
                os.remove(left)


def trajectory_name(path, owner):
    """``<cid>.<owner>.traj`` for the candidate trajectory ``<cid>.traj``.

    >>> trajectory_name("d/ab12.traj", "h-1-x")
    'd/ab12.h-1-x.traj'
    """
    stem = path[:-len(".traj")] if path.endswith(".traj") else path
    return f"{stem}.{owner}.traj"


def _stored_since(db, cid, since, retry):
    """A result for ``cid`` that this run must not redo: written after ``since`` (by
    another run), or final, or any result when not retrying."""
    from clustergen.compute import store

    for row in store.connect(db).select(cid=cid):
        if store.is_level_row(row):  # a DFT result or a prediction is not this relaxation
            continue
        if row.ctime > since or store.is_final(row.get("status")) or not retry:
            return True
    return False


def owned_call(owner, func, atoms, **kwargs):
    """Run ``func(atoms, **kwargs)`` for a candidate the driving run already claimed
    (workers that cannot reach the database); ``kwargs["traj"]`` becomes the run's own
    trajectory file.  Returns ``("ok", result)``."""
    if kwargs.get("traj"):
        kwargs["traj"] = trajectory(kwargs["traj"], owner)
    return "ok", func(atoms, **kwargs)


def claimed_call(db, owner, since, retry, func, atoms, **kwargs):
    """Run ``func(atoms, **kwargs)`` (a Dask task) if this run can claim ``kwargs["cid"]``.

    Returns ``("ok", result)``, ``("taken", holder)`` when another live run holds the
    claim, or ``("done", None)`` when a result appeared meanwhile.  ``kwargs["traj"]``
    becomes this run's own trajectory file (:func:`trajectory`)."""
    cid = kwargs["cid"]
    claims = Claims(db, owner, heartbeat=False)
    try:
        if not claims.claim(cid):
            return "taken", claims.holder(cid)
        if _stored_since(db, cid, since, retry):
            claims.release([cid])
            return "done", None
    finally:
        claims.con.close()
    return owned_call(owner, func, atoms, **kwargs)


def run_claimed(db, tasks, func, execute, save, fail=None, retry=False, in_workers=True):
    """Compute ``tasks`` (``{cid: ((atoms,), kwargs)}``) with ``func`` under claims.

    ``execute(call, tasks, on_result, on_error)`` runs tasks (an :func:`executor.run`
    with its workers bound); ``save(cid, result)`` stores one result before its claim is
    released; ``fail(cid, reason)`` stores a task that raised.  Candidates another live
    run is computing are waited for, and computed here only when that run stops without
    storing them.  ``in_workers=False`` (workers on other hosts, which may not see a
    SQLite file): this process claims every candidate before submitting, so concurrent
    runs split the work by whole batches instead of task by task.  Returns the owner
    name of this run."""
    from ase.db.core import now

    owner, since = owner_id(), now()
    with Claims(db, owner) as held:
        pending = dict(tasks)
        while pending:
            taken = {}

            def on_result(cid, out):
                state, value = out
                if state == "taken":
                    taken[cid] = pending[cid]
                    return
                if state == "ok":
                    save(cid, value)
                    _finish_trajectory(pending[cid][1].get("traj"), owner)
                held.release([cid])

            def on_error(cid, reason):
                fail(cid, reason)
                held.release([cid])

            if in_workers:
                wrapped = {cid: ((db, owner, since, retry, func, *args), kwargs)
                           for cid, (args, kwargs) in pending.items()}
                execute(claimed_call, wrapped, on_result, on_error if fail else None)
            else:
                mine = {c: t for c, t in pending.items() if held.claim(c)}
                taken.update({c: t for c, t in pending.items() if c not in mine})
                for cid in [c for c in mine if _stored_since(db, c, since, retry)]:
                    held.release([cid])
                    del mine[cid]
                wrapped = {cid: ((owner, func, *args), kwargs)
                           for cid, (args, kwargs) in mine.items()}
                execute(owned_call, wrapped, on_result, on_error if fail else None)
            pending = _wait(held, taken, db, since, retry)
    return owner


def _wait(held, taken, db, since, retry):
    """Wait until every candidate in ``taken`` is stored by its run; return those whose
    claim went away without a result (to compute here)."""
    while taken:
        time.sleep(POLL)
        taken = {c: t for c, t in taken.items() if not _stored_since(db, c, since, retry)}
        free = {c: t for c, t in taken.items() if held.holder(c) is None}
        if free:
            return free
    return {}
