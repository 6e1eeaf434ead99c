"""Learn: the relax stage through active learning (the workflow's ``learn`` section).

Instead of relaxing every candidate, :func:`clustergen.rank.active.learn` relaxes at most
``budget`` of them, chosen round by round by a Gaussian process on the candidates'
descriptors (farthest-point seeds, then the acquisition: ``lcb`` for the lowest energy,
``ucb`` for the largest gap, ``uncertainty`` or ``random``), and the model of the last
round predicts the rest with a standard deviation.  Every relaxation goes through
:func:`clustergen.workflow.stages.relax.relax_candidates` into ``results.db`` and every
prediction is stored there too (:mod:`clustergen.rank.stored`), linked by the id the
candidate's relaxation would get.  The search is deterministic (seeded farthest points,
seeded GP fits), so a run killed mid-search replays it on the rerun with each finished
relaxation read back from the store: nothing finished is computed again.
"""

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.rank import stored
from clustergen.workflow.state import digest


def _distinct(candidates, ids):
    """Candidates with distinct ids (first kept), and their ids."""
    seen, pool, pool_ids = set(), [], []
    for atoms, cid in zip(candidates, ids):
        if cid not in seen:
            seen.add(cid)
            pool.append(atoms)
            pool_ids.append(cid)
    return pool, pool_ids


def _final_model(x, values, seed):
    """Mean and std over the pool from the computed ``values`` ({index: value}): the
    search's last fit again, now with the held-out pass of
    :func:`clustergen.rank.surrogate.fit_features`, whose ``std_scale`` (z-scores of
    unit variance on held-out rows; needs 10 values) calibrates the stds."""
    from clustergen.rank.surrogate import fit_features

    done = sorted(values)
    state, extra = fit_features(x[done], np.array([values[i] for i in done]), seed=seed,
                                folds=5)
    z = state["scaler"].transform(x[:, state["columns"]])
    mean, std = state["gp"].predict(z, return_std=True)
    return mean, std * extra["std_scale"], extra


def predicted_structure(atoms, cid, target, mean, std):
    """A candidate labelled with its prediction (the start structure: it was not relaxed).

    >>> from ase import Atoms
    >>> p = predicted_structure(Atoms("Au"), "c1", "energy", -3.0, 0.1)
    >>> p.info["status"], p.info["energy"], p.info["std"]
    ('predicted', -3.0, 0.1)
    """
    out = atoms.copy()
    out.calc = None
    out.info.update(cid=cid, status=stored.STATUS, source=stored.STATUS, target=target,
                    predicted=float(mean), std=float(std))
    out.info.pop("gap", None)
    out.info[target] = float(mean)  # what the ranking reads; the store keeps `predicted`
    return out


def learn_relax(candidates, relax_settings, learn, db, retry=False, progress=True,
                log=None):
    """Relax at most ``learn["budget"]`` of ``candidates`` chosen by active learning and
    predict the others.  Returns ``(relaxed, predicted, search)``: the relaxed structures
    in evaluation order, the others as :func:`predicted_structure` (stored in ``db``), and
    ``{"stopped", "order", "values", "std_scale", "cv_mae"}`` of the search (order and
    values by cid; the scale applied to the predicted stds and the held-out MAE of the
    final model, None with fewer than 10 values).

    >>> relaxed, predicted, search = learn_relax(cands, wf["relax"], wf["learn"],
    ...                                          "results.db")  # doctest: +SKIP
    """
    from clustergen.rank import active
    from clustergen.rank.descriptors import describe, framework_elements
    from clustergen.workflow.stages.relax import candidate_ids, relax_candidates

    pool, ids = _distinct(list(candidates), candidate_ids(candidates, relax_settings))
    key = learn["target"]
    x = describe(pool, sorted({e for a in pool for e in framework_elements(a)}))

    def evaluate(batch):
        # a stored prediction of a candidate is superseded by its relaxation (and the
        # relaxer's claims would take a row with its id for a finished one)
        stored.drop_predictions(db, candidate_ids(batch, relax_settings))
        return relax_candidates(batch, relax_settings, db, retry=retry, progress=progress)

    state = active.learn(pool, evaluate, key=key, budget=learn["budget"],
                         acquisition=learn["acquisition"], batch=learn["batch"],
                         seed=learn["seed"], x=x, log=log, settle=learn["settle"])
    rest = [i for i in range(len(pool)) if i not in state["order"]]
    if rest and len(state["values"]) < 2:
        raise ClusterGenError(f"learn: {len(state['values'])} usable {key} value(s) after "
                              f"{len(state['order'])} relaxation(s); predicting the other "
                              f"{len(rest)} needs at least 2 (raise learn.budget)")
    mean, std, extra = _final_model(x, state["values"], learn["seed"]) if rest else \
        (None, None, {})
    predicted = [predicted_structure(pool[i], ids[i], key, mean[i], std[i]) for i in rest]
    note = f"GP on {len(state['values'])} relaxed"
    stored.drop_predictions(db, ids)  # computed now, or about to be predicted afresh
    stored.write_predictions(db, predicted, key, [p.info["predicted"] for p in predicted],
                             [p.info["std"] for p in predicted], note)
    relaxed = [state["results"][i] for i in state["order"] if i in state["results"]]
    search = {"stopped": state["stopped"], "order": [ids[i] for i in state["order"]],
              "values": {ids[i]: v for i, v in state["values"].items()},
              "std_scale": extra.get("std_scale"), "cv_mae": extra.get("cv_mae")}
    return relaxed, predicted, search


def run(config, inputs, run_dir, db, retry):
    """The relax stage's work when the workflow has a ``learn`` section."""
    import sys

    from clustergen.workflow.stages.relax import with_literature

    by_cid = _by_cid(inputs["candidates"], config["relax"])
    log = None if not inputs.get("progress", True) else \
        (lambda text: print(text, file=sys.stderr, flush=True))
    relaxed, predicted, search = learn_relax(
        inputs["candidates"], config["relax"], config["learn"], db, retry=retry,
        progress=inputs.get("progress", True), log=log)
    relaxed = [with_literature(a, by_cid[a.info["cid"]]) for a in relaxed]
    predicted = [with_literature(p, by_cid[p.info["cid"]]) for p in predicted]
    return {"relaxed": relaxed, "predicted": predicted, "digest": _digest(relaxed, predicted),
            "record": {"cids": [a.info["cid"] for a in relaxed],
                       "predicted": [p.info["cid"] for p in predicted],
                       "evaluated": len(search["order"]), "stopped": search["stopped"],
                       "std_scale": search["std_scale"]}}


def _by_cid(candidates, relax_settings):
    from clustergen.workflow.stages.relax import candidate_ids

    return dict(zip(candidate_ids(candidates, relax_settings), candidates))


def _digest(relaxed, predicted):
    return digest([(a.info["cid"], a.info.get("status"), a.info.get("energy"))
                   for a in relaxed],
                  [(p.info["cid"], round(p.info["predicted"], 8), round(p.info["std"], 8))
                   for p in predicted])


def reuse(config, inputs, run_dir, db):
    """The finished search read back from the store (no model fitted, nothing relaxed);
    None when a relaxation or prediction it recorded is missing."""
    from clustergen.compute import store
    from clustergen.workflow.stages.relax import with_literature

    record = inputs["state"].get("relax", {})
    if "predicted" not in record:
        return None  # recorded without learn
    by_cid = _by_cid(inputs["candidates"], config["relax"])
    relaxed = store.read_relaxed(str(db), record["cids"])
    rows = {r["cid"]: r for r in stored.prediction_rows(str(db), record["predicted"])}
    if len(relaxed) != len(record["cids"]) or set(rows) != set(record["predicted"]) \
            or not all(c in by_cid for c in list(record["cids"]) + list(rows)):
        return None
    predicted = [with_literature(predicted_structure(
        by_cid[c], c, rows[c]["target"], rows[c]["predicted"], rows[c]["std"]), by_cid[c])
        for c in record["predicted"]]
    relaxed = [with_literature(a.copy(), by_cid[a.info["cid"]]) for a in relaxed]
    return {"relaxed": relaxed, "predicted": predicted}


def log_lines(inputs):
    """What the relax log adds for a learned relaxation."""
    record = inputs["state"].get("relax", {})
    predicted = inputs.get("predicted") or []
    stds = [p.info["std"] for p in predicted]
    text = (f"learn: {len(inputs['relaxed'])} relaxed of "
            f"{len(inputs['relaxed']) + len(predicted)} (stopped: "
            f"{record.get('stopped', '?')}), {len(predicted)} predicted")
    if stds:
        text += f" (std {min(stds):.3f}-{max(stds):.3f} eV"
        if record.get("std_scale") is not None:
            text += f", scaled x{record['std_scale']:.2f} by a 5-fold held-out pass"
        text += ")"
    return [text]
