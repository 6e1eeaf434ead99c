"""Metal site classes of a protected cluster: ``centre``, ``kernel-surface``, ``staple``.

A dopant's preferred site is named by these classes (Lyu et al. 2025 sec. 3.3: Pt, Pd at the
icosahedron centre; Ag, Cd, Hg on the icosahedral shell; Cu in the staples).  They are
geometric, so they work for any kernel: a *centre* is a kernel metal atom enclosed by the
other kernel atoms (deep inside their convex hull and fully coordinated by them); the
other kernel atoms are *kernel-surface*; metal atoms of the protecting motifs are *staple*.

>>> from ase.cluster import Icosahedron
>>> from collections import Counter
>>> Counter(site_classes(Icosahedron("Au", 2)).values())
Counter({'kernel-surface': 12, 'centre': 1})
"""

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from clustergen.core.bonds import nearest_contacts
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import chemistry

CLASSES = ("centre", "kernel-surface", "staple")
# Depth (Angstrom) inside the hull of the other kernel atoms that makes an atom a centre.
# An icosahedron centre sits 2.3 A deep, an fcc inner atom 2.0 A; the shared-face atoms
# of a face-fused bi-icosahedron (Au38's Au23) are 0.9 A inside the concave waist yet are
# surface atoms, so the margin lies between.
CENTRE_DEPTH = 1.5
CENTRE_NEIGHBOURS = 10  # a centre also has >= 10 kernel neighbours (12 in Ih and fcc)


def metal_indices(atoms):
    """Indices of metal atoms (elements listed in ``templates/chemistry.yaml``).

    >>> from ase import Atoms
    >>> metal_indices(Atoms("SAuSPt")).tolist()
    [1, 3]
    """
    metals = chemistry()["metals"]
    return np.array([i for i, s in enumerate(atoms.get_chemical_symbols()) if s in metals],
                    dtype=int)


def kernel_indices(atoms):
    """Indices of the kernel metal atoms.

    From the role array when there is one; otherwise from :func:`clustergen.analysis.analyse.analyse`;
    a bare metal cluster (no S, P or halide) is all kernel.

    >>> from clustergen.core.model import make_cluster
    >>> a = make_cluster(["Au", "Au", "S"], [[0, 0, 0], [2.9, 0, 0], [5.2, 0, 0]],
    ...                  ["kernel", "staple", "S"])
    >>> kernel_indices(a).tolist()
    [0]
    """
    metals = metal_indices(atoms)
    if "role" in atoms.arrays:
        roles = atoms.arrays["role"]
        return np.array([i for i in metals if roles[i] == "kernel"], dtype=int)
    symbols = set(atoms.get_chemical_symbols())
    if not symbols & {"S", "P", "Cl", "Br", "I"}:
        return metals
    try:
        from clustergen.analysis.analyse import analyse
    except ImportError:
        raise ClusterGenError("structure has no 'role' array and clustergen.analysis.analyse is "
                              "not available to find its kernel") from None
    return np.array(sorted(int(i) for i in analyse(atoms).kernel), dtype=int)


def hull_depth(points, point):
    """Distance of ``point`` inside the convex hull of ``points`` (negative: outside;
    -inf when the points span no volume).

    >>> cube = [[x, y, z] for x in (0, 2) for y in (0, 2) for z in (0, 2)]
    >>> float(hull_depth(cube, [1, 1, 1.5]))
    0.5
    """
    try:
        hull = ConvexHull(np.asarray(points, dtype=float))
    except (QhullError, ValueError):
        return -np.inf
    return -np.max(hull.equations[:, :3] @ np.asarray(point) + hull.equations[:, 3])


def kernel_neighbours(atoms, kernel):
    """Number of kernel neighbours of each kernel atom (bond rule ``kernel``: 1.25 x the
    median nearest-neighbour distance, so it suits Au, Ag and Cu kernels alike).

    >>> from ase.cluster import Icosahedron
    >>> kernel_neighbours(Icosahedron("Au", 2), list(range(13))).tolist()[:2]
    [12, 6]
    """
    if len(kernel) < 2:
        return np.zeros(len(kernel), dtype=int)
    _, bonded, _ = nearest_contacts(atoms.positions[np.asarray(kernel)], "kernel")
    return bonded.sum(axis=1)


def site_classes(atoms, kernel=None):
    """Map each metal atom index to ``"centre"``, ``"kernel-surface"`` or ``"staple"``.

    ``kernel`` (indices) overrides :func:`kernel_indices`.  Every metal atom that is not
    kernel is ``staple``.

    >>> from ase.cluster import Octahedron
    >>> sorted(set(site_classes(Octahedron("Au", 4, 1)).values()))
    ['centre', 'kernel-surface']
    """
    metals = metal_indices(atoms)
    kernel = kernel_indices(atoms) if kernel is None else np.asarray(kernel, dtype=int)
    if len(metals) == 0:
        raise ClusterGenError("structure has no metal atoms")
    pos = atoms.positions
    neighbours = kernel_neighbours(atoms, kernel)
    classes = {int(i): "staple" for i in metals}
    for k, i in enumerate(kernel):
        others = pos[np.delete(kernel, k)]
        enclosed = (len(others) >= 4 and neighbours[k] >= CENTRE_NEIGHBOURS
                    and hull_depth(others, pos[i]) >= CENTRE_DEPTH)
        classes[int(i)] = "centre" if enclosed else "kernel-surface"
    return classes


def class_counts(classes):
    """Number of atoms per class, in the order of :data:`CLASSES`.

    >>> class_counts({0: "centre", 1: "staple", 2: "staple"})
    {'centre': 1, 'kernel-surface': 0, 'staple': 2}
    """
    values = list(classes.values())
    return {name: values.count(name) for name in CLASSES}
