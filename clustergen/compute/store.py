"""Relaxation results in an ``ase.db`` database: a SQLite file by default, PostgreSQL by URL.

One row per candidate, found by a content hash of the *input* structure and the method
settings (:func:`clustergen.core.identity.candidate_id`), so a rerun recognises what is
already done.  A row holds the relaxed ``Atoms`` (energy, forces, Mulliken charges), the
results as key-value pairs (``cid``, ``status``, ``steps``, ``homo``, ``lumo``, ``gap`` in
eV, ``method``, ``wall``...) and, in ``data``, the candidate's per-atom arrays (``role``
and, for real ligands, ``ligand_index``) and ``info`` exactly as given, the results again (key-value pairs lose some: ase.db overwrites ``charge`` and
refuses strings that read as numbers) and the SCF ladder.  :func:`read_relaxed` gives
back the candidate as it went in, its ``info`` extended by the results.

Status values: ``converged``, ``not-converged`` (step cap reached), ``topology-changed``
(relaxed but the motif inventory or bonding changed) and ``failed:<reason>``.

>>> import os, tempfile
>>> from clustergen.core.model import make_cluster
>>> a = make_cluster(["Au", "S"], [[0, 0, 0], [2.3, 0, 0]], ["staple", "S"], charge=-1)
>>> db = connect(os.path.join(tempfile.mkdtemp(), "results.db"))
>>> cid = candidate_id(a, -1, 1, {"method": "GFN1-xTB"})
>>> write_result(db, a, {"cid": cid, "status": "failed:demo"})
True
>>> [r["status"] for r in rows(db)]
['failed:demo']
"""

import csv
import io
import json
import os

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.core.identity import SCALARS, candidate_id  # noqa: F401  the id rows are found by
from clustergen.core.model import set_roles

# ase.db reserves names such as "formula" and "energy": info keys are stored under these.
RENAMED = {"formula": "cluster"}
TABLE_COLUMNS = ("cid", "status", "cluster", "family", "member", "isomer", "method",
                 "energy", "fmax", "steps", "homo", "lumo", "gap", "wall", "topology")
CSV_COLUMNS = TABLE_COLUMNS + ("charge", "multiplicity", "nstar", "motifs", "optimiser",
                               "rung", "blas", "converged")


def is_url(name):
    """True for a database server URL rather than a file path.

    >>> is_url("postgresql://user@localhost/db"), is_url("results.db")
    (True, False)
    """
    return isinstance(name, str) and "://" in name


def connect(db, create=True):
    """Open the results database: a path (SQLite) or a ``postgresql://`` URL.

    An open ``ase.db`` connection is passed through.  No lock file is used: only the
    process driving a run writes, and a stale lock left by a killed run would block the
    rerun that resumes it (SQLite's own locking still guards the file).

    >>> import tempfile, os
    >>> connect(os.path.join(tempfile.mkdtemp(), "r.db")).count()
    0
    """
    if not isinstance(db, (str, os.PathLike)):
        return db
    import ase.db

    from clustergen.core.validate import check_database

    name = check_database(db, create=create)
    if is_url(name):
        if not name.startswith(("postgresql://", "postgres://")):
            raise ClusterGenError(f"unsupported database URL '{name}' (use postgresql://...)")
        try:
            import ase_db_backends  # noqa: F401  ase >= 3.29 keeps PostgreSQL support there
            import psycopg2
        except ImportError:
            raise ClusterGenError("PostgreSQL needs ase-db-backends and psycopg2-binary: "
                                  "pip install 'clustergen[postgres]'") from None
        try:
            conn = ase.db.connect(name, type="postgresql")
            conn.count()  # opens the connection now so a bad URL fails here, in one line
        except (psycopg2.Error, OSError) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterGenError(f"cannot open database {_redact(name)}: {msg}") from None
        return _concurrent_safe(conn)
    return ase.db.connect(name, type="db", use_lock_file=False)


def _concurrent_safe(conn):
    """Fix two flaws of ase-db-backends' PostgreSQL backend that bite when two runs
    write to one database at once.  Its ``get_last_id`` reads the sequence's global
    ``last_value``, so a writer can take the id of another session's row (and fail on a
    duplicate key, or attach its key-value pairs to the wrong row); ``currval`` is the id
    this session's own INSERT drew.  Its connection wrapper has no ``rollback``, so any
    error inside a ``with db:`` block turned into an AttributeError that hid the real one.
    """
    import psycopg2
    from ase_db_backends.postgresql import Connection

    class _Connection(Connection):
        def rollback(self):
            self.con.rollback()

    def session_last_id(cur):
        cur.execute("SELECT currval('systems_id_seq')")
        return int(cur.fetchone()[0])

    conn.get_last_id = session_last_id
    conn._connect = lambda: _Connection(psycopg2.connect(conn.filename))
    return conn


def _redact(url):
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        cred, host = tail.rsplit("@", 1)
        tail = cred.split(":")[0] + ":***@" + host
    return head + sep + tail


def is_final(status):
    """Statuses a rerun skips; ``not-converged`` and ``failed:*`` are redone on ``retry``.

    >>> is_final("converged"), is_final("not-converged"), is_final("failed:scf")
    (True, False, False)
    """
    return status in ("converged", "topology-changed")


def stored_status(db):
    """``{cid: status}`` of every row in the database."""
    db = connect(db)
    return {row.cid: row.status for row in db.select(columns=["key_value_pairs"])
            if "cid" in row and not is_level_row(row)}


def _reads_as_number(text):
    """ase.db refuses string key-value pairs it could read as numbers or booleans."""
    try:
        float(text)
    except ValueError:
        return text in ("True", "False")
    return True


def _key_values(atoms, record):
    """Record and info as ase.db key-value pairs, for queries: plain scalars ase.db
    accepts under unreserved names (``data`` keeps everything exactly)."""
    from ase.db.core import reserved_keys, word

    kv = {}
    for source in (atoms.info, record):
        for key, value in source.items():
            key = RENAMED.get(key, key)
            value = _jsonable(value)
            if value is None or not isinstance(value, (str, int, float, bool)):
                continue
            if key in reserved_keys or not word.match(key):
                continue
            if isinstance(value, str) and _reads_as_number(value):
                continue
            kv[key] = value
    return kv


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _results(record):
    """The scalar results of a record (what :func:`read_relaxed` adds to ``info``)."""
    out = {k: _jsonable(v) for k, v in record.items() if isinstance(v, SCALARS)}
    return {k: v for k, v in out.items() if v is not None}


_WRITTEN = [0]  # results this process stored (the Ctrl-C message counts them)


def written():
    """How many results this process has stored with :func:`write_result`.

    >>> written() >= 0
    True
    """
    return _WRITTEN[0]


def _per_atom(atoms):
    """The per-atom arrays a row keeps in ``data`` (ase.db itself drops custom arrays):
    ``role`` and, for a cluster with real ligands, ``ligand_index``.

    >>> from clustergen.core.model import make_cluster
    >>> a = make_cluster(["S", "C"], [[0, 0, 0], [1.8, 0, 0]], ["S", "ligand"])
    >>> a.set_array("ligand_index", np.array([0, 0]))
    >>> _per_atom(a)
    {'role': ['S', 'ligand'], 'ligand_index': [0, 0]}
    """
    out = {}
    if "role" in atoms.arrays:
        out["role"] = [str(r) for r in atoms.arrays["role"]]
    if "ligand_index" in atoms.arrays:
        out["ligand_index"] = [int(i) for i in atoms.arrays["ligand_index"]]
    return out


def write_result(db, atoms, record, start=None):
    """Store one candidate's result; False when its id already has a final row.

    ``atoms`` is the relaxed structure (with a single-point calculator holding energy,
    forces and charges, or none for a failure) carrying the candidate's roles and
    ``info``; ``record`` the result dict with at least ``cid`` and ``status``; ``start``
    the input structure, kept in ``data`` so a row can be redone.  A non-final row with
    the same id is replaced in the same transaction: every candidate has at most one row.
    """
    cid = record["cid"]
    data = {"info": _jsonable(dict(atoms.info)), "results": _results(record),
            "ladder": _jsonable(record.get("ladder", [])),
            "problems": list(record.get("problems", []))}
    data.update(_per_atom(atoms))
    if start is not None:
        data["start_positions"] = np.asarray(start.positions).tolist()
    kv = _key_values(atoms, {k: v for k, v in record.items() if k not in ("ladder",)})

    def replace(con):
        old = [row.id for row in con.select(cid=cid) if not is_level_row(row)]
        finals = [row for row in con.select(cid=cid)
                  if is_final(row.status) and not is_level_row(row)]
        if finals:
            return False
        if old:
            con.delete(old)
        con.write(atoms, key_value_pairs=kv, data=data)
        return True

    if not _transaction(db, replace):
        return False
    _WRITTEN[0] += 1
    return True


def _transaction(db, body, tries=3):
    """``body(connection)`` in one transaction.  On PostgreSQL a transaction can still be
    aborted by the server when two runs collide (serialisation, deadlock); it is rolled
    back and the body retried on a fresh connection, where it sees the other run's row."""
    url = db if isinstance(db, (str, os.PathLike)) else getattr(db, "filename", None)
    for attempt in range(tries):
        con = connect(db if attempt == 0 else url)
        try:
            with con:
                return body(con)
        except Exception:
            if attempt == tries - 1 or not str(url).startswith("postgresql://"):
                raise


# ase.db hands a "charge" key back as the sum of initial charges (0.0), and "cluster" is
# the info's formula: neither is read back from the key-value pairs
_NOT_RESULTS = ("charge",) + tuple(RENAMED.values())


def _info_and_results(row):
    """The candidate's ``info`` as written and the results of one row."""
    data = row.data or {}
    info = dict(data.get("info", {}))
    results = data.get("results")
    if results is None:  # rows written before results were kept in data
        kv = row.key_value_pairs
        if "cluster" in kv:
            info.setdefault("formula", kv["cluster"])
        results = {k: v for k, v in kv.items() if k not in _NOT_RESULTS}
    return info, dict(results)


def rows(db, **selection):
    """One dict per stored candidate: the key-value pairs plus energy and fmax (and the
    candidate's own charge)."""
    db = connect(db, create=False)
    out = []
    for row in db.select(sort="id", **selection):
        d = dict(row.key_value_pairs)
        info, results = _info_and_results(row)
        d.pop("charge", None)
        charge = results.get("charge", info.get("charge"))
        if charge is not None:
            d["charge"] = charge
        if info.get("multiplicity") is not None:
            d["multiplicity"] = info["multiplicity"]
        d["energy"] = row.get("energy")
        d["fmax"] = float(row.fmax) if "forces" in row else None
        out.append(d)
    return out


def candidate_from_row(row):
    """One stored row as a candidate: the roles and ``info`` that went in, unchanged,
    plus the results (cid, status, steps, gap...; energy and fmax of the relaxed
    structure, absent for a failure) and the relaxed positions and calculator.
    """
    atoms = row.toatoms()
    info, results = _info_and_results(row)
    info.update(results)
    for key, value in (("energy", row.get("energy")),
                       ("fmax", float(row.fmax) if "forces" in row else None)):
        info.pop(key, None)  # a value carried from an earlier run is not this result
        if value is not None:
            info[key] = value
    atoms.info = info
    role = (row.data or {}).get("role")
    if role is not None:
        set_roles(atoms, role)
    owner = (row.data or {}).get("ligand_index")
    if owner is not None:  # which ligand each ligand atom belongs to (-1: framework)
        atoms.set_array("ligand_index", np.asarray(owner, dtype=int))
    return atoms


def read_relaxed(db, cids=None):
    """The stored structures as candidates (:func:`candidate_from_row`).

    ``cids`` limits and orders the list (missing ids are left out).
    """
    db = connect(db, create=False)
    wanted = None if cids is None else set(cids)
    by_cid = {}
    for row in db.select():
        if is_level_row(row):
            continue  # a higher-level (DFT) row of the same candidate
        if wanted is None or row.get("cid") in wanted:
            by_cid[row.cid] = candidate_from_row(row)
    if cids is None:
        return list(by_cid.values())
    return [by_cid[c] for c in cids if c in by_cid]


# ------------------------------------------------------------ higher levels (DFT)
# A DFT single point on a stored candidate is a second row with the same ``cid`` and a
# ``level`` key naming the level of theory (e.g. "PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K)");
# the GFN-xTB row has no ``level``.  The functions above ignore level rows.

def is_level_row(row):
    """True for a row (ase.db row or :func:`rows` dict) of a higher level of theory."""
    return "level" in row


def write_level_result(db, atoms, record):
    """Store one higher-level result for candidate ``record["cid"]`` at ``record["level"]``.

    Same rules as :func:`write_result`: False when a converged row of that cid and level
    exists; a failed or unconverged one is replaced.  ``record`` charges (``mulliken``,
    ``hirshfeld``) go to ``data``; scalars become key-value pairs.

    >>> import os, tempfile
    >>> from ase import Atoms
    >>> db = connect(os.path.join(tempfile.mkdtemp(), "r.db"))
    >>> a = Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]], info={"charge": -1})
    >>> rec = {"cid": "c1", "level": "PBE/x (CP2K)", "status": "converged", "energy": -1.0}
    >>> write_level_result(db, a, rec), write_level_result(db, a, rec)
    (True, False)
    >>> [(r["cid"], r["level"], r["energy"]) for r in level_rows(db)]
    [('c1', 'PBE/x (CP2K)', -1.0)]
    >>> rows(db)[0]["level"], stored_status(db)
    ('PBE/x (CP2K)', {})
    """
    from ase.calculators.singlepoint import SinglePointCalculator

    atoms = atoms.copy()
    atoms.calc = None
    if record.get("energy") is not None:
        atoms.calc = SinglePointCalculator(atoms, energy=float(record["energy"]))
    arrays = {k: record[k] for k in ("mulliken", "hirshfeld") if record.get(k) is not None}
    data = {"info": _jsonable(dict(atoms.info)), "record": _jsonable(
        {k: v for k, v in record.items() if k not in arrays})}
    data.update(_jsonable(arrays))
    data.update(_per_atom(atoms))
    # no "charge" pair: ase.db rewrites it (the record in data keeps the candidate's)
    kv = _key_values(atoms, {k: v for k, v in record.items() if k not in ("energy", "charge")})
    kv.pop("charge", None)
    kv["level"] = str(record["level"])

    def replace(con):
        old = list(con.select(cid=record["cid"], level=kv["level"]))
        if any(row.status == "converged" for row in old):
            return False
        if old:
            con.delete([row.id for row in old])
        con.write(atoms, key_value_pairs=kv, data=data)
        return True

    return _transaction(db, replace)


def level_rows(db, level=None, **selection):
    """Result dicts of the higher-level rows (all levels, or one), like :func:`rows`."""
    db = connect(db, create=False)
    if level is not None:
        selection["level"] = level
    out = []
    for row in db.select(sort="id", **selection):
        if is_level_row(row):
            d = dict(row.key_value_pairs)
            d["energy"] = row.get("energy")
            out.append(d)
    return out


def level_status(db, level):
    """``{cid: status}`` of the rows at one level (what a rerun skips or redoes)."""
    return {r["cid"]: r["status"] for r in level_rows(db, level) if "cid" in r}


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.2f}"
    return str(value)


def format_rows(table, fmt="table"):
    """Render result dicts as an aligned ``table``, ``csv`` (cid first) or ``json``.

    >>> print(format_rows([{"cid": "ab12", "status": "converged", "gap": 1.234567}], "csv"))
    ... # doctest: +ELLIPSIS
    cid,status,cluster,...
    ab12,converged,,...
    """
    if fmt == "json":
        return json.dumps(table, indent=1, default=str)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        extra = sorted({k for r in table for k in r} - set(CSV_COLUMNS))
        writer.writerow(CSV_COLUMNS + tuple(extra))
        for r in table:
            writer.writerow([_fmt(r.get(k)) for k in CSV_COLUMNS + tuple(extra)])
        return buf.getvalue().rstrip("\n")
    if fmt != "table":
        raise ClusterGenError(f"unknown format '{fmt}' (table, csv, json)")
    cells = [list(TABLE_COLUMNS)] + [[_fmt(r.get(k)) for k in TABLE_COLUMNS] for r in table]
    widths = [max(len(row[i]) for row in cells) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in cells)
