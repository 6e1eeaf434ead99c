"""Place the R part of a ligand on fixed donor sites: candidate poses, then steric choice.

Each site holds a donor atom (two for a bidentate diphosphine) already bonded to metal.
Candidate poses come from the ligand's RDKit conformers (:mod:`ligand_chem`):

* thiolate: S->C directions at which every M-S-C angle lies in 98-118 deg, those outside
  100-115 deg penalised (full-ligand DFT models of Au thiolate clusters: 100.6-117.8 deg),
  times 12 rotations about S-C, times conformers;
  a weak term prefers an S->C tilt of 40-70 deg from the cluster-centre->S radial
  direction, as in full-ligand DFT models (not radial);
* phosphine / alkynyl: the donor->R axis in a narrow cone about the metal->donor
  direction (Au-P, Au-C#C nearly linear), times rotations and conformers;
* bidentate diphosphine: conformers whose P...P distance and P lone-pair directions fit
  both sites (Kabsch fit), for both P orderings.

The choice is a greedy fill followed by sweeps that re-place each ligand among the others
(iterated conditional modes) minimising a soft pair repulsion, plus the pose's own angle
and conformer-energy terms.  Pair distances come from scipy cKDTree, vectorised per site.
"""

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from clustergen.core.errors import ClusterGenError
from clustergen.core.rotations import fibonacci_sphere

# hard limits (A) checked on the output: heavy-heavy, H-heavy, H-H.  About 0.63-0.66 x the
# Bondi van der Waals sums (H 1.20, C 1.70, S 1.80, Au 1.66 A: H...H 2.40, H...C 2.90,
# H...S 3.00, C...C 3.40; A. Bondi, J. Phys. Chem. 68, 441 (1964), doi:10.1021/j100785a001):
# atoms that overlap, not merely short contacts, since the structure is pre-relaxed next
HARD = {"heavy": 2.2, "mixed": 1.9, "H": 1.5}
# soft contact distances (A) of the repulsion; closer pairs cost (r0 - r)^2
SOFT = {"heavy": 3.2, "mixed": 2.6, "H": 2.1}
HARD_WEIGHT = 200.0            # a pair inside hard limit + 0.3 A costs this x shortfall^2
ANGLE_MSC = (100.0, 115.0)     # preferred M-S-C window (deg)
ANGLE_LIMITS = (98.0, 118.0)   # hard M-S-C limits: published TBBT models reach 117.8 deg
ANGLE_IDEAL = 107.0
CONE = {"phosphine": 8.0, "alkynyl": 20.0}   # deg, donor->R axis about metal->donor
NEAR_CONE = 20.0               # deg about a suggested S->C direction (framework_room)
TILT = (40.0, 70.0)            # preferred S->C tilt from the radial direction (deg)
TWISTS = 12
MAX_POSES = 600                # poses kept per site after the framework pre-screen
SWEEPS = 6


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _bonded(xyz, i, cutoff=2.0):
    d = np.linalg.norm(xyz - xyz[i], axis=1)
    return np.flatnonzero((d > 0.1) & (d < cutoff))


def local_frames(lig):
    """R atoms (donors dropped) of every conformer, donor at the origin, R axis along +z."""
    nd = len(lig.donors)
    out = []
    for xyz in lig.conformers:
        xyz = xyz - xyz[0]
        if lig.axis_atom > 0:
            axis = _unit(xyz[lig.axis_atom])
        else:   # phosphine: away from the lone pair = mean of the P->substituent bonds
            axis = _unit(_unit(xyz[_bonded(xyz, 0)]).sum(axis=0))
        rot, _ = Rotation.align_vectors([[0, 0, 1.0]], [axis])
        out.append(rot.apply(xyz[nd:]))
    return np.array(out)


def _twist_and_tilt(directions, frames, twists=TWISTS):
    """All poses: directions (D,3) x twists x conformers -> (D*T*C, A, 3)."""
    phis = np.arange(twists) * 2 * np.pi / twists
    twist = Rotation.from_euler("z", phis[:, None]).as_matrix()                      # (T,3,3)
    tilt = np.array([Rotation.align_vectors([d], [[0, 0, 1.0]])[0].as_matrix()
                     for d in directions])                                    # (D,3,3)
    full = np.einsum("dij,tjk->dtik", tilt, twist)                           # (D,T,3,3)
    poses = np.einsum("dtij,caj->dtcai", full, frames)
    d, t, c = poses.shape[:3]
    return poses.reshape(d * t * c, *poses.shape[3:]), (d, t, c)


def thiolate_directions(s, metals, centre, side=None, limits=ANGLE_LIMITS, near=None):
    """S->C directions with every M-S-C angle in the window, and their own penalty;
    ``side`` ``(a, b, sign)`` keeps those with ``sign((d) . ((a - s) x (b - s))) = sign``
    (the S configuration, :mod:`clustergen.generation.sulfur`); ``limits`` the hard
    M-S-C window (deg); ``near`` a unit vector the directions keep within NEAR_CONE deg of
    (where at least four do).

    >>> d, pen = thiolate_directions(np.zeros(3), np.array([[2.3, 0, 0]]), np.array([-5., 0, 0]))
    >>> ang = np.degrees(np.arccos(d @ [1, 0, 0])); bool(((ang > 97.9) & (ang < 118.1)).all())
    True
    """
    sphere = fibonacci_sphere(800)
    ang = msc_angles(sphere, s, metals)                                     # (N, M)
    dev = np.abs(ang - ANGLE_IDEAL).max(axis=1)
    on_side = _on_side(sphere, s, side)
    ok = in_window(ang, limits) & on_side
    if near is not None:
        in_cone = sphere @ near > np.cos(np.radians(NEAR_CONE))
        if (ok & in_cone).sum() >= 4:
            ok &= in_cone
    if ok.sum() < 4:            # a mu3-S or a strained site: the closest directions
        sided = np.flatnonzero(on_side)
        ok = np.zeros(len(sphere), bool)
        ok[sided[np.argsort(dev[sided])[:12]]] = True
    d = sphere[ok]
    radial = _unit(s - centre)
    tilt = np.degrees(np.arccos(np.clip(d @ radial, -1, 1)))
    off = np.maximum(0, np.maximum(TILT[0] - tilt, tilt - TILT[1]))
    outside = np.maximum(0, np.maximum(ANGLE_MSC[0] - ang[ok], ang[ok] - ANGLE_MSC[1])).max(1)
    penalty = 0.1 * (dev[ok] / 10) ** 2 + 0.3 * (off / 10) ** 2 + 0.5 * (outside / 3) ** 2
    return d, penalty


def msc_angles(directions, s, metals):
    """M-S-C angles (deg), (N, M), of S->C unit vectors ``directions`` (N, 3) at an S
    bonded to ``metals`` (M, 3).

    >>> msc_angles(np.array([[0, 1.0, 0]]), np.zeros(3), np.array([[2.3, 0, 0]])).round(1)
    array([[90.]])
    """
    return np.degrees(np.arccos(np.clip(directions @ _unit(metals - s).T, -1, 1)))


def in_window(ang, limits):
    """Rows of M-S-C angles ``ang`` (N, M) with every angle within ``limits`` (deg)."""
    return ((ang >= limits[0]) & (ang <= limits[1])).all(axis=1)


def _on_side(directions, s, side):
    """Directions that keep the S configuration ``side`` = (a, b, sign) (all if None)."""
    if side is None:
        return np.ones(len(directions), bool)
    a, b, sign = side
    return np.sign(directions @ np.cross(a - s, b - s)) == sign


def cone_directions(s, metals, width=12.0):
    """Donor->R directions within ``width`` deg of the metal->donor direction."""
    axis = _unit(s - metals.mean(axis=0))
    sphere = fibonacci_sphere(1500)
    cos = sphere @ axis
    keep = cos > np.cos(np.radians(width))
    d = np.vstack([axis, sphere[keep]])
    off = np.degrees(np.arccos(np.clip(d @ axis, -1, 1)))
    return d, 0.05 * (off / 10) ** 2


def site_poses(lig, frames, site, centre, twists=TWISTS):
    """Candidate R coordinates (P, A, 3) and own penalties (P,) for one site."""
    if len(site["donors"]) == 2:
        return _bidentate_poses(lig, site)
    s, metals = site["pos"][0], site["metals"][0]
    if lig.kind == "thiolate":
        dirs, pen = thiolate_directions(s, metals, centre, site.get("side"),
                                        site.get("limits", ANGLE_LIMITS), site.get("near"))
    else:
        dirs, pen = cone_directions(s, metals, CONE[lig.kind])
    poses, (nd, nt, nc) = _twist_and_tilt(dirs, frames, twists)
    own = (pen[:, None, None] + 0.02 * lig.energies[None, None, :]
           + np.zeros((1, nt, 1))).reshape(-1)
    return poses + s, own


def _bidentate_poses(lig, site):
    """Kabsch fits of each conformer's two P and lone pairs onto the two P sites."""
    s = np.asarray(site["pos"])
    lone = np.array([_unit(m.mean(axis=0) - p) for p, m in zip(s, site["metals"])])
    target = np.vstack([s, s + 1.5 * lone])
    poses, own = [], []
    for xyz, e in zip(lig.conformers, lig.energies):
        p = xyz[list(lig.donors)]
        lp = np.array([-_unit(_unit(xyz[_bonded(xyz, i)] - xyz[i]).sum(axis=0))
                       for i in lig.donors])
        for order in ((0, 1), (1, 0)):
            src = np.vstack([p[list(order)], p[list(order)] + 1.5 * lp[list(order)]])
            rot, rmsd = Rotation.align_vectors(target - target.mean(0), src - src.mean(0))
            if rmsd / 2 > 0.35:
                continue
            moved = rot.apply(xyz - src.mean(0)) + target.mean(0)
            poses.append(moved[len(lig.donors):])
            own.append(0.02 * e + rmsd ** 2)
    if not poses:
        raise ClusterGenError(
            f"{lig.name} cannot bridge donor atoms {site['donors'][0]} and "
            f"{site['donors'][1]} (P...P {np.linalg.norm(s[0] - s[1]):.2f} A): no conformer "
            "fits that bite")
    return np.array(poses), np.array(own)


def _kinds(is_h_a, is_h_b):
    """Pair class per pair: 0 heavy-heavy, 1 mixed, 2 H-H."""
    return is_h_a.astype(int) + is_h_b.astype(int)


def pair_energy(tree_a, h_a, owner_a, n_owner, tree_b, h_b):
    """Soft repulsion summed per owner of the ``a`` points (vectorised over all pairs)."""
    soft = np.array([SOFT["heavy"], SOFT["mixed"], SOFT["H"]])
    pairs = tree_a.sparse_distance_matrix(tree_b, soft.max(), output_type="ndarray")
    if len(pairs) == 0:
        return np.zeros(n_owner)
    i, j, r = pairs["i"], pairs["j"], pairs["v"]
    return np.bincount(owner_a[i], weights=_repulsion(h_a[i], h_b[j], r), minlength=n_owner)


def _repulsion(h_i, h_j, r):
    """Soft term inside the SOFT distance plus a steep one inside HARD + 0.3 A."""
    kind = _kinds(h_i, h_j)
    soft = np.array([SOFT["heavy"], SOFT["mixed"], SOFT["H"]])[kind]
    hard = np.array([HARD["heavy"], HARD["mixed"], HARD["H"]])[kind]
    return np.maximum(0, soft - r) ** 2 + HARD_WEIGHT * np.maximum(0, hard + 0.3 - r) ** 2


def choose(sites, lig, frames, framework_pos, framework_h, centre, effort=1, relax=False):
    """Pick one pose per site; returns a list of (A, 3) coordinate arrays.

    Greedy fill and sweeps (iterated conditional modes), then, while atoms clash, joint
    moves of a clashing ligand with each neighbour (the best pair of poses out of the
    clashing ligand's best few), then small continuous rotations (:func:`refine`).
    ``effort`` 2 doubles the rotations about the donor->R axis, the poses kept per site
    and the sweeps (for crowded shells).  ``relax``: then continuous rigid-body turns of
    the thiolate R groups still clashing (:mod:`clustergen.generation.ligand_relax`; a
    last resort, it costs seconds)."""
    is_h = np.array([s == "H" for s in lig.symbols[len(lig.donors):]])
    cands = [_candidates(site, lig, frames, framework_pos, framework_h, centre, is_h,
                         effort) for site in sites]
    reach = 2 * np.linalg.norm(frames, axis=-1).max() + 2.0
    donor_pos = np.array([s["pos"].mean(axis=0) for s in sites])
    near = [np.flatnonzero((np.linalg.norm(donor_pos - p, axis=1) < reach)
                           & (np.arange(len(sites)) != k)) for k, p in enumerate(donor_pos)]
    chosen = {}
    order = np.argsort([c["own"].min() for c in cands])[::-1]   # hardest sites first
    _sweeps(cands, chosen, order, is_h, SWEEPS * effort)
    for _ in range(2):
        bad = _violators(cands, chosen, sites, framework_pos, framework_h, is_h)
        if not bad:
            break
        full = {}   # energies of each site's poses against all others, until a move
        for k in bad:
            for j in near[k]:
                _pair_move(cands, chosen, k, int(j), is_h, full)
        _sweeps(cands, chosen, order, is_h, SWEEPS)
    coords = [cands[k]["poses"][chosen[k]] for k in range(len(sites))]
    if len(lig.donors) == 1:
        coords = refine(coords, sites, lig, framework_pos, framework_h, is_h)
        if relax:
            from clustergen.generation.ligand_relax import relax as relax_rigid
            coords = relax_rigid(coords, sites, lig, framework_pos, framework_h, is_h)
    return coords


def _candidates(site, lig, frames, framework_pos, framework_h, centre, is_h, effort):
    """Poses of one site with their own + framework energy, best MAX_POSES*effort kept."""
    poses, own = site_poses(lig, frames, site, centre, TWISTS * effort)
    n, a = poses.shape[:2]
    # the site's own donor(s) are bonded to R: leave them out of the repulsion
    e_fw = _framework_energy(poses.reshape(-1, 3), np.tile(is_h, n), np.repeat(np.arange(n), a),
                             n, framework_pos, framework_h, set(site["donors"]))
    total = own + e_fw
    keep = np.argsort(total, kind="stable")[:MAX_POSES * effort]
    poses = poses[keep]
    n = len(keep)
    return {"poses": poses, "own": total[keep], "tree": cKDTree(poses.reshape(-1, 3)),
            "owner": np.repeat(np.arange(n), a), "h": np.tile(is_h, n)}


def _energies(c, coords, is_h):
    """Own + repulsion energy of every pose of candidate set ``c`` against ``coords``."""
    e = c["own"].copy()
    if coords:
        e += pair_energy(c["tree"], c["h"], c["owner"], len(e), cKDTree(np.vstack(coords)),
                         np.tile(is_h, len(coords)))
    return e


def _sweeps(cands, chosen, order, is_h, sweeps):
    for sweep in range(sweeps):
        changed = 0
        for k in order:
            others = [cands[j]["poses"][chosen[j]] for j in chosen if j != k]
            best = int(np.argmin(_energies(cands[k], others, is_h)))
            changed += chosen.get(k) != best
            chosen[k] = best
        if sweep and not changed:
            break


def _pair_move(cands, chosen, k, j, is_h, full, top=30):
    """Best joint poses of ligands k and j with every other ligand fixed.

    ``full`` caches each site's pose energies against all other chosen poses (cleared
    when a move is made): the energy against "all but j" is that minus the j term, and
    the k-j pair energies of k's ``top`` poses come from one tree query, not ``top``."""
    ck, cj = cands[k], cands[j]
    e_k = _all_others(cands, chosen, k, is_h, full) - _against(ck, cj["poses"][chosen[j]], is_h)
    e_j = _all_others(cands, chosen, j, is_h, full) - _against(cj, ck["poses"][chosen[k]], is_h)
    best_total = e_k[chosen[k]] + e_j[chosen[j]] + pair_energy(
        cKDTree(ck["poses"][chosen[k]]), is_h, np.zeros(len(is_h), int), 1,
        cKDTree(cj["poses"][chosen[j]]), is_h)[0]
    tops = np.argsort(e_k, kind="stable")[:top]
    a = len(is_h)
    # rows: k's top poses, columns: every pose of j
    joint = e_j[None, :] + _pose_pair_energies(ck["poses"][tops].reshape(-1, 3),
                                               np.tile(is_h, len(tops)),
                                               np.repeat(np.arange(len(tops)), a), len(tops),
                                               cj)
    total = e_k[tops] + joint.min(axis=1)
    r = int(np.argmin(total))     # first minimum: the order of the former loop over poses
    if total[r] < best_total - 1e-9:
        chosen[k], chosen[j] = int(tops[r]), int(np.argmin(joint[r]))
        full.clear()


def _all_others(cands, chosen, k, is_h, full):
    if k not in full:
        full[k] = _energies(cands[k], [cands[m]["poses"][chosen[m]] for m in chosen
                                       if m != k], is_h)
    return full[k]


def _against(c, pose, is_h):
    """Repulsion of every pose of candidate set ``c`` with one placed ligand ``pose``."""
    return pair_energy(c["tree"], c["h"], c["owner"], len(c["own"]), cKDTree(pose), is_h)


def _pose_pair_energies(pts, h, owner, n, c):
    """(n, poses of c) soft repulsion between n poses (points ``pts``) and each pose of c."""
    m = len(c["own"])
    reach = max(SOFT.values())
    lo, hi = c["tree"].mins - reach, c["tree"].maxes + reach
    if ((pts.min(axis=0) > hi) | (pts.max(axis=0) < lo)).any():
        return np.zeros((n, m))          # bounding boxes apart: no pair within reach
    pairs = cKDTree(pts).sparse_distance_matrix(c["tree"], reach, output_type="ndarray")
    if len(pairs) == 0:
        return np.zeros((n, m))
    i, j, r = pairs["i"], pairs["j"], pairs["v"]
    return np.bincount(owner[i] * m + c["owner"][j], weights=_repulsion(h[i], c["h"][j], r),
                       minlength=n * m).reshape(n, m)


def _violators(cands, chosen, sites, framework_pos, framework_h, is_h):
    """Sites whose R atoms break a hard limit (against the framework or another R)."""
    coords = [cands[k]["poses"][chosen[k]] for k in range(len(cands))]
    n_fw = len(framework_pos)
    pos = np.vstack([framework_pos] + coords)
    h = np.concatenate([framework_h] + [is_h] * len(coords))
    owner = np.concatenate([np.full(n_fw, -1)] + [np.full(len(is_h), k)
                                                  for k in range(len(coords))])
    donor_of = np.full(len(pos), -1)
    for k, s in enumerate(sites):
        donor_of[list(s["donors"])] = k
    bad = clashes(pos, h, owner, donor_of)
    return sorted(({int(owner[i]) for i, j, _, _ in bad}
                   | {int(owner[j]) for i, j, _, _ in bad}) - {-1})


def _small_rotations(max_deg=15.0, steps=5):
    """Rotation matrices of every small rotation vector on a grid (identity included)."""
    a = np.radians(np.linspace(-max_deg, max_deg, 2 * steps + 1))
    grid = np.array(np.meshgrid(a, a, a)).reshape(3, -1).T
    return Rotation.from_rotvec(grid).as_matrix()


def _allowed(lig, site, poses):
    """Poses whose donor->R axis keeps the angle rules (thiolate window, narrow cone)."""
    s, metals = site["pos"][0], site["metals"][0]
    if lig.axis_atom > 0:
        axis = _unit(poses[:, lig.axis_atom - len(lig.donors)] - s)
    else:
        axis = _unit(poses.mean(axis=1) - s)
    if lig.kind == "thiolate":
        return (in_window(msc_angles(axis, s, metals), site.get("limits", ANGLE_LIMITS))
                & _on_side(axis, s, site.get("side")))
    off = np.degrees(np.arccos(np.clip(axis @ _unit(s - metals.mean(axis=0)), -1, 1)))
    return off <= CONE[lig.kind]


def refine(coords, sites, lig, framework_pos, framework_h, is_h, rounds=6):
    """Relieve the remaining close contacts by small rigid rotations of a ligand about its
    donor (continuous where the pose grid is discrete); only clashing ligands move."""
    rots = _small_rotations()
    limit = np.array([HARD["heavy"], HARD["mixed"], HARD["H"]])
    for _ in range(rounds):
        moved = False
        for k, site in enumerate(sites):
            others = [c for j, c in enumerate(coords) if j != k]
            keep = np.array([i not in set(site["donors"]) for i in range(len(framework_pos))])
            env = np.vstack(others + [framework_pos[keep]])
            env_h = np.concatenate([np.tile(is_h, len(others)), framework_h[keep]])
            tree = cKDTree(env)
            d, j = tree.query(coords[k], k=1)
            if (d >= limit[_kinds(is_h, env_h[j])] + 0.05).all():
                continue
            s = site["pos"][0]
            poses = np.einsum("rij,aj->rai", rots, coords[k] - s) + s
            poses = poses[_allowed(lig, site, poses)]
            if not len(poses):
                # no small turn keeps the angle rules (the chosen pose sits at a window's
                # edge): keep the pose; the final clash check reports what remains
                continue
            n, a = poses.shape[:2]
            e = pair_energy(cKDTree(poses.reshape(-1, 3)), np.tile(is_h, n),
                            np.repeat(np.arange(n), a), n, tree, env_h)
            best = poses[int(np.argmin(e))]
            moved |= not np.allclose(best, coords[k])
            coords[k] = best
        if not moved:
            break
    return coords


def _framework_energy(pts, hmask, owner, n, framework_pos, framework_h, donors):
    keep = np.array([i not in donors for i in range(len(framework_pos))])
    fw = cKDTree(framework_pos[keep])
    return pair_energy(cKDTree(pts), hmask, owner, n, fw, framework_h[keep])


def clashes(positions, is_h, owner, donor_of=None):
    """Pairs of atoms closer than the hard limits, worst first: (i, j, distance, limit).

    ``owner`` is -1 for framework atoms (metals and donors) and the ligand index for R
    atoms; ``donor_of`` gives, for a donor atom, the ligand it belongs to (else -1), so an
    R group is never checked against its own donor.  Framework pairs are not checked.

    >>> pos = np.array([[0, 0, 0], [1.0, 0, 0], [5, 0, 0]])
    >>> clashes(pos, np.array([True, True, False]), np.array([0, 1, -1]))
    [(0, 1, 1.0, 1.5)]
    """
    if donor_of is None:
        donor_of = np.full(len(positions), -1)
    pairs = cKDTree(positions).query_pairs(HARD["heavy"], output_type="ndarray")
    if len(pairs) == 0:
        return []
    i, j = pairs[:, 0], pairs[:, 1]
    r = np.linalg.norm(positions[i] - positions[j], axis=1)
    limit = np.array([HARD["heavy"], HARD["mixed"], HARD["H"]])[_kinds(is_h[i], is_h[j])]
    own = ((owner[i] >= 0) & (donor_of[j] == owner[i])) | \
          ((owner[j] >= 0) & (donor_of[i] == owner[j]))
    bad = (owner[i] != owner[j]) & ((owner[i] >= 0) | (owner[j] >= 0)) & ~own & (r < limit)
    out = [(int(a), int(b), round(float(d), 3), float(lim))
           for a, b, d, lim in zip(i[bad], j[bad], r[bad], limit[bad])]
    return sorted(out, key=lambda x: x[2] - x[3])
