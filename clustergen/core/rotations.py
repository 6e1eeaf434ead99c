"""Rotations between vectors and point sets (point-set fits on
:meth:`scipy.spatial.transform.Rotation.align_vectors`).

>>> import numpy as np
>>> rotation_onto([1.0, 0, 0], [0, 1.0, 0]).round(6).tolist()
[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

import warnings

import numpy as np
from scipy.spatial.transform import Rotation

MIRROR = np.diag([1.0, 1.0, -1.0])


def rotation_onto(a, b):
    """Matrix of the smallest rotation taking unit vector ``a`` onto unit vector ``b``;
    for opposite vectors, the half turn about ``a`` x (the axis ``a`` has least of).

    Written out (Rodrigues) rather than taken from ``Rotation.align_vectors``: the
    icosahedral kernels are built with it and feed a restraint optimisation that turns a
    1e-15 A change of the start into a different local minimum, so the matrix must stay
    bit-for-bit what it was for the built candidates to stay reproducible.

    >>> (rotation_onto([0, 0, 1.0], [0, 0, -1.0]).round(6) + 0.0).tolist()  # about y
    [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(a @ b)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        v = np.cross(a, np.eye(3)[np.argmin(np.abs(a))])
        v /= np.linalg.norm(v)
        return 2 * np.outer(v, v) - np.eye(3)  # 180 degrees about v
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def fit_orthogonal(p, q, mirror=False):
    """Orthogonal matrix R minimising |p R^T - q| for centred point sets (Kabsch);
    proper unless ``mirror``, which also tries the mirror image and keeps the better.

    >>> p = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 3.0]])
    >>> fit_orthogonal(p, -p, mirror=True).round(6).tolist()
    [[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with warnings.catch_warnings():  # planar or linear sets: any of the optima will do
        warnings.simplefilter("ignore", UserWarning)
        proper, rssd = Rotation.align_vectors(q, p)
        best = proper.as_matrix()
        if mirror:
            flipped, rssd_flipped = Rotation.align_vectors(q, p @ MIRROR)
            if rssd_flipped < rssd:
                best = flipped.as_matrix() @ MIRROR
    return best


# Directions, not rotations: evenly spread unit vectors for scans over the sphere
# (adsorbate probes, ligand orientations).
def fibonacci_sphere(n=256):
    """``n`` nearly uniform unit vectors.

    >>> v = fibonacci_sphere(100); v.shape, bool(np.allclose(np.linalg.norm(v, axis=1), 1))
    ((100, 3), True)
    """
    k = np.arange(n) + 0.5
    z = 1 - 2 * k / n
    phi = np.pi * (1 + 5 ** 0.5) * k
    r = np.sqrt(1 - z * z)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])
