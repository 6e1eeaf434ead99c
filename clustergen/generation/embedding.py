"""Shaping one arrangement of staple motifs on a kernel: the restraint-FF embedding.

:func:`embed` turns one arrangement chosen by :func:`clustergen.generation.shell.arrangements`
into coordinates: the placements' guesses start it, bonds, angles and clashes of the
restraint force field (:mod:`clustergen.generation.forcefield`) shape it, and the residual
strain scores the isomer.
"""

import numpy as np

from clustergen.generation import forcefield
from clustergen.generation.placements import (
    ANGLE_AUSAU,
    ANGLE_KSAU,
    ANGLE_KSK,
    ANGLE_SAUS,
    BOND_AURO,
    BOND_KERNEL,
    BOND_STAPLE,
    _fold,
    _law_of_cosines,
    kernel_bonds,
    surface_normals,
)

HUG_K = 0.5             # weak: a staple Au's contact with the kernel surface
# Closest non-bonded approach (A). K kernel metal, M staple metal, S sulfur. S keeps
# clear of the kernel (R groups push it out: middle S sit 3-4.5 A above the kernel).
MIN_DIST = {("S", "S"): 3.3, ("M", "S"): 3.1, ("M", "M"): 3.0, ("K", "S"): 3.5,
            ("K", "M"): 3.1}
SOFT_DIST = {("K", "S"): 5.0, ("K", "M"): 4.0}
SOFT_K = 0.2


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


def _ring_terms(idx, pl, kind, lengths=None):
    """Bonds and angles of a ring: S, M, ..., S, M closed on itself, bound to no kernel
    atom; its Au-S-Au is ``pl.angle`` (default ANGLE_AUSAU). ``lengths``: see
    :func:`embed`."""
    r_ms = (lengths or {}).get("staple", BOND_STAPLE)
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


def _chain_terms(idx, pl, kind, bare, flexible_kernel, lengths=None):
    """Bonds and angles of a chain from anchor ``a`` to anchor ``b`` (staple, bridging or
    terminal SR), with its seat, lean, rest and over contacts to the kernel.
    ``lengths``: see :func:`embed`."""
    r_ms = (lengths or {}).get("staple", BOND_STAPLE)
    r_ks = (lengths or {}).get("kernel", BOND_KERNEL)
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
    if pl.ends:
        # weak (5): a lean of the terminal S, not a bond
        bonds += [(pl.ends[0], s, pl.ends[1], 5.0) for s in (idx[0], idx[-1])]
    return bonds, angles


def _place_motifs(kernel, arrangement, flexible_kernel, lengths=None):
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
            b, g = _ring_terms(idx, pl, kind, lengths)
            on_kernel.extend(idx)
        else:
            b, g = _chain_terms(idx, pl, kind, bare, flexible_kernel, lengths)
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


def embed(kernel, arrangement, host="Au", flexible_kernel=False, lengths=None):
    """Coordinates of kernel + motifs for one arrangement, shaped by the restraint FF.

    With ``flexible_kernel`` the kernel bonds are springs and a bridging SR stretches the
    Au-Au pair it spans (to ~3.5 A, as in every fcc reference); otherwise the kernel is
    fixed. ``flexible_kernel`` may be a dict of options for that stage: ``au_s_stiffness``
    (force constant of the bonds to S, default 20 like the kernel springs) and
    ``anchored_s_push`` (A, reach of the soft push between the kernel and S bonded to it,
    default 5.0 like every S). Returns ``(symbols, positions, roles, motif_records,
    strain)``; motif records hold the kind, anchors and the indices of the motif's atoms;
    strain is the residual of the bond, angle and clash restraints (the isomer score).
    ``lengths`` (A): ``{"staple": staple metal-donor, "kernel": kernel metal-donor}``
    instead of the Au-S ones (BOND_STAPLE, BOND_KERNEL): alkynyl staples, whose C alpha
    takes the donor's place (:mod:`clustergen.generation.alkynyl`).
    """
    n_k = len(kernel)
    x, kind, bonds, angles, records, on_kernel = _place_motifs(kernel, arrangement,
                                                               flexible_kernel, lengths)
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
