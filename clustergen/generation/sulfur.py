"""Which side of its M-S-M plane each thiolate R takes: the S configuration, as data.

An S bound to two metals a and b is a stereocentre once R is on: its configuration is
``sign((R - S) . ((a - S) x (b - S)))``, with ``a`` the kernel metal of a terminal staple
S.  A local optimiser cannot invert it (the barrier is far above thermal), so the
configurations chosen when R is placed fix the basin a relaxation ends in.  The patterns
per staple type live in ``templates/sulfur.yaml``: ``c2`` (both terminal S of a chain
with one configuration, as in every dimeric staple of the [Au25(SCH2CH2Ph)18]- crystal:
Heaven, Dass, White, Holt, Murray, J. Am. Chem. Soc. 2008, 130, 3754,
doi:10.1021/ja800561b), ``mirror`` (opposite configurations) or ``free`` (steric choice).
Inner S of a chain carry R on their outer side.  :func:`assign` turns a pattern into one
configuration per S; :mod:`.ligands` and :mod:`.ligand_fit` place R on that side only.
"""

import numpy as np

from clustergen.core.bonds import pair_cutoff
from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError

ANGLE_MSC = 106.0       # M-S-C (deg) of the ideal R direction, as in ligands.py
BOND_SC = 1.82


def patterns():
    """Pattern names a builder may ask for (``templates/sulfur.yaml``).

    >>> patterns()
    ['c2', 'mirror']
    """
    return list(load("sulfur.yaml")["patterns"])


def check_pattern(pattern):
    """``pattern`` if known (None = the per-type defaults; "free" = steric choice at every
    S, no pattern; "all"), else ClusterGenError.

    >>> check_pattern("c2"), check_pattern(None)
    ('c2', None)
    """
    known = patterns() + ["free", "all", "hands"]
    if pattern is not None and pattern not in known:
        raise ClusterGenError(f"unknown S-configuration pattern '{pattern}' (known: "
                              f"{', '.join(known)})")
    return pattern


def _unit(v):
    return v / np.linalg.norm(v)


def configuration(s, a, b, r):
    """Configuration (+1 / -1) of an S at ``s`` bound to metals ``a``, ``b`` with R atom
    at ``r`` (positions): the side of the a-S-b plane R lies on.

    >>> configuration(np.zeros(3), [1.0, 0, 0], [0, 1.0, 0], [-1, -1, 1.0])
    1
    """
    s = np.asarray(s, float)
    return int(np.sign((np.asarray(r) - s) @ np.cross(np.asarray(a) - s, np.asarray(b) - s)))


def ideal_direction(s, a, b, sign):
    """Unit S->R direction at M-S-C = 106 deg to both metals, on the ``sign`` side.

    >>> d = ideal_direction(np.zeros(3), np.array([1.7, -1.6, 0]), np.array([1.7, 1.6, 0]), 1)
    >>> configuration(np.zeros(3), [1.7, -1.6, 0], [1.7, 1.6, 0], d), round(float(d[0]), 2)
    (1, -0.38)
    """
    ua, ub = _unit(a - s), _unit(b - s)
    bis = -_unit(ua + ub)
    normal = _unit(np.cross(ua, ub))
    half = np.arccos(np.clip(ua @ ub, -1, 1)) / 2
    theta = np.arccos(np.clip(-np.cos(np.radians(ANGLE_MSC)) / max(np.cos(half), 1e-3),
                              -1, 1))
    return np.cos(theta) * bis + np.sin(theta) * sign * normal


def chains(framework):
    """``(type, [S...], [metal...], {terminal S: kernel metal})`` of every staple chain
    (S0-M1-...-Mn-Sn, in bond order) of a framework, from the analyser's motifs.

    >>> from clustergen.generation.generate import frameworks
    >>> f = frameworks("face-sharing-icosahedra", 1, limit=1)[0]
    >>> sorted({(kind, len(s), len(m), len(ends)) for kind, s, m, ends in chains(f)})
    [('dimer', 3, 2, 2)]
    """
    return _chains(framework)[0]


def _chains(framework):
    """:func:`chains` and the centre of the metal atoms (one analyser call)."""
    from clustergen.analysis.analyse import analyse
    result = analyse(framework)
    pos = framework.positions
    kernel = result.kernel
    reach = pair_cutoff("metal-sulfur", "Au", "S")
    out = []
    for m in result.motifs:
        if m["ring"] or not m["metal"] or m["type"] == "network":
            continue
        ends = {}
        for s in (m["sulfur"][0], m["sulfur"][-1]):
            d = np.linalg.norm(pos[kernel] - pos[s], axis=1)
            if (d < reach).sum() == 1:        # one kernel metal: a terminal staple S
                ends[s] = int(kernel[np.argmin(d)])
        out.append((m["type"], list(m["sulfur"]), list(m["metal"]), ends))
    return out, pos[np.concatenate([kernel, result.staple])].mean(axis=0)


def _clearance(pos, s, a, b, sign, centre):
    """Steric score of the ideal C on one side: outwardness plus distance to the nearest
    framework atom other than its own S (capped at 3.5 A: beyond that nothing touches)."""
    d = ideal_direction(pos[s], pos[a], pos[b], sign)
    c = pos[s] + BOND_SC * d
    gap = np.linalg.norm(np.delete(pos, s, axis=0) - c, axis=1).min()
    return min(gap, 3.5) + 0.5 * float(d @ _unit(pos[s] - centre))


def _pattern_of(kind, pattern):
    rule = load("sulfur.yaml")["staples"].get(kind)
    if rule is None or pattern == "free":
        return "free"
    if pattern in rule["patterns"]:
        return pattern
    return rule["default"]


HANDS = ("steric", "other")


def family_hand(framework):
    """The hand a framework's family gives its staples by default (``hands`` in
    ``templates/sulfur.yaml``; "steric" unless the family is listed there).

    >>> from ase import Atoms
    >>> family_hand(Atoms(info={"family": "double-helix"})), family_hand(Atoms())
    ('other', 'steric')
    """
    hands = load("sulfur.yaml").get("hands", {})
    return hands.get(framework.info.get("family"), "steric")


def other_hand(hand):
    """The hand that is not ``hand``.

    >>> other_hand("steric")
    'other'
    """
    if hand not in HANDS:
        raise ClusterGenError(f"unknown staple hand '{hand}' (known: {', '.join(HANDS)})")
    return HANDS[1 - HANDS.index(hand)]


def assign(framework, pattern=None, hand=None):
    """``{S index: (metal a, metal b, configuration)}`` for the S whose side the pattern
    fixes; S left out are free (steric choice).  ``pattern``: a name of
    :func:`patterns`, "free" (no S fixed), or None for each staple type's default.

    Terminal S of a chain: ``a`` its kernel metal, ``b`` its staple metal; of the two
    assignments the pattern allows, the one whose ideal carbons have more room.  Inner
    S: ``a``, ``b`` its two staple metals, R on the side facing away from the centre.
    That is the ``hand="steric"`` choice; ``hand="other"`` reverses every configuration
    the pattern fixes (the other realisation of the pattern at the terminal S and the
    other side at the inner S: the staple's R set turned into its local mirror image),
    None = the family's default (:func:`family_hand`).

    >>> from clustergen.generation.generate import frameworks
    >>> f = frameworks("face-sharing-icosahedra", 1, limit=1)[0]
    >>> c2, mirror = assign(f, "c2"), assign(f, "mirror")
    >>> len(c2), sum(c2[s] != mirror[s] for s in c2)      # 6 dimers: one terminal S each
    (18, 6)
    >>> other = assign(f, "c2", hand="other")
    >>> all(other[s][2] == -c2[s][2] for s in c2)
    True
    """
    check_pattern(pattern)
    pos = framework.positions
    found, centre = _chains(framework)
    out = {}
    for kind, sulfur, metals, ends in found:
        rule = _pattern_of(kind, pattern)
        if rule == "free":
            continue
        # scores rounded: on a symmetric framework the two sides tie exactly, and the
        # rounding noise of the embedding must not pick one (ties go to +1)
        for k, s in enumerate(sulfur[1:-1], start=1):
            a, b = sorted((metals[k - 1], metals[k]))
            out[s] = (a, b, max((1, -1), key=lambda g: round(float(
                ideal_direction(pos[s], pos[a], pos[b], g) @ _unit(pos[s] - centre)), 3)))
        if len(ends) != 2:
            continue                          # a chain end on two kernel metals: free
        (s0, k0), (s1, k1) = ends.items()
        b0, b1 = metals[0], metals[-1]
        relation = 1 if rule == "c2" else -1
        best = max((1, -1), key=lambda g: round(_clearance(pos, s0, k0, b0, g, centre)
                   + _clearance(pos, s1, k1, b1, relation * g, centre), 3))
        out[s0] = (k0, b0, best)
        out[s1] = (k1, b1, relation * best)
    if (hand or family_hand(framework)) == "other":
        out = {s: (a, b, -g) for s, (a, b, g) in out.items()}
    elif hand is not None:
        other_hand(hand)                      # an unknown name fails here
    return out


def matters(framework):
    """True if the patterns give different configurations on this framework.

    >>> from clustergen.generation.generate import frameworks
    >>> matters(frameworks("face-sharing-icosahedra", 1, limit=1)[0])
    True
    """
    seen = [assign(framework, p) for p in patterns()]
    return any(x != seen[0] for x in seen[1:])


def present(atoms):
    """``{S: (a, b, configuration)}`` read from the R atoms a structure already carries,
    for every role-``S`` atom bound to exactly two metals (``a`` the kernel one of a
    terminal S, else the lower index) with a non-metal, non-S atom within 2.0 A.

    >>> from clustergen.core.model import make_cluster
    >>> a = make_cluster(["Au", "S", "Au", "C"], [[-1.7, 0, 0], [0, 1.2, 0], [1.7, 0, 0],
    ...                  [0, 2.0, 1.6]], ["kernel", "S", "staple", "ligand"])
    >>> present(a)
    {1: (0, 2, 1)}
    """
    roles = np.asarray(atoms.arrays["role"])
    pos = atoms.positions
    metal = np.flatnonzero(np.isin(roles, ("kernel", "staple")))
    other = np.flatnonzero(~np.isin(roles, ("kernel", "staple", "S")))
    reach = pair_cutoff("metal-sulfur", "Au", "S")
    out = {}
    for s in np.flatnonzero(roles == "S"):
        d = np.linalg.norm(pos[metal] - pos[s], axis=1)
        near = metal[d < reach]
        r = other[np.linalg.norm(pos[other] - pos[s], axis=1) < 2.0] if len(other) else []
        if len(near) != 2 or not len(r):
            continue
        a, b = sorted(near, key=lambda i: (roles[i] != "kernel", i))
        r = r[np.argmin(np.linalg.norm(pos[r] - pos[s], axis=1))]
        out[int(s)] = (int(a), int(b), configuration(pos[s], pos[a], pos[b], pos[r]))
    return out
