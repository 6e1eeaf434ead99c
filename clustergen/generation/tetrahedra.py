"""Kernel of the ring-like tetrahedral growth: an Au7 backbone in a ring of Au4 tetrahedra.

Growth operation of ``templates/tetrahedral-ring.yaml`` (J. Lyu, J. Qian, Z. Yang, J. Xie,
Nanoscale Horiz. 2025, 10, 2304, doi:10.1039/d5nh00353a, section 2.1);
:mod:`clustergen.generation.kernels` re-exports it. The Au7 backbone (two Au4 tetrahedra
sharing their apex, the centre) stands on the z axis; round its waist, up to six Au4
tetrahedra share vertices in a ring, each standing on one edge of a hexagon of waist atoms
about the centre (the Kekule-like ring of Au40(o-MBT)24: C. Zeng, Y. Chen, C. Liu,
K. Nobusada, N. L. Rosi, R. Jin, "Gold tetrahedra coil up", Sci. Adv. 2015, 1, e1500425,
doi:10.1126/sciadv.1500425; author list and DOI not confirmed here).
Fewer tetrahedra leave the ring open (an arc): Au34(SR)22 has four, the proposed Au28(SR)20
isomer two. Returns ``(positions, labels)`` like every kernel builder.
"""

import numpy as np

from clustergen.core.errors import ClusterGenError


def _cyl(r, phi, z):
    """Cartesian point from cylindrical coordinates (angle in degrees)."""
    t = np.radians(phi)
    return np.array([r * np.cos(t), r * np.sin(t), z])


def tetrahedral_ring(tetrahedra, apex=2.89, base=2.84, twist=51.0, waist=3.05,
                     edge=2.87, rise=1.90, tilt=22.5, end=None, end_turn=60.0,
                     hand=1):
    """Au7 backbone with ``tetrahedra`` (0-6) vertex-sharing Au4 tetrahedra round its waist.

    Backbone: a centre and two triangles (edge ``base``, each atom ``apex`` A from the
    centre) on the z axis, turned ``twist`` degrees from each other (60: the fcc, staggered
    Au7; 51 in the DFT models of Au34(SR)22 and Au40(SR)24). Waist: sites ``waist`` A from
    the centre in its plane, 60 deg apart, with the triangles' atoms at +-twist/2 (mod 120)
    from the even sites: so the nearest pair of a bottom and a top atom straddles an even
    site. Ring: tetrahedron j stands on waist edge (j, j + 1), j = 0 .. ``tetrahedra`` - 1
    (an arc from site 0 to site ``tetrahedra``, closed at six); its two outer atoms form an
    edge of ``edge`` A at right angles to the waist edge, in the plane through the kernel
    axis and the edge's midpoint, ``rise`` A out from that midpoint and turned ``tilt``
    degrees out of the waist plane, away from the backbone atom above (or below) the edge.
    Each ring tetrahedron so leans the other way from its neighbours (DFT models of Au34
    and Au40: outer Au 3.8 and 5.0 A from the axis, 2.0 and 0.6 A off the waist plane).
    ``end`` (A) and ``end_turn`` (deg): an open arc's two end sites that far from the
    centre and turned that far from their neighbours (held by fewer atoms, they sit
    further out: 3.38 A and 56 deg in Au34(SR)22; default: like the others); each
    tetrahedron is built on its own waist edge. ``hand`` = -1 gives the mirror image.

    Labels: ``centre``; ``backbone`` (triangle atoms); ``waist`` (sites shared by two ring
    tetrahedra); ``end`` (the two end sites of an open arc); ``outer`` (ring tetrahedra's
    outer atoms). Atoms: 7 + (tetrahedra + 1) + 2 tetrahedra (arc), 25 for the ring.

    >>> [len(tetrahedral_ring(m)[0]) for m in (0, 2, 4, 6)]
    [7, 14, 20, 25]
    >>> pos, labels = tetrahedral_ring(6)
    >>> labels.count("waist"), labels.count("outer"), labels.count("end")
    (6, 12, 0)
    >>> d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    >>> int(((d[0] > 0.1) & (d[0] < 3.2)).sum())       # the centre: a closed shell of 12
    12
    """
    if not isinstance(tetrahedra, int) or not 0 <= tetrahedra <= 6:
        raise ClusterGenError(f"a ring round the Au7 waist holds 0 to 6 tetrahedra, "
                              f"not {tetrahedra}")
    if hand not in (1, -1):
        raise ClusterGenError(f"hand is +1 or -1, not {hand}")
    rho = base / 3 ** 0.5
    h = np.sqrt(apex ** 2 - rho ** 2)
    pos = [np.zeros(3)]
    labels = ["centre"]
    # bottom triangle at -twist/2, top at +twist/2 (mod 120) from the even waist sites
    for z, sign in ((-h, -1), (h, 1)):
        pos += [_cyl(rho, sign * twist / 2 + 120 * k, z) for k in range(3)]
        labels += ["backbone"] * 3
    if not tetrahedra:
        return np.array(pos) * [1, hand, 1], labels
    closed = tetrahedra == 6
    sites = []
    for j in range(tetrahedra + (0 if closed else 1)):
        inner = closed or 0 < j < tetrahedra
        if inner or end is None:
            sites.append(_cyl(waist, 60 * j, 0.0))
        else:
            # an open end: end A out, end_turn deg from its neighbour
            shift = (60 - end_turn) * (1 if j == 0 else -1)
            sites.append(_cyl(end, 60 * j + shift, 0.0))
        labels.append("waist" if inner else "end")
    pos += sites
    for j in range(tetrahedra):
        # the backbone atom nearest in azimuth over this edge: top ones at +twist/2 near
        # the edges at 30, 150, 270 deg -> lean down there, up at the others
        down = 1 if j % 2 == 0 else -1
        pos += _outer_pair(sites[j], sites[(j + 1) % len(sites)], edge, rise, tilt, down)
        labels += ["outer"] * 2
    pos = np.array(pos)
    if hand == -1:
        pos[:, 1] *= -1
    return pos - pos.mean(axis=0), labels


def _outer_pair(p, q, edge, rise, tilt, down):
    """The two outer atoms of a ring tetrahedron on waist edge p-q (centre at the origin,
    axis z): an edge of ``edge`` A at right angles to p-q, its midpoint ``rise`` A out from
    p-q's, turned ``tilt`` deg out of the waist plane (down for ``down`` = 1).

    >>> a, b = _outer_pair(np.array([3.0, -1.5, 0]), np.array([3.0, 1.5, 0]), 2.8, 2.0, 0, 1)
    >>> np.round(a, 2).tolist(), np.round(b, 2).tolist()
    ([5.0, 0.0, -1.4], [5.0, 0.0, 1.4])
    """
    m = (p + q) / 2
    u = (q - p) / np.linalg.norm(q - p)
    radial = m * [1, 1, 0]
    radial = radial - (radial @ u) * u
    radial /= np.linalg.norm(radial)
    up = np.cross(radial, u)
    up *= np.sign(up[2]) or 1.0
    t = np.radians(tilt)
    mid = m + rise * (np.cos(t) * radial - down * np.sin(t) * up)
    along = np.sin(t) * radial + down * np.cos(t) * up
    return [mid - edge / 2 * along, mid + edge / 2 * along]
