"""Did a relaxation keep the cluster's bonding?  The topology check run after every
relaxation: no fragment split off, no metal-S bond made or broken, no S-S bond, and the
same motif inventory as the start (GFN-xTB optimisers can rebond a terminal S to a second
kernel Au, which a plain energy would hide)."""

import numpy as np

from clustergen.core.bonds import fragment_count, pair_cutoff
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import METAL_ROLES, format_motifs


def _metal_mask(atoms):
    if "role" in atoms.arrays:
        return np.isin(atoms.arrays["role"], METAL_ROLES)
    from clustergen.core.formula import chemistry

    metals = set(chemistry()["metals"])
    return np.array([s in metals for s in atoms.get_chemical_symbols()])


def fragments(atoms, rule="covalent"):
    """Number of bonded fragments under a bond rule of :mod:`clustergen.core.bonds`
    (default ``covalent``: 1.2 x the sum of covalent radii).

    >>> from ase import Atoms
    >>> fragments(Atoms("H2H2", positions=[[0, 0, 0], [0.74, 0, 0], [5, 0, 0], [5.74, 0, 0]]))
    2
    """

    return fragment_count(atoms, rule)


def _inventory(atoms, roles=None):
    """(motif inventory, roles) from clustergen.analysis.analyse; (None, None) without it.

    With ``roles`` (the kernel/staple split before relaxation) only the motifs are
    recomputed from the current bonds: thresholds on angles and Au-Au contacts move with
    relaxation without any bond being made or broken, and must not look like a change."""
    try:
        from clustergen.analysis.analyse import analyse
    except ImportError:
        return None, None
    atoms = atoms.copy()
    if roles is not None:
        atoms.set_array("role", np.asarray(roles))
    try:
        res = analyse(atoms, convention="roles") if roles is not None else analyse(atoms)
    except ClusterGenError as exc:
        return f"unclassified ({exc})", None
    return dict(res.inventory), getattr(res, "roles", None)


def check_topology(before, after):
    """Problems that make ``after`` a different structure from ``before``; [] if intact.

    Checks: no S-S bond (< 2.5 A); no more fragments than before; no metal-S bond made
    or broken (only changes across 2.7-3.1 A count, so rough start geometries do not
    raise false alarms); no kernel metal with >= 5 kernel bonds that lost half of them
    (< 3.2 A before, > 3.7 A after); and, when :mod:`clustergen.analysis.analyse` is available, the same motif
    inventory.

    >>> from ase import Atoms
    >>> a = Atoms("SS", positions=[[0, 0, 0], [3.4, 0, 0]])
    >>> b = Atoms("SS", positions=[[0, 0, 0], [2.05, 0, 0]])
    >>> check_topology(a, b)
    ['S-S bond 2.05 A (atoms 0-1)']
    """

    problems = []
    sym = np.array(after.get_chemical_symbols())
    d0, d1 = before.get_all_distances(), after.get_all_distances()
    s = np.flatnonzero(sym == "S")
    disulfide = pair_cutoff("disulfide", "S", "S")
    for k, i in enumerate(s):
        for j in s[k + 1:]:
            if d1[i, j] < disulfide:
                problems.append(f"S-S bond {d1[i, j]:.2f} A (atoms {i}-{j})")
    metal = np.flatnonzero(_metal_mask(before))
    for i in s:
        for j in metal:
            bonded = pair_cutoff("metal-sulfur", sym[j], "S")
            unbonded = pair_cutoff("metal-sulfur-broken", sym[j], "S")
            if d0[i, j] < bonded and d1[i, j] > unbonded:
                problems.append(f"{sym[j]}{j}-S{i} bond broken ({d0[i, j]:.2f} -> "
                                f"{d1[i, j]:.2f} A)")
            elif d0[i, j] > unbonded and d1[i, j] < bonded:
                problems.append(f"{sym[j]}{j}-S{i} bond formed ({d0[i, j]:.2f} -> "
                                f"{d1[i, j]:.2f} A)")
    problems += _kernel_atoms_moved(before, after, d0, d1)
    n0, n1 = fragments(before), fragments(after)
    if n1 > n0:
        problems.append(f"fragment lost: {n1} fragments after relaxation, {n0} before")
    inv0, roles0 = _inventory(before)
    if isinstance(inv0, dict):
        inv1, _ = _inventory(after, roles0)
        if inv1 != inv0:
            problems.append(f"motif inventory {_format_inventory(inv0)} -> "
                            f"{_format_inventory(inv1)}")
    return problems


# Only metals inside a kernel or on its closed shell (an icosahedron's centre has 12
# kernel bonds, its vertices 6) count: an edge atom of a helical kernel with 3 kernel
# bonds is pulled away as its staples fold onto the kernel (GFN1, Au52/Au60(SH)), a
# change of shape that keeps every site.
MIN_KERNEL_BONDS = 5


def _kernel_atoms_moved(before, after, d0, d1):
    """Kernel metals (with at least MIN_KERNEL_BONDS kernel bonds) that lost at least half
    of them: a dopant that leaves the centre of an icosahedron (measured: Cd in
    [CdAu24(SH)18]0 ended 3.2 A off-centre under GFN1) breaks no metal-S bond and keeps
    the motif inventory, yet is no longer the candidate's site."""
    if "role" not in before.arrays:
        return []
    kernel = np.flatnonzero(np.asarray(before.arrays["role"]) == "kernel")
    sym = before.get_chemical_symbols()
    problems = []
    for i in kernel:
        bonded = [j for j in kernel if j != i
                  and d0[i, j] < pair_cutoff("kernel-metal", sym[i], sym[j])]
        lost = [j for j in bonded if d1[i, j] > pair_cutoff("kernel-metal-broken", sym[i], sym[j])]
        if len(bonded) >= MIN_KERNEL_BONDS and 2 * len(lost) >= len(bonded):
            problems.append(f"kernel atom {sym[i]}{i} left its site: {len(lost)} of "
                            f"{len(bonded)} kernel bonds broken")
    return problems


def _format_inventory(inventory):
    if not isinstance(inventory, dict):
        return str(inventory)
    try:
        return format_motifs(inventory)
    except ValueError:  # analyser types beyond the model's grammar (rings, networks)
        return ",".join(f"{k}:{v}" for k, v in sorted(inventory.items()) if v)
