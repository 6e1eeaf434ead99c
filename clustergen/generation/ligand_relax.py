"""Continuous rigid-body relaxation of R groups (thiolate, phosphine, alkynyl) that still
clash after the pose search of :mod:`clustergen.generation.ligand_fit`.

The pose grid is discrete (fixed S->C directions, 12 turns about S-C); a rigid cage such as
1-adamantyl (S-Adm) on a crowded staple S may need an orientation between grid points.
Each clashing R is turned as a rigid body about its donor (the donor-R bond length and the R
geometry are kept; the framework does not move) by minimising, with
:func:`scipy.optimize.minimize` (L-BFGS-B), the soft pair repulsion of
:func:`ligand_fit._repulsion` against every other atom plus the site's angle rule: for a
thiolate a penalty on M-S-C angles outside the preferred window, a wall outside the hard
one and a penalty on leaving the S configuration side; for a phosphine or alkynyl a
penalty on the donor->R axis leaving the metal->donor direction, a wall outside the
cone of TURN_CONE (12 / 20 deg; Au-P and Au-C#C are nearly linear).  Ligands are
relaxed one at a time in turns (Gauss-Seidel), several starts per ligand (turns of the
current pose about its S-C axis), so a ligand that only fits after its neighbour has
moved gets another try.
"""

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from clustergen.core.rotations import fibonacci_sphere
from clustergen.generation import ligand_fit as fit

ANGLE_WEIGHT = 2.0       # per deg^2 outside the preferred M-S-C window
WALL_WEIGHT = 10.0       # per deg^2 outside the hard M-S-C window
SIDE_WEIGHT = 50.0       # per unit of S->C component on the wrong side of the M-S-M plane
DIRECTIONS = 3000        # sphere points of the fine S->C grid (about 4 deg apart)
TWISTS = 24              # turns about S-C on the fine grid (15 deg)
STARTS = 2               # best grid poses minimised continuously
CLAIM = 0.1              # weight of other R groups while a clashing R claims room
JOINT_STEPS = 300        # L-BFGS-B iterations of one joint turn of several R groups
# deg: the pose search keeps a phosphine within 8 deg of its Au-P axis; a turn may go to 12
# (SC6H13 at the waist of [Au25(PPh3)10(SR)5Cl2]2+ needs it: Au-P-C up to 127 deg there)
TURN_CONE = {"phosphine": 12.0, "alkynyl": fit.CONE["alkynyl"]}


def _angle_penalty(axes, s, metals, side, limits=fit.ANGLE_LIMITS):
    """Penalty of S->C unit vectors ``axes`` (N, 3): M-S-C outside the preferred window,
    a stiff wall outside the hard window ``limits`` (the rigid turn must not leave what
    the pose search allowed), wrong S configuration side; (N,)."""
    ang = fit.msc_angles(axes, s, metals)
    lo, hi = fit.ANGLE_MSC
    out = np.maximum(0, np.maximum(lo - ang, ang - hi))
    wall = np.maximum(0, np.maximum(limits[0] - ang, ang - limits[1]))
    pen = ANGLE_WEIGHT * (out ** 2).sum(axis=1) + WALL_WEIGHT * (wall ** 2).sum(axis=1)
    if side is not None:
        a, b, sign = side
        n = np.cross(a - s, b - s)
        pen += SIDE_WEIGHT * np.maximum(0.0, -sign * axes @ (n / np.linalg.norm(n))) ** 2
    return pen


def _weighted(pts, h, owner, n, env_tree, env_h, env_w):
    """Soft repulsion per owner of ``pts`` against the environment, each environment
    atom's terms scaled by its weight ``env_w``."""
    pairs = cKDTree(pts).sparse_distance_matrix(env_tree, max(fit.SOFT.values()),
                                                output_type="ndarray")
    if len(pairs) == 0:
        return np.zeros(n)
    i, j, r = pairs["i"], pairs["j"], pairs["v"]
    return np.bincount(owner[i], weights=fit._repulsion(h[i], env_h[j], r) * env_w[j],
                       minlength=n)


def _energy(rotvec, local, s, axis0, env, is_h, penalty):
    """Energy of R turned by ``rotvec`` about its donor at ``s``, and its analytic
    gradient: the torque sum_i p_i x dE/dp_i mapped through the left Jacobian of SO(3).
    ``penalty`` maps donor->R unit axes (N, 3) to the site's angle penalty (N,)."""
    rot = Rotation.from_rotvec(rotvec)
    p = rot.apply(local)
    tree, env_h, env_w = env
    pairs = cKDTree(p + s).sparse_distance_matrix(tree, max(fit.SOFT.values()),
                                                  output_type="ndarray")
    e, torque = 0.0, np.zeros(3)
    if len(pairs):
        i, j, r = pairs["i"], pairs["j"], np.maximum(pairs["v"], 1e-6)
        kind = fit._kinds(is_h[i], env_h[j])
        soft = np.array([fit.SOFT["heavy"], fit.SOFT["mixed"], fit.SOFT["H"]])[kind]
        hard = np.array([fit.HARD["heavy"], fit.HARD["mixed"], fit.HARD["H"]])[kind] + 0.3
        e = float((fit._repulsion(is_h[i], env_h[j], r) * env_w[j]).sum())
        de_dr = -2 * env_w[j] * (np.maximum(0, soft - r)
                                 + fit.HARD_WEIGHT * np.maximum(0, hard - r))
        g = (de_dr / r)[:, None] * (p[i] + s - tree.data[j])
        torque += np.cross(p[i], g).sum(axis=0)
    axis = rot.apply(axis0)
    pen = penalty(np.vstack([axis, axis + np.eye(3) * 1e-6]))
    e_ang, g_axis = pen[0], (pen[1:] - pen[0]) / 1e-6
    torque += np.cross(axis, g_axis)
    return e + e_ang, _left_jacobian(rotvec).T @ torque


def _left_jacobian(x):
    """J_l of SO(3): R(x + dx) = exp(J_l(x) dx) R(x) to first order.

    >>> bool(np.allclose(_left_jacobian(np.zeros(3)), np.eye(3)))
    True
    """
    theta = np.linalg.norm(x)
    k = np.array([[0, -x[2], x[1]], [x[2], 0, -x[0]], [-x[1], x[0], 0]])
    if theta < 1e-8:
        return np.eye(3) + 0.5 * k
    return (np.eye(3) + (1 - np.cos(theta)) / theta ** 2 * k
            + (theta - np.sin(theta)) / theta ** 3 * k @ k)


def _axis(coords_k, s, axis_index):
    """Donor->R unit axis: along the R atoms bonded to the donor (sum of unit bonds)."""
    return fit._unit(fit._unit(coords_k[axis_index] - s).sum(axis=0))


def site_rule(kind, site, axis_now):
    """(penalty, allowed) of a site: functions of donor->R unit axes (N, 3) giving the
    angle penalty (N,) and whether the pose search's hard rule holds (N,).  A thiolate
    window the current axis ``axis_now`` already breaks (a strained site, a mu3-S) is
    widened to it: the turn never makes it worse (the wall is stiff, so the widening
    stays within a degree or so; measured ranges in docs/ligands.md).  A phosphine's or
    alkynyl's axis keeps within TURN_CONE of metal->donor.

    >>> site = {"pos": np.zeros((1, 3)), "metals": [np.array([[0, 0, -2.3]])]}
    >>> pen, ok = site_rule("phosphine", site, np.array([0, 0, 1.0]))
    >>> ok(np.array([[0, 0, 1.0], [0, 1.0, 0]])).tolist()
    [True, False]
    """
    s, metals = site["pos"][0], site["metals"][0]
    if kind == "thiolate":
        side, limits = site.get("side"), site.get("limits", fit.ANGLE_LIMITS)
        now = fit.msc_angles(axis_now[None], s, metals)
        limits = (min(limits[0], now.min()), max(limits[1], now.max()))
        return (lambda axes: _angle_penalty(axes, s, metals, side, limits),
                lambda axes: fit.in_window(fit.msc_angles(axes, s, metals), limits)
                & fit._on_side(axes, s, side))
    out = fit._unit(s - metals.mean(axis=0))
    width = TURN_CONE[kind]

    def off(axes):
        return np.degrees(np.arccos(np.clip(axes @ out, -1, 1)))
    return (lambda axes: ANGLE_WEIGHT * off(axes) ** 2 / 100
            + WALL_WEIGHT * np.maximum(0, off(axes) - width) ** 2,
            lambda axes: off(axes) <= width)


def _fine_poses(coords_k, s, axis_index, rule):
    """Rigid copies of one R on a fine grid: donor->R directions the site's rule allows
    (for a thiolate: every M-S-C angle in the hard window, on the S configuration side),
    times TWISTS turns about the axis; with their angle penalties."""
    penalty, allowed = rule
    to_z, _ = Rotation.align_vectors([[0, 0, 1.0]], [_axis(coords_k, s, axis_index)])
    frame = to_z.apply(coords_k - s)[None]
    sphere = fibonacci_sphere(DIRECTIONS)
    dirs = sphere[allowed(sphere)]
    if not len(dirs):
        return coords_k[None], np.zeros(1)
    poses, (_, nt, _) = fit._twist_and_tilt(dirs, frame, TWISTS)
    return poses + s, np.repeat(penalty(dirs), nt)


def _relax_one(coords_k, site, env, is_h, axis_index, kind="thiolate"):
    """Best rigid turn of one R about its donor; returns (coordinates, energy).

    The fine grid is scored against the environment in one vectorised pass; the best
    STARTS poses (and the current one) are then minimised continuously."""
    s = site["pos"][0]
    rule = site_rule(kind, site, _axis(coords_k, s, axis_index))
    poses, pen = _fine_poses(coords_k, s, axis_index, rule)
    poses, pen = np.vstack([coords_k[None], poses]), np.concatenate([[0.0], pen])
    n, a = poses.shape[:2]
    e = pen + _weighted(poses.reshape(-1, 3), np.tile(is_h, n), np.repeat(np.arange(n), a),
                        n, *env)
    best, best_e = coords_k, None
    for p in sorted(set(np.argsort(e, kind="stable")[:STARTS].tolist()) | {0}):
        local = poses[p] - s
        res = minimize(_energy, np.zeros(3), method="L-BFGS-B", jac=True,
                       args=(local, s, _axis(poses[p], s, axis_index), env, is_h, rule[0]),
                       options={"maxiter": 60})
        if best_e is None or res.fun < best_e - 1e-9:
            best_e = res.fun
            best = Rotation.from_rotvec(res.x).apply(local) + s
    return best, best_e


def axis_atoms(lig):
    """Indices (among the R atoms) of those bonded to the donor of a one-donor ligand: a
    thiolate's C alpha, a phosphine's three C; None where no rigid turn applies
    (diphosphines)."""
    if len(lig.donors) != 1 or lig.kind not in ("thiolate",) + tuple(fit.CONE):
        return None
    out = (np.array([lig.axis_atom - 1]) if lig.axis_atom > 0 else
           fit._bonded(lig.conformers[0], lig.donors[0]) - 1)
    return out if len(out) else None


def relax(coords, sites, lig, framework_pos, framework_h, is_h, rounds=4):
    """Rigid-body relaxation of the R groups (one donor each) that break a hard contact
    limit; returns the new list of (A, 3) R coordinates (others untouched).

    >>> s = np.array([0, 0, 2.3])                       # S bound to two Au, 90 deg apart
    >>> site = {"donors": [1], "pos": s[None], "metals": [np.array([[0, 0, 0.0], [2.3, 0, 2.3]])]}
    >>> c = s + 1.82 * np.array([-0.292, 0.911, 0.292])  # C with both Au-S-C at 107 deg
    >>> x = c + [0.6, 0.0, 1.1]                          # a framework atom 1.25 A from C
    >>> fw = np.array([[0, 0, 0.0], s, [2.3, 0, 2.3], x])
    >>> class L: axis_atom, donors, kind = 1, (0,), "thiolate"
    >>> new = relax([c[None]], [site], L, fw, np.zeros(4, bool), np.array([False]))[0][0]
    >>> u = (new - s) / np.linalg.norm(new - s)
    >>> ang = np.degrees(np.arccos([u @ [0, 0, -1], u @ [1, 0, 0]]))
    >>> bool(np.linalg.norm(new - x) > 2.2), round(float(np.linalg.norm(new - s)), 2)
    (True, 1.82)
    >>> bool(((ang > 98) & (ang < 118)).all())
    True
    """
    axis_index = axis_atoms(lig)
    if axis_index is None:
        return coords
    coords = list(coords)
    before = len(sites) + 1
    for _ in range(rounds):
        bad = [k for k in range(len(sites))
               if _clashing(k, coords, sites, framework_pos, framework_h, is_h)]
        if not bad or len(bad) >= before:   # solved, or a round that did not help
            break
        before = len(bad)
        for k in bad:
            # k claims room against the framework (other R groups count CLAIM times) ...
            coords[k] = _relax_one(coords[k], sites[k], _env(
                k, coords, sites, framework_pos, framework_h, is_h, CLAIM), is_h,
                axis_index, lig.kind)[0]
            # ... and the R groups it now clashes with make way, at full weight
            for j in _touching(k, coords):
                if not _clashing(j, coords, sites, framework_pos, framework_h, is_h):
                    continue
                coords[j] = _relax_one(coords[j], sites[j], _env(
                    j, coords, sites, framework_pos, framework_h, is_h, 1.0), is_h,
                    axis_index, lig.kind)[0]
    bad = [k for k in range(len(sites)) if lig.kind != "thiolate"
           and _clashing(k, coords, sites, framework_pos, framework_h, is_h)]
    if bad:     # interlocked neighbours (two PPh3 propellers) move only together; thiolate
        # shells that still clash go to the staple relaxation as they are (a joint turn
        # there left Au52(TBBT)32 one pair short after it, 1.86 A)
        group = sorted(set(bad).union(*(_touching(k, coords) for k in bad)))
        coords = _relax_together(coords, group, sites, framework_pos, framework_h, is_h,
                                 axis_index, lig.kind)
    return coords


def _env(k, coords, sites, framework_pos, framework_h, is_h, weight):
    """(tree, is-H, weights) of everything R group ``k`` must avoid: the other R groups
    (weight ``weight``) and the framework but for k's own donor (weight 1)."""
    others = [c for j, c in enumerate(coords) if j != k]
    keep = np.array([i not in set(sites[k]["donors"]) for i in range(len(framework_pos))])
    pos = np.vstack(others + [framework_pos[keep]])
    h = np.concatenate([np.tile(is_h, len(others)), framework_h[keep]])
    w = np.concatenate([np.full(len(is_h) * len(others), weight), np.ones(keep.sum())])
    return cKDTree(pos), h, w


def _clashing(k, coords, sites, framework_pos, framework_h, is_h):
    """Whether R group ``k`` breaks a hard contact limit (with 0.05 A to spare)."""
    tree, env_h, _ = _env(k, coords, sites, framework_pos, framework_h, is_h, 1.0)
    limit = np.array([fit.HARD["heavy"], fit.HARD["mixed"], fit.HARD["H"]])
    d, j = tree.query(coords[k], k=1)
    return bool((d < limit[fit._kinds(is_h, env_h[j])] + 0.05).any())


def _touching(k, coords):
    """R groups with an atom within the soft contact reach of R group ``k``."""
    tree = cKDTree(coords[k])
    reach = max(fit.SOFT.values())
    return [j for j, c in enumerate(coords)
            if j != k and np.isfinite(tree.query(c, distance_upper_bound=reach)[0]).any()]


def _relax_together(coords, group, sites, framework_pos, framework_h, is_h, axis_index,
                    kind):
    """Turn the R groups ``group`` (of one ligand) about their donors all at once; see
    :func:`relax_across`."""
    groups = [{"kind": kind, "site": site, "coords": c, "is_h": is_h, "axis": axis_index}
              for site, c in zip(sites, coords)]
    return relax_across(groups, framework_pos, framework_h, only=group)


def relax_across(groups, framework_pos, framework_h, only=None):
    """One L-BFGS-B run over the rotations of every R group that breaks a hard contact
    limit and of those touching it (or of the groups ``only``), the rest and the
    framework fixed: interlocked neighbours (two PPh3 propellers, a PPh3 and a PET) that
    only fit when they move together, of one ligand class or several.  ``groups``: one
    dict per R group, ``kind``, ``site`` (donor ``pos``, ``metals``, ``side``),
    ``coords`` (A, 3), ``is_h`` (A,) and ``axis`` (indices of the R atoms bonded to the
    donor).  Returns the new list of coordinates, kept only if fewer pairs then break a
    hard limit."""
    coords = [g["coords"] for g in groups]
    bad = _cross_clashes(groups, coords, framework_pos, framework_h)
    if only is None:
        hit = {k for pair in bad for k in pair[4:] if k >= 0}
        only = sorted(hit.union(*(_touching(k, coords) for k in hit)))
    if not bad or not only:
        return coords
    moving = [groups[k] for k in only]
    s = np.array([g["site"]["pos"][0] for g in moving])
    axis0 = np.array([_axis(g["coords"], s[m], g["axis"]) for m, g in enumerate(moving)])
    others = [c for k, c in enumerate(coords) if k not in set(only)]
    fixed = np.vstack(others + [framework_pos])
    owner = np.concatenate([np.full(len(g["coords"]), m) for m, g in enumerate(moving)])
    own = np.zeros((len(moving), len(fixed)), bool)   # each R's own donor is bonded to it
    for m, g in enumerate(moving):
        own[m, len(fixed) - len(framework_pos) + np.array(g["site"]["donors"])] = True
    system = {"local": np.vstack([g["coords"] - s[m] for m, g in enumerate(moving)]),
              "owner": owner, "s": s, "axis0": axis0, "fixed": fixed, "tree": cKDTree(fixed),
              "is_h": np.concatenate([g["is_h"] for g in moving]), "own": own,
              "fixed_h": np.concatenate([groups[k]["is_h"] for k in range(len(groups))
                                         if k not in set(only)] + [framework_h]),
              "rules": [site_rule(g["kind"], g["site"], axis0[m])[0]
                        for m, g in enumerate(moving)]}
    res = minimize(_joint_energy, np.zeros(3 * len(moving)), args=(system,), jac=True,
                   method="L-BFGS-B", options={"maxiter": JOINT_STEPS})
    rot = Rotation.from_rotvec(res.x.reshape(-1, 3))
    new = list(coords)
    for m, k in enumerate(only):
        new[k] = rot[m].apply(system["local"][owner == m]) + s[m]
    after = _cross_clashes(groups, new, framework_pos, framework_h)
    return new if len(after) < len(bad) else coords


def _cross_clashes(groups, coords, framework_pos, framework_h):
    """Hard-limit pairs of R groups ``coords`` among themselves and with the framework,
    each (i, j, distance, limit, group of i, group of j), -1 for a framework atom."""
    n = len(framework_pos)
    pos = np.vstack([framework_pos] + list(coords))
    is_h = np.concatenate([framework_h] + [g["is_h"] for g in groups])
    owner = np.concatenate([np.full(n, -1)] + [np.full(len(c), k)
                                               for k, c in enumerate(coords)])
    donor_of = np.full(len(pos), -1)
    for k, g in enumerate(groups):
        donor_of[list(g["site"]["donors"])] = k
    return [(i, j, d, lim, owner[i] if owner[i] >= 0 else donor_of[i],
             owner[j] if owner[j] >= 0 else donor_of[j])
            for i, j, d, lim in fit.clashes(pos, is_h, owner, donor_of)]


def _joint_energy(x, system):
    """Energy and gradient of the R groups of ``system`` turned by rotation vectors ``x``
    (3 per R group; ``local`` atoms (N, 3) about their donors ``s``, group ``owner``):
    soft repulsion against the fixed atoms (but each R's own donor) and between the R
    groups, plus each site's angle rule."""
    local, s, owner, h = system["local"], system["s"], system["owner"], system["is_h"]
    n = len(s)
    rot = Rotation.from_rotvec(x.reshape(n, 3))
    p = np.einsum("nij,nj->ni", rot.as_matrix()[owner], local)     # about each donor
    flat = p + s[owner]
    reach = max(fit.SOFT.values())
    near = cKDTree(flat).sparse_distance_matrix(system["tree"], reach, output_type="ndarray")
    keep = ~system["own"][owner[near["i"]], near["j"]]
    i, j = near["i"][keep], near["j"][keep]
    inner = cKDTree(flat).query_pairs(reach, output_type="ndarray").reshape(-1, 2)
    inner = inner[owner[inner[:, 0]] != owner[inner[:, 1]]]
    # fixed partners first, then the pairs between two moving R groups
    ii = np.concatenate([i, inner[:, 0]])
    other = np.vstack([system["fixed"][j], flat[inner[:, 1]]])
    other_h = np.concatenate([system["fixed_h"][j], h[inner[:, 1]]])
    v = flat[ii] - other
    r = np.maximum(np.linalg.norm(v, axis=1), 1e-6)
    kinds = fit._kinds(h[ii], other_h)
    soft = np.array([fit.SOFT["heavy"], fit.SOFT["mixed"], fit.SOFT["H"]])[kinds]
    hard = np.array([fit.HARD["heavy"], fit.HARD["mixed"], fit.HARD["H"]])[kinds] + 0.3
    e = float(fit._repulsion(h[ii], other_h, r).sum())
    g = (-2 * (np.maximum(0, soft - r) + fit.HARD_WEIGHT * np.maximum(0, hard - r))
         / r)[:, None] * v
    grad_pos = np.zeros_like(flat)
    np.add.at(grad_pos, ii, g)
    np.add.at(grad_pos, inner[:, 1], -g[len(i):])
    torque = np.zeros((n, 3))
    np.add.at(torque, owner, np.cross(p, grad_pos))
    axes = rot.apply(system["axis0"])
    grad = np.zeros((n, 3))
    for m in range(n):
        pen = system["rules"][m](np.vstack([axes[m], axes[m] + np.eye(3) * 1e-6]))
        e += pen[0]
        torque[m] += np.cross(axes[m], (pen[1:] - pen[0]) / 1e-6)
        grad[m] = _left_jacobian(x[3 * m:3 * m + 3]).T @ torque[m]
    return e, grad.ravel()
