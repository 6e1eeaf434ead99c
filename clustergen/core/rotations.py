"""Rotations between vectors and point sets, on :meth:`scipy.spatial.transform.Rotation.align_vectors`.

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

    >>> (rotation_onto([0, 0, 1.0], [0, 0, -1.0]).round(6) + 0.0).tolist()  # about y
    [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.linalg.norm(np.cross(a, b)) < 1e-9:
        if a @ b > 0:
            return np.eye(3)
        axis = np.cross(a, np.eye(3)[np.argmin(np.abs(a))])
        return Rotation.from_rotvec(np.pi * axis / np.linalg.norm(axis)).as_matrix()
    return Rotation.align_vectors(b[None], a[None])[0].as_matrix()


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
