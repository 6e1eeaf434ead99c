"""Rank stage: :func:`clustergen.rank.ranking.rank` over the relaxed candidates, written
to ``ranking.csv``.

Optional parts, each adding columns (a workflow without them writes the plain table):
candidates predicted by the ``learn`` section are listed with ``source`` and ``std_eV``
(:func:`clustergen.rank.surrogate_ranking.with_predictions`); ``by: surrogate`` ranks
by a model's prediction (``predicted_<target>``, ``predicted_std``, ``predicted_level``);
a ``refine`` section runs DFT on the survivors and adds the best level's numbers
(:mod:`clustergen.workflow.stages.refine`).
"""

from clustergen.core.errors import ClusterGenError
from clustergen.rank import ranking
from clustergen.workflow.state import file_digest

FILE = "ranking.csv"
RULES = ("top", "gap", "energy_window", "topology_kept", "converged_only")


def rank(relaxed, settings):
    """Ranking rows with the workflow's ``rank`` settings (its survivor rules are the
    keyword arguments of :func:`clustergen.rank.ranking.rank`).

    >>> from ase import Atoms
    >>> a = [Atoms("Au2", info=dict(cid=c, formula="Au2", status="converged", energy=e,
    ...      gap=g)) for c, e, g in (("x", -1.0, 0.5), ("y", -1.3, 2.0))]
    >>> rows = rank(a, {"top": 1, "gap": [1.0, None], "energy_window": None,
    ...                 "topology_kept": True, "converged_only": True})
    >>> [(r["cid"], r["rel_energy_eV"], r["survivor"]) for r in rows]
    [('y', 0.0, 'yes'), ('x', 0.3, 'no')]
    """
    return ranking.rank(relaxed, **{k: settings[k] for k in RULES if k in settings})


def _by_surrogate(rows, settings, structures, db):
    """Rows ranked by the surrogate's prediction (``by: surrogate``)."""
    from clustergen.rank.surrogate_ranking import choose_model, rank_by_prediction

    by_cid = {a.info["cid"]: a for a in structures}
    try:  # too few stored values, a foreign model, an element it never saw: one line
        model = choose_model(settings["model"], settings["target"], db)
        return rank_by_prediction(rows, [by_cid[r["cid"]] for r in rows], model,
                                  top=settings["top"], gap=settings["gap"]), model
    except ClusterGenError as exc:
        raise ClusterGenError(f"rank (by surrogate): {exc}") from None


def ranked(config, inputs, run_dir, progress=True):
    """The stage's rows and CSV columns."""
    from clustergen.rank.surrogate_ranking import (
        LEARN_COLUMNS,
        prediction_columns,
        with_predictions,
    )

    settings, db = config["rank"], run_dir / "results.db"
    surrogate = settings["by"] == "surrogate"
    rules = dict(settings)
    if surrogate:  # the top N and a gap window are then taken on the prediction
        rules.update(top=None, gap=None if settings["target"] == "gap" else settings["gap"])
    rows = rank(inputs["relaxed"], rules)
    columns = ranking.RANKING_COLUMNS
    predicted = inputs.get("predicted")
    if predicted is not None:
        rows = with_predictions(rows, predicted)
        columns += LEARN_COLUMNS
    if surrogate:
        rows, model = _by_surrogate(rows, settings, list(inputs["relaxed"]) +
                                    list(predicted or []), db)
        columns += prediction_columns(model.target)
    if config.get("refine"):
        from clustergen.workflow.stages import refine

        rows, _ = refine.refine_rows(rows, inputs["relaxed"], config["refine"], db,
                                     config["relax"]["method"], progress=progress)
        columns += refine.COLUMNS
    return rows, columns


def run(config, inputs, run_dir):
    rows, columns = ranked(config, inputs, run_dir, inputs.get("progress", True))
    ranking.write_ranking(rows, run_dir / FILE, columns)
    return {"rows": rows, "digest": file_digest(run_dir / FILE)}


def reuse(config, inputs, run_dir):
    return {"rows": ranking.read_ranking(run_dir / FILE)}


def computed(rows):
    """The rows of relaxed candidates (a learned run also lists predicted ones)."""
    return [r for r in rows if r.get("source", "computed") == "computed"]


def log(inputs, status):
    rows = inputs["rows"]
    n = sum(r["survivor"] == "yes" for r in rows)
    lines = [f"rank: {n} survivor(s) of {len(rows)} ({status})"]
    lines += [f"  {line}" for line in ranking.member_summary(computed(rows))]
    levels = sorted({r["level"] for r in rows if r.get("level_rel_energy_eV") is not None})
    if levels:
        lines.append(f"refine: survivors ranked at {', '.join(levels)}")
    return lines
