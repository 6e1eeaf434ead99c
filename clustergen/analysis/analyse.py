"""Split a thiolate-protected cluster into kernel, staple motifs and ligands ("divide and protect").

The analyser reads only the geometry: no roles, templates or formula are needed, so it works on
crystal structures, relaxed candidates and bare metal+S frameworks alike.  One exception: a
``ligand_index`` array, when present, joins metal-bound pieces of one ligand that share no
bond, i.e. the two PH3 that model one dppe in a built [Au13(dppe)5Cl2]3+ (two P in one
ligand count as a bidentate dppe, one P as a monodentate PPh3).

1. Bonds from covalent radii: metal-metal up to 1.22 x (r_i + r_j) (Au-Au 3.32 A), metal-donor up
   to 1.15 x (Au-S 2.77 A), other pairs 1.2 x.  Pairs closer than 0.7 x are overlapping atoms.
2. Staple metals are linear M(I): two S (or alkynyl C alpha, :func:`~clustergen.analysis.motifs.alkynyl_alpha`) at an
   S-M-S angle above 150 deg and at most five metal
   contacts (aurophilic contacts to the kernel do not count against them).  A kernel Au holding two
   bridging SR at ~90-110 deg stays kernel.
3. The remaining metals form the kernel by connectivity; a lone metal that only touches S is a
   (bent) staple metal too.
4. Staple metals and their S form chains (n M, n+1 SR: monomer, dimer, ...) or rings (n M, n SR);
   S on kernel metals only is bridging (two or more) or terminal (one).

Two conventions, because the literature uses two.  In published Au28(TBBT)20, Au36, Au44, Au52
and [Au23(SR)16]- structures the Au atoms counted as kernel under "bridging SR" hold their two S
at 165-175 deg, with aurophilic contacts no different from the staple Au of Au102 or Au38: no
local rule can give both inventories.  ``convention="staple"`` (divide and protect) calls every
linear Au(I) a staple atom.  ``convention="bridging"`` then moves back into the kernel every
linear metal with at least four kernel contacts within 1.33 x the kernel's nearest-neighbour
distance (it sits on a lattice site of the kernel), repeated until nothing changes.  The default
(None) picks "bridging" when ``atoms.info["family"]`` names a template family whose motif rule
has bridging SR, else "staple".

>>> from ase import Atoms
>>> complex_ = Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]])
>>> a = analyse(complex_, charge=-1)
>>> a.inventory, a.nstar, str(a.formula)
({'monomer': 1}, 0, '[Au(SR)2]-')
"""

from dataclasses import dataclass, field

import numpy as np
from ase.data import covalent_radii

from clustergen.analysis.motifs import (
    alkynyl_alpha,
    family_convention,
    find_motifs,
    masked_components,
    motif_sort_key,
    neighbour_lists,
    promote_lattice_sites,
    split_metals,
    staple_angles,
)
from clustergen.core import model, validate
from clustergen.core.bonds import bonded_pairs, rule
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import Formula, chemistry, parse

# Bond cut-offs: rules "motifs" and "overlap" of templates/chemistry.yaml (core.bonds);
# angle and contact thresholds of steps 2-3: clustergen.analysis.motifs.
CONVENTIONS = ("staple", "bridging", "roles")

NONMETALS = frozenset("H He B C N O F Ne Si P S Cl Ar As Se Br Kr Te I Xe".split())
HALIDES = frozenset(("Cl", "Br", "I"))


@dataclass
class Analysis:
    """Kernel / staple / ligand split of one structure (indices refer to the input atoms).

    ``motifs`` holds one dict per motif: ``type`` (bridging, terminal, monomer, dimer, ...,
    ``octamer-ring``, or ``network`` for branched staples), ``metal`` and ``sulfur`` (indices,
    chains in bond order; in alkynyl staples ``sulfur`` holds the C alpha, the donors in
    S's place), ``anchors`` (kernel metals bonded to its donors) and ``ring``.
    ``fragments`` lists pieces not bonded to the main cluster; metal-free ones (solvent,
    counter-ions, free thiols) are left out of the formula.
    """

    kernel: np.ndarray
    staple: np.ndarray
    sulfur: np.ndarray
    ligand: np.ndarray
    roles: np.ndarray
    motifs: list
    inventory: dict
    inventory_string: str
    nstar: int
    formula: Formula
    kernel_formula: str = ""
    convention: str = "staple"
    fragments: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def summary(self):
        """Plain dict (JSON-ready) of the analysis.

        >>> from ase import Atoms
        >>> s = analyse(Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]]),
        ...             charge=-1).summary()
        >>> s["formula"], s["nstar"], s["inventory"], s["motifs"][0]["metal"]
        ('[Au(SR)2]-', 0, {'monomer': 1}, [1])
        """
        return {
            "formula": str(self.formula),
            "charge": self.formula.charge,
            "nstar": self.nstar,
            "kernel_size": len(self.kernel),
            "kernel_formula": self.kernel_formula,
            "convention": self.convention,
            "kernel": self.kernel.tolist(),
            "staple": self.staple.tolist(),
            "inventory": dict(self.inventory),
            "motifs_string": self.inventory_string,
            "motifs": self.motifs,
            "fragments": [f.tolist() for f in self.fragments],
            "warnings": list(self.warnings),
        }


def metal_symbols():
    """Metals the electron counting knows (``templates/chemistry.yaml``).

    >>> "Au" in metal_symbols() and "Pt" in metal_symbols()
    True
    """
    return tuple(chemistry()["metals"])


def _metal_text(counts):
    return "".join(m + (str(n) if n > 1 else "") for m, n in counts.items())


def _check_elements(symbols):
    metals = set(metal_symbols())
    odd = sorted(set(symbols) - metals - NONMETALS)
    if odd:
        raise ClusterGenError(
            f"element(s) {', '.join(odd)} are neither supported metals "
            f"({', '.join(metal_symbols())}) nor ligand atoms")
    is_metal = np.isin(symbols, list(metals))
    if not is_metal.any():
        raise ClusterGenError("structure has no metal atoms "
                              f"(supported metals: {', '.join(metal_symbols())})")
    return is_metal


def _bonds(atoms, is_metal):
    """Bonded pairs (i < j) and their vectors: rule ``motifs`` of
    :mod:`clustergen.core.bonds`; overlapping atoms (rule ``overlap``) are an error."""
    i, j, d, _ = bonded_pairs(atoms, "overlap")
    if len(i):
        ratio = d / (covalent_radii[atoms.numbers[i]] + covalent_radii[atoms.numbers[j]])
        k = np.argmin(ratio)
        s = atoms.get_chemical_symbols()
        raise ClusterGenError(
            f"overlapping atoms: {s[i[k]]}{i[k]} and {s[j[k]]}{j[k]} are {d[k]:.2f} A apart "
            f"({len(i)} pair(s) closer than {rule('overlap')['pairs']['any-any']} x sum of "
            "covalent radii)")
    i, j, _, vec = bonded_pairs(atoms, "motifs")
    return i, j, vec


def _touches(n, i, j, mask):
    """Atoms bonded to at least one atom in ``mask``."""
    hit = np.zeros(n, bool)
    hit[i[mask[j]]] = True
    hit[j[mask[i]]] = True
    return hit




def format_inventory(inventory):
    """Inventory string, smallest motif first (``model.format_motifs`` plus ring/terminal types).

    >>> format_inventory({"trimer": 2, "octamer-ring": 1, "dimer": 1})
    'dimer:1,trimer:2,octamer-ring:1'
    """
    try:
        return model.format_motifs(inventory)
    except (ValueError, KeyError):
        items = sorted((motif_sort_key(k), k, v) for k, v in inventory.items() if v)
        return ",".join(f"{k}:{v}" for _, k, v in items)


def _join_split_ligands(labels, owner, donor):
    """Give metal-bound pieces (units with a donor) that share a ligand index one label:
    a bidentate ligand modelled without its backbone.  Unbound pieces stay apart (a
    broken ligand is still reported).

    >>> labels = np.array([0, 0, 1, 1, 2])          # P-H, P-H, H
    >>> owner = np.array([4, 4, 4, 4, 4])
    >>> donor = np.array([True, False, True, False, False])
    >>> _join_split_ligands(labels, owner, donor).tolist()
    [0, 0, 0, 0, 2]
    """
    labels = labels.copy()
    bound = np.unique(labels[donor])
    for k in np.unique(owner[owner >= 0]):
        units = np.intersect1d(np.unique(labels[owner == k]), bound)
        if len(units) > 1:
            labels[np.isin(labels, units)] = units[0]
    return labels


def _ligands(symbols, i, j, is_metal, warnings, owner=None):
    """Roles of non-metal atoms and ligand counts for the formula (metal-free pieces: none).
    ``owner``: the optional ``ligand_index`` array (which ligand each atom belongs to)."""
    n = len(symbols)
    nonmetal = ~is_metal
    labels = masked_components(n, i, j, nonmetal)
    donor = nonmetal & _touches(n, i, j, is_metal)
    if owner is not None and len(owner) == n:
        labels = _join_split_ligands(labels, np.where(nonmetal, owner, -1), donor)
    roles = np.where(is_metal, "kernel", "ligand").astype("U8")
    counts = {}
    order = np.argsort(labels, kind="stable")
    cuts = np.searchsorted(labels[order], np.arange(labels.max() + 2))
    for unit in np.unique(labels[nonmetal]):
        members = order[cuts[unit]:cuts[unit + 1]]
        donors = members[donor[members]]
        dsym = symbols[donors]
        if not len(donors):
            continue  # solvent, counter-ion, free thiol: reported as a fragment
        if (dsym == "S").any():
            name, k = "SR", int((dsym == "S").sum())
            roles[donors[dsym == "S"]] = "S"
        elif (dsym == "P").any():
            k = int((dsym == "P").sum())
            name, k = ("dppe", 1) if k == 2 else ("PPh3", k)
            roles[donors[dsym == "P"]] = "P"
        elif len(members) == 1 and dsym[0] in HALIDES:
            name, k = str(dsym[0]), 1
            roles[donors] = "halide"
        elif (dsym == "C").any():
            name, k = "C2R", 1
        else:
            warnings.append(f"ligand on atom(s) {donors.tolist()} ({', '.join(sorted(set(dsym)))}"
                            " donor) is not counted in N*")
            continue
        counts[name] = counts.get(name, 0) + k
    # written as in the literature: [Au25(PPh3)10(SR)5Cl2]2+
    order = ("PPh3", "dppe", "SR", "C2R", "Cl", "Br", "I")
    counts = {name: counts[name] for name in order if name in counts}
    return roles, counts


def _info_charge(info):
    """Charge from ``info["charge"]``, else from a formula such as ``[Au25(SR)18]-``, else 0."""
    if "charge" in info:
        return int(info["charge"])
    try:
        return parse(str(info["formula"])).charge
    except (KeyError, ClusterGenError):
        return 0


def _composition(symbols):
    el, c = np.unique(symbols, return_counts=True)
    return "".join(e + (str(k) if k > 1 else "") for e, k in zip(el, c))


def _metal_order(counts, host):
    """Metals as a dict with dopants first and the host last (PtAu24)."""
    if host not in counts:
        host = max(counts, key=lambda m: (counts[m], m == "Au"))
    out = {m: int(c) for m, c in sorted(counts.items()) if m != host}
    if host in counts:
        out[host] = int(counts[host])
    return out


def _apply_convention(atoms, convention, staple, kernel, is_metal):
    """(convention, staple, kernel) after the kernel/staple convention (module docstring)."""
    if convention is None:
        convention = family_convention(atoms)
    if convention not in CONVENTIONS:
        raise ClusterGenError(f"unknown convention '{convention}' (known: "
                              f"{', '.join(CONVENTIONS)})")
    if convention == "bridging":
        # plain Cartesian distances: a cluster in a periodic cell must not cross its faces
        staple, kernel, _ = promote_lattice_sites(atoms.get_positions(), staple, kernel)
    elif convention == "roles":
        # keep the kernel/staple split the structure carries (e.g. from before a
        # relaxation) and recompute only the motifs from the current bonds
        if "role" not in atoms.arrays:
            raise ClusterGenError("convention 'roles' needs a structure with a role array")
        given = np.asarray(atoms.arrays["role"])
        staple, kernel = is_metal & (given == "staple"), is_metal & (given == "kernel")
    return convention, staple, kernel


def _fragments(symbols, i, j, is_metal, warnings):
    """Pieces not bonded to the main (largest metal-containing) cluster, with a warning each."""
    labels = masked_components(len(symbols), i, j)
    metal_pieces = np.unique(labels[is_metal])
    sizes = np.bincount(labels)
    main = metal_pieces[np.argmax(sizes[metal_pieces])]
    fragments = []
    for p in np.unique(labels):
        if p == main:
            continue
        f = np.flatnonzero(labels == p)
        fragments.append(f)
        tail = "" if p in metal_pieces else "; left out of the formula"
        warnings.append(f"fragment {_composition(symbols[f])} (atoms {f[:6].tolist()}"
                        f"{'...' if len(f) > 6 else ''}) is not bonded to the main cluster{tail}")
    return fragments


def analyse(atoms, charge=None, convention=None):
    """Kernel / motif / ligand analysis of a metal-thiolate cluster.

    ``charge`` defaults to ``atoms.info["charge"]``, else the charge of ``info["formula"]``,
    else 0.  ``convention`` is "staple", "bridging" or None (from ``atoms.info["family"]``;
    see the module docstring).  Raises ClusterGenError for overlapping atoms, unsupported
    elements or a structure without metal atoms.

    >>> from ase import Atoms
    >>> a = analyse(Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]]))
    >>> a.inventory_string, a.staple.tolist(), a.roles.tolist(), a.nstar
    ('monomer:1', [1], ['S', 'staple', 'S'], -1)
    """
    if len(atoms) == 0:
        raise ClusterGenError("structure has no atoms")
    validate.check_atoms(atoms, info=False)  # finite coordinates, real elements
    if charge is not None:
        charge = validate.check_charge(charge, int(atoms.numbers.sum()))
    symbols = np.array(atoms.get_chemical_symbols())
    is_metal = _check_elements(symbols)
    n = len(atoms)
    i, j, vec = _bonds(atoms, is_metal)
    adj, vecs = neighbour_lists(n, i, j, vec)
    warnings = []

    roles, counts = _ligands(symbols, i, j, is_metal, warnings,
                             atoms.arrays.get("ligand_index"))
    # staple donors: thiolate S and alkynyl C alpha (-C≡C-Au-C≡C- staples)
    is_sulfur = (roles == "S") | alkynyl_alpha(symbols, adj, is_metal)
    staple, kernel = split_metals(i, j, adj, vecs, is_metal, is_sulfur, warnings,
                                  staple_angles(symbols))
    convention, staple, kernel = _apply_convention(atoms, convention, staple, kernel,
                                                   is_metal)
    roles[staple] = "staple"
    roles[kernel] = "kernel"
    motifs = find_motifs(i, j, adj, staple, kernel, is_sulfur)
    inventory = {}
    for m in motifs:
        inventory[m["type"]] = inventory.get(m["type"], 0) + 1

    fragments = _fragments(symbols, i, j, is_metal, warnings)

    if charge is None:
        charge = _info_charge(atoms.info)
    host = atoms.info.get("host")
    metals = _metal_order(dict(zip(*np.unique(symbols[is_metal], return_counts=True))), host)
    kmetals = _metal_order(dict(zip(*np.unique(symbols[kernel], return_counts=True))),
                           list(metals)[-1]) if kernel.any() else {}
    formula = Formula(metals, counts, int(charge))
    return Analysis(
        kernel=np.flatnonzero(kernel), staple=np.flatnonzero(staple),
        sulfur=np.flatnonzero(roles == "S"), ligand=np.flatnonzero(roles == "ligand"),
        roles=roles, motifs=motifs, inventory=inventory,
        inventory_string=format_inventory(inventory), nstar=formula.nstar, formula=formula,
        kernel_formula=_metal_text(kmetals), convention=convention, fragments=fragments,
        warnings=warnings)


def assign_roles(atoms, charge=None, convention=None):
    """Set ``atoms.arrays["role"]`` (and info motifs, nstar, formula, charge, multiplicity)
    from :func:`analyse`; returns the same atoms.

    >>> from ase import Atoms
    >>> a = assign_roles(Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]]))
    >>> a.arrays["role"].tolist(), a.info["motifs"]
    (['S', 'staple', 'S'], 'monomer:1')
    """
    result = analyse(atoms, charge, convention)
    model.set_roles(atoms, result.roles)
    atoms.info.update(formula=str(result.formula), charge=result.formula.charge,
                      multiplicity=result.formula.multiplicity, nstar=result.nstar,
                      motifs=result.inventory_string)
    atoms.info.setdefault("host", list(result.formula.metals)[-1])
    return atoms


# ---------------------------------------------------------------------------------- CLI


def report(result, title=""):
    """Human-readable text of an :class:`Analysis` (what ``clustergen analyse`` prints).

    >>> from ase import Atoms
    >>> print(report(analyse(Atoms("SAuS", positions=[[-2.3, 0, 0], [0, 0, 0], [2.3, 0, 0]]),
    ...                      charge=-1)))
    formula   [Au(SR)2]-   N* = 0   (charge -1)
    kernel    - (0 atoms)   convention staple
    motifs    monomer:1
      monomer        M 1  S 0,2  anchors -
    """
    s = result.summary()
    lines = [title] if title else []
    lines.append(f"formula   {s['formula']}   N* = {s['nstar']}"
                 f"   (charge {s['charge']:+d})")
    lines.append(f"kernel    {s['kernel_formula'] or '-'} ({s['kernel_size']} atoms)"
                 f"   convention {s['convention']}")
    lines.append(f"motifs    {s['motifs_string'] or '-'}")
    for m in result.motifs:
        atoms = []
        if m["metal"]:
            atoms.append("M " + ",".join(map(str, m["metal"])))
        atoms.append("S " + ",".join(map(str, m["sulfur"])))
        atoms.append("anchors " + (",".join(map(str, m["anchors"])) or "-"))
        lines.append(f"  {m['type']:<14} " + "  ".join(atoms))
    for w in result.warnings:
        lines.append(f"warning   {w}")
    return "\n".join(lines)


__all__ = ["Analysis", "analyse", "assign_roles", "format_inventory", "metal_symbols",
           "report"]

