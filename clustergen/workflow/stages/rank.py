"""Rank stage: :func:`clustergen.rank.ranking.rank` over the relaxed candidates, written
to ``ranking.csv``."""

from clustergen.rank import ranking
from clustergen.workflow.state import file_digest

FILE = "ranking.csv"


def rank(relaxed, settings):
    """Ranking rows with the workflow's ``rank`` settings (a dict of the keyword
    arguments of :func:`clustergen.rank.ranking.rank`).

    >>> from ase import Atoms
    >>> a = [Atoms("Au2", info=dict(cid=c, formula="Au2", status="converged", energy=e,
    ...      gap=g)) for c, e, g in (("x", -1.0, 0.5), ("y", -1.3, 2.0))]
    >>> rows = rank(a, {"top": 1, "gap": [1.0, None], "energy_window": None,
    ...                 "topology_kept": True, "converged_only": True})
    >>> [(r["cid"], r["rel_energy_eV"], r["survivor"]) for r in rows]
    [('y', 0.0, 'yes'), ('x', 0.3, 'no')]
    """
    return ranking.rank(relaxed, **settings)


def run(config, inputs, run_dir):
    rows = rank(inputs["relaxed"], config["rank"])
    ranking.write_ranking(rows, run_dir / FILE)
    return {"rows": rows, "digest": file_digest(run_dir / FILE)}


def reuse(config, inputs, run_dir):
    return {"rows": ranking.read_ranking(run_dir / FILE)}


def log(inputs, status):
    rows = inputs["rows"]
    n = sum(r["survivor"] == "yes" for r in rows)
    return ([f"rank: {n} survivor(s) of {len(rows)} ({status})"]
            + [f"  {line}" for line in ranking.member_summary(rows)])
