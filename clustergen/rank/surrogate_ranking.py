"""Ranking rows with surrogate predictions: rank by a model's predicted gap or relative
energy, and list actively-learned predictions beside the computed rows.

Plain rows in and out, the rows of :func:`clustergen.rank.ranking.rank`:

* :func:`choose_model` fits a Gaussian process on a results store
  (:func:`clustergen.rank.surrogate.fit`), or loads the shipped ``dft-gap`` model or a
  saved one; too few stored values is a one-line error.
* :func:`rank_by_prediction` adds ``predicted_<target>``, ``predicted_std`` and
  ``predicted_level`` (:func:`clustergen.rank.predicted.annotate`) and orders each
  formula's candidates by the prediction (largest gap, or lowest relative energy, first);
  the survivor rules stay those of ``rank``, with a gap window applied to the predicted
  gap when the target is the gap.
* :func:`with_predictions` appends rows for candidates that were predicted, not computed
  (``source`` = ``predicted``, ``std_eV``); they never survive, and relative energies stay
  relative to the lowest *computed* candidate of the formula.

>>> computed = [{"cid": "a", "formula": "Au2", "n_metal": 2, "energy_eV": -5.0,
...              "rel_energy_eV": 0.0, "survivor": "yes", "reason": ""}]
>>> from ase import Atoms
>>> p = Atoms("Au2", info={"cid": "b", "formula": "Au2", "status": "predicted", "energy": -5.2,
...                        "std": 0.05, "target": "energy"})
>>> [(r["cid"], r["source"], r["rel_energy_eV"], r["survivor"])
...  for r in with_predictions(computed, [p])]
[('a', 'computed', 0.0, 'yes'), ('b', 'predicted', -0.2, 'no')]
"""

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.rank import ranking

LEARN_COLUMNS = ("source", "std_eV")
PREFIX = "predicted_"
PREDICTED_REASON = "predicted, not relaxed"


def prediction_columns(target):
    """The columns :func:`rank_by_prediction` adds.

    >>> prediction_columns("gap")
    ('predicted_gap', 'predicted_std', 'predicted_level')
    """
    return (f"{PREFIX}{target}", f"{PREFIX}std", f"{PREFIX}level")


def choose_model(model, target, db, seed=0):
    """The model to rank with: None fits one on ``db`` (its relaxed results), ``dft-gap``
    is the shipped DFT-calibrated gap model, anything else a saved model file.

    >>> choose_model("no-such.model", "gap", "results.db")
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: no model file 'no-such.model'
    """
    from clustergen.rank import surrogate

    if model is None:
        from clustergen.rank.data import rows_from_store

        return surrogate.fit(rows_from_store(str(db), target), target, seed=seed)
    if model == "dft-gap":
        from clustergen.rank.dft_gap import load_model

        return load_model()
    loaded = surrogate.load(model)
    if loaded.target != target:
        raise ClusterGenError(f"model '{model}' predicts {loaded.target}, not {target}")
    return loaded


def _outside(value, window):
    lo, hi = window or (None, None)
    if lo is not None and value < lo:
        return f"predicted gap < {lo:g} eV"
    if hi is not None and value > hi:
        return f"predicted gap > {hi:g} eV"
    return ""


def rank_by_prediction(rows, candidates, model, top=1, gap=None):
    """Annotate ``rows`` (one per candidate, same order) with ``model``'s predictions and
    choose each formula's ``top`` survivors by the prediction among the rows with no
    ``reason`` yet (rows ranked with ``top=None``).  ``gap``: ``[min, max]`` window on the
    predicted gap (gap models only).  Returns the rows sorted by formula size, then
    prediction.

    >>> rows = rank_by_prediction(rows, relaxed, model, top=1)  # doctest: +SKIP
    """
    from clustergen.rank.predicted import annotate

    annotate(rows, candidates, model, prefix=PREFIX)
    key, descending = f"{PREFIX}{model.target}", model.target == "gap"
    if gap is not None and model.target == "gap":
        for r in rows:
            if not r["reason"]:
                r["reason"] = _outside(r[key], gap)

    def order(r):
        return -r[key] if descending else r[key]

    rows.sort(key=lambda r: (r.get("n_metal") or 0, r["formula"], order(r)))
    return ranking.mark_survivors(rows, top, " by prediction")


def with_predictions(rows, predicted):
    """``rows`` (computed) marked ``source = computed`` plus one row per ``predicted``
    structure (``info``: cid, formula, status ``predicted``, ``std`` and the predicted
    ``energy`` or ``gap``), sorted by formula size, then computed before predicted, then
    energy.  See the module example."""
    from clustergen.rank.ranking import candidate_rows

    for r in rows:
        r.update(source="computed", std_eV=None)
    lowest = {}
    for r in rows:
        if r.get("energy_eV") is not None:
            lowest[r["formula"]] = min(lowest.get(r["formula"], np.inf), r["energy_eV"])
    extra = candidate_rows(predicted)
    for r, atoms in zip(extra, predicted):
        low = lowest.get(r["formula"])
        r.pop("topology", None)
        r.update(source="predicted", std_eV=float(atoms.info["std"]), survivor="no",
                 reason=PREDICTED_REASON, steps=None,
                 rel_energy_eV=None if r["energy_eV"] is None or low is None
                 else round(r["energy_eV"] - low, 6))
    out = rows + extra

    def energy(r):
        return np.inf if r.get("energy_eV") is None else r["energy_eV"]

    out.sort(key=lambda r: (r.get("n_metal") or 0, r["formula"], r["source"] != "computed",
                            energy(r)))
    return out
