"""Kernels built from polyhedra: icosahedra sharing vertices, an octahedron with capped edges.

Growth operations of ``templates/vertex-sharing-icosahedra.yaml`` and
``templates/octahedral-au18.yaml``; :mod:`clustergen.generation.kernels` re-exports them
(a template names its operation there). Each returns ``(positions, labels)`` like every
kernel builder.
"""

import itertools

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.generation import forcefield


# Vertex sharing: Au13 icosahedra joined through one shared vertex atom (phosphine/halide/
# thiolate rods; J. Lyu, J. Qian, Z. Yang, J. Xie, Nanoscale Horiz. 2025, 10, 2304,
# section 2.1; Y. Shichibu, Y. Negishi, T. Watanabe, N. K. Chaki, H. Kawaguchi, T. Tsukuda,
# J. Phys. Chem. C 2007, 111, 7845).

def _c5_icosahedron(radius):
    """Centred icosahedron with a C5 axis along z: centre, apex +z, pentagon at +z
    (angles 0, 72, ...), pentagon at -z (36, 108, ...), apex -z."""
    h, rho = radius / 5 ** 0.5, 2 * radius / 5 ** 0.5
    top = [(rho * np.cos(t), rho * np.sin(t), h) for t in np.radians(72 * np.arange(5))]
    bot = [(rho * np.cos(t), rho * np.sin(t), -h) for t in np.radians(72 * np.arange(5) + 36)]
    return np.array([(0, 0, 0), (0, 0, radius)] + top + bot + [(0, 0, -radius)], float)


def vertex_shared_icosahedra(count, radius=2.78):
    """Rod of ``count`` centred Au13 icosahedra, neighbours sharing one vertex atom (D5h).

    Each icosahedron is the mirror image of the previous one through the plane of the
    shared vertex (perpendicular to the rod), so the two pentagons that face each other
    across a shared vertex are eclipsed, 1.106 x ``radius`` apart: the D5h Au25 of
    [Au25(PPh3)10(SR)5Cl2]2+, whose five thiolates each bridge one such facing pair
    (Shichibu et al., J. Phys. Chem. C 2007, 111, 7845). ``count`` icosahedra give
    12*count + 1 atoms (13, 25, 37, 49). Labels: ``centre``; ``waist`` (a shared
    vertex); ``apex`` (the two free vertices on the rod axis, where the halides bind);
    ``inner`` (pentagon atoms bonded to a shared vertex, where the bridging SR bind);
    ``outer`` (pentagon atoms bonded to an apex, where the phosphines bind).

    >>> pos, labels = vertex_shared_icosahedra(2)
    >>> len(pos), labels.count("waist"), labels.count("inner"), labels.count("outer")
    (25, 1, 10, 10)
    >>> d = np.linalg.norm(pos[labels.index("waist")] - pos, axis=1)
    >>> int(((d > 0.1) & (d < 3.1)).sum())        # the shared vertex: 12 neighbours
    12
    """
    if not isinstance(count, int) or count < 1:
        raise ClusterGenError(f"a vertex-sharing rod needs at least one icosahedron, not {count}")
    unit = _c5_icosahedron(radius)
    names = ["centre", "top", "ptop", "ptop", "ptop", "ptop", "ptop",
             "pbot", "pbot", "pbot", "pbot", "pbot", "bot"]
    pos, lab = [], []
    for j in range(count):
        block = unit * [1, 1, -1 if j % 2 else 1] + [0, 0, 2 * radius * j]
        for p, name in zip(block, names):
            # on the mirrored icosahedra "top" points down the rod
            lower = (name in ("bot", "pbot")) != bool(j % 2)
            if name in ("top", "bot") and lower and j > 0:
                continue                         # the vertex shared with icosahedron j - 1
            joined = (lower and j > 0) or (not lower and j < count - 1)
            if name == "centre":
                lab.append("centre")
            elif name in ("top", "bot"):
                lab.append("waist" if joined else "apex")
            else:
                lab.append("inner" if joined else "outer")
            pos.append(p)
    pos = np.array(pos)
    return pos - pos.mean(axis=0), lab


def edge_capped_octahedron(a=2.98, cap=2.82, pair=2.86, fold=3.34, hand=1, belt=0):
    """Au18: an Au6 octahedron with one Au over each of its 12 edges, caps bonded in pairs.

    The octahedron stands on a triangular face (C3 axis along z): a bottom and a top
    triangle, joined by a zigzag belt of six side edges. Each cap sits over its edge's
    midpoint, ``cap`` A from both edge atoms; the caps of a side edge and of a triangle
    edge that meet at a vertex are drawn together to ``pair`` A (six pairs, related by the
    S6 axis: each side edge pairs at its bottom or top vertex in turn round the belt;
    ``hand`` = +1/-1 picks which triangle edge at that vertex, ``belt`` which side edge;
    (1, 0) and (-1, 1) are mirror images). This is the S6 Au18 kernel of the public
    Au30(S-Adm)18 DFT model under six dimeric staples (Ligand Protected Nanocluster
    Database, J. Phys. Chem. C 2019, doi:10.1021/acs.jpcc.9b05562), 0.09 A from it.
    Labels: ``centre`` for the octahedron, ``edge`` for the caps.

    >>> pos, labels = edge_capped_octahedron()
    >>> len(pos), labels.count("edge")
    (18, 12)
    >>> d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    >>> sorted(int(((d[i] > 0.1) & (d[i] < 3.1)).sum()) for i in range(18))[::6]
    [3, 3, 8]
    """
    rho, h = a / 3 ** 0.5, a / 6 ** 0.5
    bottom = [np.array([rho * np.cos(t), rho * np.sin(t), -h])
              for t in np.radians(120 * np.arange(3))]
    top = [np.array([rho * np.cos(t), rho * np.sin(t), h])
           for t in np.radians(120 * np.arange(3) + 60)]
    octa = bottom + top
    edges = [(i, j) for i in range(6) for j in range(i + 1, 6)
             if abs(np.linalg.norm(octa[i] - octa[j]) - a) < 1e-6]

    def cap_site(i, j):
        mid = (octa[i] + octa[j]) / 2
        return mid + np.sqrt(max(cap ** 2 - (a / 2) ** 2, 0.0)) * mid / np.linalg.norm(mid)

    caps = {e: cap_site(*e) for e in edges}
    # pairs at bottom vertex i: side edge (i, top i) with bottom edge (i, i + hand);
    # at top vertex i (the inversion image): side edge (top i, bottom i + 1) with top
    # edge (top i, top i + hand)
    pairs = []
    lean = 0 if belt == 0 else 2           # the side edge turning one way or the other
    for i in range(3):
        pairs.append(((i, 3 + (i + lean) % 3), tuple(sorted((i, (i + hand) % 3)))))
        pairs.append((tuple(sorted(((i + 1 - lean // 2) % 3, 3 + i))),
                      tuple(sorted((3 + i, 3 + (i + hand) % 3)))))
    pos = list(octa)
    bonds = []
    for e1, e2 in pairs:
        p, q = caps[e1], caps[e2]
        m, u = (p + q) / 2, (q - p) / np.linalg.norm(q - p)
        n = len(pos)
        pos += [m - pair / 2 * u, m + pair / 2 * u]
        bonds += [(n, n + 1, pair)] + [(n, v, cap) for v in e1] + [(n + 1, v, cap) for v in e2]
    # the three caps over a triangle's edges close a wider triangle beneath it (3.34 A
    # a side in the DFT model): they fold the pairs down towards the C3 axis
    for tri in ([0, 1, 2], [3, 4, 5]):
        ends = [6 + 2 * p + s for p, pr in enumerate(pairs) for s, e in enumerate(pr)
                if set(e) <= set(tri)]
        bonds += [(u, v, fold) for u, v in itertools.combinations(ends, 2)]
    if len(pos) != 18 or len({e for pr in pairs for e in pr}) != 12:
        raise RuntimeError("edge pairing does not cover the 12 octahedron edges")
    # the caps settle on their edges and partners; other Au-Au stay >= 3.1 A apart
    pos = np.array(pos)
    ii, jj = np.triu_indices(18, 1)
    bonded = {(i, j) for i, j, _ in bonds} | {(j, i) for i, j, _ in bonds}
    far = [(i, j) for i, j in zip(ii, jj) if j >= 6 and (i, j) not in bonded
           and (i, j) not in {(u, v) for u, v, _ in bonds}]
    terms = {"bonds": (np.array([b[:2] for b in bonds]), np.array([b[2] for b in bonds]),
                       np.full(len(bonds), 20.0)),
             "repulsion": (np.array(far), np.full(len(far), 3.1), np.full(len(far), 20.0))}
    pos, _ = forcefield.relax(pos, np.arange(18) < 6, terms)
    return pos - pos.mean(axis=0), ["centre"] * 6 + ["edge"] * 12


def edge_sharing_octahedra(a=4.08):
    """Au10: two Au6 octahedra of an fcc lattice sharing an edge (D2h).

    The octahedra round the neighbouring octahedral holes (1,0,0) and (0,1,0) (units of
    a/2) share the edge (0,0,0)-(1,1,0): the bioctahedral Au10 kernel of the public
    Au21(S-Adm)15 DFT model (Ligand Protected Nanocluster Database, J. Phys. Chem. C 2019,
    doi:10.1021/acs.jpcc.9b05562; Au21(SR)15 model a). Labels: ``pivot`` (0,0,0) and
    ``hinge`` (1,1,0), the shared edge; ``vertex`` the other eight (where its S bind).

    >>> pos, labels = edge_sharing_octahedra()
    >>> len(pos), labels.count("vertex"), labels[:2]
    (10, 8, ['pivot', 'hinge'])
    >>> d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    >>> sorted(int(((d[i] > 0.1) & (d[i] < 3.0)).sum()) for i in range(10))
    [4, 4, 4, 4, 5, 5, 5, 5, 7, 7]
    """
    holes = [np.array([1, 0, 0]), np.array([0, 1, 0])]
    sites = [(0, 0, 0), (1, 1, 0)]
    for h in holes:
        for v in np.vstack([np.eye(3, dtype=int), -np.eye(3, dtype=int)]):
            s = tuple(int(x) for x in h + v)
            if s not in sites:
                sites.append(s)
    pos = np.array(sites, float) * a / 2
    return pos - pos.mean(axis=0), ["pivot", "hinge"] + ["vertex"] * 8


def icosahedra_ring(count=5, radius=2.78):
    """Closed ring of ``count`` centred Au13 icosahedra, neighbours sharing one vertex.

    The vertex-sharing rod of :func:`vertex_shared_icosahedra` closed on itself: the
    pentameric Au60 ring of [Au60Se2(PPh3)10(SeR)15]+ (five icosahedra, five shared
    vertices; Y. Song, F. Fu, J. Zhang, J. Chai, X. Kang, P. Li, S. Li, H. Zhou, M. Zhu,
    Angew. Chem. Int. Ed. 2015, 54, 8430). Each icosahedron shares two vertices 116.6 deg
    apart at its centre (a vertex and the antipode of its neighbour: none closer to a
    straight rod exists), both in the ring plane and placed symmetrically about the
    direction to the ring centre; the mirror plane between neighbouring centres then holds
    both icosahedra's copy of the shared vertex, so ideal icosahedra close the ring
    exactly, their centres on a circle of 1.697 ``radius`` (D``count``h). Atoms:
    12 ``count`` (60 for five). Labels: ``centre``, ``waist`` (shared vertices),
    ``shell`` (the rest).

    >>> pos, labels = icosahedra_ring(5)
    >>> len(pos), labels.count("centre"), labels.count("waist")
    (60, 5, 5)
    >>> d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    >>> w = labels.index("waist")
    >>> int(((d[w] > 0.1) & (d[w] < 3.1)).sum())      # 5 + 5 shell atoms and 2 centres
    12
    """
    if not isinstance(count, int) or count < 3:
        raise ClusterGenError(f"a closed ring needs at least 3 icosahedra, not {count}")
    ico = _c5_icosahedron(radius)[1:]
    # a vertex and the antipode of one of its neighbours: 116.57 deg apart
    a, c = ico[0], -ico[1]
    half = np.degrees(np.arccos(np.clip(a @ c / radius ** 2, -1, 1))) / 2
    # frame: a and c in the xy plane at +-half from -x (towards the ring centre)
    e1 = (a + c) / np.linalg.norm(a + c)
    e2 = (c - a) / np.linalg.norm(c - a)
    rot = np.array([-e1, e2, np.cross(-e1, e2)])
    unit = ico @ rot.T
    t = np.radians(half)
    ring = radius * (np.cos(t) + np.sin(t) / np.tan(np.pi / count))
    blocks = []
    for j in range(count):
        phi = 2 * np.pi * j / count
        turn = np.array([[np.cos(phi), -np.sin(phi), 0], [np.sin(phi), np.cos(phi), 0],
                         [0, 0, 1]])
        centre = np.array([ring, 0.0, 0.0])
        blocks.append((np.vstack([centre, centre + unit]) @ turn.T))
    labels = ["centre"] + ["shell"] * 12
    pos, lab = [], []
    for block in blocks:
        for p, name in zip(block, labels):
            hit = [i for i, q in enumerate(pos) if np.linalg.norm(p - q) < 0.3]
            if hit:
                lab[hit[0]] = "waist"
                continue
            pos.append(p)
            lab.append(name)
    if len(pos) != 12 * count:
        raise RuntimeError(f"the ring of {count} icosahedra did not close ({len(pos)} atoms)")
    return np.array(pos), lab
