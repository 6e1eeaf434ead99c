"""Held-out checks of a surrogate: learning curve, parity, calibration.

``split="random"`` holds out random rows; ``split="group"`` holds out whole groups
(compositions, or cluster families for the DFT data) so that a model is never tested on
a near copy of a training structure.  Every number here comes from rows the model did
not see.

>>> import numpy as np
>>> calibration(np.array([0.0, 1.0]), np.array([0.1, 0.8]), np.array([0.1, 0.2]))
{'mae': 0.15, 'z_mean': 0.0, 'z_std': 1.0, 'within_2std': 1.0}
"""

import numpy as np

from clustergen.core.errors import ClusterGenError

SPLITS = ("random", "group")


def calibration(y, mean, std):
    """MAE, mean and standard deviation of the z-scores (y - mean)/std, and the fraction
    within two standard deviations (about 0.95 when calibrated)."""
    y, mean, std = (np.asarray(v, dtype=float) for v in (y, mean, std))
    z = (y - mean) / np.maximum(std, 1e-12)
    def r(v):
        return round(float(v), 6) + 0.0    # + 0.0: no "-0.0"
    return {"mae": r(np.mean(np.abs(y - mean))), "z_mean": r(np.mean(z)),
            "z_std": r(np.std(z)), "within_2std": r(np.mean(np.abs(z) <= 2))}


def _splits(rows, split, folds, seed):
    n = len(rows)
    if split == "random":
        from sklearn.model_selection import KFold
        return list(KFold(min(folds, n), shuffle=True, random_state=seed).split(np.zeros(n)))
    groups = np.array([r["group"] for r in rows])
    names = sorted(set(groups))
    if len(names) < 2:
        raise ClusterGenError(f"group split needs at least 2 groups; all {n} rows are "
                              f"{names[0]} (use --split random)")
    from sklearn.model_selection import GroupKFold
    return list(GroupKFold(min(folds, len(names))).split(np.zeros(n), groups=groups))


def cross_validate(rows, target, split="random", folds=5, seed=0, **fit_options):
    """Held-out predictions for every row: ``(y, mean, std)``."""
    from clustergen.rank.surrogate import fit
    if split not in SPLITS:
        raise ClusterGenError(f"unknown split '{split}' (known: {', '.join(SPLITS)})")
    y = np.array([r["y"] for r in rows])
    mean, std = np.zeros(len(rows)), np.zeros(len(rows))
    for train, test in _splits(rows, split, folds, seed):
        model = fit([rows[i] for i in train], target, seed=seed, **fit_options)
        base = [rows[i].get("base") for i in test] if model.meta.get("delta") else None
        m, s = model.predict([rows[i]["atoms"] for i in test], base=base)
        mean[test], std[test] = m, s
    return y, mean, std


def learning_curve(rows, target, sizes, repeats=3, seed=0, x=None):
    """Test MAE against training size: ``[(size, mean MAE, std of MAE), ...]``.

    Each repeat draws ``size`` training rows at random and tests on all the others;
    ``x``: precomputed descriptors (rows of the same species), saving the SOAP work.
    """
    from clustergen.rank import descriptors
    from clustergen.rank.surrogate import fit_features
    y = np.array([r["y"] for r in rows])
    if x is None:
        species = sorted({e for r in rows for e in descriptors.framework_elements(r["atoms"])})
        x = descriptors.describe([r["atoms"] for r in rows], species)
    out = []
    for size in sizes:
        if size >= len(rows):
            continue
        maes = []
        for k in range(repeats):
            perm = np.random.default_rng(seed + k).permutation(len(rows))
            tr, te = perm[:size], perm[size:]
            state, _ = fit_features(x[tr], y[tr], seed=seed + k, folds=0)
            z = state["scaler"].transform(x[te][:, state["columns"]])
            maes.append(float(np.mean(np.abs(state["gp"].predict(z) - y[te]))))
        out.append((int(size), float(np.mean(maes)), float(np.std(maes))))
    return out


def parity_plot(y, mean, std, path, title="", unit="eV"):
    """Predicted vs reference with error bars (PNG at ``path``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.2, 4.0), dpi=120)
    ax.errorbar(y, mean, yerr=std, fmt="o", ms=3, lw=0.8, alpha=0.8)
    lo, hi = float(min(np.min(y), np.min(mean))), float(max(np.max(y), np.max(mean)))
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=0.8)
    ax.set_xlabel(f"reference ({unit})")
    ax.set_ylabel(f"predicted, held out ({unit})")
    ax.set_title(f"{title}  MAE {np.mean(np.abs(np.asarray(y) - mean)):.3f} {unit}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def learning_curve_plot(curve, path, title="", unit="eV"):
    """Test MAE against training size (PNG at ``path``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.2, 3.4), dpi=120)
    if curve:
        n, m, s = zip(*curve)
        ax.errorbar(n, m, yerr=s, fmt="o-", ms=4, lw=1)
    ax.set_xlabel("training structures")
    ax.set_ylabel(f"test MAE ({unit})")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
