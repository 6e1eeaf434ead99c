"""R groups on thiolate sulfur: placed outward, without clashes.

The Au-S framework is built first and never moved here: a ligand choice changes only R.
An S bound to two metals is sp3-like: R sits at about 105 degrees to both M-S bonds,
on one of two sides of the M-S-M plane.  Where the S-configuration pattern of its staple
fixes the side (:mod:`clustergen.generation.sulfur`), R takes that side; otherwise the
side, and everywhere the tilt and the rotation of CH3, are chosen to keep R away from
every other atom.
"""

import numpy as np
from ase import Atoms

from clustergen.core.bonds import pair_cutoff
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import set_roles
from clustergen.generation.sulfur import assign, configuration

BOND_SC = 1.82
BOND_SH = 1.34
BOND_CH = 1.09
ANGLE_MSC = 106.0          # M-S-C angle (deg) at a thiolate S
TETRA = np.degrees(np.arccos(-1 / 3))


def buildable():
    """Ligands built by the fixed rule of this module (every other ligand, from a library
    name or SMILES, goes through RDKit conformers: :mod:`clustergen.generation.ligate`).

    >>> buildable()
    ['SCH3', 'SH']
    """
    return sorted(["SH", "SCH3"])


def _unit(v):
    return v / np.linalg.norm(v)


def _perp(v):
    p = np.cross(v, [1.0, 0, 0])
    if np.linalg.norm(p) < 1e-3:
        p = np.cross(v, [0, 1.0, 0])
    return _unit(p)


def _r_directions(s, metals, outward):
    """Candidate S->R directions for an S bonded to the metals at ``metals``."""
    u = [_unit(m - s) for m in metals]
    if len(u) == 1:
        axis = -u[0]
        # R tilted off the M-S axis by 180-106 = 74 deg, around it in 12 steps
        ref = _perp(axis)
        tilt = np.radians(180 - ANGLE_MSC)
        out = []
        for phi in np.radians(np.arange(0, 360, 30)):
            side = np.cos(phi) * ref + np.sin(phi) * np.cross(axis, ref)
            out.append(np.cos(tilt) * axis + np.sin(tilt) * side)
        return out
    bis = -_unit(sum(u))
    normal = np.cross(u[0], u[1])
    # orthogonal to the bisector (for an S on three metals the bisector leaves the
    # plane of the first two), so every direction below is a unit vector
    normal = normal - (normal @ bis) * bis
    normal = _unit(normal) if np.linalg.norm(normal) > 1e-6 else _perp(bis)
    if len(u) > 2:
        # mu3-S: R opposite the three metals, tilted by up to 30 deg when crowded
        theta = 0.0
    else:
        # angle theta from the bisector that gives M-S-C ~ ANGLE_MSC for both metals
        half = np.arccos(np.clip(u[0] @ u[1], -1, 1)) / 2
        cos_t = -np.cos(np.radians(ANGLE_MSC)) / max(np.cos(half), 1e-3)
        theta = np.arccos(np.clip(cos_t, -1, 1))
    # the ideal sp3 direction on either side of the M-S-M plane, plus tilts of up to
    # 30 deg for crowded surfaces
    out = [np.cos(t) * bis + np.sin(t) * sgn * normal
           for sgn in (1, -1) for t in theta + np.radians([0, -15, 15, -30, 30])]
    return sorted(out, key=lambda d: -(d @ outward))


def _methyl(s, c):
    """Three H on a methyl carbon at ``c`` bonded to sulfur at ``s``, for 4 rotations."""
    axis = _unit(c - s)
    ref = _perp(axis)
    tilt = np.radians(180 - TETRA)
    for phi0 in np.radians([0, 30, 60, 90]):
        hs = []
        for k in range(3):
            phi = phi0 + 2 * np.pi * k / 3
            side = np.cos(phi) * ref + np.sin(phi) * np.cross(axis, ref)
            hs.append(c + BOND_CH * (np.cos(tilt) * axis + np.sin(tilt) * side))
        yield np.array(hs)


def _r_group(name, s, direction):
    """Candidate (symbols, positions) for R on S along ``direction``."""
    if name == "SH":
        yield ["H"], (s + BOND_SH * direction)[None]
    elif name == "SCH3":
        c = s + BOND_SC * direction
        for hs in _methyl(s, c):
            yield ["C", "H", "H", "H"], np.vstack([c, hs])


def _clash(new_sym, new_pos, sym, pos):
    """Worst shortfall (A) from comfortable non-bonded spacings: H-H 1.9, H-heavy 2.5,
    heavy-heavy 3.0 (the hard limits checked on output are 1.5 and 2.2)."""
    if len(pos) == 0:
        return 0.0
    d = np.linalg.norm(new_pos[:, None] - pos[None], axis=-1)
    h_new = np.array([s == "H" for s in new_sym])[:, None]
    h_old = np.array([s == "H" for s in sym])[None]
    target = np.where(h_new & h_old, 1.9, np.where(h_new | h_old, 2.5, 3.0))
    return float(np.max(target - d, initial=0.0))


def _hard(new_sym, new_pos, sym, pos):
    """True if R comes closer than the output limits plus 0.1 A (H-H 1.5, any pair
    with a heavy atom 2.2 A: :mod:`clustergen.analysis.checks`) to another atom."""
    d = np.linalg.norm(new_pos[:, None] - pos[None], axis=-1)
    h_new = np.array([s == "H" for s in new_sym])[:, None]
    h_old = np.array([s == "H" for s in sym])[None]
    limit = np.where(h_new & h_old, 1.6, np.where(h_new | h_old, 0.0, 2.3))
    return bool((d < limit).any())


def _on_side(pos, s, direction, side):
    """True if ``direction`` from S ``s`` keeps the configuration ``side`` asks for."""
    if side is None:
        return True
    a, b, sign = side
    return configuration(pos[s], pos[a], pos[b], pos[s] + direction) == sign


def add_ligands(framework, ligand="SCH3", cutoff=None, sulfur=None, sides=None):
    """Return a copy of ``framework`` with R groups on every role-``S`` atom.

    An S takes its R opposite the metals within ``cutoff`` (A; default the
    ``metal-sulfur`` bond rule of :mod:`clustergen.core.bonds`), on the side of its
    M-S-M plane that the S-configuration pattern ``sulfur`` gives it (a name of
    :func:`clustergen.generation.sulfur.patterns`, None = each staple type's default;
    ``sides``: an explicit ``{S: (a, b, configuration)}`` instead).

    >>> from clustergen.core.model import make_cluster
    >>> f = make_cluster(["Au", "S", "Au"], [[-1.7, 0, 0], [0, 1.6, 0], [1.7, 0, 0]],
    ...                  ["staple", "S", "staple"])
    >>> a = add_ligands(f, "SCH3")
    >>> a.get_chemical_formula(), list(a.arrays["role"]).count("ligand")
    ('CH3Au2S', 4)
    """
    from clustergen.generation.ligand_chem import lookup, resolve
    name = (lookup(ligand) or (ligand,))[0]
    if name not in buildable():
        lig = resolve(ligand)
        if lig.kind != "thiolate":
            raise ClusterGenError(f"ligand '{ligand}' is a {lig.kind}, not a thiolate")
        if "S" not in list(framework.arrays.get("role", [])):
            # a thiolate-free member ([Au13(dppe)5Cl2]3+): nothing to place, as for SCH3
            return framework.copy()
        from clustergen.generation.ligate import place
        return place(framework, [lig], sulfur=sulfur, sides=sides)
    if cutoff is None:
        cutoff = pair_cutoff("metal-sulfur", "Au", "S")
    roles = np.asarray(framework.arrays["role"])
    pos = framework.positions
    sym = framework.get_chemical_symbols()
    metal = np.isin(roles, ("kernel", "staple"))
    centre = pos[metal].mean(axis=0)
    s_idx = np.flatnonzero(roles == "S")
    if sides is None:
        sides = assign(framework, sulfur)
    options, free = {}, {}
    for i in s_idx:
        d = np.linalg.norm(pos[metal] - pos[i], axis=1)
        nb = pos[metal][d < cutoff]
        if len(nb) == 0:
            raise ClusterGenError(f"sulfur {i} has no metal neighbour within {cutoff} A")
        outward = _unit(pos[i] - centre)
        free[i] = [(rs, rp, float(direction @ outward), direction)
                   for direction in _r_directions(pos[i], nb, outward)
                   for rs, rp in _r_group(name, pos[i], direction)]
        options[i] = [o[:3] for o in free[i] if _on_side(pos, i, o[3], sides.get(i))]
    placed = {}

    def others(skip):
        syms = [sym[k] for k in range(len(sym)) if k != skip]
        ps = [pos[k] for k in range(len(sym)) if k != skip]
        for j, (rs, rp) in placed.items():
            if j != skip:
                syms += rs
                ps += list(rp)
        return syms, np.array(ps)

    # greedy, most crowded S first, then two sweeps that re-place each R among the rest
    order = sorted(s_idx, key=lambda i: np.linalg.norm(pos[i] - centre))

    def sweeps(n):
        for sweep in range(n):
            for i in order:
                syms, ps = others(i)
                # rounded: exact ties (symmetric sites) must not be split by rounding noise
                best = min(options[i], key=lambda o: round(
                    _clash(o[0], o[1], syms, ps) - 0.01 * o[2], 6))
                placed[i] = best[:2]

    sweeps(3)
    # an S whose R cannot keep its pattern's side without a hard clash takes either side
    given_up = [i for i in order if sides.get(i) and _hard(*placed[i], *others(i))]
    for i in given_up:
        options[i] = [o[:3] for o in free[i]]
    if given_up:
        sweeps(2)
    all_sym, all_pos, all_roles = list(sym), [p for p in pos], list(roles)
    index = np.full(len(sym), -1)
    index[s_idx] = np.arange(len(s_idx))
    index = list(index)
    for k, i in enumerate(s_idx):
        rs, rp = placed[i]
        all_sym += rs
        all_pos += list(rp)
        all_roles += ["ligand"] * len(rs)
        index += [k] * len(rs)
    atoms = Atoms(all_sym, positions=np.array(all_pos))
    atoms.info.update(framework.info)
    if given_up:
        atoms.info["sulfur_given_up"] = len(given_up)
    set_roles(atoms, all_roles)
    atoms.set_array("ligand_index", np.array(index, dtype=int))
    return atoms
