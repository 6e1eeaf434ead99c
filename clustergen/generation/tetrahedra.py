"""Kernel of the ring-like tetrahedral growth: an Au7 backbone in a ring of Au4 tetrahedra.

Growth operation of ``templates/tetrahedral-ring.yaml`` (J. Lyu, J. Qian, Z. Yang, J. Xie,
Nanoscale Horiz. 2025, 10, 2304, doi:10.1039/d5nh00353a, section 2.1);
:mod:`clustergen.generation.kernels` re-exports it. The Au7 backbone (two Au4 tetrahedra
sharing their apex, the centre) stands on the z axis; round its waist, up to six Au4
tetrahedra share vertices in a ring, each standing on one edge of a hexagon of waist atoms
about the centre (the Kekule-like ring of Au40(o-MBT)24: C. Zeng, Y. Chen, K. Kirschbaum,
K. Appavoo, M. Y. Sfeir, R. Jin, Sci. Adv. 2015, 1, e1500425, doi:10.1126/sciadv.1500425).
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
                     edge=2.87, rise=1.90, tilt=22.5, hand=1):
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
    ``hand`` = -1 gives the mirror image.

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
    if tetrahedra:
        sites = range(tetrahedra + (0 if tetrahedra == 6 else 1))
        for j in sites:
            pos.append(_cyl(waist, 60 * j, 0.0))
            closed = tetrahedra == 6 or 0 < j < tetrahedra
            labels.append("waist" if closed else "end")
        mid_r = waist * np.cos(np.radians(30))
        for j in range(tetrahedra):
            phi = 60 * j + 30
            # the backbone atom nearest in azimuth over this edge: top ones at +twist/2
            # near the even-site edges 30, 150, 270 -> lean down there, up at the others
            down = 1 if j % 2 == 0 else -1
            t = np.radians(tilt)
            r_mid, z_mid = mid_r + rise * np.cos(t), -down * rise * np.sin(t)
            # outer edge at right angles to the rise direction, in the (r, z) plane
            half = edge / 2
            for s in (-1, 1):
                pos.append(_cyl(r_mid + s * half * np.sin(t),
                                phi, z_mid + s * down * half * np.cos(t)))
                labels.append("outer")
    pos = np.array(pos)
    if hand == -1:
        pos[:, 1] *= -1
    return pos - pos.mean(axis=0), labels
