"""Gaussian-process surrogates of GFN1-xTB / DFT properties with an uncertainty.

:func:`fit` turns training rows (:mod:`clustergen.rank.data`) into a :class:`Surrogate`
whose :meth:`~Surrogate.predict` gives a mean and a standard deviation per structure.
The model is a scikit-learn Gaussian process (Rasmussen and Williams, *Gaussian
Processes for Machine Learning*, MIT Press 2006, ISBN 0-262-18253-X) with a
constant x RBF + white-noise kernel (noise variance at least :data:`NOISE_FLOOR` of
the targets' variance) over standardised role-averaged SOAP descriptors
(:mod:`clustergen.rank.descriptors`).  After the fit, a K-fold pass (kernel refitted in
each fold) measures held-out errors; the standard deviations are scaled so the held-out
z-scores have unit rms (``std_scale`` in the metadata, applied by
:meth:`Surrogate.predict`) and the held-out MAE is kept (``cv_mae``).

Delta learning: rows at a higher level (e.g. DFT) that carry the GFN1-xTB value of the
same structure (``base``) train a model of ``y = a*base + b + GP(x)``: the linear part
is a least-squares calibration, the GP learns what is left; prediction needs the GFN1
value (``info[target]`` or the model's own single-point, see :mod:`clustergen.rank.dft_gap`).

>>> import numpy as np
>>> from ase.cluster import Icosahedron
>>> rng = np.random.default_rng(0)
>>> train = []
>>> for k in range(12):
...     a = Icosahedron("Au", 2); a.rattle(0.05, seed=k)
...     a.positions *= 1 + 0.01 * k; a.info.update(gap=1.0 + 0.02 * k, cid=f"c{k}")
...     train.append(a)
>>> model = fit(rows_from_structures(train, "gap"), "gap", seed=0)
>>> mean, std = model.predict(train[:2])
>>> bool(np.all(abs(mean - [1.0, 1.02]) < 0.05)), bool(np.all(std > 0))
(True, True)
"""

import json
import os
import warnings

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.rank import descriptors
from clustergen.rank.data import BASE_LEVEL, check_target, rows_from_structures  # noqa: F401

MIN_ROWS = 5
FORMAT = "clustergen-surrogate-1"


class Surrogate:
    """A fitted model: ``state`` (scaler, GP, calibration) and JSON-able ``meta``."""

    def __init__(self, state, meta):
        self.state, self.meta = state, meta

    @property
    def target(self):
        return self.meta["target"]

    @property
    def level(self):
        return self.meta["level"]

    def features(self, atoms_list, base=None):
        """Descriptor matrix of ``atoms_list`` in this model's settings."""
        return descriptors.describe(atoms_list, self.meta["species"],
                                    self.meta["descriptor"])

    def predict(self, atoms_list, base=None):
        """Mean and standard deviation (eV) for each structure, at :attr:`level`.

        ``base``: GFN1-xTB values for a delta model (default: ``info[target]`` of each
        structure, or the model's ``base_function``).
        """
        atoms_list = list(atoms_list)
        if not atoms_list:
            return np.zeros(0), np.zeros(0)
        x = self.features(atoms_list)
        return self.predict_features(x, self._base(atoms_list, base))

    def predict_features(self, x, base=None):
        """Mean and std from a descriptor matrix (and base values for a delta model)."""
        s = self.state
        z = s["scaler"].transform(np.asarray(x)[:, s["columns"]])
        mean, std = s["gp"].predict(z, return_std=True)
        if self.meta.get("delta"):
            a, b = s["calibration"]
            mean = mean + a * np.asarray(base, dtype=float) + b
        return mean, std * self.meta.get("std_scale", 1.0)

    def _base(self, atoms_list, base):
        if not self.meta.get("delta"):
            return None
        if base is not None:
            return np.asarray(base, dtype=float)
        fn = self.state.get("base_function")
        if fn is not None:
            return np.asarray([fn(a) for a in atoms_list], dtype=float)
        values = [a.info.get(self.target) for a in atoms_list]
        if any(v is None for v in values):
            raise ClusterGenError(f"delta model ({self.meta['base_level']} -> "
                                  f"{self.level}) needs the {self.meta['base_level']} "
                                  f"{self.target} of every structure (info['{self.target}'])")
        return np.asarray(values, dtype=float)

    def save(self, path):
        """Write ``path`` (joblib) and ``path.json`` (metadata)."""
        import joblib
        state = {k: v for k, v in self.state.items() if k != "base_function"}
        joblib.dump({"format": FORMAT, "state": state, "meta": self.meta}, path,
                    compress=3)
        with open(f"{path}.json", "w") as fh:
            json.dump(self.meta, fh, indent=1, default=str)


def load(path):
    """A saved :class:`Surrogate` (ClusterGenError for a missing or foreign file).

    >>> load("no-such.model")
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: no model file 'no-such.model'
    """
    import joblib
    if not os.path.isfile(path):
        raise ClusterGenError(f"no model file '{path}'")
    try:
        blob = joblib.load(path)
    except Exception as exc:  # pickle/zlib raise many types for foreign files
        raise ClusterGenError(f"'{path}' is not a clustergen surrogate model "
                              f"({type(exc).__name__})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ClusterGenError(f"'{path}' is not a clustergen surrogate model")
    model = Surrogate(blob["state"], blob["meta"])
    if model.meta.get("base") == "sch3-single-point":
        from clustergen.rank.capped_gap import gfn1_gap
        model.state["base_function"] = gfn1_gap
    return model


# ------------------------------------------------------------------------------ fitting

def _check_rows(rows, target):
    if len(rows) < MIN_ROWS:
        raise ClusterGenError(f"{len(rows)} usable {target} value(s); a surrogate needs "
                              f"at least {MIN_ROWS}")
    y = np.asarray([r["y"] for r in rows], dtype=float)
    if not np.all(np.isfinite(y)):
        raise ClusterGenError(f"non-finite {target} values in the training rows")
    return y


def _choose_level(rows, level):
    levels = sorted({r["level"] for r in rows})
    if level is not None:
        if level not in levels:
            raise ClusterGenError(f"no rows at level '{level}' (have: {', '.join(levels)})")
        return level
    higher = [r["level"] for r in rows if r["level"] != BASE_LEVEL and "base" in r]
    if higher:
        return max(set(higher), key=higher.count)
    counts = [r["level"] for r in rows]
    return max(set(counts), key=counts.count)


# Lower bound of the white-noise variance, in units of the training targets' variance
# (``normalize_y``): the noise std is at least 10 % of their spread.  Left free (1e-6),
# the marginal likelihood of a few dozen relaxed targets sometimes settles on an
# interpolating fit whose std collapses next to a training structure (0.005 eV where the
# error was 0.05 eV: held-out z-scores of 10); a property reached by a relaxation that may
# rearrange the structure is not a noise-free function of the start.
NOISE_FLOOR = 1e-2


def _gp(n_features, seed, noise=NOISE_FLOOR):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    # length scale starts at sqrt(d): standardised features, distances grow as sqrt(d)
    ls = float(np.sqrt(max(n_features, 1)))
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(ls, (1e-2 * ls, 1e3 * ls)) \
        + WhiteKernel(max(noise, NOISE_FLOOR), (NOISE_FLOOR, 1.0))
    return GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                    n_restarts_optimizer=2, random_state=seed)


def _fit_gp(z, y, seed):
    """A GP with marginal-likelihood hyperparameters fitted to ``z``, ``y``."""
    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        # bounds hit on tiny or noise-free sets are expected, not news for the user
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _gp(z.shape[1], seed).fit(z, y)


def _calibration(base, y):
    """Least-squares a, b of y ~ a*base + b (a=1, b=mean difference with < 3 rows)."""
    base = np.asarray(base, dtype=float)
    if len(base) < 3 or np.ptp(base) < 1e-9:
        return 1.0, float(np.mean(y - base))
    a, b = np.polyfit(base, y, 1)
    return float(a), float(b)


def fit_features(x, y, seed=0, base=None, folds=5):
    """Fit on a descriptor matrix; returns ``(state, extra_meta)``.

    ``base`` switches on delta learning.  ``folds`` > 1 runs the held-out pass that sets
    ``std_scale`` and ``cv_mae``.
    """
    from sklearn.preprocessing import StandardScaler
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    columns = np.flatnonzero(np.ptp(x, axis=0) > 1e-12)
    if len(columns) == 0:
        columns = np.arange(x.shape[1])
    scaler = StandardScaler().fit(x[:, columns])
    z = scaler.transform(x[:, columns])
    calibration = _calibration(base, y) if base is not None else (0.0, 0.0)
    resid = y - (calibration[0] * np.asarray(base) + calibration[1]) if base is not None \
        else y
    gp = _fit_gp(z, resid, seed)
    state = {"scaler": scaler, "columns": columns, "gp": gp, "calibration": calibration}
    extra = {"kernel": str(gp.kernel_), "std_scale": 1.0}
    if folds and folds > 1 and len(y) >= 2 * folds:
        extra.update(_held_out(z, resid, seed, folds))
    return state, extra


def _held_out(z, resid, seed, folds):
    """K-fold held-out errors and the std scale that gives their z-scores unit rms.

    Each fold refits the kernel hyperparameters on its own training rows: with the
    kernel fitted to all rows (held-out ones included) the folds saw tuned noise and
    length scales, and the scale came out too small (held-out z-score sd 1.42 on
    relaxed Cu3Au22 gaps from 36 training rows; 1.17 with this pass and the noise
    floor, ten draws).  A single scale factor fitted to held-out z-scores
    is the recalibration of Palmer et al., npj Comput. Mater. 8 (2022), DOI
    10.1038/s41524-022-00794-8.
    """
    from sklearn.model_selection import KFold
    err, zs = [], []
    for tr, te in KFold(folds, shuffle=True, random_state=seed).split(z):
        m, s = _fit_gp(z[tr], resid[tr], seed).predict(z[te], return_std=True)
        err.extend(np.abs(m - resid[te]))
        zs.extend((m - resid[te]) / np.maximum(s, 1e-9))
    scale = float(np.sqrt(np.mean(np.square(zs))))
    return {"cv_mae": float(np.mean(err)), "std_scale": max(scale, 1e-3),
            "cv_z_rms_raw": scale,
            "std_calibration": f"{folds}-fold, kernel refitted per fold"}


def fit(rows, target, level=None, seed=0, settings=None, folds=5, note=""):
    """A :class:`Surrogate` of ``target`` from training rows (:mod:`clustergen.rank.data`).

    ``level``: the level of theory to model (default: a higher level with GFN1 partners,
    i.e. delta learning, when there is one, else the most common level).  ``seed``
    makes the fit reproducible.
    """
    from clustergen import __version__
    check_target(target)
    rows = [r for r in rows if r["level"] == _choose_level(rows, level)] if rows else []
    y = _check_rows(rows, target)
    s = descriptors.settings(**(settings or {}))
    species = sorted({e for r in rows for e in descriptors.framework_elements(r["atoms"])})
    x = descriptors.describe([r["atoms"] for r in rows], species, s)
    delta = all("base" in r for r in rows) and rows[0]["level"] != BASE_LEVEL
    base = np.asarray([r["base"] for r in rows], dtype=float) if delta else None
    state, extra = fit_features(x, y, seed=seed, base=base, folds=folds)
    meta = {"target": target, "level": rows[0]["level"], "delta": delta,
            "base_level": BASE_LEVEL if delta else None, "descriptor": s,
            "species": species, "elements_seen": species, "n_train": len(rows),
            "training_ids": [r["id"] for r in rows], "seed": seed,
            "clustergen_version": __version__, "y_range": [float(y.min()), float(y.max())],
            "note": note, **extra}
    return Surrogate(state, meta)
