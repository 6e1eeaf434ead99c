"""Point group of a cluster framework: the symmetry engine.

The symmetry that matters for doping and adsorption is that of the heavy-atom framework
(metal + S, P, halide): R groups (CH3 rotors, phenyl rings) lower the point group without
making two metal sites chemically different.  :func:`point_symmetry` finds every orthogonal
operation that maps labelled points onto themselves within a tolerance, with the atom
permutation each induces; :func:`schoenflies` names the group.  Permutations, orbits and
symmetry-distinct substitutions built on it live in :mod:`clustergen.core.orbits`.

>>> from ase.cluster import Icosahedron
>>> point_group(Icosahedron("Au", 2))
'Ih'
"""

import numpy as np
from scipy.spatial import cKDTree

from clustergen.core.bonds import metals
from clustergen.core.errors import ClusterGenError

FRAMEWORK = ("S", "P", "Cl", "Br", "I")  # non-metal framework elements; metals always count


def framework_elements(atoms):
    """Elements that define the framework: every metal of ``templates/chemistry.yaml``
    present in ``atoms`` plus S, P and halides.

    >>> from ase import Atoms
    >>> framework_elements(Atoms("AuPtSCH3"))
    ('Au', 'Pt', 'S')
    """
    present = dict.fromkeys(atoms.get_chemical_symbols())
    return tuple(e for e in present if e in metals() or e in FRAMEWORK)


def framework_indices(atoms, elements=None):
    """Indices of the atoms whose element is in ``elements`` (default: the framework).

    >>> from ase import Atoms
    >>> framework_indices(Atoms("AuSCH3")).tolist()
    [0, 1]
    """
    elements = framework_elements(atoms) if elements is None else tuple(elements)
    symbols = np.array(atoms.get_chemical_symbols())
    return np.flatnonzero(np.isin(symbols, elements))


def symmetry_operations(atoms, elements=None, tolerance=0.3):
    """Orthogonal 3x3 matrices (about the framework centroid) that map every framework
    atom to within ``tolerance`` Angstrom of an atom of the same element, with the atom
    permutation each induces (positions into :func:`framework_indices`); see
    :func:`point_symmetry`.

    >>> from ase.cluster import Icosahedron
    >>> ops, perms = symmetry_operations(Icosahedron("Au", 2))
    >>> len(ops), perms.shape
    (120, (120, 13))
    """
    index = framework_indices(atoms, elements)
    if len(index) == 0:
        raise ClusterGenError("no framework atoms to take the symmetry of")
    table = point_symmetry(atoms.positions[index], [atoms[i].symbol for i in index],
                           tolerance)
    ops = [op for op, _ in table]
    perms = np.unique(np.array([perm for _, perm in table], dtype=int), axis=0)
    return ops, perms


def point_symmetry(points, species=None, tolerance=0.3):
    """The symmetry engine: every orthogonal operation about the centroid of ``points``
    that maps each point to within ``tolerance`` of a point of the same ``species`` (any
    labels: elements, kernel site labels), as ``[(3x3 matrix, permutation), ...]``
    sorted by permutation, then determinant (the identity first).

    Found exhaustively: an operation is fixed by the images of two non-collinear points
    a, b (and the sign of its determinant), so every pair a', b' with matching radii and
    separation is tried, and the set is closed under composition.  pymatgen's
    PointGroupAnalyzer reports only the C3 subgroup of the Th framework of [Au25(SR)18]
    and loses Ih for an Au13 with 0.04 A noise, so the group is not taken from it.

    >>> from ase.cluster import Icosahedron
    >>> table = point_symmetry(Icosahedron("Au", 2).positions, tolerance=0.1)
    >>> len(table), table[0][1].tolist() == list(range(13))
    (120, True)
    """
    pos = np.asarray(points, dtype=float)
    pos = pos - pos.mean(axis=0)
    symbols = np.array([""] * len(pos) if species is None else [str(s) for s in species])
    radius = np.linalg.norm(pos, axis=1)
    trees = {e: (np.flatnonzero(symbols == e), cKDTree(pos[symbols == e]))
             for e in set(symbols)}

    def match(op):
        image = pos @ op.T
        perm = np.full(len(pos), -1)
        for mine, tree in trees.values():
            dist, near = tree.query(image[mine])
            if np.any(dist > tolerance):
                return None
            perm[mine] = mine[near]
        return perm if len(set(perm.tolist())) == len(perm) else None

    def twins(i):  # atoms that an operation may send atom i to
        return np.flatnonzero((symbols == symbols[i]) &
                              (np.abs(radius - radius[i]) <= 2 * tolerance))

    a, b = _reference_pair(pos, symbols, radius, tolerance)
    found = {}
    if b is None:  # collinear (or single-atom) framework: identity and the reversal
        for op in (np.eye(3), -np.eye(3)):
            perm = match(op)
            if perm is not None:
                found[(tuple(perm), 1)] = (op, perm)
    else:
        frame = np.array([pos[a], pos[b], np.cross(pos[a], pos[b])]).T
        inverse = np.linalg.inv(frame)
        sep = np.linalg.norm(pos[a] - pos[b])
        for a2 in twins(a):
            for b2 in twins(b):
                if a2 == b2 or abs(np.linalg.norm(pos[a2] - pos[b2]) - sep) > 2 * tolerance:
                    continue
                for det in (1, -1):
                    target = np.array([pos[a2], pos[b2],
                                       det * np.cross(pos[a2], pos[b2])]).T
                    op = nearest_orthogonal(target @ inverse, det)
                    perm = match(op)
                    # a planar framework's mirror plane permutes nothing: key on det too
                    key = (tuple(perm), det) if perm is not None else None
                    if key is not None and key not in found:
                        # refit on every atom: the pair alone carries its noise
                        found[key] = (nearest_orthogonal(pos[perm].T @ pos, det), perm)
    found = _close_operations(found, pos, tolerance)
    return [found[k] for k in sorted(found)]


MAX_ORDER = 240  # no finite point group of a cluster is larger (Ih has 120)


def _close_operations(found, pos, tolerance):
    """Close the operations under composition.  With a loose tolerance the matched set
    may miss products (each within tolerance, the product not); their permutations
    still compose, and each product is refitted on all atoms."""
    frontier = list(found)
    gens = list(found)
    while frontier:
        new = []
        for k1 in frontier:
            for k2 in gens:
                perm = found[k2][1][found[k1][1]]
                det = k1[1] * k2[1]
                key = (tuple(perm), det)
                if key not in found:
                    found[key] = (nearest_orthogonal(pos[perm].T @ pos, det), perm)
                    new.append(key)
        if len(found) > MAX_ORDER:
            raise ClusterGenError(
                f"symmetry tolerance {tolerance} A is too loose: the matched operations "
                f"generate more than {MAX_ORDER}, which no point group has; use a "
                "smaller --tolerance")
        frontier = new
    return found


def _reference_pair(pos, symbols, radius, tolerance):
    """Two atoms away from the centre and far from collinear with it, chosen from the
    rarest (element, radius) shells so few images need trying."""
    shell = {}
    for i in range(len(pos)):
        key = (symbols[i], round(radius[i] / (2 * tolerance + 1e-9)))
        shell.setdefault(key, []).append(i)
    order = sorted(range(len(pos)), key=lambda i: (
        len(shell[(symbols[i], round(radius[i] / (2 * tolerance + 1e-9)))]), -radius[i]))
    order = [i for i in order if radius[i] > 2 * tolerance]
    if not order:
        return (0, None)
    a = order[0]
    best, best_sin = None, 0.2  # need a clear angle so the frame is well conditioned
    for i in order[1:]:
        sin = np.linalg.norm(np.cross(pos[a], pos[i])) / (radius[a] * radius[i])
        if sin > best_sin + 0.3 or (best is None and sin > best_sin):
            best, best_sin = i, sin
            if sin > 0.7:
                break
    return (a, best)


def nearest_orthogonal(matrix, det):
    """Closest orthogonal matrix with the given determinant (polar decomposition).

    >>> nearest_orthogonal(np.diag([2.0, 1.0, 0.5]), -1).round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]
    """
    u, _, vt = np.linalg.svd(matrix)
    op = u @ vt
    if np.sign(np.linalg.det(op)) != det:
        u[:, -1] *= -1
        op = u @ vt
    return op


def schoenflies(ops, tol=0.15):
    """Schoenflies symbol of a finite point group given as 3x3 orthogonal matrices.

    >>> schoenflies([np.eye(3), -np.eye(3)])
    'Ci'
    >>> schoenflies([np.eye(3), np.diag([1.0, 1.0, -1.0])])
    'Cs'
    """
    ops = [np.asarray(m, dtype=float) for m in ops]
    proper = [m for m in ops if np.linalg.det(m) > 0]
    improper = [m for m in ops if np.linalg.det(m) < 0]
    inversion = any(np.allclose(m, -np.eye(3), atol=tol) for m in improper)
    mirrors = [_axis(-m) for m in improper if abs(np.trace(m) - 1) < tol]  # normals
    axes = {}  # rotation order -> list of axes
    for m in proper:
        angle = np.arccos(np.clip((np.trace(m) - 1) / 2, -1, 1))
        if angle < tol:
            continue
        order = int(round(2 * np.pi / angle))
        axes.setdefault(order, []).append(_axis(m))
    if not axes:
        return "Ci" if inversion else "Cs" if improper else "C1"
    distinct_c3 = _distinct(axes.get(3, []), tol)
    if 5 in axes and len(distinct_c3) > 1:   # one C5 alone is a C5/D5 group (an Au25 rod)
        return "Ih" if inversion else "I"
    if len(distinct_c3) > 1:
        if 4 in axes:
            return "Oh" if inversion else "O"
        return "Th" if inversion else "Td" if improper else "T"
    n = max(axes)
    principal = axes[n][0]
    parallel = lambda v: abs(abs(v @ principal) - 1) < tol
    if len(proper) == 2 * n:  # dihedral: n C2 axes perpendicular to the principal one
        if n == 2:  # D2: any of the three C2 axes may be the principal
            c2 = _distinct(axes[2], tol)
            horizontal = any(abs(abs(v @ c) - 1) < tol for v in mirrors for c in c2)
        else:
            horizontal = any(parallel(v) for v in mirrors)
        return f"D{n}h" if horizontal else f"D{n}d" if improper else f"D{n}"
    if len(proper) == n:
        if not improper:
            return f"C{n}"
        if any(parallel(v) for v in mirrors):
            return f"C{n}h"
        return f"C{n}v" if mirrors else f"S{2 * n}"
    raise ClusterGenError(f"{len(ops)} approximate operations do not form a point group; "
                          "use a smaller symmetry tolerance")


def _axis(rotation):
    """Unit axis of a proper rotation (eigenvector of eigenvalue 1), sign fixed."""
    w, v = np.linalg.eig(rotation)
    axis = np.real(v[:, np.argmin(np.abs(w - 1))])
    axis /= np.linalg.norm(axis)
    k = np.argmax(np.abs(axis))
    return axis if axis[k] > 0 else -axis


def _distinct(vectors, tol):
    out = []
    for v in vectors:
        if not any(abs(abs(v @ u) - 1) < tol for u in out):
            out.append(v)
    return out


def point_group(atoms, elements=None, tolerance=0.3):
    """Schoenflies symbol of the framework point group; ``tolerance`` (Angstrom) is how
    far an operation's image may lie from an atom of the same element.

    >>> from ase.cluster import Octahedron
    >>> point_group(Octahedron("Au", 3, 1))
    'Oh'
    """
    ops, perms = symmetry_operations(atoms, elements, tolerance)
    index = framework_indices(atoms, elements)
    if len(index) == 1:
        return "Kh"  # a lone atom
    pos = atoms.positions[index] - atoms.positions[index].mean(axis=0)
    if np.linalg.matrix_rank(pos, tol=2 * tolerance) <= 1:  # linear framework
        return "D*h" if len(perms) == 2 else "C*v"
    return schoenflies(ops)


def group_name(atoms, images):
    """Schoenflies symbol of the point group closest to a permutation group (e.g. the
    bond-graph automorphisms of a distorted structure): each permutation is fitted with
    the orthogonal matrix that best maps the framework onto itself; ``"?"`` when the
    fitted matrices are not a point group.

    >>> from ase.cluster import Icosahedron
    >>> from clustergen.core.orbits import framework_permutations
    >>> au13 = Icosahedron("Au", 2)
    >>> group_name(au13, framework_permutations(au13, method="graph"))
    'Ih'
    """
    frame = np.flatnonzero(np.asarray(images)[0] >= 0)
    pos = atoms.positions[frame] - atoms.positions[frame].mean(axis=0)
    position = {int(a): k for k, a in enumerate(frame)}
    ops = []
    for image in images:
        perm = np.array([position[int(a)] for a in image[frame]])
        fits = [nearest_orthogonal(pos[perm].T @ pos, det) for det in (1, -1)]
        residual = [np.linalg.norm(pos @ op.T - pos[perm]) for op in fits]
        ops.append(fits[int(np.argmin(residual))])
    try:
        return schoenflies(ops)
    except ClusterGenError:
        return "?"
