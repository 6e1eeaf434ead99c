"""Staple motifs on a kernel: choosing a set of placements, and shaping it.

A shell rule (from ``templates/``) says which kernel atoms may carry sulfur, how many S
each carries, and for each motif type which pairs of kernel atoms its two terminal S may
bind (a window of anchor distances in units of the kernel nearest-neighbour distance).
:func:`arrangements` enumerates every way to satisfy a motif inventory under that rule,
symmetry-distinct only, from the single-motif placements of :mod:`clustergen.generation.placements`;
:func:`clustergen.generation.embedding.embed` turns one arrangement into coordinates with
the restraint force field of :mod:`clustergen.generation.forcefield`.
"""

import time

import numpy as np

from clustergen.core.bonds import components
from clustergen.generation.kernels import (
    kernel_permutations,
    rotation_permutations,
    screw_map,
)
from clustergen.generation.placements import (
    candidate_placements,
    kernel_bonds,
)

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
    run round the kernel centre, or round the atom labelled ``belt_centre``), ``crest``
    ([labels, A]: its middle atom held A from the atom bonded to both anchors whose label is
    in labels), ``ends`` ([label, A]: its two terminal S held A from the atom so labelled
    nearest its anchors), ``gap`` (label: a chain between two anchors so labelled starts folded over
    the empty site between them; a longer chain runs round the side with no ``waist``
    atom, its metals held ``gap_radius`` A from the ``centre`` atom) and ``lift`` (how :mod:`clustergen.generation.placements`
    reads them). Ring motifs (``octamer-ring``) bind no kernel atom:
    :func:`clustergen.generation.rings.ring_placements` places them (``ring_radii``,
    ``middle_angle``: their Au-S-Au), and they may overlap the chains that cross them.
    Optional rule keys: ``max_s_by_coordination``, ``screw``, ``symmetry``
    (``rotations``: the shell keeps every proper rotation of the kernel, and away from
    ``cap`` and ``unit`` atoms (:data:`GROWN`) those of the kernel without them;
    ``inversion``), ``linear_bridges`` (two S on one atom only as two bridging SR on
    opposite sides), ``crossing`` (A, chains keep this far apart along their whole paths)
    and ``clash`` (A, path overlap allowed between a bridging SR and a chain; a motif's
    own ``clash`` allows its paths that overlap with any other's).
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
    own = {kind: spec["clash"] for kind, spec in rule["motifs"].items()
           if isinstance(spec, dict) and "clash" in spec}
    for kind, dist in own.items():
        if not placements:
            break
        # a motif's own ``clash`` (A): its path guess may come this close to any other
        # (the end monomer of Au34(SR)22 lies under the trimers crossing the arc's ends)
        mine = np.array([p.kind == kind for p in placements])
        pair = mine[:, None] | mine[None, :]
        conflict = np.where(pair, _conflicts(placements, dist) & conflict, conflict)
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
