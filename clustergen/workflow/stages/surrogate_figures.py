"""Held-out figures of the surrogates a workflow used, for its report.

For each model the run fitted (the ``learn`` search's model of the relaxed property from
the start structures; the ``rank: {by: surrogate}`` model fitted on the store) two PNGs:
a parity plot of computed against cross-validated predictions (every point predicted by
a model that did not see it, :func:`clustergen.rank.evaluate.cross_validate`) and a
learning curve (test MAE against training size, :func:`clustergen.rank.evaluate.
learning_curve`).  They are written to the run directory and inlined in ``report.html``.
"""

import base64
import math

import numpy as np

from clustergen.rank.surrogate import MIN_ROWS

USABLE = ("converged", "not-converged")  # the statuses active learning learns from


def folds_for(n, most=5):
    """Folds such that every training split keeps ``MIN_ROWS`` rows (None: too few).

    >>> folds_for(4), folds_for(6), folds_for(7), folds_for(40)
    (None, 6, 5, 5)
    """
    for k in range(min(most, n), n + 1):
        if k >= 2 and n - math.ceil(n / k) >= MIN_ROWS:
            return k
    return None


def learn_rows(inputs, relax_settings, target):
    """Training rows of the learn model: each relaxed candidate's start structure (what
    the search described) with its computed value (energies relative to the lowest)."""
    from clustergen.workflow.stages.relax import candidate_ids

    start = dict(zip(candidate_ids(inputs["candidates"], relax_settings),
                     inputs["candidates"]))
    done = [a for a in inputs["relaxed"] if a.info.get("status") in USABLE
            and a.info.get(target) is not None and a.info["cid"] in start]
    if not done:
        return []
    low = min(float(a.info[target]) for a in done) if target == "energy" else 0.0
    return [{"atoms": start[a.info["cid"]], "y": float(a.info[target]) - low,
             "id": a.info["cid"], "level": relax_settings["method"],
             "group": str(a.info.get("formula", ""))} for a in done]


def figures(rows, target, name, run_dir, title):
    """Parity plot and learning curve of ``rows`` (target ``gap`` or ``rel_energy``);
    returns ``[{"caption", "file", "src"}]`` (``src``: a data URI) and a note."""
    from clustergen.rank import evaluate

    k = folds_for(len(rows))
    if k is None:
        return [], (f"{title}: {len(rows)} computed value(s), too few for held-out "
                    f"figures (need {MIN_ROWS + 1})")
    y, mean, std = evaluate.cross_validate(rows, target, split="random", folds=k, seed=0)
    parity = run_dir / f"{name}-parity.png"
    evaluate.parity_plot(y, mean, std, parity, title=f"{title}, {k}-fold")
    sizes = sorted({int(s) for s in np.linspace(3, len(rows) - 2, 5)} - {0})
    curve = evaluate.learning_curve(rows, target, sizes, repeats=3, seed=0)
    lc = run_dir / f"{name}-learning-curve.png"
    evaluate.learning_curve_plot(curve, lc, title=title)
    cal = evaluate.calibration(y, mean, std)
    note = (f"{title}: held-out MAE {cal['mae']:.3f} eV over {len(rows)} computed "
            f"({k}-fold), {100 * cal['within_2std']:.0f}% within 2 std")
    return [_figure(f"{title}: computed vs predicted ({k}-fold cross-validation)", parity),
            _figure(f"{title}: learning curve (test MAE, 3 random draws per size)", lc)], note


def _figure(caption, path):
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"caption": caption, "file": path.name, "src": f"data:image/png;base64,{data}"}


def surrogate_figures(config, inputs, run_dir):
    """Figures and notes for the surrogates of this run (none without one)."""
    out, notes = [], []
    learn = config.get("learn")
    if learn and inputs.get("predicted") is not None:
        target = learn["target"]
        rows = learn_rows(inputs, config["relax"], target)
        figs, note = figures(rows, "rel_energy" if target == "energy" else "gap", "learn",
                             run_dir, f"learn model ({target})")
        out, notes = out + figs, notes + [note]
    rank = config["rank"]
    if rank["by"] == "surrogate":
        if rank["model"] is None:
            from clustergen.rank.data import rows_from_store

            rows = rows_from_store(str(run_dir / "results.db"), rank["target"])
            figs, note = figures(rows, rank["target"], "rank", run_dir,
                                 f"rank model ({rank['target']})")
            out, notes = out + figs, notes + [note]
        else:
            notes.append(f"rank by surrogate: model {rank['model']} (its held-out figures "
                         "are in its metadata; docs/surrogate.md for dft-gap)")
    return out, notes
