"""Refine: DFT single points on the rank survivors, inside the rank stage (the
workflow's ``refine`` section), then their ranking at the best level available.

:func:`clustergen.dft.refine.refine` runs CP2K or PySCF on the survivors (the ``top``
lowest per formula, default all) and stores each result in ``results.db`` beside the
GFN-xTB row of the same candidate; a rerun skips converged jobs, so a killed run loses
no finished DFT job.  :func:`clustergen.rank.levels.ranking` then ranks the refined
candidates of each formula at DFT where every one of them has a converged DFT energy,
else at GFN-xTB (levels are never mixed inside a formula), and every ranking row names
the level its ``level_*`` numbers come from.
"""

from clustergen.core.errors import ClusterGenError

COLUMNS = ("level", "level_energy_eV", "level_rel_energy_eV", "level_gap_eV")


def chosen_survivors(rows, relaxed, top=None):
    """The relaxed survivors to refine: per formula, the first ``top`` survivor rows
    (rows in ranking order; None: all).

    >>> from ase import Atoms
    >>> rows = [{"cid": c, "formula": "X", "survivor": s} for c, s in
    ...         (("a", "yes"), ("b", "yes"), ("c", "no"))]
    >>> [a.info["cid"] for a in chosen_survivors(rows, [Atoms(info={"cid": c})
    ...                                                  for c in "abc"], top=1)]
    ['a']
    """
    by_cid = {a.info["cid"]: a for a in relaxed}
    per, out = {}, []
    for r in rows:
        if r["survivor"] != "yes" or r["cid"] not in by_cid:
            continue
        per[r["formula"]] = per.get(r["formula"], 0) + 1
        if top is None or per[r["formula"]] <= top:
            out.append(by_cid[r["cid"]])
    return out


def at_best_level(rows, store_rows, cids, base_level):
    """Add the ``level`` columns to ``rows``: for candidates in ``cids`` the best-level
    ranking of :func:`clustergen.rank.levels.ranking` over them, for the others their
    own level (``base_level``, or ``predicted`` for predicted rows).  Refined rows come
    first in their formula, in the order of the best level.

    >>> rows = [{"cid": c, "formula": "X", "n_metal": 2} for c in "ab"]
    >>> store_rows = [{"cid": "a", "cluster": "X", "status": "converged", "energy": -1.0},
    ...               {"cid": "b", "cluster": "X", "status": "converged", "energy": -1.2},
    ...               {"cid": "a", "cluster": "X", "status": "converged", "energy": -90.4,
    ...                "level": "PBE/x (CP2K)"},
    ...               {"cid": "b", "cluster": "X", "status": "converged", "energy": -90.1,
    ...                "level": "PBE/x (CP2K)"}]
    >>> [(r["cid"], r["level"], round(r["level_rel_energy_eV"], 2))
    ...  for r in at_best_level(rows, store_rows, {"a", "b"}, "GFN1-xTB")]
    [('a', 'PBE/x (CP2K)', 0.0), ('b', 'PBE/x (CP2K)', 0.3)]
    """
    from clustergen.rank.levels import ranking

    best = {b["cid"]: b for b in ranking([r for r in store_rows if r.get("cid") in cids],
                                         "best")}
    for r in rows:
        b = best.get(r["cid"])
        if b is not None:
            r.update(level=b["level"], level_energy_eV=b["energy"],
                     level_rel_energy_eV=b["de"], level_gap_eV=b["gap"])
        else:
            r.update(level="predicted" if r.get("source") == "predicted" else base_level,
                     level_energy_eV=None, level_rel_energy_eV=None, level_gap_eV=None)
    index = {id(r): k for k, r in enumerate(rows)}

    def order(r):
        refined = r["level_rel_energy_eV"] is not None
        return (r.get("n_metal") or 0, r["formula"], not refined,
                r["level_rel_energy_eV"] if refined else index[id(r)])

    return sorted(rows, key=order)


def refine_rows(rows, relaxed, settings, db, base_level, progress=True):
    """DFT on the survivors (``settings``: the workflow's ``refine`` section), then
    ``rows`` with the level columns; returns ``(rows, refined cids)``."""
    from clustergen.compute import store
    from clustergen.dft.refine import refine
    from clustergen.workflow.options import refine_options

    chosen = chosen_survivors(rows, relaxed, settings["top"])
    if chosen:
        try:
            refine(chosen, db=str(db), progress=progress, **refine_options(settings))
        except ClusterGenError as exc:
            raise ClusterGenError(f"refine: {exc}") from None
    cids = {a.info["cid"] for a in chosen}
    return at_best_level(rows, store.rows(str(db)), cids, base_level), sorted(cids)
