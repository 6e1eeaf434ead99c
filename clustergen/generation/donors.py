"""Phosphine and halide donor atoms on kernel sites (mixed phosphine/halide/thiolate shells).

A shell rule's ``donors`` key puts one donor atom on every kernel atom of the given
labels, along that atom's outward surface normal:

    donors:
      P: {labels: [outer], bond: 2.30}               # role "P" (a phosphine's donor atom)
      halide: {labels: [apex], bond: 2.40, element: Cl}

Au-P 2.25-2.40 A and Au-Cl 2.30-2.50 A (:data:`WINDOWS`) are the ranges of the
phosphine/halide gold clusters of J. Lyu, J. Qian, Z. Yang, J. Xie, Nanoscale Horiz.
2025, 10, 2304, section 2.1 (e.g. [Au25(PPh3)10(SR)5Cl2]2+: Y. Shichibu et al., J. Phys.
Chem. C 2007, 111, 7845). Where no phosphine is named, :func:`cap_phosphines` completes
each P as a PH3 model (H in place of the phenyl groups; dppe as two PH3 that
:func:`pair_phosphines` marks as one ligand through the ``ligand_index`` array); named
ones are placed whole (:mod:`clustergen.generation.mixed_shell`), a diphosphine's P
pairs first leaned to its bite (:func:`lean_to_bite`).
"""

import re

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster
from clustergen.generation.placements import kernel_bonds, surface_normals

ROLE = {"P": "P", "halide": "halide"}
WINDOWS = {"P": (2.25, 2.40), "halide": (2.30, 2.50)}
# terminal Au-Br / Au-I in Au(I) halide complexes run about 0.1 / 0.25 A longer than Au-Cl
HALIDE_WINDOWS = {"Cl": WINDOWS["halide"], "Br": (2.35, 2.55), "I": (2.50, 2.70)}
BOND_PH = 1.42          # P-H in PH3
ANGLE_AUPH = 118.0      # Au-P-H: H where the phenyl C of PPh3 sit (Au-P-C 111-118)


def add_donors(atoms, n_kernel, labels, spec):
    """Copy of ``atoms`` with donor atoms on the first ``n_kernel`` (kernel) atoms.

    ``labels`` are the kernel site labels; ``spec`` the rule's ``donors`` mapping.

    >>> from clustergen.generation.kernels import vertex_shared_icosahedra
    >>> pos, labels = vertex_shared_icosahedra(1)
    >>> core = make_cluster(["Au"] * 13, pos, ["kernel"] * 13)
    >>> a = add_donors(core, 13, labels, {"P": {"labels": ["outer"], "bond": 2.3},
    ...                                   "halide": {"labels": ["apex"], "bond": 2.4}})
    >>> a.get_chemical_formula(), sorted(set(a.arrays["role"].tolist()))
    ('Au13Cl2P10', ['P', 'halide', 'kernel'])
    """
    kernel = atoms.positions[:n_kernel]
    normals = surface_normals(kernel, kernel_bonds(kernel)[1])
    symbols = list(atoms.get_chemical_symbols())
    pos = list(atoms.positions)
    roles = list(atoms.arrays["role"])
    for kind, rule in spec.items():
        if kind not in ROLE:
            raise ClusterGenError(f"unknown donor kind '{kind}' (known: {', '.join(ROLE)})")
        lo, hi = WINDOWS[kind]
        bond = float(rule.get("bond", (lo + hi) / 2))
        if not lo <= bond <= hi:
            raise ClusterGenError(f"{kind} donor bond {bond} A outside {lo}-{hi} A")
        element = "P" if kind == "P" else rule.get("element", "Cl")
        for i, lab in enumerate(labels):
            if lab in rule["labels"]:
                if not np.linalg.norm(normals[i]):
                    raise ClusterGenError(f"kernel atom {i} ({lab}) is buried: no donor site")
                symbols.append(element)
                pos.append(kernel[i] + bond * normals[i])
                roles.append(ROLE[kind])
    out = make_cluster(symbols, np.array(pos), roles)
    out.info.update(atoms.info)
    return out


def cap_phosphines(atoms, cutoff=2.6):
    """Copy of ``atoms`` with three H on every role-``P`` atom (PH3 models), role ``ligand``.

    The H sit at Au-P-H 118 deg, turned about the Au-P axis to keep away from the
    other atoms. A structure without P is returned unchanged (same object).

    >>> a = make_cluster(["Au", "P"], [[0, 0, 0], [0, 0, 2.3]], ["kernel", "P"])
    >>> b = cap_phosphines(a)
    >>> b.get_chemical_formula(), round(float(b.get_distance(1, 2)), 2)
    ('H3AuP', 1.42)
    """
    roles = np.asarray(atoms.arrays["role"])
    phos = np.flatnonzero(roles == "P")
    if not len(phos):
        return atoms
    metal = np.isin(roles, ("kernel", "staple"))
    symbols, pos, new_roles = list(atoms.get_chemical_symbols()), list(atoms.positions), list(roles)
    # which ligand each atom belongs to: the thiolates' indices kept, one new per PH3
    owner = list(atoms.arrays.get("ligand_index", np.full(len(atoms), -1)))
    first = max(owner, default=-1) + 1
    tilt = np.radians(180 - ANGLE_AUPH)
    for p in phos:
        d = np.linalg.norm(atoms.positions[metal] - atoms.positions[p], axis=1)
        if d.min() > cutoff:
            raise ClusterGenError(f"phosphorus {p} has no metal within {cutoff} A")
        axis = atoms.positions[p] - atoms.positions[metal][d.argmin()]
        axis /= np.linalg.norm(axis)
        ref = np.cross(axis, [1.0, 0, 0])
        if np.linalg.norm(ref) < 1e-3:
            ref = np.cross(axis, [0, 1.0, 0])
        ref /= np.linalg.norm(ref)
        others = np.array(pos)

        def hydrogens(phi0):
            return np.array([atoms.positions[p] + BOND_PH * (
                np.cos(tilt) * axis + np.sin(tilt) * (np.cos(phi) * ref
                                                       + np.sin(phi) * np.cross(axis, ref)))
                for phi in phi0 + 2 * np.pi * np.arange(3) / 3])

        # the rotation whose H keep farthest from every atom placed so far
        best = max((hydrogens(phi0) for phi0 in np.radians(np.arange(0, 120, 10))),
                   key=lambda hs: np.linalg.norm(hs[:, None] - others[None], axis=-1)
                   .min(initial=np.inf) if len(others) else 0.0)
        symbols += ["H"] * 3
        pos += list(best)
        new_roles += ["ligand"] * 3
        owner[p] = first + int(np.searchsorted(phos, p))
        owner += [owner[p]] * 3
    out = make_cluster(symbols, np.array(pos), new_roles)
    out.info.update(atoms.info)
    out.set_array("ligand_index", np.array(owner, dtype=int))
    return out


MAX_PAIRINGS = 20000   # pairings of P compared before the best so far is taken


def bidentate_count(ligands):
    """How many of a formula's ligands are diphosphines (two P in the library SMILES).

    >>> bidentate_count({"dppe": 5, "Cl": 2}), bidentate_count({"PPh3": 10, "SR": 5})
    (5, 0)
    """
    from clustergen.core.formula import ligand_info
    return sum(count for name, count in ligands.items()
               if len(re.findall(r"P(?![a-z])", ligand_info(name)[1].get("smiles", ""))) == 2)


def pair_phosphines(atoms, n, tol=0.1):
    """Copy of PH3-capped ``atoms`` where ``n`` pairs of P (with their H) share one
    ``ligand_index``: the two ends of a bidentate diphosphine (dppe) modelled as two PH3.

    A pair is two P at the shortest P...P distance (within ``tol`` A); of the ways to
    choose ``n`` disjoint pairs the one whose pairs look most alike from the rest of the
    cluster is taken (distances from each pair's midpoint to every heavy atom), so on
    [Au13(dppe)5Cl2]3+ every dppe spans the two pentagons, as in the crystal (Y. Shichibu,
    K. Konishi, Small 2010, 6, 1216, doi:10.1002/smll.200902398), a D5 set of five.

    >>> from clustergen.core.model import make_cluster
    >>> a = cap_phosphines(make_cluster(["Au", "Au", "P", "P"], [[0, 0, 0], [2.9, 0, 0],
    ...                    [0, 0, 2.3], [2.9, 0, 2.3]], ["kernel", "kernel", "P", "P"]))
    >>> pair_phosphines(a, 1).arrays["ligand_index"].tolist()
    [-1, -1, 0, 0, 0, 0, 0, 0, 0, 0]
    """
    out = atoms.copy()
    if n <= 0:
        return out
    phos = np.flatnonzero(np.asarray(atoms.arrays["role"]) == "P")
    pairs = _closest_pairs(atoms.positions[phos], tol)
    best = _alike_pairing(atoms, phos, pairs, n)
    if best is None:
        raise ClusterGenError(f"cannot pair {2 * n} of the {len(phos)} phosphorus atoms into "
                              f"{n} bidentate ligand(s) at the shortest P...P distance")
    owner = out.arrays["ligand_index"]
    for a, b in best:
        owner[owner == owner[phos[b]]] = owner[phos[a]]
    used = np.unique(owner[owner >= 0])
    owner[owner >= 0] = np.searchsorted(used, owner[owner >= 0])   # 0..L-1 again
    return out


def lean_to_bite(atoms, n, bite, tol=0.1):
    """Copy of ``atoms`` where the ``n`` P pairs of :func:`pair_phosphines` lean toward
    each other about their metals until P...P is ``bite`` (A; pairs already closer stay),
    every Au-P bond length kept: a bidentate diphosphine whose longest P...P (dppe: 4.5 A,
    anti) is shorter than that of two radial P on neighbouring Au (5.3 A on an Au13
    icosahedron) tilts its Au-P bonds, as a chelating or bridging ligand does.

    >>> from clustergen.core.model import make_cluster
    >>> a = make_cluster(["Au", "Au", "P", "P"], [[0, 0, 0], [2.9, 0, 0], [-0.5, 0, 2.25],
    ...                  [3.4, 0, 2.25]], ["kernel", "kernel", "P", "P"])
    >>> b = lean_to_bite(a, 1, 3.5)
    >>> round(float(b.get_distance(2, 3)), 2), round(float(b.get_distance(0, 2)), 2)
    (3.5, 2.3)
    """
    out = atoms.copy()
    role = np.asarray(atoms.arrays["role"])
    phos = np.flatnonzero(role == "P")
    metal = np.flatnonzero(np.isin(role, ("kernel", "staple")))
    pos = out.positions
    best = _alike_pairing(atoms, phos, _closest_pairs(pos[phos], tol), n)
    if best is None:
        raise ClusterGenError(f"cannot pair {2 * n} of the {len(phos)} phosphorus atoms into "
                              f"{n} bidentate ligand(s) at the shortest P...P distance")
    for a, b in best:
        p, q = phos[a], phos[b]
        if np.linalg.norm(pos[p] - pos[q]) <= bite:
            continue
        ends = []
        for x, y in ((p, q), (q, p)):
            m = pos[metal[np.argmin(np.linalg.norm(pos[metal] - pos[x], axis=1))]]
            u = pos[x] - m
            length = np.linalg.norm(u)
            u /= length
            w = (pos[y] - pos[x]) - ((pos[y] - pos[x]) @ u) * u
            ends.append((m, length, u, w / np.linalg.norm(w)))

        def placed(theta):
            return [m + length * (np.cos(theta) * u + np.sin(theta) * w)
                    for m, length, u, w in ends]
        lo, hi = 0.0, np.radians(60.0)
        for _ in range(50):          # bisection: P...P falls as both lean further
            mid = (lo + hi) / 2
            new_p, new_q = placed(mid)
            lo, hi = (mid, hi) if np.linalg.norm(new_p - new_q) > bite else (lo, mid)
        pos[p], pos[q] = placed((lo + hi) / 2)
    out.positions = pos
    return out


def _closest_pairs(p, tol):
    """Index pairs (into ``p``) at the shortest distance, within ``tol``."""
    if len(p) < 2:
        return []
    d = np.linalg.norm(p[:, None] - p[None], axis=-1)
    d[np.diag_indices(len(p))] = np.inf
    return [(a, b) for a in range(len(p)) for b in range(a + 1, len(p))
            if d[a, b] <= d.min() + tol]


def _alike_pairing(atoms, phos, pairs, n):
    """The ``n`` disjoint pairs whose midpoint fingerprints differ least, or None."""
    heavy = atoms.positions[atoms.numbers > 1]
    finger = {pr: np.sort(np.linalg.norm(
        heavy - atoms.positions[phos[list(pr)]].mean(axis=0), axis=1)) for pr in pairs}
    best = (np.inf, None)
    for seen, chosen in enumerate(_matchings(pairs, n), start=1):
        f = np.array([finger[pr] for pr in chosen])
        score = float(((f - f.mean(axis=0)) ** 2).sum())
        if score < best[0] - 1e-6:
            best = (score, chosen)
        if seen >= MAX_PAIRINGS:
            break
    return best[1]


def _matchings(pairs, n, start=0, used=frozenset(), chosen=()):
    """Every set of ``n`` disjoint pairs, in a fixed order (deterministic)."""
    if len(chosen) == n:
        yield chosen
        return
    for k in range(start, len(pairs)):
        a, b = pairs[k]
        if a not in used and b not in used:
            yield from _matchings(pairs, n, k + 1, used | {a, b}, chosen + (pairs[k],))


def donor_report(atoms, bond=2.7):
    """Shortest and longest metal-donor bond of each donor kind, and whether each is in its
    window (a halide's by element): ``{"P": (min, max, ok), "halide": ...}`` (kinds
    present only).

    >>> a = make_cluster(["Au", "Cl"], [[0, 0, 0], [0, 0, 2.4]], ["kernel", "halide"])
    >>> donor_report(a)
    {'halide': (2.4, 2.4, True)}
    """
    roles = np.asarray(atoms.arrays["role"])
    metal = np.isin(roles, ("kernel", "staple"))
    out = {}
    for kind, role in ROLE.items():
        idx = np.flatnonzero(roles == role)
        if not len(idx):
            continue
        d = np.linalg.norm(atoms.positions[idx][:, None] - atoms.positions[metal][None], axis=-1)
        near = d.min(axis=1)
        lo, hi = np.array([HALIDE_WINDOWS.get(atoms[i].symbol, WINDOWS[kind])
                           if kind == "halide" else WINDOWS[kind] for i in idx]).T
        out[kind] = (round(float(near.min()), 3), round(float(near.max()), 3),
                     bool(((lo <= near) & (near <= hi)).all()))
    return out
