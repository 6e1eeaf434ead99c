"""Staple motifs on a kernel: choosing a set of placements, and shaping it.

A shell rule (from ``templates/``) says which kernel atoms may carry sulfur, how many S
each carries, and for each motif type which pairs of kernel atoms its two terminal S may
bind (a window of anchor distances in units of the kernel nearest-neighbour distance).
:func:`arrangements` enumerates every way to satisfy a motif inventory under that rule,
symmetry-distinct only, from the single-motif placements of :mod:`clustergen.generation.placements`;
:func:`embed` turns one arrangement into coordinates with the restraint force field of
:mod:`clustergen.generation.forcefield`.
"""

import time

import numpy as np

from clustergen.core.bonds import components
from clustergen.generation import forcefield
from clustergen.generation.kernels import kernel_permutations, rotation_permutations, screw_map
from clustergen.generation.placements import (
    ANGLE_AUSAU, ANGLE_KSAU, ANGLE_KSK, ANGLE_SAUS, BOND_AURO, BOND_KERNEL, BOND_STAPLE,
    _fold, _law_of_cosines, candidate_placements, kernel_bonds, surface_normals)

HUG_K = 0.5             # weak: a staple Au's contact with the kernel surface
# Closest non-bonded approach (A). K kernel metal, M staple metal, S sulfur. S keeps
# clear of the kernel (R groups push it out: middle S sit 3-4.5 A above the kernel).
MIN_DIST = {("S", "S"): 3.3, ("M", "S"): 3.1, ("M", "M"): 3.0, ("K", "S"): 3.5,
            ("K", "M"): 3.1}
SOFT_DIST = {("K", "S"): 5.0, ("K", "M"): 4.0}
SOFT_K = 0.2
# Atoms grown on a kernel (square-face caps, an Au3 unit): away from them the shell keeps
# the symmetry of the kernel they grew on. A "unit" atom anchors S like a "shell" atom.
GROWN = ("cap", "unit")


def _conflicts(placements, clash=2.2, dense=1):
    """Boolean matrix: True where two placements' path guesses overlap.

    ``dense`` > 1 also tests ``dense - 1`` points inside every bond of a path, so that
    two chains crossing between their atoms count as overlapping too.
    """
    n = len(placements)
    paths = [_densify(p.guess, dense) for p in placements]
    pts = np.vstack(paths)
    owner = np.concatenate([[k] * len(p) for k, p in enumerate(paths)])
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    close = d < clash
    c = np.zeros((n, n), bool)
    ii, jj = np.nonzero(close)
    c[owner[ii], owner[jj]] = True
    np.fill_diagonal(c, False)
    return c


def _densify(path, dense):
    if dense <= 1 or len(path) < 2:
        return path
    t = np.linspace(0, 1, dense, endpoint=False)
    inner = [a + t[:, None] * (b - a) for a, b in zip(path[:-1], path[1:])]
    return np.vstack(inner + [path[-1:]])


def _hugs(x, n_k, arrangement, records):
    """(kernel atom, staple metal, distance) for the metals of motifs with ``hug``."""
    out = []
    for pl, rec in zip(arrangement, records):
        if not pl.hug:
            continue
        dist, count = pl.hug
        for m in rec["atoms"][1::2]:
            d = np.linalg.norm(x[:n_k] - x[m], axis=1)
            # atoms tied with the n-th nearest too: a metal on a symmetry axis keeps it
            cut = np.sort(d)[int(count) - 1] + 0.05
            out += [(int(k), m, dist) for k in np.flatnonzero(d <= cut)]
    return out


def _bent_bridges(kernel, placements, min_angle=100.0):
    """Pairs of placements that must not share a kernel atom.

    In every fcc reference a kernel Au with two S holds two bridging SR (never a staple
    end), almost linearly (S-Au-S 167-179 deg), so the partners lie on opposite sides:
    the angle partner-atom-partner must exceed ``min_angle`` (120 or 180 deg on fcc, not
    60 or 90).
    """
    n = len(placements)
    bad = np.zeros((n, n), bool)
    bridge = [len(p.guess) == 1 for p in placements]
    for x in range(n):
        for y in range(x + 1, n):
            shared = set(placements[x].anchors) & set(placements[y].anchors)
            if len(shared) != 1:
                continue
            if not (bridge[x] and bridge[y]):
                bad[x, y] = bad[y, x] = True      # two S on one atom: bridging SR only
                continue
            c = shared.pop()
            u = kernel[sum(placements[x].anchors) - c] - kernel[c]
            v = kernel[sum(placements[y].anchors) - c] - kernel[c]
            cos = u @ v / np.linalg.norm(u) / np.linalg.norm(v)
            if np.degrees(np.arccos(np.clip(cos, -1, 1))) < min_angle:
                bad[x, y] = bad[y, x] = True
    return bad


def _search(placements, groups, conflict, eligible, motifs, cover, limit, seconds,
            caps=None):
    """Depth-first exact-cover search (Knuth's Algorithm X with capacities).

    ``groups`` are the options: lists of placement indices taken all or nothing (one
    placement each, or a screw orbit of bridging SR). Every eligible atom ends with
    between ``cover[0]`` and its cap of S atoms (``caps[i]``, default ``cover[1]``).
    """
    lo = cover[0]
    cap = {i: (caps or {}).get(i, cover[1]) for i in eligible}
    cov = {i: 0 for i in eligible}
    remaining = dict(motifs)
    kind = [placements[g[0]].kind for g in groups]
    anchors = [[a for k in g for a in placements[k].anchors] for g in groups]
    by_atom = {i: [g for g in range(len(groups)) if i in anchors[g]] for i in eligible}
    member = np.zeros((len(groups), len(placements)), bool)
    for g, ks in enumerate(groups):
        member[g, ks] = True
    gconf = (member.astype(int) @ conflict.astype(int) @ member.T.astype(int)) > 0
    chosen, found, seen = [], [], set()
    blocked = np.zeros(len(groups), int)
    t_end = time.monotonic() + seconds

    extra = [{a: anchors[g].count(a) for a in set(anchors[g])} for g in range(len(groups))]
    size = [len(g) for g in groups]

    def feasible(g):
        if blocked[g] or gconf[g, g] or remaining.get(kind[g], 0) < size[g]:
            return False
        return all(cov[a] + n <= cap[a] for a, n in extra[g].items())

    def recurse(start):
        if len(found) >= limit or time.monotonic() > t_end:
            return
        if not any(remaining.values()):
            if all(c >= lo for c in cov.values()):
                key = frozenset(chosen)
                if key not in seen:
                    seen.add(key)
                    found.append([k for g in chosen for k in groups[g]])
            return
        need = sum(max(0, lo - c) for c in cov.values())
        if need > 2 * sum(remaining.values()):
            return
        short = [i for i, c in cov.items() if c < lo]
        if short:
            options = {i: [g for g in by_atom[i] if feasible(g)] for i in short}
            atom = min(short, key=lambda i: len(options[i]))
            branch, nxt = options[atom], start
        else:
            branch = [g for g in range(start, len(groups)) if feasible(g)]
            nxt = None
        for g in branch:
            chosen.append(g)
            remaining[kind[g]] -= len(groups[g])
            for a in anchors[g]:
                cov[a] += 1
            blocked[:] += gconf[g]
            recurse(g + 1 if nxt is None else nxt)
            blocked[:] -= gconf[g]
            for a in anchors[g]:
                cov[a] -= 1
            remaining[kind[g]] += len(groups[g])
            chosen.pop()

    recurse(0)
    return found


def _base_rotation_maps(kernel, labels):
    """Rotations of the kernel without its caps, as partial maps that avoid the caps.

    A cap changes the shell only on the face it caps: away from it the shell keeps the
    symmetry of the uncapped kernel. Atoms of capped faces (bonded to a cap) and the caps
    are left out of the maps, so motifs on them are placed freely.
    """
    _, bonded, _ = kernel_bonds(kernel)
    cap = np.array([lab in GROWN for lab in labels])
    base = np.flatnonzero(~cap)
    near = cap | bonded[:, cap].any(axis=1)
    maps = []
    for perm in rotation_permutations(kernel[base]):
        m = {int(base[i]): int(base[j]) for i, j in enumerate(perm)}
        maps.append({i: j for i, j in m.items() if not near[i] and not near[j]})
    return maps


def _screw_groups(placements, kernel, rule, labels=None):
    """Options for the search: placements joined into orbits of the rule's symmetry.

    ``screw`` joins bridging SR into orbits of the rod's screw; ``symmetry: rotations``
    joins every placement with its images under the kernel's proper rotations.
    """
    spec = rule.get("screw")
    maps = []
    if spec:
        maps.append((set(spec["kinds"]), screw_map(kernel, spec["angle"])))
    if rule.get("symmetry") in ("rotations", "inversion"):
        kinds = {p.kind for p in placements}
        maps += [(kinds, dict(enumerate(int(j) for j in perm)))
                 for perm in rotation_permutations(kernel, kind=rule["symmetry"])]
        if labels is not None and set(GROWN) & set(labels) and rule["symmetry"] == "rotations":
            maps += [(kinds, m) for m in _base_rotation_maps(kernel, labels)]
    if not maps:
        return [[k] for k in range(len(placements))]
    index = {(p.kind, tuple(sorted(p.anchors))): k for k, p in enumerate(placements)}
    edges = []  # placement -> its image: the orbits are the connected components
    for kinds, fwd in maps:
        for k, p in enumerate(placements):
            if p.kind not in kinds or not all(a in fwd for a in p.anchors):
                continue
            img = index.get((p.kind, tuple(sorted(fwd[a] for a in p.anchors))))
            if img is not None:
                edges.append((k, img))
    i, j = np.array(edges, dtype=int).reshape(-1, 2).T
    groups = {}
    for k, label in enumerate(components(len(placements), i, j)):
        groups.setdefault(label, []).append(k)
    return list(groups.values())


def arrangements(kernel, labels, motifs, rule, limit=20000, seconds=10.0):
    """Symmetry-distinct motif arrangements on a kernel that satisfy ``motifs``.

    Returns the arrangements (each a list of :class:`Placement`) and the order of each
    one's symmetry group, most symmetric first.
    ``rule``: ``{"anchor_labels": [...], "cover": [min, max], "motifs": {kind:
    {"anchor_distance": [lo, hi]}}}`` with distances in nearest-neighbour units (or a
    list of such windows; ``[lo, hi, label]`` admits only pairs with one anchor
    labelled ``label``); a motif's own ``anchor_labels`` narrow the rule's, and it may
    set ``anchor_angle`` (kernel Au-S-Au at its terminal S; a pair [low, high] puts low at
    the less coordinated anchor), ``stiffness`` (of its S-Au-S; of a bridging SR, of the
    pull on the Au-Au pair it spans), ``anchor_span`` (A, the anchor distance it holds a
    flexible kernel at), ``hug`` ([A, n]: its Au kept at A from their n nearest kernel
    Au), ``lean`` ([label, A]: its middle Au held at A from an atom so labelled bonded to
    its corner; with ``fold: true`` its path guess runs over that atom), ``rest`` (A: its
    Au held so far from a bare surface atom bonded to both anchors), ``over`` ([label, A]:
    each of its Au held A from its own atom so labelled beside its corner), ``belt`` (A: a chain
    run round the kernel centre) and ``lift`` (how :mod:`clustergen.generation.placements` reads
    them). Ring motifs (``octamer-ring``) bind no kernel atom:
    :func:`clustergen.generation.placements.ring_placements` places them (``ring_radii``,
    ``middle_angle``: their Au-S-Au), and they may overlap the chains that cross them.
    Optional rule keys: ``max_s_by_coordination``, ``screw``, ``symmetry``
    (``rotations``: the shell keeps every proper rotation of the kernel, and away from
    ``cap`` and ``unit`` atoms (:data:`GROWN`) those of the kernel without them;
    ``inversion``), ``linear_bridges`` (two S on one atom only as two bridging SR on
    opposite sides), ``crossing`` (A, chains keep this far apart along their whole paths)
    and ``clash`` (A, path overlap allowed between a bridging SR and a chain).
    """
    grown, labels = labels, ["shell" if lab == "unit" else lab for lab in labels]
    eligible = [i for i, lab in enumerate(labels) if lab in rule["anchor_labels"]]
    placements = candidate_placements(kernel, eligible, motifs, rule, labels)
    # two motif paths closer than 2.2 A exclude each other; ``clash`` (A) may relax that
    # for a bridging SR against a chain: a trimer's straight path guess passes over
    # bridging SR that the real, arched trimer clears
    # ``crossing`` (A): chains closer than this anywhere along their paths (also between
    # their atoms) exclude each other
    conflict = _conflicts(placements) if placements else np.zeros((0, 0), bool)
    if "crossing" in rule and placements:
        conflict |= _conflicts(placements, rule["crossing"], dense=4)
    if "clash" in rule and placements:
        bridge = np.array([len(p.guess) == 1 for p in placements])
        mixed = bridge[:, None] ^ bridge[None, :]
        conflict = np.where(mixed, _conflicts(placements, rule["clash"]), conflict)
    if rule.get("linear_bridges") and placements:
        conflict |= _bent_bridges(kernel, placements)
    if placements:
        # a ring lies on the kernel under the chains that cross it (Au20(SR)16: the
        # trimer arches over it); their paths may overlap, the force field parts them
        ring = np.array([not p.anchors for p in placements])
        conflict[ring[:, None] ^ ring[None, :]] = False
    caps = None
    if "max_s_by_coordination" in rule:
        # low-coordinated kernel atoms (e.g. fcc rod edges) may hold two bridging SR
        _, bonded, _ = kernel_bonds(kernel)
        cn = bonded.sum(axis=1)
        caps = {}
        for i in eligible:
            for cn_max, n_s in rule["max_s_by_coordination"]:
                if cn[i] <= cn_max:
                    caps[i] = n_s
                    break
    groups = _screw_groups(placements, kernel, rule, grown)
    found = _search(placements, groups, conflict, eligible, motifs, tuple(rule["cover"]),
                    limit, seconds, caps)
    perms = kernel_permutations(kernel)
    unique = {}
    for sol in found:
        keys = [tuple(sorted((placements[k].kind,
                              tuple(sorted(perm[list(placements[k].anchors
                                                     or placements[k].contacts)])))
                             for k in sol)) for perm in perms]
        canon = min(keys)
        if canon not in unique:
            # order of the arrangement's own symmetry group (its stabiliser)
            order = sum(key == keys[0] for key in keys)
            unique[canon] = ([placements[k] for k in sol], order)
    # most symmetric first: nature's clusters are, and it is a cheap tie-breaker
    ranked = sorted(unique.values(), key=lambda item: -item[1])
    return [arr for arr, _ in ranked], [order for _, order in ranked]


def _ring_terms(idx, pl, kind):
    """Bonds and angles of a ring: S, M, ..., S, M closed on itself, bound to no kernel
    atom; its Au-S-Au is ``pl.angle`` (default ANGLE_AUSAU)."""
    r_ms = BOND_STAPLE
    d_sms = _law_of_cosines(r_ms, r_ms, ANGLE_SAUS)
    d_ring = _law_of_cosines(r_ms, r_ms, ANGLE_AUSAU if pl.angle is None else pl.angle)
    bonds, angles = [], []
    loop = idx + idx[:2]
    for k in range(len(idx)):
        u, v, w = loop[k], loop[k + 1], loop[k + 2]
        bonds.append((u, v, r_ms))
        angles.append((u, w, d_sms, pl.stiffness or 5.0) if kind[v] == "M"
                      else (u, w, d_ring))
    return bonds, angles


def _chain_terms(idx, pl, kind, bare, flexible_kernel):
    """Bonds and angles of a chain from anchor ``a`` to anchor ``b`` (staple, bridging or
    terminal SR), with its seat, lean, rest and over contacts to the kernel."""
    r_ms, r_ks = BOND_STAPLE, BOND_KERNEL
    d_sms = _law_of_cosines(r_ms, r_ms, ANGLE_SAUS)
    d_msm = _law_of_cosines(r_ms, r_ms, ANGLE_AUSAU)
    a, b = pl.anchors
    bonds = [(a, idx[0], r_ks), (b, idx[-1], r_ks)]
    bonds += [(u, v, r_ms) for u, v in zip(idx, idx[1:])]
    angles = []
    for k in range(1, len(idx) - 1):
        u, w = idx[k - 1], idx[k + 1]
        angles.append((u, w, d_sms, pl.stiffness or 5.0) if kind[idx[k]] == "M"
                      else (u, w, d_msm))
    if len(idx) > 1:
        ends = pl.angle if isinstance(pl.angle, tuple) else (pl.angle, pl.angle)
        d = [_law_of_cosines(r_ks, r_ms, ANGLE_KSAU if t is None else t) for t in ends]
        angles += [(a, idx[1], d[0]), (b, idx[-2], d[1])]
    elif flexible_kernel:
        angles.append((a, b, _law_of_cosines(r_ks, r_ks, ANGLE_KSK), pl.stiffness or 5.0))
    if flexible_kernel and pl.span:
        angles.append((a, b, pl.span))
    if pl.seat >= 0:
        bonds.append((pl.seat, idx[1], BOND_AURO))
    if pl.lean:
        bonds.append((pl.lean[0], idx[len(idx) // 2], pl.lean[1]))
    bonds += [(c, m, pl.rest[0]) for c in bare for m in idx[1::2]]
    if pl.over:
        bonds += [(c, m, pl.over[0]) for c, m in zip(pl.over[1], idx[1::2])]
    return bonds, angles


def _place_motifs(kernel, arrangement, flexible_kernel):
    """Starting coordinates, atom kinds (K kernel metal, M staple metal, S sulfur), bond
    and angle restraints, motif records and the ring atoms (which lie on the kernel)."""
    pos = [p for p in kernel]
    kind = ["K"] * len(kernel)
    bonds, angles, records = [], [], []
    on_kernel = []                # ring atoms: they lie on the kernel, no outward push
    anchored = {a for pl in arrangement for a in pl.anchors}
    normals = surface_normals(kernel, kernel_bonds(kernel)[1])
    for pl in arrangement:
        start = len(pos)
        idx = list(range(start, start + len(pl.guess)))
        bare = [c for c in pl.rest[1] if c not in anchored][:1] if pl.rest else []
        # a chain resting on a bare corner starts folded over it
        pos.extend(_fold(pl.guess, kernel[bare[0]] + pl.rest[0] * normals[bare[0]])
                   if bare else pl.guess)
        kind.extend("S" if k % 2 == 0 else "M" for k in range(len(pl.guess)))
        if not pl.anchors:
            b, g = _ring_terms(idx, pl, kind)
            on_kernel.extend(idx)
        else:
            b, g = _chain_terms(idx, pl, kind, bare, flexible_kernel)
        bonds += b
        angles += g
        records.append({"type": pl.kind, "anchors": [int(a) for a in pl.anchors or ()],
                        "atoms": idx})
    return np.array(pos), np.array(kind), bonds, angles, records, on_kernel


def _kernel_springs(kernel, angles):
    """Kernel Au-Au springs of a flexible kernel, except the pairs a bridging SR spans
    (its angle restraint sets their distance)."""
    n_k = len(kernel)
    _, bonded, dist = kernel_bonds(kernel)
    bridged = {tuple(sorted(t[:2])) for t in angles if t[0] < n_k and t[1] < n_k}
    return [(i, j, dist[i, j]) for i, j in zip(*np.nonzero(np.triu(bonded)))
            if (i, j) not in bridged]


def _nonbonded_pairs(n_k, kind, arrangement, records, on_kernel, excluded, opts):
    """Non-bonded pairs (ii, jj) with their clash distance and soft-push reach."""
    n = len(kind)
    ii, jj = np.triu_indices(n, 1)
    keep = ~((ii < n_k) & (jj < n_k))
    keep &= np.array([(i, j) not in excluded for i, j in zip(ii, jj)])
    ii, jj = ii[keep], jj[keep]
    pair = [tuple(sorted((kind[i], kind[j]))) for i, j in zip(ii, jj)]
    min_dist = np.array([MIN_DIST[p] for p in pair])
    soft = np.array([SOFT_DIST.get(p, 0.0) for p in pair])
    if "anchored_s_push" in opts:
        # S bonded to the kernel (terminal, bridging) lie closer to it than middle S
        bound_s = np.zeros(n, bool)
        bound_s[[i for r in records if r["anchors"]
                 for i in (r["atoms"][0], r["atoms"][-1])]] = True
        soft[(ii < n_k) & bound_s[jj]] = opts["anchored_s_push"]
    if on_kernel:
        soft[np.isin(ii, on_kernel) | np.isin(jj, on_kernel)] = 0.0
    # a chain resting on a cap lies on the kernel, held by its Au-Au contacts: the push
    # that holds other staples upright would fight them and bend its S-Au-S (to 153)
    anchored = {a for pl in arrangement for a in pl.anchors}
    lying = np.zeros(n, bool)
    for pl, rec in zip(arrangement, records):
        if pl.lean or pl.belt or pl.over or pl.rest and set(pl.rest[1]) - anchored:
            lying[rec["atoms"]] = True
    soft[lying[ii] | lying[jj]] = 0.0
    return ii, jj, min_dist, soft


def _restraint(items, k):
    """(pairs, targets, force constants) of restraint tuples (i, j, target[, k])."""
    return (np.array([t[:2] for t in items], int).reshape(-1, 2),
            np.array([t[2] for t in items], float),
            np.array([t[3] if len(t) > 3 else k for t in items], float))


def embed(kernel, arrangement, host="Au", flexible_kernel=False):
    """Coordinates of kernel + motifs for one arrangement, shaped by the restraint FF.

    With ``flexible_kernel`` the kernel bonds are springs and a bridging SR stretches the
    Au-Au pair it spans (to ~3.5 A, as in every fcc reference); otherwise the kernel is
    fixed. ``flexible_kernel`` may be a dict of options for that stage: ``au_s_stiffness``
    (force constant of the bonds to S, default 20 like the kernel springs) and
    ``anchored_s_push`` (A, reach of the soft push between the kernel and S bonded to it,
    default 5.0 like every S). Returns ``(symbols, positions, roles, motif_records,
    strain)``; motif records hold the kind, anchors and the indices of the motif's atoms;
    strain is the residual of the bond, angle and clash restraints (the isomer score).
    """
    n_k = len(kernel)
    x, kind, bonds, angles, records, on_kernel = _place_motifs(kernel, arrangement,
                                                               flexible_kernel)
    opts = flexible_kernel if isinstance(flexible_kernel, dict) else {}
    fixed = np.arange(len(x)) < n_k
    kernel_springs = []
    if flexible_kernel:
        fixed[:] = False
        kernel_springs = _kernel_springs(kernel, angles)
    excluded = {tuple(sorted(t[:2])) for t in bonds + angles + kernel_springs}
    ii, jj, min_dist, soft = _nonbonded_pairs(n_k, kind, arrangement, records, on_kernel,
                                              excluded, opts)
    terms = {
        "bonds": _restraint([t + (opts.get("au_s_stiffness", 20.0),) if "S" in kind[list(t[:2])]
                             else t for t in bonds]
                            + [(i, j, d, ) for i, j, d in kernel_springs], 20.0),
        "angles": _restraint(angles, 5.0),
        "repulsion": (np.stack([ii, jj], 1), min_dist, np.full(len(ii), 20.0)),
    }
    # a weak long-range push of shell atoms away from the kernel: R groups crowd the
    # surface and hold staples upright (middle S 3-4.5 A above the kernel hull)
    terms["soft"] = (np.stack([ii, jj], 1)[soft > 0], soft[soft > 0],
                     np.full(int((soft > 0).sum()), SOFT_K))
    x, _ = forcefield.relax(x, fixed, terms)
    hugs = _hugs(x, n_k, arrangement, records)
    if hugs:
        # aurophilic contacts: staple Au of trimers on fcc kernels lie on the surface
        # (3.0-3.4 A from two kernel Au): pulled there from where they first settled
        b = terms["bonds"]
        hugged = dict(terms, bonds=tuple(np.concatenate([u, v]) for u, v in zip(
            b, _restraint([(k, m, r, HUG_K) for k, m, r in hugs], HUG_K))))
        x, _ = forcefield.relax(x, fixed, hugged)
    score = forcefield.strain(x, {k: v for k, v in terms.items() if k != "soft"})[0]
    symbols = [host if k in "KM" else "S" for k in kind]
    roles = np.where(kind == "K", "kernel", np.where(kind == "M", "staple", "S"))
    return symbols, x, roles, records, score
