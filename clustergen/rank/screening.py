"""A dopant screen that relaxes only what active learning asks for.

:func:`learned_screen` runs :func:`clustergen.rank.active.learn` over the enumerated
configurations, then builds the usual :func:`clustergen.screen.dopants.screen` rows:
relaxed configurations are ``computed``; the others get the surrogate's prediction
(``predicted``, with its standard deviation).  Boltzmann populations count computed
configurations only (a prediction is a guide to what to relax next, not a result).

>>> from ase.cluster import Icosahedron
>>> from clustergen.screen.dopants import enumerate_dopings
>>> configs = enumerate_dopings(Icosahedron("Au", 2), "Cu", 2)
>>> def fake_relax(cs):  # stands in for GFN1-xTB: energy by Cu-Cu distance
...     out = []
...     for c in cs:
...         r = c.copy(); i, j = [k for k, s in enumerate(r.get_chemical_symbols()) if s == "Cu"]
...         r.info.update(energy=-0.1 / r.get_distance(i, j), status="converged", gap=1.0)
...         out.append(r)
...     return out
>>> rows, state = learned_screen(configs, fake_relax, budget=3, n_seed=2)
>>> sorted(r["source"].split()[0] for r in rows)
['computed', 'computed', 'computed', 'predicted']
"""

import numpy as np

from clustergen.rank import active
from clustergen.screen.dopants import COLUMNS as SCREEN_COLUMNS
from clustergen.screen.dopants import TEMPERATURE, screen

COLUMNS = SCREEN_COLUMNS + ("std", "source")


def learned_screen(configurations, relax, key="energy", budget=24, acquisition=None,
                   batch=1, seed=0, n_seed=None, temperature=TEMPERATURE, log=None):
    """Rows (see :func:`clustergen.screen.dopants.screen`, plus ``std`` and ``source``)
    and the learning state.  ``relax(list) -> list`` relaxes (and stores) a batch.
    ``acquisition`` defaults to ``lcb`` for energies and ``ucb`` for gaps."""
    configurations = list(configurations)
    acquisition = acquisition or ("ucb" if key == "gap" else "lcb")
    state = active.learn(configurations, relax, key=key, budget=budget,
                         acquisition=acquisition, batch=batch, n_seed=n_seed, seed=seed,
                         log=log)
    by_id = {id(configurations[i]): res for i, res in state["results"].items()}
    rows = screen(configurations, relax=lambda cs: [by_id.get(id(c)) for c in cs],
                  temperature=temperature)
    index = {c.info["dopant_sites"]: i for i, c in enumerate(configurations)}
    computed = [e for e in (r["energy"] for r in rows) if e is not None]
    low = min(computed) if computed else 0.0
    for r in rows:
        i = index[r["sites"]]
        if i in state["results"]:
            r.update(source="computed", std=None)
            continue
        r["status"] = "predicted"
        if state["mean"] is None:
            r["source"] = "not computed"
            continue
        mean, std = float(state["mean"][i]), float(state["std"][i])
        r.update(std=std, source=f"predicted ±{std:.3f}")
        if key == "energy":
            r.update(energy=mean, rel_energy=mean - low)
        else:
            r[key] = mean
    rows.sort(key=lambda r: (r["rel_energy"] is None, r["rel_energy"]
                             if r["rel_energy"] is not None else np.inf))
    return rows, state
