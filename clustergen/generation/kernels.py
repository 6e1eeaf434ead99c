"""Kernel (metal core) geometries from building blocks and lattice rules.

Every builder returns ``(positions, labels)``: an ``(n, 3)`` array in Angstrom and a
list of per-atom site labels (``centre``, ``shell``, ``waist`` ...) that templates use to
choose where staple motifs may anchor.  Geometry follows Lyu et al. 2025 section 2.1: Au13
icosahedra (8e), fused by sharing faces; fcc fragments grown from Au4 tetrahedra (2e).
"""

import itertools

import numpy as np

from clustergen.core.rotations import rotation_onto
from clustergen.core.symmetry import point_symmetry

PHI = (1 + 5 ** 0.5) / 2


def icosahedron(radius=2.79):
    """Centred icosahedron (13 atoms), one C3 axis along z, centre first.

    ``radius`` is the centre-vertex distance (2.79 A in [Au25(SR)18]-); the
    vertex-vertex edge is 1.0515 x radius.

    >>> pos, labels = icosahedron()
    >>> len(pos), labels[0], round(float(np.linalg.norm(pos[1] - pos[0])), 2)
    (13, 'centre', 2.79)
    """
    verts = []
    for s1, s2 in itertools.product((-1, 1), repeat=2):
        verts += [(0, s1, s2 * PHI), (s1, s2 * PHI, 0), (s2 * PHI, 0, s1)]
    verts = np.array(verts, float)
    verts *= radius / np.linalg.norm(verts[0])
    verts = verts @ rotation_onto(_face_normal(verts), [0.0, 0.0, 1.0]).T
    return np.vstack([[0.0, 0.0, 0.0], verts]), ["centre"] + ["shell"] * 12


def _face_normal(verts):
    """Unit normal of one icosahedron face (three mutually adjacent vertices)."""
    d = np.linalg.norm(verts[:, None] - verts[None], axis=-1)
    edge = d[d > 1e-6].min()
    for i, j, k in itertools.combinations(range(len(verts)), 3):
        if np.allclose([d[i, j], d[j, k], d[i, k]], edge, rtol=1e-3):
            n = verts[i] + verts[j] + verts[k]
            return n / np.linalg.norm(n)
    raise RuntimeError("no face found")


def fused_icosahedra(count, radius=2.79):
    """Linear chain of ``count`` centred icosahedra sharing faces along z.

    Sharing a face fixes the next icosahedron: it is the mirror image of the previous one
    through the shared face (any other operation that keeps the face differs from the
    mirror by a symmetry of the icosahedron), so the bi-icosahedron is D3h. Atoms of a
    shared face are labelled ``waist``; the Au23 kernel of Au38(SR)24 is ``count=2``.

    >>> pos, labels = fused_icosahedra(2)
    >>> len(pos), labels.count("centre"), labels.count("waist")
    (23, 2, 3)
    """
    pos, labels = icosahedron(radius)
    blocks = [pos]
    for _ in range(1, count):
        new = blocks[-1].copy()
        plane = np.sort(new[:, 2])[-3:].mean()   # the face on +z
        new[:, 2] = 2 * plane - new[:, 2]
        blocks.append(new)
    return _merge(blocks, [labels] * count)


def _merge(blocks, labels, tol=0.5):
    """Union of atom blocks; coincident atoms (shared vertices/faces) become ``waist``."""
    pos, lab = [], []
    for block, blab in zip(blocks, labels):
        for p, l in zip(block, blab):
            hit = [i for i, q in enumerate(pos) if np.linalg.norm(p - q) < tol]
            if hit:
                if lab[hit[0]] != "centre":
                    lab[hit[0]] = "waist"
                continue
            pos.append(p)
            lab.append(l)
    pos = np.array(pos)
    return pos - pos.mean(axis=0), lab


FCC_NEIGHBOURS = np.array(sorted({p for v in itertools.product((-1, 0, 1), repeat=3)
                                  for p in [v] if sum(map(abs, v)) == 2}))


def cuboctahedra_rod(pairs, a=4.08):
    """Union of interpenetrating fcc cuboctahedra centred on a twisted rod along [001].

    The rod holds two nearest-neighbour centres per (001) layer, turned by 90 degrees from
    one layer to the next (the double helix of Au4 tetrahedra seen along the axis).
    ``pairs`` layers give a kernel of 8*pairs + 12 atoms: 1 -> Au20 (Au28(SR)20),
    2 -> Au28 (Au36(SR)24), 3 -> Au36 (Au44(SR)28) ...  Cuboctahedron centres are
    labelled ``centre``, the rest ``shell``.

    >>> pos, labels = cuboctahedra_rod(2)
    >>> len(pos), labels.count("centre")
    (28, 4)
    """
    centres = []
    for z in range(pairs):
        centres += [(0, 0, z), (1, 1, z)] if z % 2 == 0 else [(1, 0, z), (0, 1, z)]
    sites = {tuple(c) for c in centres}
    for c in centres:
        sites.update(tuple(np.add(c, v)) for v in FCC_NEIGHBOURS)
    sites = sorted(sites)
    centre_set = set(centres)
    labels = ["centre" if s in centre_set else "shell" for s in sites]
    pos = np.array(sites, float) * a / 2
    return pos - pos.mean(axis=0), labels


def capped_cuboctahedra_pair(caps, a=4.20, au3=None):
    """Two interpenetrating cuboctahedra (the Au20 of Au28(SR)20) with square-face caps.

    The kernel of :func:`cuboctahedra_rod` ``(1)`` (centres A = (0,0,0), B = (1,1,0) in
    units of a/2); each of ``caps`` (0, 1 or 2) adds one fcc site capping the square face
    of a cuboctahedron turned away from the other one: A - (2,0,0), then B + (2,0,0)
    (the two are related by the pair's C2 axis). A cap shares that face with four shell
    atoms; the shell atom of the face on the side of the other centre (A + (-1,1,0),
    B + (1,-1,0)) is labelled ``shaded``: the monomer that grows with the cap arches over
    it (Au29(SR)19, Au30(SR)18). Labels: ``centre``, ``shell``, ``cap``, ``shaded``.
    ``au3`` (an index into :func:`au3_units` of the capped kernel) adds that Au3 unit,
    its three atoms last and labelled ``unit`` (the predicted Au36(SR)22).

    >>> pos, labels = capped_cuboctahedra_pair(2)
    >>> len(pos), labels.count("cap"), labels.count("shaded"), labels.count("row")
    (22, 2, 2, 2)
    >>> len(capped_cuboctahedra_pair(2, au3=0)[0])
    25
    """
    if caps not in (0, 1, 2):
        from clustergen.core.errors import ClusterGenError
        raise ClusterGenError(f"a cuboctahedron pair has two square faces to cap, not {caps}")
    centres = [(0, 0, 0), (1, 1, 0)]
    sites = {c for c in centres}
    for c in centres:
        sites.update(tuple(int(x) for x in np.add(c, v)) for v in FCC_NEIGHBOURS)
    # per growth site: cap, the shell atom it shades, the far end of the straight row
    # cap-shaded-end (where the monomer over that face ends, capped or not)
    rows = [((-2, 0, 0), (-1, 1, 0), (0, 2, 0)), ((3, 1, 0), (2, 0, 0), (1, -1, 0))]
    sites.update(cap for cap, _, _ in rows[:caps])
    label = {s: "shell" for s in sites}
    label.update({c: "centre" for c in centres})
    for n, (cap, shaded, end) in enumerate(rows):
        label[end] = "row"
        if n < caps:
            label[cap], label[shaded] = "cap", "shaded"
    order = sorted(sites)
    if au3 is not None:
        # a unit atom held by fewer than two atoms of the grown-on kernel besides its
        # partners would hang off it: every atom of the Au20-Au22 has >= 4 neighbours
        units = au3_units(order, [label[s] for s in order], min_bonds=4)
        if not 0 <= au3 < len(units):
            from clustergen.core.errors import ClusterGenError
            raise ClusterGenError(f"the capped Au{len(order)} has {len(units)} "
                                  f"symmetry-distinct Au3 positions, not #{au3}")
        order += units[au3]
        label.update({s: "unit" for s in units[au3]})
    # centre on the pair's C2 axis (not on the centroid, which a single cap shifts)
    pos = (np.array(order, float) - [0.5, 0.5, 0.0]) * a / 2
    return pos, [label[s] for s in order]


def au3_units(sites, labels=None, min_bonds=3):
    """Symmetry-distinct Au3 units that can grow on an fcc kernel (integer a/2 sites).

    An Au3 unit (2e, Lyu et al. 2025 section 2.1.1) takes three free fcc sites forming a
    triangle: three mutual nearest neighbours (a face of an Au4 tetrahedron), or every
    other site of a hexagon around one kernel atom (as the Au3 of the Au10 in
    :func:`bitetrahedral_backbone`). Each of its atoms must end with at least
    ``min_bonds`` kernel neighbours, unit partners included (3: the Au3 of the Au10).
    Units related by a point-group operation of the labelled kernel (mirrors too:
    enantiomers) count once. Returns lists of three site tuples, best bound first.

    The best-bound unit on the Au7 is the half hexagon of the Au10:

    >>> au7 = np.rint(bitetrahedral_backbone(1, a=2.0)[0]).astype(int)
    >>> au3_units(au7)[0]
    [(-1, 0, 1), (0, 1, -1), (1, -1, 0)]
    """
    sites = [tuple(int(x) for x in s) for s in sites]
    labels = labels or [""] * len(sites)
    taken = dict(zip(sites, labels))
    nn = [tuple(int(x) for x in v) for v in FCC_NEIGHBOURS]

    def bonds(p, extra=()):
        return sum(tuple(np.add(p, v)) in taken or tuple(np.add(p, v)) in extra for v in nn)

    free = sorted({tuple(int(x) for x in np.add(s, v)) for s in sites for v in nn} - set(taken))
    centre = np.mean(sites, axis=0)
    # the point group of the labelled kernel (lattice sites are 1 apart: 0.1 is tight)
    ops = [op for op, _ in point_symmetry(sites, labels, tolerance=0.1)]
    units = {}
    for tri in itertools.combinations(free, 3):
        sq = {int(np.sum(np.subtract(p, q) ** 2)) for p, q in itertools.combinations(tri, 2)}
        half_hexagon = sq == {6} and any(
            all(np.sum(np.subtract(p, s) ** 2) == 2 for p in tri) for s in sites)
        if sq != {2} and not half_hexagon:
            continue
        if min(bonds(p, tri) for p in tri) < min_bonds:
            continue
        key = min(tuple(sorted(tuple(np.rint(m @ (np.array(p) - centre) + centre).astype(int))
                               for p in tri)) for m in ops)
        units.setdefault(key, list(tri))
    return sorted(units.values(), key=lambda t: (-sum(bonds(p) for p in t), sorted(t)))


def bitetrahedral_backbone(units, a=4.20, au3="alternate"):
    """Au7 bitetrahedron grown by Au3 units inside one fcc cuboctahedron.

    ``units`` = 1: Au7, two Au4 tetrahedra sharing the centre (the centre and two
    opposite triangular faces of a cuboctahedron, D3d; the kernel of Au20(SR)16).
    2: + one Au3, every other atom of the hexagon left around the waist (Au10).
    3: the hexagon completed (the centred cuboctahedron, Au13) and its two square faces
    on the x axis capped, sites (+-2,0,0) (the Au15 of [Au23(SR)16]-). In units of a/2.
    Labels: ``centre``, ``shell``, ``cap``. The Au7 here is the fcc (staggered) one; in the
    DFT model of Au20(SR)16 its triangles are turned only 25-45 deg apart (twisted, D3).

    ``au3="octahedron"`` (units 2 only) places the Au3 instead as two adjacent waist
    sites, (1,-1,0) and (1,0,-1), and the cap (2,0,0) of the square face between them:
    with the two triangle atoms of that face it completes an Au6 octahedron on the Au7,
    and the centre gains 2 neighbours, not 3 (the fcc Au10 of the DFT model b of
    Au21(SR)15). Its waist atoms are labelled ``waist``, the cap ``cap``.

    >>> [len(bitetrahedral_backbone(u)[0]) for u in (1, 2, 3)]
    [7, 10, 15]
    >>> pos, labels = bitetrahedral_backbone(2, a=2.0, au3="octahedron")
    >>> labels.count("waist"), labels.count("cap"), int((np.linalg.norm(pos, axis=1) < 1.5).sum())
    (2, 1, 9)
    """
    if units not in (1, 2, 3):
        from clustergen.core.errors import ClusterGenError
        raise ClusterGenError(f"the Au7 backbone grows by 1 or 2 Au3 units, not {units - 1}")
    if au3 not in ("alternate", "octahedron") or (au3 == "octahedron" and units != 2):
        from clustergen.core.errors import ClusterGenError
        raise ClusterGenError(f"the Au3 of an Au10 backbone is 'alternate' or 'octahedron', "
                              f"not '{au3}' on {units} unit(s)")
    axis = np.array([1, 1, 1])
    verts = [tuple(int(x) for x in v) for v in FCC_NEIGHBOURS]
    faces = [v for v in verts if abs(np.dot(v, axis)) == 2]       # two opposite triangles
    waist = [v for v in verts if np.dot(v, axis) == 0]           # the hexagon between
    first = [v for v in waist if v in {(1, -1, 0), (0, 1, -1), (-1, 0, 1)}]
    sites = [(0, 0, 0)] + faces
    if units >= 2:
        sites += first
    if units == 3:
        sites += [v for v in waist if v not in first] + [(-2, 0, 0), (2, 0, 0)]
    labels = ["centre"] + ["shell"] * (len(sites) - 1)
    if units == 3:
        labels[-2:] = ["cap", "cap"]
    if au3 == "octahedron":
        # the square face on +x holds two triangle atoms and two adjacent waist atoms
        sites[-3:] = [(1, -1, 0), (1, 0, -1), (2, 0, 0)]
        labels[-3:] = ["waist", "waist", "cap"]
    return np.array(sites, float) * a / 2, labels


# Symmetry of a kernel: atom permutations under its point group (the shell engine keeps
# arrangements symmetry-distinct with them and lays motifs along its axes).

def kernel_permutations(kernel, tolerance=0.1):
    """Permutations of kernel atoms under its point-group operations (identity first),
    from :func:`clustergen.core.symmetry.point_symmetry`.

    >>> kernel_permutations(icosahedron()[0]).shape
    (120, 13)
    """
    return np.unique(np.array([p for _, p in point_symmetry(kernel, tolerance=tolerance)]),
                     axis=0)


def screw_map(kernel, angle, tol=0.3):
    """Partial permutation of kernel atoms under a screw along z through the centroid.

    Rotation by ``angle`` degrees plus a shift of one atomic layer (the smallest z
    spacing). Returns ``{i: j}`` for the atoms whose image is a kernel atom.
    """
    z = np.unique(np.round(kernel[:, 2], 2))
    shift = np.diff(z).min()
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    centre = kernel.mean(axis=0)
    x = kernel - centre
    image = x @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]).T + [0, 0, shift]
    d = np.linalg.norm(image[:, None] - x[None], axis=-1)
    return {i: int(d[i].argmin()) for i in range(len(x)) if d[i].min() < tol}


def rotation_permutations(kernel, tolerance=0.1, kind="rotations"):
    """Permutations of kernel atoms under the proper rotations of its point group.

    The chiral subgroup: a shell that keeps all of them is as symmetric as a chiral
    (handed) cluster can be on that kernel, e.g. D2 on the D2h Au20 of Au28(SR)20.
    ``kind="inversion"`` gives the inversion instead (if the kernel has one): the
    centrosymmetric shell of [Au23(SR)16]-.

    >>> len(rotation_permutations(icosahedron()[0]))
    60
    """
    x = kernel - kernel.mean(axis=0)
    out = {}
    for op, p in point_symmetry(kernel, tolerance=tolerance):
        if kind == "inversion":
            keep = np.allclose(x[p], -x, atol=0.3)
        else:
            keep = np.linalg.det(op) > 0   # a proper rotation
        if keep:
            out.setdefault(tuple(p), p)
    return [out[k] for k in sorted(out)]


# Kernels from polyhedra sharing vertices or with capped edges (growth operations the
# templates name here too)
from clustergen.generation.polyhedra import edge_capped_octahedron  # noqa: E402,F401
from clustergen.generation.polyhedra import vertex_shared_icosahedra  # noqa: E402,F401
from clustergen.generation.tetrahedra import tetrahedral_ring  # noqa: E402,F401
from clustergen.generation.polyhedra import edge_sharing_octahedra  # noqa: E402,F401
from clustergen.generation.polyhedra import icosahedra_ring  # noqa: E402,F401
