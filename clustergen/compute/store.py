"""Relaxation results in an ``ase.db`` database: a SQLite file by default, PostgreSQL by URL.

One row per candidate, found by a content hash of the *input* structure and the method
settings (:func:`candidate_id`), so a rerun recognises what is already done.  A row holds
the relaxed ``Atoms`` (energy, forces, Mulliken charges), the results as key-value pairs
(``cid``, ``status``, ``steps``, ``homo``, ``lumo``, ``gap`` in eV, ``method``, ``wall``...)
and, in ``data``, the candidate's roles, its ``info`` and the SCF ladder.

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
import hashlib
import io
import json
import os

import numpy as np

from clustergen.core.errors import ClusterGenError
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

    name = str(db)
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
        except psycopg2.Error as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ClusterGenError(f"cannot open database {_redact(name)}: {msg}") from None
        return conn
    if not create and not os.path.exists(name):
        raise ClusterGenError(f"no results database '{name}'")
    parent = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(parent):
        raise ClusterGenError(f"directory of database '{name}' does not exist")
    return ase.db.connect(name, type="db", use_lock_file=False)


def _redact(url):
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        cred, host = tail.rsplit("@", 1)
        tail = cred.split(":")[0] + ":***@" + host
    return head + sep + tail


def candidate_id(atoms, charge, multiplicity, settings):
    """Stable 16-hex-digit id of a candidate and the settings it is relaxed with.

    Hashes the element symbols, the positions rounded to 0.001 A, charge, multiplicity
    and the method settings (a JSON-able dict); roles and info do not enter, so the same
    structure read back from any file gets the same id.

    >>> from ase import Atoms
    >>> a = Atoms("AuS", positions=[[0, 0, 0], [2.3, 0, 0]])
    >>> b = Atoms("AuS", positions=[[0, 0, 0], [2.3000001, 0, 0]])
    >>> s = {"method": "GFN1-xTB"}
    >>> candidate_id(a, -1, 1, s) == candidate_id(b, -1, 1, s) != candidate_id(a, 0, 2, s)
    True
    """
    h = hashlib.sha1()
    h.update(" ".join(atoms.get_chemical_symbols()).encode())
    # integers in mA: no -0.0 / repr noise from files written with other precisions
    h.update(np.rint(np.asarray(atoms.positions) * 1000).astype("<i8").tobytes())
    h.update(f"|q={int(charge)}|m={int(multiplicity)}|".encode())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest = h.hexdigest()
    # ase.db refuses a string that reads as a number ("85786365e4695490"): such an id
    # could never be stored, so take the next 16 digits instead (no stored id changes)
    for start in range(0, len(digest) - 15, 16):
        cid = digest[start:start + 16]
        if not _number_like(cid):
            return cid
    return "c" + digest[:15]


def _number_like(text):
    """True when ``text`` parses as a float (ase.db would refuse it as a string).

    >>> _number_like("85786365e4695490"), _number_like("8578a365e4695490")
    (True, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


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
            if "cid" in row}


def _key_values(atoms, record):
    """Record and info as ase.db key-value pairs (plain scalars, unreserved names)."""
    from ase.db.core import reserved_keys, word

    kv = {}
    for source in (atoms.info, record):
        for key, value in source.items():
            key = RENAMED.get(key, key)
            if isinstance(value, np.generic):
                value = value.item()
            if value is None or not isinstance(value, (str, int, float, bool)):
                continue
            if key in reserved_keys or not word.match(key):
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


def write_result(db, atoms, record, start=None):
    """Store one candidate's result; False when its id already has a final row.

    ``atoms`` is the relaxed structure (with a single-point calculator holding energy,
    forces and charges, or none for a failure); ``record`` the result dict with at least
    ``cid`` and ``status``; ``start`` the input structure, kept in ``data`` so a row can
    be redone.  A non-final row with the same id is replaced in the same transaction:
    every candidate has at most one row.
    """
    db = connect(db)
    cid = record["cid"]
    data = {"info": _jsonable(dict(atoms.info)),
            "ladder": _jsonable(record.get("ladder", [])),
            "problems": list(record.get("problems", []))}
    if "role" in atoms.arrays:
        data["role"] = [str(r) for r in atoms.arrays["role"]]
    if start is not None:
        data["start_positions"] = np.asarray(start.positions).tolist()
    kv = _key_values(atoms, {k: v for k, v in record.items() if k not in ("ladder",)})
    with db:
        old = [row.id for row in db.select(cid=cid)]
        finals = [row for row in db.select(cid=cid) if is_final(row.status)]
        if finals:
            return False
        if old:
            db.delete(old)
        db.write(atoms, key_value_pairs=kv, data=data)
    return True


def rows(db, **selection):
    """One dict per stored candidate: the key-value pairs plus energy and fmax."""
    db = connect(db, create=False)
    out = []
    for row in db.select(sort="id", **selection):
        d = dict(row.key_value_pairs)
        d["energy"] = row.get("energy")
        d["fmax"] = float(row.fmax) if "forces" in row else None
        out.append(d)
    return out


def read_relaxed(db, cids=None):
    """The stored structures as candidates (roles, info and results restored).

    ``cids`` limits and orders the list (missing ids are left out).
    """
    db = connect(db, create=False)
    by_cid = {}
    for row in db.select():
        atoms = row.toatoms()
        data = row.data
        info = dict(data.get("info", {}))
        info.update(row.key_value_pairs)
        if "cluster" in info:
            info.setdefault("formula", info["cluster"])
        info["energy"] = row.get("energy")
        info["fmax"] = float(row.fmax) if "forces" in row else None
        atoms.info.update({k: v for k, v in info.items() if v is not None})
        if "role" in data:
            set_roles(atoms, data["role"])
        by_cid[row.cid] = atoms
    if cids is None:
        return list(by_cid.values())
    return [by_cid[c] for c in cids if c in by_cid]


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
