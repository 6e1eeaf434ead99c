"""A tiny restraint force field that shapes staple motifs over a fixed kernel.

Not physics for energies: harmonic bond and 1-3 distance restraints (the 1-3 distance
fixes the S-Au-S and Au-S-Au angles) plus a one-sided repulsion between non-bonded atoms.
It turns a rough motif path into chemically sensible Au-S geometry before any quantum
relaxation, and its residual is the cheap strain score used to rank isomers.
"""

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits


def _pair_terms(x, pairs, r0, k, one_sided=False):
    """Energy and gradient of sum k (d - r0)^2 over index pairs (repulsive only if asked)."""
    if len(pairs) == 0:
        return 0.0, np.zeros_like(x)
    v = x[pairs[:, 0]] - x[pairs[:, 1]]
    d = np.linalg.norm(v, axis=1)
    dev = d - r0
    if one_sided:
        dev = np.minimum(dev, 0.0)
    e = float(np.sum(k * dev ** 2))
    g_pair = (2 * k * dev / np.maximum(d, 1e-9))[:, None] * v
    n = len(x)
    grad = np.stack([np.bincount(pairs[:, 0], g_pair[:, c], n)
                     - np.bincount(pairs[:, 1], g_pair[:, c], n) for c in range(3)], 1)
    return e, grad


def strain(x, terms):
    """Total restraint energy and gradient of positions ``x`` for a ``terms`` dict.

    Terms: ``bonds`` and ``angles`` (harmonic pair restraints), ``repulsion`` (one-sided,
    hard) and optional ``soft`` (one-sided, weak, long range); each ``(pairs, r0, k)``.
    """
    e_total, g_total = 0.0, np.zeros_like(x)
    for name, one_sided in (("bonds", False), ("angles", False), ("repulsion", True),
                            ("soft", True)):
        if name not in terms:
            continue
        pairs, r0, k = terms[name]
        e, g = _pair_terms(x, pairs, r0, k, one_sided)
        e_total += e
        g_total += g
    return e_total, g_total


def relax(positions, fixed, terms, maxiter=1000):
    """Minimise the restraint energy moving only atoms not in ``fixed``.

    Returns the new positions and the residual strain (eV-like units, 0 = ideal).

    >>> import numpy as np
    >>> x = np.array([[0.0, 0, 0], [3.0, 0, 0]])
    >>> terms = {"bonds": (np.array([[0, 1]]), np.array([2.4]), np.array([10.0])),
    ...          "angles": (np.zeros((0, 2), int), np.zeros(0), np.zeros(0)),
    ...          "repulsion": (np.zeros((0, 2), int), np.zeros(0), np.zeros(0))}
    >>> y, e = relax(x, np.array([True, False]), terms)
    >>> round(float(np.linalg.norm(y[1] - y[0])), 3), e < 1e-8
    (2.4, True)
    """
    x0 = np.array(positions, float)
    free = ~np.asarray(fixed, bool)

    def fun(flat):
        x = x0.copy()
        x[free] = flat.reshape(-1, 3)
        e, g = strain(x, terms)
        return e, g[free].ravel()

    # one BLAS thread: the problem is tiny and threads only fight each other (10x slower)
    with threadpool_limits(1):
        res = minimize(fun, x0[free].ravel(), jac=True, method="L-BFGS-B",
                       options={"maxiter": maxiter, "gtol": 1e-5})
    x = x0.copy()
    x[free] = res.x.reshape(-1, 3)
    return x, float(res.fun)
