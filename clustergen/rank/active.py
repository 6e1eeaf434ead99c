"""Active learning over a pool of candidates: relax only the informative ones.

The pool (e.g. every symmetry-distinct dopant configuration) is described once
(:mod:`clustergen.rank.descriptors`, on the *start* structures, so the model learns the
relaxed property from the unrelaxed input).  A few diverse candidates seed the search
(farthest points in descriptor space); then, round by round, a Gaussian process
(:func:`clustergen.rank.surrogate.fit_features`) is fitted to everything computed so
far and the next batch is chosen by an acquisition function:

* ``lcb`` (default, for energies): lowest ``mean - kappa*std``;
* ``ucb`` (for gaps): highest ``mean + kappa*std``;
* ``uncertainty``: largest ``std``;
* ``random``: no model (the baseline).

A batch of ``batch`` candidates is filled by the "kriging believer" rule (each pick is
added as if its prediction were true, which shrinks the uncertainty around it, so one
batch does not pile onto one spot; Ginsbourger, Le Riche and Carraro, in *Computational
Intelligence in Expensive Optimization Problems*, Springer 2010, 131-162, DOI
10.1007/978-3-642-10701-6_6).  The loop stops at the ``budget`` or when the best value
is settled: no uncomputed candidate's optimistic bound (kappa = 2) beats it.

The ``evaluate`` callable does the real work (e.g.
:func:`clustergen.screen.dopants.relax_configurations` with a results database, so
every relaxation is stored and a killed run resumes without redoing any).

>>> import numpy as np
>>> farthest_points(np.array([[0.0], [0.1], [5.0], [2.4]]), 2, start=0)
[0, 2]
"""

import numpy as np

from clustergen.core.errors import ClusterGenError

ACQUISITIONS = ("lcb", "ucb", "uncertainty", "random")
KAPPA = 2.0
FOLDS = 5   # held-out pass that calibrates the final model's stds (needs 10 values)


def farthest_points(x, k, start=0):
    """Indices of ``k`` rows of ``x`` chosen greedily, each farthest from those chosen.

    ``start``: the first index.
    """
    x = np.asarray(x, dtype=float)
    k = min(int(k), len(x))
    chosen = [int(start)]
    d = np.linalg.norm(x - x[start], axis=1)
    while len(chosen) < k:
        nxt = int(np.argmax(d))
        chosen.append(nxt)
        d = np.minimum(d, np.linalg.norm(x - x[nxt], axis=1))
    return chosen


def acquisition_scores(mean, std, kind="lcb", kappa=KAPPA):
    """Scores to maximise for the acquisition ``kind`` (see the module text).

    >>> acquisition_scores([0.0, 0.1], [0.01, 0.3], "lcb").round(2).tolist()
    [0.02, 0.5]
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if kind == "lcb":
        return -(mean - kappa * std)
    if kind == "ucb":
        return mean + kappa * std
    if kind == "uncertainty":
        return std.copy()
    raise ClusterGenError(f"unknown acquisition '{kind}' (known: {', '.join(ACQUISITIONS)})")


def _believer_batch(z, y_done, done, todo, kernel, kind, size, kappa):
    """Pick ``size`` indices of ``todo`` by kriging believer with a fixed kernel."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    picked = []
    xs, ys = list(done), list(y_done)
    for _ in range(min(size, len(todo))):
        gp = GaussianProcessRegressor(kernel=kernel, optimizer=None, normalize_y=True)
        gp.fit(z[xs], np.asarray(ys))
        rest = [i for i in todo if i not in picked]
        m, s = gp.predict(z[rest], return_std=True)
        best = rest[int(np.argmax(acquisition_scores(m, s, kind, kappa)))]
        picked.append(best)
        xs.append(best)
        ys.append(float(gp.predict(z[[best]])[0]))
    return picked


def _model(x, done, y, seed, folds=0):
    """GP on the computed rows, its mean and std over the pool.  ``folds`` > 1 scales
    the std by the held-out pass of :func:`~clustergen.rank.surrogate.fit_features`
    (done for the final model, whose stds are reported; a round's acquisition uses the
    GP's own std)."""
    from clustergen.rank.surrogate import fit_features
    state, extra = fit_features(x[done], y, seed=seed, folds=folds)
    z = state["scaler"].transform(x[:, state["columns"]])
    mean, std = state["gp"].predict(z, return_std=True)
    state["std_scale"] = extra["std_scale"]
    return state, z, mean, std * extra["std_scale"]


def _settled(mean, std, values, done, todo, minimise):
    if not todo:
        return True
    best = min(values) if minimise else max(values)
    bound = mean[todo] - KAPPA * std[todo] if minimise else mean[todo] + KAPPA * std[todo]
    return bool(np.all(bound > best)) if minimise else bool(np.all(bound < best))


def learn(configurations, evaluate, key="energy", budget=24, acquisition="lcb",
          batch=1, n_seed=None, seed=0, x=None, log=None, settle=True):
    """Search ``configurations`` for the best ``key`` value with at most ``budget``
    evaluations; returns a dict with ``order`` (indices in evaluation order),
    ``values`` (``{index: value}``), ``mean``/``std`` (the last model over the whole
    pool, None for ``random``; the final stds scaled by ``std_scale``, see
    :func:`~clustergen.rank.surrogate.fit_features`), ``results``
    (``{index: evaluated Atoms}``) and ``stopped`` (``budget``, ``settled`` or ``pool``).

    ``evaluate(list_of_atoms) -> list_of_atoms`` returns results with ``info[key]``
    (None or a non-usable status marks a failure, which counts against the budget but
    is not learned from).  ``x``: precomputed descriptors of the pool.  ``settle=False``
    runs to the budget even when the best looks settled.
    """
    if acquisition not in ACQUISITIONS:
        raise ClusterGenError(f"unknown acquisition '{acquisition}' "
                              f"(known: {', '.join(ACQUISITIONS)})")
    configurations = list(configurations)
    n = len(configurations)
    budget = min(int(budget), n)
    if budget < 1:
        raise ClusterGenError(f"budget must be >= 1, got {budget}")
    rng = np.random.default_rng(seed)
    if x is None and acquisition != "random":
        from clustergen.rank.descriptors import describe, framework_elements
        species = sorted({e for a in configurations for e in framework_elements(a)})
        x = describe(configurations, species)
    batch = max(1, int(batch))
    n_seed = min(budget, n_seed or max(batch, min(8, max(budget // 3, 2))))
    if acquisition == "random":
        first = [int(i) for i in rng.permutation(n)[:n_seed]]
    else:
        xs = (x - x.mean(0)) / np.where(x.std(0) > 1e-12, x.std(0), 1.0)
        first = farthest_points(xs, n_seed, start=int(rng.integers(n)))
    state = {"order": [], "values": {}, "results": {}, "mean": None, "std": None,
             "std_scale": None, "stopped": "budget"}
    _run(configurations, evaluate, first, key, state)
    minimise = acquisition != "ucb"
    while len(state["order"]) < budget:
        todo = [i for i in range(n) if i not in state["order"]]
        if not todo:
            state["stopped"] = "pool"
            break
        size = min(batch, budget - len(state["order"]))
        done = sorted(state["values"])
        if acquisition == "random" or len(done) < 2:
            pick = [int(i) for i in rng.permutation(todo)[:size]]
        else:
            y = np.array([state["values"][i] for i in done])
            model, z, mean, std = _model(x, done, y, seed)
            state["mean"], state["std"] = mean, std
            if settle and _settled(mean, std, y, done, todo, minimise):
                state["stopped"] = "settled"
                break
            pick = _believer_batch(z, model["gp"].predict(z[done]), done, todo,
                                   model["gp"].kernel_, acquisition, size, KAPPA)
        _run(configurations, evaluate, pick, key, state)
        if log:
            log(f"learn: {len(state['order'])}/{budget} evaluated, best {key} "
                f"{_best(state, minimise):.4f}")
    done = sorted(state["values"])
    if acquisition != "random" and len(done) >= 2:
        y = np.array([state["values"][i] for i in done])
        model, _, state["mean"], state["std"] = _model(x, done, y, seed, folds=FOLDS)
        state["std_scale"] = model["std_scale"]
    return state


def _best(state, minimise):
    v = list(state["values"].values())
    return (min(v) if minimise else max(v)) if v else float("nan")


def _run(configurations, evaluate, indices, key, state):
    """Evaluate ``indices`` (one call: a batch runs on all workers) and record them."""
    if not indices:
        return
    results = evaluate([configurations[i] for i in indices])
    if len(results) != len(indices):
        raise RuntimeError(f"evaluate returned {len(results)} results for {len(indices)}")
    for i, res in zip(indices, results):
        state["order"].append(i)
        if res is None:
            continue
        state["results"][i] = res
        value = res.info.get(key)
        status = res.info.get("status", "converged")
        if value is not None and np.isfinite(float(value)) and status in (
                "converged", "not-converged"):
            state["values"][i] = float(value)
