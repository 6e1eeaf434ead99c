"""Staple rings that bind no kernel atom: where they lie round a kernel.

:func:`ring_placements` wraps a ring over the kernel across each two-fold axis (the
octamer ring of Au20(SR)16), or round its waist (``waist: true``, the alkynyl ring of
Au22(C≡CR)18); :func:`clustergen.generation.placements.candidate_placements` calls it for
motif types ending in ``-ring``, and :func:`clustergen.generation.embedding.embed` shapes
the ring it returns.
"""

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.core.model import motif_size
from clustergen.core.symmetry import nearest_orthogonal
from clustergen.generation.kernels import rotation_permutations
from clustergen.generation.placements import Placement


def _two_fold_axes(kernel):
    """Unit axes of the kernel's proper two-fold rotations."""
    x = kernel - kernel.mean(axis=0)
    axes = []
    for p in rotation_permutations(kernel):
        if (p == np.arange(len(p))).all() or not (p[p] == np.arange(len(p))).all():
            continue
        # the axis (eigenvalue 2) of the C2 refitted to the permutation: its sign, which
        # orders a ring's atoms, follows this fit, not the engine's own rounding
        fit = nearest_orthogonal(x.T @ x[p], 1)
        w, v = np.linalg.eigh(fit.T + fit)
        axes.append(v[:, np.argmax(w)])
    return axes


def _unique_axis(kernel):
    """Unit principal axis of the most distinct moment (the C3 of an Au7 bitetrahedron)."""
    x = kernel - kernel.mean(axis=0)
    w, v = np.linalg.eigh(x.T @ x)
    gaps = [abs(w[k] - w[(k + 1) % 3]) + abs(w[k] - w[(k + 2) % 3]) for k in range(3)]
    return v[:, int(np.argmax(gaps))]


def _waist_ring(kernel, kind, spec):
    """A ring round the kernel's waist, in the plane through its centroid at right angles
    to the unique axis: its metals ``ring_radii[0]`` A from the axis, one over each gap
    between azimuthally neighbouring kernel atoms (off-axis atoms; on a twisted Au7
    bitetrahedron a bottom and a top atom by turns, i.e. where a ring of tetrahedra would
    put its six waist sites), S halfway between them, further out.

    The alkynyl first member of the tetrahedral ring, Au22(C≡CR)18, has no tetrahedra:
    by the family's rule its six empty waist sites carry staple Au, as the empty sites of
    Au28(SR)20 and Au34(SR)22 do (a ``waist: true`` ring rule).

    >>> from clustergen.generation.tetrahedra import tetrahedral_ring
    >>> ring = _waist_ring(tetrahedral_ring(0)[0], "hexamer-ring", {"ring_radii": [3.6]})
    >>> len(ring.guess), ring.contacts
    (12, (1, 2, 3, 4, 5, 6))
    >>> np.round(np.linalg.norm(ring.guess[1::2, :2], axis=1), 2).tolist()
    [3.6, 3.6, 3.6, 3.6, 3.6, 3.6]
    """
    n = motif_size(kind)
    c = kernel.mean(axis=0)
    p = _unique_axis(kernel)
    e1 = np.cross(p, [1.0, 0.0, 0.0])
    if np.linalg.norm(e1) < 0.1:
        e1 = np.cross(p, [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(p, e1)
    x = kernel - c
    off = np.flatnonzero(np.linalg.norm(x - np.outer(x @ p, p), axis=1) > 0.5)
    phi = np.sort(np.arctan2(x[off] @ e2, x[off] @ e1))
    if len(phi) != n:
        raise ClusterGenError(f"a {kind} round the waist needs {n} off-axis kernel atoms, "
                              f"not {len(phi)}")
    gaps = np.diff(np.append(phi, phi[0] + 2 * np.pi))
    metal = phi + gaps / 2
    between = np.append(metal[1:], metal[0] + 2 * np.pi)
    sulfur = (metal + between) / 2
    r_m = spec["ring_radii"][0]
    r_s = r_m + spec.get("rise", 0.9)
    t = np.ravel(np.column_stack([sulfur, metal]))       # S first, as every ring
    r = np.tile([r_s, r_m], n)
    guess = c + np.outer(r * np.cos(t), e1) + np.outer(r * np.sin(t), e2)
    hug = tuple(spec["hug"]) if "hug" in spec else None
    return Placement(kind, (), guess, angle=spec.get("middle_angle"),
                     stiffness=spec.get("stiffness"), hug=hug,
                     contacts=tuple(int(k) for k in off))


def ring_placements(kernel, kind, spec):
    """Rings that bind no kernel atom, wrapped around the kernel (e.g. Au8(SR)8 on Au7).

    One ring per two-fold axis of the kernel perpendicular to its unique axis (the one
    of the most distinct principal moment, the C3 of an Au7 bitetrahedron): the ring
    keeps that C2, crossing it under the kernel's waist on both sides, and runs over
    both ends of the unique axis. Its path guess is an ellipse with semi-axes
    ``ring_radii`` (A, along the unique axis and along the C2), S and metal alternating,
    metals on the C2; the force field then lays it on the kernel (``hug``).

    >>> from clustergen.generation.kernels import bitetrahedral_backbone
    >>> kernel, _ = bitetrahedral_backbone(1, a=3.97)
    >>> rings = ring_placements(kernel, "octamer-ring", {"ring_radii": [5.4, 4.0]})
    >>> len(rings), len(rings[0].guess), rings[0].anchors
    (3, 16, ())
    """
    if "ring_radii" not in spec:
        raise ClusterGenError(f"the shell rule for '{kind}' motifs needs ring_radii")
    if spec.get("waist"):
        return [_waist_ring(kernel, kind, spec)]
    n = motif_size(kind)
    x = kernel - kernel.mean(axis=0)
    w, v = np.linalg.eigh(x.T @ x)
    gaps = [abs(w[0] - w[1]) + abs(w[0] - w[2]), abs(w[1] - w[0]) + abs(w[1] - w[2]),
            abs(w[2] - w[0]) + abs(w[2] - w[1])]
    p = v[:, int(np.argmax(gaps))]
    r_p, r_u = spec["ring_radii"]
    hug = tuple(spec["hug"]) if "hug" in spec else None
    out = []
    for u in _two_fold_axes(kernel):
        if abs(u @ p) > 0.3:
            continue
        t = np.pi / 2 + np.pi * np.arange(2 * n) / n + np.pi / n    # S first, metals on u
        guess = kernel.mean(axis=0) + np.outer(r_p * np.cos(t), p) + np.outer(r_u * np.sin(t), u)
        # its key: the kernel atoms nearest to where it crosses the C2 (kept by the C2)
        near = set()
        for c in (kernel.mean(axis=0) + r_u * u, kernel.mean(axis=0) - r_u * u):
            d = np.linalg.norm(kernel - c, axis=1)
            near |= set(int(k) for k in np.flatnonzero(d < d.min() + 0.3))
        out.append(Placement(kind, (), guess, angle=spec.get("middle_angle"),
                             stiffness=spec.get("stiffness"), hug=hug,
                             contacts=tuple(sorted(near))))
    return out
