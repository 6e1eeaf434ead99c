"""Surrogate predictions in the results store, beside the computed rows.

Active learning relaxes part of a pool and predicts the rest; the predictions are kept
in the same ``ase.db`` store (:mod:`clustergen.compute.store`) so a results table can show
computed and predicted candidates together.  A prediction is a row with the candidate's
``cid`` (the id its relaxation would get), ``status = "predicted"``, ``source =
"predicted"``, the ``target`` (``energy`` or ``gap``), the value under ``predicted`` (never
under ``energy`` or ``gap``), its standard deviation ``std`` (eV) and a ``level`` naming the
model.  The ``level`` key makes the store treat it like a higher-level row: the relaxer,
:func:`clustergen.compute.store.read_relaxed` (and so the surrogate training rows) and the
DFT candidate lists skip it, and :func:`clustergen.rank.levels.ranking` ranks converged
rows only, so a prediction is never ranked as a computed result.

>>> import os, tempfile
>>> from ase import Atoms
>>> db = os.path.join(tempfile.mkdtemp(), "r.db")
>>> a = Atoms("Au2", positions=[[0, 0, 0], [2.6, 0, 0]], info={"formula": "Au2", "cid": "c1"})
>>> write_predictions(db, [a], "energy", [-10.5], [0.02], "GP on 6 GFN1-xTB relaxations")
1
>>> [(r["cid"], r["status"], r["predicted"], r["std"]) for r in prediction_rows(db)]
[('c1', 'predicted', -10.5, 0.02)]
>>> from clustergen.compute import store
>>> store.read_relaxed(db), store.stored_status(db)
([], {})
"""

from clustergen.compute import store

STATUS = "predicted"
LEVEL = "surrogate"


def is_prediction(row):
    """True for a prediction row (ase.db row or :func:`clustergen.compute.store.rows` dict).

    >>> is_prediction({"level": "surrogate GP", "status": "predicted"}), is_prediction({})
    (True, False)
    """
    return "level" in row and row.get("status") == STATUS


def level_name(target, note=""):
    """The ``level`` of a prediction row: what was predicted, and by which model.

    >>> level_name("energy", "GP on GFN1-xTB")
    'surrogate energy (GP on GFN1-xTB)'
    """
    return f"{LEVEL} {target}" + (f" ({note})" if note else "")


def drop_predictions(db, cids=None):
    """Delete the prediction rows of ``cids`` (all when None); returns how many."""
    conn = store.connect(db)
    wanted = None if cids is None else set(cids)
    with conn:
        old = [row.id for row in conn.select(status=STATUS)
               if is_prediction(row) and (wanted is None or row.get("cid") in wanted)]
        if old:
            conn.delete(old)
    return len(old)


def write_predictions(db, structures, target, means, stds, note=""):
    """Store one prediction per structure (``info["cid"]`` required), replacing earlier
    predictions of the same candidates; returns how many were written."""
    conn = store.connect(db)
    structures = list(structures)
    drop_predictions(conn, [a.info["cid"] for a in structures])
    level = level_name(target, note)
    with conn:
        for atoms, mean, std in zip(structures, means, stds):
            info = atoms.info
            kv = {"cid": str(info["cid"]), "level": level, "method": level,
                  "status": STATUS, "source": STATUS, "target": str(target),
                  "predicted": float(mean), "std": float(std)}
            for key, name in (("formula", "cluster"), ("isomer", "isomer"),
                              ("family", "family"), ("member", "member")):
                if isinstance(info.get(key), str) and info[key] and not _numeric(info[key]):
                    kv[name] = info[key]  # ase.db refuses text that reads as a number
            bare = atoms.copy()
            bare.calc = None
            data = {"info": {k: v for k, v in info.items()
                             if isinstance(v, (str, int, float, bool))}}
            if "role" in atoms.arrays:
                data["role"] = [str(r) for r in atoms.arrays["role"]]
            conn.write(bare, key_value_pairs=kv, data=data)
    return len(structures)


def _numeric(text):
    try:
        float(text)
    except ValueError:
        return text in ("True", "False")
    return True


def prediction_rows(db, cids=None):
    """Prediction rows as dicts (as :func:`clustergen.compute.store.rows`), optionally only
    those of ``cids``."""
    wanted = None if cids is None else set(cids)
    return [r for r in store.rows(db, status=STATUS)
            if is_prediction(r) and (wanted is None or r.get("cid") in wanted)]


def has_predictions(db):
    """True when the store holds any prediction row."""
    conn = store.connect(db, create=False)
    return any(is_prediction(row) for row in conn.select(status=STATUS, limit=50))
