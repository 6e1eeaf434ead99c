"""Framework RMSD: how far apart are the Au–S frameworks of two clusters?

Two models of the same cluster rarely list their atoms in the same order, sit in the same
frame, or even have the same handedness (a crystal has both enantiomers; a builder picks
one).  :func:`align_frameworks` therefore matches atoms element by element with the
Hungarian algorithm, alternated with a Kabsch superposition until the matching stops
changing, from many starting orientations (principal-axes frames with every sign choice
plus random rotations), and keeps the best.  Ligand atoms (C, H, ...) are ignored, so a
bare ``Au25S18`` model can be compared with a crystal structure that carries full ligands.

>>> from ase.build import molecule
>>> a = molecule("CH4")
>>> b = a[[0, 2, 1, 4, 3]]; b.rotate(70, "z"); b.translate([1.0, 2.0, 3.0])
>>> round(framework_rmsd(a, b, elements=("C", "H")), 6)
0.0
"""

from collections import Counter, namedtuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.transform import Rotation

from clustergen.core.errors import ClusterGenError
from clustergen.core.rotations import fit_orthogonal

Alignment = namedtuple("Alignment", "rmsd positions index_a index_b rotation mirrored")
Alignment.__doc__ = """Result of :func:`align_frameworks`.

rmsd       RMSD (Å) over the matched framework atoms.
positions  every atom of ``b`` (ligands included) moved into the frame of ``a``.
index_a    framework atom indices of ``a`` ...
index_b    ... and the atoms of ``b`` matched to them (``b[index_b[k]]`` ~ ``a[index_a[k]]``).
rotation   3x3 orthogonal matrix applied to ``b`` about its framework centroid.
mirrored   True when the best match needs an improper rotation (det = -1).
"""


def framework_rmsd(a, b, elements=("Au", "S"), mirror=True, **kwargs):
    """RMSD (Å) between the ``elements`` frameworks of two structures after best overlay.

    Permutation-invariant within each element; mirror images count as identical when
    ``mirror`` is True.  Extra keyword arguments go to :func:`align_frameworks`.

    >>> from ase import Atoms
    >>> a = Atoms("Au3S", positions=[[0, 0, 0], [2.9, 0, 0], [0, 2.9, 0], [1, 1, 2.3]])
    >>> b = a[[3, 2, 0, 1]]; b.rotate(120, "x")
    >>> framework_rmsd(a, b) < 1e-6
    True
    """
    return align_frameworks(a, b, elements=elements, mirror=mirror, **kwargs).rmsd


def align_frameworks(a, b, elements=("Au", "S"), mirror=True, n_random=32, seed=0,
                     max_iter=100):
    """Superimpose the framework of ``b`` on that of ``a``; return an :class:`Alignment`.

    Raises :class:`ClusterGenError` when the two frameworks differ in composition.

    >>> from ase import Atoms
    >>> a = Atoms("Au2S", positions=[[0, 0, 0], [2.9, 0, 0], [1.45, 1.8, 0]])
    >>> b = a[[2, 1, 0]]; b.translate([5, 0, 0])
    >>> al = align_frameworks(a, b)
    >>> round(al.rmsd, 6), al.index_b.tolist()
    (0.0, [2, 1, 0])
    >>> bool(np.allclose(al.positions[al.index_b], a.positions))
    True
    """
    groups_a = _framework_groups(a, elements)
    groups_b = _framework_groups(b, elements)
    _check_compositions(groups_a, groups_b)
    index_a = np.concatenate([groups_a[e] for e in groups_a])
    xa = a.positions[index_a]
    xb_all = b.positions
    ca = xa.mean(axis=0)
    cb = xb_all[np.concatenate(list(groups_b.values()))].mean(axis=0)
    pa = {e: a.positions[i] - ca for e, i in groups_a.items()}
    pb = {e: b.positions[i] - cb for e, i in groups_b.items()}

    best = None
    for rot in _starting_rotations(pa, pb, mirror, n_random, seed):
        rmsd, rot, match = _refine(pa, pb, rot, mirror, max_iter)
        if best is None or rmsd < best[0] - 1e-9:
            best = (rmsd, rot, match)
    rmsd, rot, match = best
    index_b = np.concatenate([groups_b[e][match[e]] for e in groups_a])
    positions = (xb_all - cb) @ rot.T + ca
    return Alignment(float(rmsd), positions, index_a, index_b, rot,
                     bool(np.linalg.det(rot) < 0))


def _framework_groups(atoms, elements):
    """{element: indices} for the framework elements present (in ``elements`` order)."""
    symbols = np.array(atoms.get_chemical_symbols())
    return {e: np.flatnonzero(symbols == e) for e in elements if (symbols == e).any()}


def _check_compositions(groups_a, groups_b):
    count_a = Counter({e: len(i) for e, i in groups_a.items()})
    count_b = Counter({e: len(i) for e, i in groups_b.items()})
    if not count_a and not count_b:
        raise ClusterGenError("no framework atoms to compare (neither structure has any)")
    if count_a != count_b:
        raise ClusterGenError(
            f"framework compositions differ: {_formula(count_a)} vs {_formula(count_b)}")


def _formula(count):
    return "".join(f"{e}{n}" for e, n in count.items()) or "nothing"


def _starting_rotations(pa, pb, mirror, n_random, seed):
    """Principal-axes overlays with every axis sign, then random rotations.

    Improper rotations (mirror images) are included only when ``mirror`` is True.
    """
    ua, ub = _principal_axes(pa), _principal_axes(pb)
    for signs in np.array(np.meshgrid([1, -1], [1, -1], [1, -1])).T.reshape(-1, 3):
        rot = ua @ np.diag(signs) @ ub.T
        if mirror or np.linalg.det(rot) > 0:
            yield rot
    for rot in Rotation.random(n_random, random_state=seed).as_matrix():
        yield rot
        if mirror:
            yield -rot


def _principal_axes(groups):
    x = np.concatenate(list(groups.values()))
    return np.linalg.eigh(x.T @ x)[1]


def _refine(pa, pb, rot, mirror, max_iter):
    """Alternate Hungarian matching and Kabsch fitting until the matching is stable."""
    match = None
    for _ in range(max_iter):
        new = {e: _assign(pa[e], pb[e] @ rot.T) for e in pa}
        if match is not None and all(np.array_equal(new[e], match[e]) for e in pa):
            break
        match = new
        xa = np.concatenate([pa[e] for e in pa])
        xb = np.concatenate([pb[e][match[e]] for e in pa])
        rot = fit_orthogonal(xb, xa, mirror)
    xa = np.concatenate([pa[e] for e in pa])
    xb = np.concatenate([pb[e][match[e]] for e in pa]) @ rot.T
    return np.sqrt(np.mean(np.sum((xa - xb) ** 2, axis=1))), rot, match


def _assign(xa, xb):
    """Column order of ``xb`` that best matches the rows of ``xa`` (squared distances)."""
    cost = np.sum((xa[:, None, :] - xb[None, :, :]) ** 2, axis=2)
    return linear_sum_assignment(cost)[1]

