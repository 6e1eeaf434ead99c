"""Ranking rows from a surrogate: what ``surrogate predict`` prints and a workflow's
ranking table gains (prediction, std, level).

>>> from clustergen.rank.predicted import COLUMNS
>>> COLUMNS
('id', 'formula', 'prediction', 'std', 'level', 'target')
"""

import numpy as np

COLUMNS = ("id", "formula", "prediction", "std", "level", "target")


def ranking_rows(candidates, model, order="auto"):
    """One dict per candidate: id (``cid``/``isomer`` or its position), formula,
    prediction and std (eV) at the model's level, the level and the target; sorted by
    prediction (lowest first for energies, highest first for gaps; ``order`` =
    ``ascending``, ``descending`` or ``none`` overrides).

    >>> rows = ranking_rows(cands, model)  # doctest: +SKIP
    """
    candidates = list(candidates)
    mean, std = model.predict(candidates)
    rows = []
    for k, (a, m, s) in enumerate(zip(candidates, mean, std)):
        rows.append({"id": str(a.info.get("cid") or a.info.get("isomer") or f"s{k + 1}"),
                     "formula": str(a.info.get("formula") or a.get_chemical_formula()),
                     "prediction": float(m), "std": float(s), "level": model.level,
                     "target": model.target})
    if order == "auto":
        order = "descending" if model.target == "gap" else "ascending"
    if order in ("ascending", "descending"):
        rows.sort(key=lambda r: r["prediction"], reverse=order == "descending")
    return rows


def annotate(rows, candidates, model, prefix="surrogate_"):
    """Add ``surrogate_<target>``, ``surrogate_std`` and ``surrogate_level`` to existing
    ranking ``rows`` (one per candidate, same order); returns the rows.

    >>> annotate(rows, candidates, model)  # doctest: +SKIP
    """
    mean, std = model.predict(list(candidates))
    for r, m, s in zip(rows, np.asarray(mean), np.asarray(std)):
        r[f"{prefix}{model.target}"] = float(m)
        r[f"{prefix}std"] = float(s)
        r[f"{prefix}level"] = model.level
    return rows
