"""Put ligands on any metal-donor framework, or exchange the ligands a structure has.

The framework (metal atoms and donor atoms bound to them: thiolate S, phosphine P, halide,
alkynyl C alpha) does not move; only R groups are added.  The one exception, in
:func:`place` on the rule-built frameworks of ``build`` (never in :func:`ligate`), is a
last resort for a bulky thiolate that fits no other way: the staple atoms near the clash
relax with every bond kept (:mod:`clustergen.generation.framework_room`) and the result
says by how much in ``info["framework_room"]`` (A).  For ligand exchange the existing
R groups on donors of the new ligand's class are stripped first, so a structure built
with SCH3 and re-ligated with TBBT keeps its Au-S framework to the last digit.

>>> import clustergen
>>> a = clustergen.build("[Au25(SR)18]-", ligand="SH", isomers=1)[0]
>>> b = ligate(a, "PET")
>>> b.info["formula"], int(b.arrays["ligand_index"].max()) + 1
('[Au25(PET)18]-', 18)
"""

import numpy as np
import networkx as nx
from ase import Atoms
from ase.data import covalent_radii
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import Formula, ligand_info
from clustergen.core.model import METAL_ROLES, set_roles
from clustergen.generation import ligand_fit
from clustergen.generation.framework_room import ANGLE_LIMITS_MU3, make_room
from clustergen.generation.ligand_chem import resolve
from clustergen.generation.sulfur import assign

KIND_OF_DONOR = {"S": "thiolate", "P": "phosphine", "Cl": "halide", "Br": "halide",
                 "I": "halide", "C": "alkynyl"}
DONOR_ROLE = {"thiolate": "S", "phosphine": "P", "halide": "halide", "alkynyl": "ligand"}
METAL_DONOR = 1.15    # donor-metal bond: up to 1.15 x sum of covalent radii (analyser rule)
COVALENT = 1.20       # bonds inside a ligand
EFFORTS = (1, 2)      # search effort of ligand_fit.choose, raised while atoms clash
ROOM_STEPS = 4        # tries of the staple relaxation (framework_room) for a bulky R ...
ROOM_STEP = 0.15      # ... each asking this much more room (A) around every R;
ROOM_MAX_PAIRS = 60   # not tried on a shell crowded all over (the shells it rescued had
                      # 3-56 close pairs before it, the S-Adm Au44/Au52 double helices 95-150)


def _metal_mask(atoms):
    from clustergen.analysis.analyse import metal_symbols
    return np.isin(atoms.get_chemical_symbols(), metal_symbols())


def donor_sites(atoms, is_metal):
    """``{donor index: indices of its metal neighbours}`` for every non-H non-metal atom
    bonded to a metal."""
    pos, radii = atoms.positions, covalent_radii[atoms.numbers]
    metals = np.flatnonzero(is_metal)
    tree = cKDTree(pos[metals])
    out = {}
    for i in np.flatnonzero(~is_metal & (atoms.numbers > 1)):
        near = metals[tree.query_ball_point(pos[i], 3.2)]
        d = np.linalg.norm(pos[near] - pos[i], axis=1)
        bonded = near[d < METAL_DONOR * (radii[near] + radii[i])]
        if len(bonded):
            out[int(i)] = np.sort(bonded)
    return out


def ligand_units(atoms, is_metal):
    """Component label of every non-metal atom (covalent bonds only); metals get -1."""
    idx = np.flatnonzero(~is_metal)
    pos, radii = atoms.positions[idx], covalent_radii[atoms.numbers[idx]]
    pairs = cKDTree(pos).query_pairs(2 * COVALENT * radii.max(), output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        d = np.linalg.norm(pos[i] - pos[j], axis=1)
        ok = d < COVALENT * (radii[i] + radii[j])
        i, j = i[ok], j[ok]
    else:
        i = j = np.zeros(0, int)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(idx), len(idx)))
    labels = np.full(len(atoms), -1)
    labels[idx] = connected_components(graph, directed=False)[1]
    return labels


def _kind(symbol):
    return KIND_OF_DONOR.get(symbol)


def strip(atoms, kinds):
    """Copy of ``atoms`` without the R atoms of ligands whose donors are of ``kinds``.

    Returns (stripped atoms, index map old -> new or -1, units of the stripped atoms).

    >>> from ase import Atoms
    >>> a = Atoms("AuSCH", positions=[[0, 0, 0], [2.3, 0, 0], [2.8, 1.7, 0], [3.8, 1.7, 0]])
    >>> strip(a, {"thiolate"})[0].get_chemical_symbols()
    ['Au', 'S']
    """
    is_metal = _metal_mask(atoms)
    sites = donor_sites(atoms, is_metal)
    units = ligand_units(atoms, is_metal)
    sym = atoms.get_chemical_symbols()
    drop = np.zeros(len(atoms), bool)
    for unit in np.unique(units[units >= 0]):
        members = np.flatnonzero(units == unit)
        donors = [m for m in members if m in sites]
        if donors and any(_kind(sym[d]) in kinds for d in donors):
            drop[[m for m in members if m not in sites]] = True
    keep = np.flatnonzero(~drop)
    new_index = np.full(len(atoms), -1)
    new_index[keep] = np.arange(len(keep))
    out = atoms[keep]
    return out, new_index, units[keep]


def _sites(framework, lig, sites, units):
    """Donor sites of the framework that take ``lig``: one per donor, or P pairs."""
    sym = framework.get_chemical_symbols()
    pos = framework.positions
    mine = [d for d in sorted(sites) if _kind(sym[d]) == lig.kind]
    if lig.kind == "alkynyl":   # C alpha: a C bonded to metal with no other heavy partner
        mine = [d for d in mine if sym[d] == "C"]
    if not mine:
        raise ClusterGenError(f"the framework has no {lig.kind} donor sites "
                              f"({DONOR_ROLE[lig.kind]} atoms bonded to metal) for {lig.name}")
    out = [{"donors": [d], "pos": pos[[d]], "metals": [pos[sites[d]]]} for d in mine]
    if len(lig.donors) == 2:
        out = _pairs(lig, mine, pos, sites, units)
    return out


def _pairs(lig, donors, pos, sites, units):
    """Pair P sites for a bidentate ligand within the bite range of its conformers."""
    p = lig.conformers[:, list(lig.donors)]
    bite = np.linalg.norm(p[:, 0] - p[:, 1], axis=1)
    lo, hi = bite.min() - 0.3, bite.max() + 0.3
    graph = nx.Graph()
    graph.add_nodes_from(donors)
    for a_i, a in enumerate(donors):
        for b in donors[a_i + 1:]:
            d = np.linalg.norm(pos[a] - pos[b])
            if lo <= d <= hi:
                same = units[a] == units[b] and units[a] >= 0
                graph.add_edge(a, b, weight=10.0 * same + 5.0 - abs(d - np.median(bite)))
    match = nx.max_weight_matching(graph, maxcardinality=True)
    paired = {x for e in match for x in e}
    lonely = [d for d in donors if d not in paired]
    if lonely:
        raise ClusterGenError(
            f"{lig.name} needs two P sites {lo:.1f}-{hi:.1f} A apart (its bite); P atom(s) "
            f"{lonely} of the framework have no partner at that distance")
    return [{"donors": sorted(e), "pos": pos[sorted(e)],
             "metals": [pos[sites[x]] for x in sorted(e)]} for e in sorted(match, key=min)]


def _halide_swap(framework, lig, sites):
    """Exchange a halide: the element changes and a terminal M-X bond takes its length."""
    sym = framework.get_chemical_symbols()
    for d, metals in sites.items():
        if _kind(sym[d]) != "halide" or sym[d] == lig.symbols[0]:
            continue        # the same halide keeps its bond
        framework[d].symbol = lig.symbols[0]
        if len(metals) == 1 and lig.bond:
            m = framework.positions[metals[0]]
            v = framework.positions[d] - m
            framework.positions[d] = m + lig.bond * v / np.linalg.norm(v)


def place(framework, ligands, roles=None, sulfur=None, sides=None, room=True, order=None):
    """Add R groups for each ligand (one per donor class) on a framework with no R on
    those donors; returns new Atoms with ``role`` and ``ligand_index`` arrays.

    R atoms are appended after the framework atoms, site by site in donor order.  A
    thiolate S takes its R on the side the S-configuration pattern ``sulfur`` gives it
    (:func:`clustergen.generation.sulfur.assign`; None = each staple type's default),
    or the side in ``sides`` (``{S: (a, b, configuration)}``) if given.  ``room``: a bulky
    thiolate that fits no other way may relax the staples
    (:mod:`clustergen.generation.framework_room`; for the rule-built frameworks of
    ``build``; :func:`ligate` keeps a given framework to the last digit).  ``order``:
    donor classes in the order they are placed (default :data:`FREEDOM`, least free first).
    """
    is_metal = _metal_mask(framework)
    sites = donor_sites(framework, is_metal)
    units = ligand_units(framework, is_metal)
    framework = framework.copy()
    owner = np.full(len(framework), -1)
    centre = framework.positions[is_metal].mean(axis=0)
    placed_sites = []
    if sides is None and any(lig.kind == "thiolate" for lig in ligands):
        sides = assign(framework, sulfur)
    for lig in ligands:
        if lig.kind == "halide":
            _halide_swap(framework, lig, sites)
        placed_sites += [(lig, s) for s in _sites(framework, lig, sites, units)]
    for lig, s in placed_sites:
        if lig.kind == "thiolate" and (sides or {}).get(s["donors"][0]):
            a, b, sign = sides[s["donors"][0]]
            s["side"] = (framework.positions[a], framework.positions[b], sign)
    placed_sites.sort(key=lambda ls: min(ls[1]["donors"]))
    counter = 0
    for lig, s in placed_sites:
        owner[s["donors"]] = counter
        counter += 1
    # ligands already there (classes not exchanged) keep their atoms: one index per unit
    for unit in np.unique(units[units >= 0]):
        members = np.flatnonzero((units == unit) & (owner < 0))
        if len(members) and any(m in sites for m in members):
            owner[members] = counter
            counter += 1
    role = _roles(framework, roles, is_metal, sites)
    has_sides = any("side" in s for _, s in placed_sites)
    for effort in EFFORTS:
        # the last attempt adds the rigid-body relaxation of what still clashes
        last = effort == EFFORTS[-1] and not has_sides
        atoms = _assemble(framework, ligands, placed_sites, owner, centre, role, effort, last,
                          order)
        bad = _clashes(atoms, len(framework))
        if not bad:
            return atoms
    if has_sides:
        # a bulky R that cannot take the pattern's sides without clashes: steric choice
        for _, s in placed_sites:
            s.pop("side", None)
        atoms = _assemble(framework, ligands, placed_sites, owner, centre, role, EFFORTS[-1],
                          True, order)
        bad = _clashes(atoms, len(framework))
        if not bad:
            atoms.info["sulfur"] = "free"
            return atoms
    roomy, still = (None, None) if not room or len(bad) > ROOM_MAX_PAIRS else _with_room(
        framework, ligands, placed_sites, owner, centre, role, _hot(atoms, len(framework), bad),
        order)
    if roomy is not None and not still:
        if has_sides:
            roomy.info["sulfur"] = "free"
        return roomy
    if roomy is not None:       # name the clash left with the staples relaxed
        atoms, bad = roomy, still
    raise _clash_error(atoms, len(framework), bad)


def _hot(atoms, n_framework, bad):
    """Framework atoms at the clashes ``bad``: those hit, and the donors of the R hitting."""
    index = atoms.arrays["ligand_index"]
    out = set()
    for i, j, _, _ in bad:
        for k in (i, j):
            out |= ({k} if k < n_framework else
                    set(np.flatnonzero(index[:n_framework] == index[k]).tolist()))
    return out


def _with_room(framework, ligands, placed_sites, owner, centre, role, hot, order=None):
    """Last resort for a bulky thiolate: the staples relax around a row of beads per R
    (:mod:`clustergen.generation.framework_room`; every bond kept), then the placement
    runs again, steric side choice (a mu3-S with the wider window ANGLE_LIMITS_MU3).
    Returns (atoms, clashes), (None, None) when the staples did not move."""
    thiolates = [lig for lig in ligands if lig.kind == "thiolate" and len(lig.donors) == 1]
    if not thiolates:
        return None, None
    lig = thiolates[0]
    sites = donor_sites(framework, _metal_mask(framework))
    donors = [s["donors"][0] for l2, s in placed_sites if l2 is lig]
    atoms = still = None
    for step in range(ROOM_STEPS):
        # each try: the atoms the last one still clashed at join, every bead asks more room
        room = make_room(framework, sites, donors, lig, hot, extra=ROOM_STEP * step)
        if room is None:
            break
        new, axes = room
        moved = framework.copy()
        moved.positions = new
        again = []
        for l2, s in placed_sites:
            s = {"donors": s["donors"], "pos": new[s["donors"]],
                 "metals": [new[sites[d]] for d in s["donors"]]}
            if l2 is lig:       # R near where the relaxation left room for it
                s["near"] = axes[s["donors"][0]]
                if len(sites[s["donors"][0]]) > 2:
                    s["limits"] = ANGLE_LIMITS_MU3
            again.append((l2, s))
        atoms = _assemble(moved, ligands, again, owner, centre, role, EFFORTS[-1], True, order)
        atoms.info["framework_room"] = round(float(np.linalg.norm(
            new - framework.positions, axis=1).max()), 2)
        still = _clashes(atoms, len(framework))
        if not still:
            break
        hot = hot | _hot(atoms, len(framework), still)
    return atoms, still


# least freedom first: a phosphine's R keeps within 8 deg of its Au-P axis, an alkynyl's
# 20 deg, a thiolate's sweeps the M-S-C window; each class is placed among those before it
FREEDOM = {"phosphine": 0, "alkynyl": 1, "thiolate": 2}
CLASS_ROUNDS = 4      # joint rigid turns of all classes, while each leaves fewer clashes


def _assemble(framework, ligands, placed_sites, owner, centre, role, effort, relax=False,
              order=None):
    env_pos, env_h = framework.positions, framework.numbers == 1
    placed = []         # (ligand, site, R coordinates) per R group
    rank = {kind: i for i, kind in enumerate(order or FREEDOM)}
    for lig in sorted(ligands, key=lambda lig: rank.get(lig.kind, len(rank))):
        mine = [s for l2, s in placed_sites if l2 is lig]
        if lig.kind == "halide" or not mine:
            continue
        frames = ligand_fit.local_frames(lig)
        chosen = ligand_fit.choose(mine, lig, frames, env_pos, env_h, centre, effort, relax)
        placed += [(lig, s, xyz) for s, xyz in zip(mine, chosen)]
        is_h = np.array(lig.symbols[len(lig.donors):]) == "H"
        env_pos = np.vstack([env_pos] + list(chosen))
        env_h = np.concatenate([env_h] + [is_h] * len(chosen))
    if relax and len({id(lig) for lig, _, _ in placed}) > 1:
        placed = _relax_classes(framework, placed)
    given = {id(lig): i for i, lig in enumerate(ligands)}   # R atoms in the ligands' order
    placed.sort(key=lambda p: given[id(p[0])])
    new_sym = [a for lig, _, _ in placed for a in lig.symbols[len(lig.donors):]]
    atoms = Atoms(framework.get_chemical_symbols() + new_sym, positions=np.vstack(
        [framework.positions] + [xyz for _, _, xyz in placed]))
    atoms.info.update(framework.info)
    set_roles(atoms, list(role) + ["ligand"] * len(new_sym))
    atoms.set_array("ligand_index", np.concatenate([owner] + [
        np.full(len(xyz), owner[s["donors"][0]]) for _, s, xyz in placed]).astype(int))
    return atoms


def _relax_classes(framework, placed):
    """Rigid turns of the one-donor R groups of every class together
    (:func:`ligand_relax.relax_across`): a PPh3 placed before the thiolates cannot make
    way for them otherwise.  Diphosphines stay where they are."""
    from clustergen.generation.ligand_relax import axis_atoms, relax_across
    turn = [k for k, (lig, _, _) in enumerate(placed) if axis_atoms(lig) is not None]
    rest = [xyz for k, (_, _, xyz) in enumerate(placed) if k not in set(turn)]
    fixed_h = np.concatenate([framework.numbers == 1] + [
        np.array(lig.symbols[len(lig.donors):]) == "H"
        for k, (lig, _, _) in enumerate(placed) if k not in set(turn)])
    groups = [{"kind": placed[k][0].kind, "site": placed[k][1], "coords": placed[k][2],
               "is_h": np.array(placed[k][0].symbols[len(placed[k][0].donors):]) == "H",
               "axis": axis_atoms(placed[k][0])} for k in turn]
    fixed = np.vstack([framework.positions] + rest)
    new = [g["coords"] for g in groups]
    for _ in range(CLASS_ROUNDS):    # again while a run leaves fewer clashes
        turned = relax_across(groups, fixed, fixed_h)
        if all(a is b for a, b in zip(turned, new)):
            break
        new = turned
        for g, xyz in zip(groups, new):
            g["coords"] = xyz
    out = list(placed)
    for k, xyz in zip(turn, new):
        out[k] = (placed[k][0], placed[k][1], xyz)
    return out


def _roles(framework, roles, is_metal, sites):
    """Metals keep a given kernel/staple role; donors get S / P / halide; the rest ligand."""
    sym = framework.get_chemical_symbols()
    if roles is None:
        roles = framework.arrays.get("role")
    out = []
    for i, s in enumerate(sym):
        given = None if roles is None else str(roles[i])
        if is_metal[i]:
            out.append(given if given in METAL_ROLES else "kernel")
        elif i in sites and _kind(s) in DONOR_ROLE and s != "C":
            out.append(DONOR_ROLE[_kind(s)])
        else:
            out.append("ligand")
    return out


def _clashes(atoms, n_framework):
    owner = atoms.arrays["ligand_index"].copy()
    donor_of = np.full(len(atoms), -1)
    donor_of[:n_framework] = owner[:n_framework]
    owner[:n_framework] = -1
    return ligand_fit.clashes(atoms.positions, atoms.numbers == 1, owner, donor_of)


class CrowdedShell(ClusterGenError):
    """No clash-free placement of this ligand on this framework (another framework of
    the same formula may still take it)."""


def _clash_error(atoms, n_framework, bad):
    """CrowdedShell naming the ligand, its donor and the atoms too close."""
    i, j, d, limit = bad[0]
    if i < n_framework:
        i, j = j, i
    sym = atoms.get_chemical_symbols()
    index = atoms.arrays["ligand_index"]
    donor = int(np.flatnonzero(index[:n_framework] == index[i])[0])
    other = "the framework" if j < n_framework else f"ligand {index[j]}"
    return CrowdedShell(
        f"ligand {index[i]} on donor atom {sym[donor]}{donor} clashes with {other}: "
        f"{sym[i]}{i}...{sym[j]}{j} {d:.2f} A < {limit} A ({len(bad)} close pair(s)); "
        "the shell is too crowded for this ligand")


def _formula(atoms, ligands, charge):
    from clustergen.analysis.analyse import analyse
    result = analyse(atoms, charge=charge)
    counts = dict(result.formula.ligands)
    for lig in ligands:
        renamed = {}
        for key, n in counts.items():
            if ligand_info(key)[1]["class"] == lig.kind and lig.kind != "halide":
                key = lig.formula_name
            renamed[key] = renamed.get(key, 0) + n
        counts = renamed
    return Formula(dict(result.formula.metals), counts, result.formula.charge), result


def ligate(atoms, ligand, charge=None, sulfur=None):
    """Ligands on a framework, or ligand exchange: ``ligand`` is a library name, a SMILES,
    or a list of them (one per donor class: thiolate, phosphine, halide, alkynyl).

    ``sulfur``: the S-configuration pattern of the new thiolates (the side of each
    M-S-M plane R takes, :mod:`clustergen.generation.sulfur`); None = the steric
    choice at every S, as for any framework whose staples carry no pattern.

    Works on any structure :func:`clustergen.analysis.analyse` reads: bare Au-S frameworks
    and fully ligated clusters alike.  ``charge`` defaults to ``atoms.info["charge"]``
    (else the formula's, else 0).
    """
    specs = [ligand] if isinstance(ligand, str) else list(ligand)
    if not specs:
        raise ClusterGenError("no ligand given")
    ligs = [resolve(s) for s in specs]
    kinds = [lig.kind for lig in ligs]
    if len(set(kinds)) != len(kinds):
        raise ClusterGenError(f"two ligands of one class given ({', '.join(specs)}); "
                              "give one per donor class")
    from clustergen.analysis.analyse import analyse, assign_roles
    if charge is None:
        charge = analyse(atoms).formula.charge
    work = atoms.copy()
    if "role" not in work.arrays:
        assign_roles(work, charge)
    framework, _, _ = strip(work, set(kinds))
    out = place(framework, ligs, sulfur=sulfur or "free", room=False)
    formula, result = _formula(out, ligs, charge)
    electrons = int(out.numbers.sum()) - formula.charge
    out.info.update(formula=str(formula), charge=formula.charge, nstar=formula.nstar,
                    multiplicity=1 if electrons % 2 == 0 else 2,
                    motifs=atoms.info.get("motifs", result.inventory_string),
                    ligand="+".join(lig.name for lig in ligs))
    out.info.setdefault("host", str(list(formula.metals)[-1]))
    return out
