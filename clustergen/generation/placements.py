"""Where one staple motif may sit on a kernel: anchor pairs, path guesses, rings.

A shell rule's motif spec (from ``templates/``) gives windows of anchor distances in units
of the kernel nearest-neighbour distance and optional shaping hints (seat, lean, rest,
belt, fold, hug); :func:`candidate_placements` turns it into :class:`Placement` objects,
each a motif type, its two anchor atoms and a first guess of its path.
:func:`ring_placements` does the same for rings that bind no kernel atom. Choosing a set
of placements is :func:`clustergen.generation.shell.arrangements`; shaping it is
:func:`clustergen.generation.embedding.embed`.
"""

from dataclasses import dataclass

import numpy as np

from clustergen.core.bonds import nearest_contacts
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import motif_size

# Target geometry (Angstrom) read off public DFT structures of Au-SR clusters
# (public DFT models: Au-S 2.34-2.48, staple S-Au-S 165-180 deg, Au-S-Au about 100 deg).
BOND_STAPLE = 2.33      # staple Au(I)-S
BOND_KERNEL = 2.42      # kernel Au-S
ANGLE_SAUS = 172.0      # S-Au-S at a staple Au
ANGLE_AUSAU = 100.0     # staple Au-S-staple Au at a middle S (94-105)
ANGLE_KSAU = 90.0       # kernel Au-S-staple Au at a terminal S (88-92)
ANGLE_KSK = 95.0        # kernel Au-S-kernel Au at a bridging SR (91-100)
BOND_AURO = 2.85        # monomer Au seated on a kernel atom (Au29, Au30: 2.81-2.83)
ANGLE_KSAU_SEATED = 98.0   # kernel Au-S-staple Au of a seated monomer (96-100)
SPAN_SEATED = 5.6       # anchor distance of a seated monomer, a 2-nn row (5.60-5.64)


def _law_of_cosines(a, b, angle):
    return float(np.sqrt(a * a + b * b - 2 * a * b * np.cos(np.radians(angle))))


@dataclass
class Placement:
    """One motif on the kernel: its type, the kernel atoms its S bind, a path guess."""

    kind: str
    anchors: tuple
    guess: np.ndarray        # chain order S, M, S, ..., S (bridging: one S; ring: S, M, ..., M)
    seat: int = -1           # kernel atom a monomer's metal sits on (aurophilic bond)
    angle: float = None      # kernel Au-S-staple Au at its terminal S (default ANGLE_KSAU;
    #                          a tuple: (at anchor 0, at anchor 1)); for a ring, Au-S-Au
    #                          at its S (default ANGLE_AUSAU)
    stiffness: float = None  # force constant of its S-Au-S restraints (default 5)
    span: float = None       # anchor-anchor distance it holds a flexible kernel at (A)
    hug: tuple = None        # (A, n): its metals kept this far from their n nearest kernel Au
    contacts: tuple = ()     # a ring (no anchors): the kernel atoms it passes over
    lean: tuple = None       # (kernel atom, A): its middle metal rests on that atom
    belt: float = None       # A: a chain run round the kernel centre (see _belt_guess)
    rest: tuple = None       # (A, atoms): its metals rest on whichever of atoms stays bare
    over: tuple = None       # (A, atoms): its k-th metal held A from atoms[k] (lies on them)
    ends: tuple = None       # (atom, A): its two terminal S held A from that kernel atom


def kernel_bonds(kernel):
    """Nearest-neighbour distance, boolean bond matrix and distance matrix of a kernel
    (bond rule ``kernel-lattice`` of :mod:`clustergen.core.bonds`).

    >>> from clustergen.generation.kernels import icosahedron
    >>> dnn, bonded, _ = kernel_bonds(icosahedron()[0])
    >>> round(dnn, 2), int(bonded.sum()) // 2
    (2.79, 42)
    """
    return nearest_contacts(kernel, "kernel-lattice")


def surface_normals(kernel, bonded):
    """Outward unit normal of every kernel atom (away from its neighbours' centroid).

    Fully surrounded atoms get a zero vector.
    """
    normals = np.zeros_like(kernel)
    for i in range(len(kernel)):
        nb = np.flatnonzero(bonded[i])
        v = kernel[i] - kernel[nb].mean(axis=0) if len(nb) else kernel[i] - kernel.mean(0)
        if np.linalg.norm(v) > 0.3:
            normals[i] = v / np.linalg.norm(v)
    return normals


def _chain_guess(a, b, na, nb, n_metal, lift=1.2):
    """Rough positions S, M, S, ... of a chain motif from anchor a to anchor b."""
    s0 = a + BOND_KERNEL * na
    s1 = b + BOND_KERNEL * nb
    n_atoms = 2 * n_metal + 1
    up = na + nb
    up = up / np.linalg.norm(up) if np.linalg.norm(up) > 1e-6 else na
    t = np.linspace(0.0, 1.0, n_atoms)
    return ((1 - t)[:, None] * s0 + t[:, None] * s1
            + (lift * np.sin(np.pi * t))[:, None] * up)


def candidate_placements(kernel, eligible, motifs, rule, labels=None):
    """Every placement the rule allows for the motif types in ``motifs``."""
    labels = labels if labels is not None else [""] * len(kernel)
    dnn, bonded, dist = kernel_bonds(kernel)
    normals = surface_normals(kernel, bonded)
    out = []
    for kind in motifs:
        n_metal = motif_size(kind)
        spec = rule["motifs"].get(kind)
        if spec is None:
            raise ClusterGenError(f"the shell rule has no placement rule for '{kind}' "
                                  "motifs: this member cannot be built yet")
        if kind.endswith("-ring"):
            out += ring_placements(kernel, kind, spec)
            continue
        windows = spec["anchor_distance"]
        if not isinstance(windows[0], (list, tuple)):
            windows = [windows]
        # a window [lo, hi, label] only admits pairs with one anchor labelled so
        windows = [(w[0], w[1], w[2] if len(w) > 2 else None) for w in windows]
        # the motif's own anchor labels (default: the rule's); a labelled window adds its
        # label for one of the two anchors
        own = set(spec.get("anchor_labels", rule["anchor_labels"]))
        for i in eligible:
            for j in eligible:
                if j <= i or not any(
                        lo * dnn <= dist[i, j] <= hi * dnn
                        and ({labels[i], labels[j]} <= own if lab is None else
                             (labels[i] == lab and labels[j] in own
                              or labels[j] == lab and labels[i] in own))
                        for lo, hi, lab in windows):
                    continue
                if n_metal == 0:
                    mid = (kernel[i] + kernel[j]) / 2
                    up = normals[i] + normals[j]
                    up /= np.linalg.norm(up)
                    h = np.sqrt(max(BOND_KERNEL ** 2 - (dist[i, j] / 2) ** 2, 0.5))
                    guess = (mid + h * up)[None]
                elif "belt" in spec:
                    guess = _belt_guess(kernel, labels, i, j, n_metal, spec["belt"],
                                        centre=spec.get("belt_centre", "centre"))
                else:
                    guess = _chain_guess(kernel[i], kernel[j], normals[i], normals[j],
                                         n_metal, lift=spec.get("lift", 1.2))
                seat = _seat(kernel, i, j, dnn) if n_metal == 1 else -1
                if seat >= 0:
                    # over a straight row a-m-b the metal sits on m, as an fcc site would
                    guess[1] = kernel[seat] + BOND_AURO * normals[seat]
                angle = ANGLE_KSAU_SEATED if seat >= 0 else spec.get("anchor_angle")
                if isinstance(angle, (list, tuple)):
                    angle = _angles_by_coordination(angle, bonded[i].sum(), bonded[j].sum())
                span = SPAN_SEATED if seat >= 0 else spec.get("anchor_span")
                hug = tuple(spec["hug"]) if "hug" in spec else None
                lean = _lean(i, j, bonded, labels, *spec["lean"]) if "lean" in spec else None
                if "crest" in spec:
                    lean = _crest(i, j, bonded, labels, *spec["crest"])
                if lean and spec.get("fold"):
                    guess = _fold(guess, _fold_point(kernel, normals, bonded, i, j, *lean))
                gap = bool(spec.get("gap")) and labels[i] == labels[j] == spec["gap"]
                if gap and n_metal == 1:
                    guess = _fold(guess, _gap_point(kernel, labels, i, j))
                over = _over(kernel, i, j, bonded, labels, n_metal, spec.get("over"))
                if gap and n_metal > 1:
                    # a longer chain runs round the empty side, its metals held on the
                    # empty sites (``gap_radius`` A from the centre), not on a crest
                    guess = _gap_path(kernel, labels, i, j, n_metal)
                    lean, over = None, _gap_over(kernel, labels, guess, spec)
                out.append(Placement(kind, (i, j), guess, seat=seat, angle=angle,
                                     stiffness=spec.get("stiffness"), span=span, hug=hug,
                                     lean=lean, belt=spec.get("belt"),
                                     rest=_rest(i, j, bonded, eligible, spec.get("rest")),
                                     over=over, ends=_ends(kernel, labels, i, j,
                                                           spec.get("ends"))))
    return out


def _belt_guess(kernel, labels, i, j, n_metal, radius, rise=0.8, centre="centre"):
    """Path guess S, M, ..., S of a chain run round the kernel centre the long way, i to j.

    Its atoms are spread evenly over the arc from anchor i to anchor j that does not pass
    between them, in the plane of the centre (the atom labelled ``centre``) and the two
    anchors: metals ``radius`` A from the centre, S ``rise`` A further out. A tetramer on
    two adjacent waist atoms of an fcc Au10 so lays its four Au over the four vacant sites
    of the hexagon (Au21(SR)15, DFT model b: Au 3.2-3.7 A from the centre, 60 deg apart).
    ``centre``: the label of the atom it runs round (``belt_centre`` in the motif's rule;
    without one, the centroid): the octamer of Au21(S-Adm)15 runs round the shared-edge
    atom its middle S binds.

    >>> from clustergen.generation.kernels import bitetrahedral_backbone
    >>> kernel, labels = bitetrahedral_backbone(2, a=4.06, au3="octahedron")
    >>> path = _belt_guess(kernel, labels, 7, 8, 4, 3.45)
    >>> len(path), np.round(np.linalg.norm(path[1::2], axis=1), 2).tolist()
    (9, [3.45, 3.45, 3.45, 3.45])
    """
    c = kernel[labels.index(centre)] if centre in labels else kernel.mean(axis=0)
    u, v = kernel[i] - c, kernel[j] - c
    e1 = u / np.linalg.norm(u)
    e2 = v - (v @ e1) * e1
    if np.linalg.norm(e2) < 1e-6:
        raise ClusterGenError("a belt needs two anchors not in line with the centre")
    e2 /= np.linalg.norm(e2)
    end = np.arctan2(v @ e2, v @ e1) - 2 * np.pi          # the long way round
    t = np.linspace(0.0, end, 2 * n_metal + 3)[1:-1]
    r = np.where(np.arange(len(t)) % 2 == 1, radius, radius + rise)
    # S step off the plane by turns, the end ones away from the rest of the kernel
    e3 = np.cross(e1, e2)
    side = -np.sign((kernel.mean(axis=0) - c) @ e3) or 1.0
    h = side * rise * np.where(np.arange(len(t)) % 4 == 0, 1.0,
                               np.where(np.arange(len(t)) % 2 == 0, -1.0, 0.0))
    return (c + (r * np.cos(t))[:, None] * e1 + (r * np.sin(t))[:, None] * e2
            + h[:, None] * e3)


def _fold(path, point):
    """A chain's path guess folded over ``point``: its middle atom there, the rest in line.

    A chain that leans on a cap runs over it, not straight from anchor to anchor: the
    trimer of Au21(SR)15 crosses the waist outside the cap (DFT model b).

    >>> _fold(np.zeros((5, 3)), np.array([0.0, 0.0, 2.0]))[:, 2].tolist()
    [0.0, 1.0, 2.0, 1.0, 0.0]
    """
    m = len(path) // 2
    t = np.linspace(0.0, 1.0, m + 1)[:, None]
    u = np.linspace(0.0, 1.0, len(path) - m)[1:, None]
    return np.vstack([path[0] + t * (point - path[0]), point + u * (path[-1] - point)])


def _fold_point(kernel, normals, bonded, i, j, atom, dist):
    """Where a chain from i to j leaning on ``atom`` rests its middle metal.

    ``dist`` A from ``atom`` along the outward normal of the corner the chain wraps
    round (bonded to i, j and ``atom``, as in :func:`_lean`): beside the cap, over the
    corner's side (a path guess: 2.0 A from the middle Au of Au21(SR)15, DFT model b).
    """
    corner = [c for c in _corners(bonded, i, j) if bonded[c, atom]]
    n = normals[corner[0]] if corner else normals[atom]
    return kernel[atom] + dist * n


def _gap_point(kernel, labels, i, j):
    """The empty site between anchors i and j: their midpoint carried out from the kernel
    centre (the atom labelled ``centre``, else the centroid) to the anchors' mean distance
    from it.

    A monomer joining the two ends of an open ring of tetrahedra lays its Au on the empty
    waist site between them (Au34(SR)22, DFT model: 3.2 A from the centre); its path
    guess is folded over that point (``gap: label`` in the motif's rule: both anchors so
    labelled).

    >>> k = np.array([[0, 0, 0], [3, 0, 0], [0, 3, 0], [-3, 0, 0]], float)
    >>> np.round(_gap_point(k, ["centre", "end", "end", "waist"], 1, 2), 2).tolist()
    [2.12, 2.12, 0.0]
    """
    c = kernel[labels.index("centre")] if "centre" in labels else kernel.mean(axis=0)
    mid = (kernel[i] + kernel[j]) / 2 - c
    r = (np.linalg.norm(kernel[i] - c) + np.linalg.norm(kernel[j] - c)) / 2
    return c + r * mid / np.linalg.norm(mid)


def _gap_path(kernel, labels, i, j, n_metal, rise=0.8):
    """Path guess S, M, ..., S of a chain from anchor i to anchor j round the side of
    the kernel with no atom labelled ``waist``: its metals on the empty sites there.

    The ends of an open ring of tetrahedra (arc) lie on one circle about the atom
    labelled ``centre`` with the shared (``waist``) sites; the chain joining them runs
    the other way round, metals spread evenly over the arc at the anchors' mean distance
    from the centre plus 0.5 A, S ``rise`` A further out and off the plane by turns
    (Au28(SR)20: the trimer joining the two ends of a two-tetrahedron arc lays its three
    Au over the three empty waist sites).

    >>> from clustergen.generation.tetrahedra import tetrahedral_ring
    >>> k, lab = tetrahedral_ring(2)
    >>> ends = [n for n, t in enumerate(lab) if t == "end"]
    >>> path = _gap_path(k, lab, *ends, 3)
    >>> c = k[lab.index("centre")]
    >>> len(path), np.round(np.linalg.norm(path[1::2] - c, axis=1), 2).tolist()
    (7, [3.55, 3.55, 3.55])
    """
    c = kernel[labels.index("centre")] if "centre" in labels else kernel.mean(axis=0)
    u, v = kernel[i] - c, kernel[j] - c
    e1 = u / np.linalg.norm(u)
    e3 = np.cross(u, v)
    e3 /= np.linalg.norm(e3)
    e2 = np.cross(e3, e1)
    short = np.arctan2(v @ e2, v @ e1)               # 0 .. pi, the short way
    waist = [kernel[n] - c for n, t in enumerate(labels) if t == "waist"]
    # the short way holds a waist site: go the long way round, the other sense
    if any(0 < np.arctan2(w @ e2, w @ e1) < short for w in waist):
        short -= 2 * np.pi
    t = np.linspace(0.0, short, 2 * n_metal + 3)[1:-1]
    radius = (np.linalg.norm(u) + np.linalg.norm(v)) / 2 + 0.5
    r = np.where(np.arange(len(t)) % 2 == 1, radius, radius + rise)
    h = rise * np.where(np.arange(len(t)) % 4 == 0, 1.0,
                        np.where(np.arange(len(t)) % 2 == 0, -1.0, 0.0))
    return (c + (r * np.cos(t))[:, None] * e1 + (r * np.sin(t))[:, None] * e2
            + h[:, None] * e3)


def _gap_over(kernel, labels, path, spec):
    """``(dist, atoms)`` holding each metal of a gap path ``gap_radius`` A (default: where
    the path guess puts them) from the atom labelled ``centre``.

    >>> k = np.zeros((1, 3)); path = np.array([[4.0, 0, 0], [3.5, 0, 0], [4.0, 1, 0]])
    >>> _gap_over(k, ["centre"], path, {"gap_radius": 3.4})
    (3.4, (0,))
    """
    c = labels.index("centre")
    dist = spec.get("gap_radius", float(np.linalg.norm(path[1] - kernel[c])))
    return float(dist), (c,) * (len(path) // 2)


def _ends(kernel, labels, i, j, spec):
    """``(atom, dist)``: the atom labelled ``spec[0]`` nearest the midpoint of anchors i
    and j, which the chain's two terminal S are held ``spec[1]`` A from; None without
    ``spec`` or such an atom.

    The octamer of the Au21(S-Adm)15 DFT model leaves its anchors with its terminal S
    turned away from the hinge it runs round (S 5.2 A from the hinge): the S-Au-S and
    Au-S-Au restraints alone leave them on the hinge's side.

    >>> k = np.array([[0, 0, 0], [2, 0, 0], [1, 2, 0]], float)
    >>> _ends(k, ["vertex", "vertex", "hinge"], 0, 1, ["hinge", 5.2])
    (2, 5.2)
    """
    if not spec:
        return None
    label, dist = spec
    on = [q for q, lab in enumerate(labels) if lab == label]
    if not on:
        return None
    mid = (kernel[i] + kernel[j]) / 2
    return int(min(on, key=lambda q: np.linalg.norm(kernel[q] - mid))), float(dist)


def _rest(i, j, bonded, eligible, dist):
    """``(dist, corners)``: surface atoms bonded to both anchors a chain may rest on.

    :func:`embed` holds the chain's metals ``dist`` A from the one of them no motif of the
    arrangement binds (a bare corner: Au21(SR)15, DFT model b, one dimer's Au 2.9-3.1 A
    from it); ``None`` without ``dist`` or a corner.

    >>> bonded = np.array([[0, 0, 1], [0, 0, 1], [1, 1, 0]], bool)
    >>> _rest(0, 1, bonded, [0, 1, 2], 3.0)
    (3.0, (2,))
    """
    corners = tuple(int(c) for c in np.flatnonzero(bonded[i] & bonded[j]) if c in eligible)
    return (float(dist), corners) if dist and corners else None


def _over(kernel, i, j, bonded, labels, n_metal, spec):
    """``(dist, atoms)``: the kernel atoms a chain from i to j lies over, one per metal.

    ``spec`` = ``[label, dist]``: the atoms labelled ``label`` bonded to a corner of the
    chain (an atom bonded to both anchors), not anchors themselves, ordered from anchor i
    to anchor j (the ``n_metal`` nearest the corner); each metal of the chain is held
    ``dist`` A from its own one. A dimer of
    the Au30(S-Adm)18 DFT model wraps round an octahedron atom and lies over the bonded cap
    pair beside it (Au 2.99 and 3.19 A from them). ``None`` without ``spec`` or when the
    count differs from the metals'.

    >>> bonded = np.array([[0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [1, 1, 0, 1, 1],
    ...                    [0, 0, 1, 0, 1], [0, 0, 1, 1, 0]], bool)
    >>> kernel = np.array([[0, 0, 0], [4, 0, 0], [2, 1, 0], [1, 2, 0], [3, 2, 0]], float)
    >>> _over(kernel, 0, 1, bonded, ["edge"] * 5, 2, ["edge", 3.1])
    (3.1, (3, 4))
    """
    if not spec:
        return None
    label, dist = spec
    for corner in _corners(bonded, i, j):
        on = [int(q) for q in np.flatnonzero(bonded[corner])
              if labels[q] == label and q not in (i, j)]
        if len(on) >= n_metal:
            # the ones closest to the corner (a longer contact is not the pair beside it)
            on = sorted(on, key=lambda q: np.linalg.norm(kernel[q] - kernel[corner]))[:n_metal]
            on.sort(key=lambda q: np.linalg.norm(kernel[q] - kernel[i]))
            return float(dist), tuple(on)
    return None


def _lean(i, j, bonded, labels, label, dist):
    """``(atom, dist)``: the atom labelled ``label`` a chain from i to j leans on, or None.

    The chain wraps around its corner, a surface atom bonded to both anchors (fewer than
    12 kernel neighbours); an atom labelled ``label`` (e.g. a cap) bonded to that corner
    holds the chain's middle metal at ``dist`` (aurophilic contact).

    >>> bonded = np.array([[0, 1, 1, 0], [1, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 0]], bool)
    >>> _lean(0, 2, bonded, ["shell", "shell", "shell", "cap"], "cap", 3.0)
    (3, 3.0)
    """
    for corner in _corners(bonded, i, j):
        on = [int(q) for q in np.flatnonzero(bonded[corner]) if labels[q] == label]
        if on:
            return on[0], float(dist)
    return None


def _crest(i, j, bonded, labels, names, dist):
    """``(atom, dist)``: the atom bonded to both anchors whose label is in ``names``, which
    a chain from i to j arches over; None if there is none.

    Its middle metal is held ``dist`` A from that atom (like :func:`_lean`): each trimer
    of Au34(SR)22 and Au40(SR)24 crosses the waist over one waist site, its middle Au
    3.6-3.7 A from it (DFT models), also where the site beside it is empty.

    >>> bonded = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0]], bool)
    >>> _crest(0, 1, bonded, ["backbone", "backbone", "centre", "waist"], ["waist"], 3.7)
    (3, 3.7)
    """
    for c in np.flatnonzero(bonded[i] & bonded[j]):
        if labels[c] in names:
            return int(c), float(dist)
    return None


def _corners(bonded, i, j):
    """Surface atoms (fewer than 12 kernel neighbours) bonded to both anchors i and j:
    what a chain from i to j wraps round."""
    cn = bonded.sum(axis=1)
    return [int(c) for c in np.flatnonzero(bonded[i] & bonded[j]) if cn[c] < 12]


def _angles_by_coordination(angles, cn_i, cn_j):
    """Kernel Au-S-staple Au at anchors i and j: the smaller at the less coordinated anchor.

    A chain's staple Au leans over an exposed anchor (aurophilic contact) and stands off a
    well coordinated one; equal coordination gets the mean at both ends.

    >>> _angles_by_coordination([84, 103], 7, 5)
    (103.0, 84.0)
    """
    low, high = sorted(float(a) for a in angles)
    if cn_i == cn_j:
        return ((low + high) / 2,) * 2
    return (low, high) if cn_i < cn_j else (high, low)


def _seat(kernel, i, j, dnn):
    """Kernel atom midway between anchors i and j (a straight 2-nn row), else -1."""
    mid = (kernel[i] + kernel[j]) / 2
    d = np.linalg.norm(kernel - mid, axis=1)
    m = int(d.argmin())
    return m if d[m] < 0.25 * dnn and m not in (i, j) else -1


# rings bind no kernel atom: their placements live in generation.rings (which needs
# Placement, defined above), re-exported here for the callers of this module
from clustergen.generation.rings import ring_placements
