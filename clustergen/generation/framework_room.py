"""Last-resort room for a bulky thiolate: a coarse-grained relaxation of the staples.

The ligand step keeps the framework fixed, except here: when no placement of a bulky
rigid R (1-adamantyl, S-Adm) is free of overlaps on the framework as built, the staple
atoms (staple-role metals and thiolate S within ``LOCAL`` A of the clash; the kernel and
every other atom stay) relax once under a restraint model in which each R is a row of
spheres (beads) on its S->centroid axis (:func:`beads`; S-Adm: three, radii 1.5-2.6 A):

* every framework M-S bond keeps its length and the axis its S (stiff harmonic terms),
  the 1-3 distances about every atom their values (stiff about a metal, soft about an
  S: Au-S-Au angles span 80-115 deg across crystal structures), and the S-Au-S angle of
  each staple Au stays above 165 deg (or its template value; linear Au(I));
* M-S-R axis angles are held in 100-115 deg (100-127 deg at a mu3-S, whose R leans away
  from its long bond: 126.7 deg in the full-ligand DFT model of Au21(S-Adm)15) by
  one-sided walls;
* each bead keeps its radius + (HARD + SOFT)/2 (mixed limits of :mod:`ligand_fit`, 2.25
  A) from every framework atom but its own S and metals, and radius + radius' + HARD(H-H)
  from the beads of other R groups;
* framework atoms not bonded (nor 1-3) keep min(3.0 A, their distance) apart and stay
  on their side of the motif, kernel and lattice-site bond cutoffs (the topology the
  analysers read is the template's), and a weak tether holds each moved atom near its
  template place.

This is what a relaxation does first: the soft staple rocking modes turn the staples
away from a crowded S.  The Au21(S-Adm)15 crystal (S. Chen, L. Xiong, S. Wang, Z. Ma,
S. Jin, H. Sheng, Y. Pei, M. Zhu, J. Am. Chem. Soc. 2016, 138, 10754,
doi:10.1021/jacs.6b06004; not confirmed with the search tools used here) has the
rule-built bioctahedral framework's bonding with its
mu3-S 4.3 A from the trimeric staple's Au; the rule-built one has 3.1 A, too close for
an Adm.  The ligand search then runs on the relaxed framework as on any other, with
each R kept within 20 deg of the axis the relaxation left room for.
"""

import itertools

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import cKDTree

from clustergen.core.bonds import nearest_reach, pair_cutoff
from clustergen.generation import ligand_fit as fit

K_BOND = 500.0       # M-S and S-X bond lengths (per A^2)
K_ANGLE = 0.5        # 1-3 distances about an S (soft M-S-M angles)
K_LINEAR = 20.0      # 1-3 distances about a metal
K_BEND = 500.0       # per rad^2 below that least S-Au-S angle
LINEAR_MIN = 165.0   # deg, S-Au-S of a staple Au kept above this (or its template value)
K_WINDOW = 10.0      # M-S-X angle walls
K_ROOM = 20.0        # X...framework, X...X and framework...framework walls
K_TETHER = 0.3       # pull of each moved atom to its template place
WINDOW = (100.0, 115.0)
WINDOW_MU3 = (100.0, 127.0)
ANGLE_LIMITS_MU3 = (98.0, 128.0)   # hard M-S-C window of a mu3-S in the placement after
CONTACT = 3.0        # A, closest approach of two framework atoms not bonded nor 1-3
MAX_SHIFT = 0.05     # A, the largest M-S bond change accepted (Au-S in crystals spans
                     # ~2.30-2.45 A; 2,4-DMBT on the bioctahedral Au21 needs 0.035)
ROOM_FW = (fit.HARD["mixed"] + fit.SOFT["mixed"]) / 2   # A, bead...framework beyond radius
BEAD_START = 1.8     # A from S: the first bead sits on the C alpha ...
BEAD_STEP = 1.75     # ... and one more every this far out along the axis
BEAD_MIN = 1.0       # A, the smallest bead radius
LOCAL = 8.0          # A, reach of the moves about the atoms where the placement clashed
SIDE_MARGIN = 0.05   # A, kept from a bond cutoff a pair must not cross


def beads(lig):
    """(S-X axis length L, [(l, radius)]) of the first conformer: R seen as spheres on
    its S->centroid axis, one every BEAD_STEP A from the C alpha out to the farthest
    atom's projection, each as wide as the R atoms nearest it reach; X is the axis point
    at the centroid.

    >>> from clustergen.generation.ligand_chem import resolve
    >>> length, spheres = beads(resolve("SAdm"))
    >>> round(float(length), 2), [(round(float(l), 2), round(float(r), 2)) for l, r in spheres]
    (3.5, [(1.8, 2.19), (3.55, 2.59), (5.3, 1.49)])
    """
    xyz = lig.conformers[0]
    r = xyz[len(lig.donors):] - xyz[0]
    c = r.mean(axis=0)
    length = np.linalg.norm(c)
    proj = r @ (c / length)
    ls = np.arange(BEAD_START, max(proj.max(), BEAD_START) + 1e-9, BEAD_STEP)
    centres = np.outer(ls, c / length)
    d = np.linalg.norm(r[:, None] - centres[None], axis=2)
    near = d.argmin(axis=1)
    radii = [max(BEAD_MIN, d[near == b, b].max(initial=0.0)) for b in range(len(ls))]
    return length, list(zip(ls, radii))


def _law_of_cosines(b, c, degrees):
    return np.sqrt(b * b + c * c - 2 * b * c * np.cos(np.radians(degrees)))


def restraints(pos, symbols, sites, donors, movable, length, spheres, lattice=None,
               kernel=()):
    """Terms (i, j, r0, k, kind) over framework atoms, then one X per donor (index
    ``len(pos) + k``), then the beads of each donor's R (``spheres`` from :func:`beads`,
    index ``len(pos) + len(donors) + k * len(spheres) + b``); kind 0 harmonic, 1 lower
    wall (i, j at least r0 apart), 2 upper; and bends (i, c, j, least angle in rad) for
    the S-Au-S of each staple Au."""
    n = len(pos)
    terms, near, bends = [], set(), []
    nb = [set() for _ in range(n)]
    metal_set = {int(m) for ms in sites.values() for m in ms}
    for d, metals in sites.items():
        for m in metals:
            m = int(m)
            terms.append((d, m, np.linalg.norm(pos[d] - pos[m]), K_BOND, 0))
            nb[d].add(m)
            nb[m].add(d)
    for c in range(n):
        for i, j in itertools.combinations(sorted(nb[c]), 2):
            r = np.linalg.norm(pos[i] - pos[j])
            near.add((i, j))
            if c not in metal_set:          # M-S-M about an S: soft
                terms.append((i, j, r, K_ANGLE, 0))
                continue
            terms.append((i, j, r, K_LINEAR, 0))
            if len(nb[c]) == 2:             # a staple S-Au-S stays near linear
                bends.append((i, c, j, np.radians(min(LINEAR_MIN, _angle(pos, i, c, j)))))
    near |= {(min(i, j), max(i, j)) for i in range(n) for j in nb[i]}
    for k, d in enumerate(donors):
        x = n + k
        terms.append((d, x, length, K_BOND, 0))
        lo, hi = WINDOW_MU3 if len(sites[d]) > 2 else WINDOW
        for m in sites[d]:
            b = np.linalg.norm(pos[d] - pos[m])
            terms.append((int(m), x, _law_of_cosines(b, length, lo), K_WINDOW, 1))
            terms.append((int(m), x, _law_of_cosines(b, length, hi), K_WINDOW, 2))
    nd, nb = len(donors), len(spheres)
    reach = max(l + r for l, r in spheres)
    for k, d in enumerate(donors):
        own = {d} | {int(m) for m in sites[d]}
        for b, (_, rad) in enumerate(spheres):
            bead = n + nd + k * nb + b
            terms += [(bead, j, rad + ROOM_FW, K_ROOM, 1) for j in range(n) if j not in own]
            for k2 in range(k + 1, nd):
                if np.linalg.norm(pos[d] - pos[donors[k2]]) > 2 * reach + 1.0:
                    continue
                terms += [(bead, n + nd + k2 * nb + b2, rad + rad2 + fit.HARD["H"], K_ROOM, 1)
                          for b2, (_, rad2) in enumerate(spheres)]
    for i, j in cKDTree(pos).query_pairs(5.5):
        if (i, j) not in near and (movable[i] or movable[j]):
            # the lattice-site reach counts only between a staple metal and the kernel
            reach = lattice if (i in kernel) != (j in kernel) else None
            terms += _same_side(i, j, np.linalg.norm(pos[i] - pos[j]), symbols, metal_set,
                                reach)
    return terms, bends


def _angle(pos, i, c, j):
    u, v = pos[i] - pos[c], pos[j] - pos[c]
    return float(np.degrees(np.arccos(np.clip(
        u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))))


def _same_side(i, j, r, symbols, metals, lattice=None):
    """Walls that keep two framework atoms not bonded (nor 1-3) at least min(CONTACT, r)
    apart and on their side of every bond cutoff the analysers use (motif graph; kernel
    Au-Au; ``lattice``, the kernel lattice-site reach of the "bridging" convention of
    :func:`clustergen.analysis.motifs.promote_lattice_sites`), so the staple/kernel
    topology read from the output is the template's."""
    out = [(i, j, min(CONTACT, r), K_ROOM, 1)]
    cuts = [pair_cutoff("motifs", symbols[i], symbols[j])]
    if i in metals and j in metals:
        cuts += [pair_cutoff("kernel-metal", symbols[i], symbols[j]), lattice]
    for cut in cuts:
        if cut is None:
            continue
        if r < cut:
            out.append((i, j, cut - SIDE_MARGIN, K_ROOM, 2))
        else:
            out.append((i, j, min(r, cut + SIDE_MARGIN), K_ROOM, 1))
    return out


def _bend(p, bends):
    """K_BEND (theta0 - theta)^2 below each least angle theta0, and its gradient."""
    grad = np.zeros_like(p)
    if not len(bends):
        return 0.0, grad
    i, c, j = (bends[:, n].astype(int) for n in range(3))
    u, v = p[i] - p[c], p[j] - p[c]
    lu, lv = np.linalg.norm(u, axis=1), np.linalg.norm(v, axis=1)
    cos = np.clip((u * v).sum(axis=1) / (lu * lv), -1 + 1e-9, 1 - 1e-9)
    short = np.maximum(0.0, bends[:, 3] - np.arccos(cos))
    # dE/dcos = 2 K short / sin(theta): theta = arccos(cos) falls as cos rises
    de = (2 * K_BEND * short / np.sqrt(1 - cos ** 2))[:, None]
    gi = de * (v / (lu * lv)[:, None] - cos[:, None] * u / (lu ** 2)[:, None])
    gj = de * (u / (lu * lv)[:, None] - cos[:, None] * v / (lv ** 2)[:, None])
    np.add.at(grad, i, gi)
    np.add.at(grad, j, gj)
    np.add.at(grad, c, -gi - gj)
    return float(K_BEND * (short ** 2).sum()), grad


def _energy(flat, x0, free, arrays, tether, bends, chain=None):
    """Restraint energy and gradient with the free atoms at ``flat``; ``chain`` =
    (donor indices, bead fractions t): bead = S + t (X - S), appended after the atoms."""
    i, j, r0, k, kind = arrays
    p = x0.copy()
    p[free] = flat.reshape(-1, 3)
    n_atoms = len(p)
    if chain is not None:
        donors, t = chain
        s_pos, x_pos = p[donors], p[n_atoms - len(donors):]
        p = np.vstack([p, (s_pos[:, None] + t[None, :, None] * (x_pos - s_pos)[:, None])
                       .reshape(-1, 3)])
    v = p[i] - p[j]
    d = np.linalg.norm(v, axis=1)
    dev = d - r0
    dev = np.where(kind == 1, np.minimum(dev, 0), np.where(kind == 2, np.maximum(dev, 0), dev))
    g_pair = (2 * k * dev / np.maximum(d, 1e-9))[:, None] * v
    grad = np.zeros_like(p)
    np.add.at(grad, i, g_pair)
    np.add.at(grad, j, -g_pair)
    if chain is not None:       # bead gradients back onto their S and X
        g_b = grad[n_atoms:].reshape(len(donors), len(t), 3)
        grad = grad[:n_atoms]
        np.add.at(grad, donors, ((1 - t)[None, :, None] * g_b).sum(axis=1))
        grad[n_atoms - len(donors):] += (t[None, :, None] * g_b).sum(axis=1)
        p = p[:n_atoms]
    shift = p - x0
    e = float((k * dev ** 2).sum() + (tether[:, None] * shift ** 2).sum())
    grad += 2 * tether[:, None] * shift
    e_bend, g_bend = _bend(p, bends)
    return e + e_bend, (grad + g_bend)[free].ravel()


def make_room(framework, sites, donors, lig, hot=None, extra=0.0):
    """(framework positions, {donor: S->X unit vector}) with the staples relaxed around
    one pseudo-atom X (the axis of a row of beads) per thiolate in ``donors`` (see the
    module docstring), or None when nothing moved or a bond would change by more than
    ``MAX_SHIFT`` A.  ``hot``: framework atoms where the placement clashed (the donors of
    the clashing R groups, the framework atoms they hit); only staple atoms within
    ``LOCAL`` A of them move (all staple atoms if None).  ``extra``: A added to every
    bead's radius.

    >>> from ase import Atoms
    >>> from clustergen.generation.ligand_chem import resolve
    >>> f = Atoms("Au2SAu", positions=[[0, 0, 0], [2.9, 0, 0], [1.45, 1.7, 0],
    ...                                [1.45, 4.6, 1.5]])     # Au3 over the S
    >>> f.set_array("role", np.array(["kernel", "kernel", "S", "kernel"]))
    >>> p, axes = make_room(f, {2: np.array([0, 1])}, [2], resolve("SAdm"))
    >>> np.round(np.linalg.norm(p[2] - p[:2], axis=1), 2).tolist()     # bonds kept
    [2.23, 2.23]
    >>> round(float(np.linalg.norm(f.positions[3] - f.positions[2])), 2), bool(
    ...     np.linalg.norm(p[3] - p[2]) > 3.3)          # the S swung away from Au3
    (3.26, True)
    """
    pos = framework.positions
    n = len(pos)
    roles = framework.arrays.get("role")
    if roles is None or lig.kind != "thiolate" or len(lig.donors) != 1:
        return None
    movable = np.isin(roles, ("staple", "S"))
    movable[list(donors)] = True
    if hot:
        near = np.linalg.norm(pos[:, None] - pos[list(hot)][None], axis=2).min(axis=1)
        movable &= near < LOCAL
    length, spheres = beads(lig)
    spheres = [(l, r + extra) for l, r in spheres]
    metals = sorted({int(m) for d in donors for m in sites[d]})
    centre = pos[metals].mean(axis=0)
    x0 = np.vstack([pos] + [_start(pos, d, sites, centre, length, spheres) for d in donors])
    kernel = np.flatnonzero(roles == "kernel")
    lattice = nearest_reach(pos[kernel], "lattice-site") if len(kernel) > 1 else None
    terms, bends = restraints(pos, framework.get_chemical_symbols(), sites, donors, movable,
                              length, spheres, lattice, set(kernel.tolist()))
    bends = np.array(bends, float).reshape(-1, 4)
    chain = (np.array(donors), np.array([l for l, _ in spheres]) / length)
    arrays = tuple(np.array([t[c] for t in terms], dtype=int if c in (0, 1, 4) else float)
                   for c in range(5))
    free = np.concatenate([movable, np.ones(len(donors), bool)])
    tether = np.concatenate([np.where(movable, K_TETHER, 0.0), np.zeros(len(donors))])
    res = minimize(_energy, x0[free].ravel(), jac=True, method="L-BFGS-B",
                   args=(x0, free, arrays, tether, bends, chain), options={"maxiter": 3000})
    out = x0.copy()
    out[free] = res.x.reshape(-1, 3)
    new = out[:n]
    if np.linalg.norm(new - pos, axis=1).max() < 0.05:
        return None
    for d, metals in sites.items():
        if np.abs(np.linalg.norm(new[metals] - new[d], axis=1)
                  - np.linalg.norm(pos[metals] - pos[d], axis=1)).max() > MAX_SHIFT:
            return None
    axes = out[n:] - new[donors]
    return new, dict(zip(donors, axes / np.linalg.norm(axes, axis=1)[:, None]))


def _start(pos, d, sites, centre, length, spheres):
    """Starting X of donor ``d``: of the S->C directions of the placement (M-S-C window,
    preferred tilt), the one whose X has the most room from the framework; never in
    the M-S-M plane, from which a symmetric start would not leave."""
    dirs, pen = fit.thiolate_directions(pos[d], pos[sites[d]], centre)
    others = np.delete(pos, [d] + [int(m) for m in sites[d]], axis=0)
    cost = pen.copy()
    for l, rad in spheres:
        gap = np.linalg.norm((pos[d] + l * dirs)[:, None] - others[None], axis=2).min(axis=1)
        cost += np.maximum(0, rad + ROOM_FW - gap) ** 2
    return pos[d] + length * dirs[int(np.argmin(cost))]
