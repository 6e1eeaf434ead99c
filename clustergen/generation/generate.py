"""Build candidates from template rules: ``build`` a formula, ``grow`` a family.

Pipeline for one member: kernel from its growth operation -> every symmetry-distinct
motif arrangement the shell rule allows -> restraint-FF embedding of the Au-S framework
-> R groups -> candidates ordered by strain score (best guess first).
"""

import itertools
import logging

import numpy as np

from clustergen.generation import families as fam_mod
from clustergen.generation import donors
from clustergen.generation import embedding
from clustergen.generation import kernels
from clustergen.generation import mixed_shell
from clustergen.generation import shell
from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report
from clustergen.core import validate
from clustergen.core.bonds import pair_cutoff
from clustergen.core.errors import ClusterGenError
from clustergen.generation.families import evaluate, family, match, member, members
from clustergen.core.formula import ligand_info, parse
from clustergen.core.identity import charge_multiplicity
from clustergen.generation.ligands import add_ligands
from clustergen.generation.ligate import CrowdedShell
from clustergen.generation.sulfur import assign, check_pattern, family_hand, other_hand, patterns
from clustergen.core.model import format_motifs, make_cluster

LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_EMBED = 16          # arrangements embedded per member (most symmetric first)


def kernel_of(fam, k):
    """Kernel positions and site labels of member ``k`` from the family's growth operation."""
    return kernel_options(fam, k)[0]


def kernel_options(fam, k, m=None):
    """Every kernel of member ``k``: a list-valued kernel argument gives one per value.
    ``m``: the member's dict from :func:`member`, if the caller has it already.

    A growth step that can go to several symmetry-distinct places (an Au3 unit on the
    Au22 of Au30(SR)18) lists them; their shells are ranked together.

    >>> [len(pos) for pos, _ in kernel_options(family("double-au7-backbone"), 3)]
    [25, 25, 25, 25]
    """
    spec = fam["kernel"]
    op = getattr(kernels, spec["operation"], None)
    if op is None:
        raise ClusterGenError(f"family {fam['family']}: unknown growth operation "
                              f"'{spec['operation']}'")
    args = {a: evaluate(e, k=k) for a, e in spec.get("args", {}).items()}
    args.update((m or member(fam, k))["kernel_args"])
    lists = {a: v for a, v in args.items() if isinstance(v, list)}
    return [op(**{**args, **dict(zip(lists, values))})
            for values in itertools.product(*lists.values())]


def shell_rule(fam, k, m=None):
    """The family's shell rule with member ``k``'s own ``shell`` keys laid over it
    (``m``: the member's dict, if the caller has it already).

    Top-level keys are replaced; under ``motifs`` the member's spec of a motif type
    replaces the family's (a key set to null drops it).

    >>> shell_rule(family("au7-backbone"), 1)["motifs"]["monomer"]["anchor_distance"]
    [1.65, 1.8]
    >>> shell_rule(family("au7-backbone"), 3) == family("au7-backbone")["shell"]
    True
    """
    fam = family(fam) if isinstance(fam, str) else fam
    rule = dict(fam["shell"])
    own = (m or member(fam, k)).get("shell") or {}
    for key, value in own.items():
        if key == "motifs":
            rule["motifs"] = {**rule.get("motifs", {}), **value}
        else:
            rule[key] = value
    return {key: value for key, value in rule.items() if value is not None}


def frameworks(fam, k, limit=None, m=None):
    """Au-S frameworks (no R) of one member, best strain first, symmetry-distinct
    (``m``: the member's dict from :func:`member`, if the caller has it already).

    Shell rule keys read here: ``flexible_kernel``, ``windows`` (drop frameworks outside
    the :mod:`clustergen.analysis.checks` windows), ``max_embed`` (arrangements scored per
    kernel, default :data:`MAX_EMBED`) and ``lengths`` (donor bond lengths, see
    :func:`clustergen.generation.embedding.embed`).
    """
    fam = family(fam) if isinstance(fam, str) else fam
    m = m or member(fam, k)
    rule = shell_rule(fam, k, m)
    # score every arrangement on the ideal (fixed) kernel, so that the kernel's own
    # springs do not blur the comparison; then shape the best ones for real
    scored = []
    embed = max(limit or 0, rule.get("max_embed", MAX_EMBED))
    # donor bond lengths of alkynyl staples (the shell rule's ``lengths``), else Au-S
    lengths = rule.get("lengths")
    for kernel, labels in kernel_options(fam, k, m):
        if len(kernel) != m["kernel_atoms"]:
            raise RuntimeError(f"{fam['family']} k={k}: growth operation gave {len(kernel)}"
                               f" kernel atoms, series says {m['kernel_atoms']}")
        options, orders = shell.arrangements(kernel, labels, m["motifs"], rule)
        for arrangement, order in list(zip(options, orders))[:embed]:
            embedded = embedding.embed(kernel, arrangement, lengths=lengths)
            scored.append((round(embedded[-1], 2), -order, thiolate_crowding(embedded),
                           len(scored), arrangement, embedded, kernel, labels))
    if not scored:
        raise ClusterGenError(f"{fam['family']} k={k}: the shell rule admits no arrangement "
                              f"of {format_motifs(m['motifs'])} on the Au{len(kernel)} kernel")
    scored.sort(key=lambda item: item[:4])
    flexible = rule.get("flexible_kernel", False)
    out = []
    for strain, neg_order, _, _, arrangement, embedded, kernel, labels in scored:
        if limit and len(out) == limit:
            break
        if flexible:
            embedded = embedding.embed(kernel, arrangement, flexible_kernel=flexible,
                                       lengths=lengths)
        symbols, pos, roles, records, _ = embedded
        atoms = make_cluster(symbols, pos, roles)
        atoms.info["family"] = fam["family"]    # the analyser reads its convention from it
        if rule.get("donors"):
            # phosphine P and halides on their kernel sites (mixed shells)
            atoms = donors.add_donors(atoms, len(kernel), labels, rule["donors"])
        floor = min(2.2, min(lengths.values()) - 0.1) if lengths else 2.2
        if not _sound(atoms, floor) or not _reads_back(atoms, m["motifs"]):
            continue            # the restraints could not shape this arrangement
        if rule.get("windows") and not geometry_report(atoms)["ok"]:
            continue            # a prediction outside the geometry windows is no guess
        atoms.info["strain"] = strain
        atoms.info["symmetry_order"] = -neg_order
        atoms.info["motif_records"] = records
        out.append(atoms)
    if not out:
        raise ClusterGenError(f"{fam['family']} k={k}: no arrangement could be shaped into "
                              "a sensible Au-S framework")
    return out


def thiolate_crowding(embedded):
    """Tie-break of arrangements with the same strain and symmetry order: how crowded the
    thiolates of different motifs are, sum of (d_vdW / d_SS)^6 over S pairs of different
    motifs (d_vdW = 3.6 A, twice the van der Waals radius of S: A. Bondi, J. Phys. Chem.
    1964, 68, 441, doi:10.1021/j100785a001), rounded to 0.01.  The Au-S strain score
    sees bonds and angles only; the R groups on those S repel each other, so of two
    otherwise equal arrangements the one with its thiolates further apart is the better
    guess (for Au38(SR)24 it separates the D3 framework of Qian et al., J. Am. Chem. Soc.
    2010, 132, 8280, doi:10.1021/ja103592z, from the C3h one with the second Au23 half's
    staples turned the other way: 9.50 vs 9.62).

    >>> recs = [{"atoms": [0]}, {"atoms": [1]}]
    >>> thiolate_crowding((["S", "S"], np.array([[0, 0, 0], [3.6, 0, 0]]), None, recs, 0.0))
    1.0
    """
    symbols, pos, _, records, _ = embedded
    owner = np.full(len(symbols), -1)
    for n, rec in enumerate(records):
        owner[list(rec["atoms"])] = n
    s = np.flatnonzero((np.asarray(symbols) == "S") & (owner >= 0))
    if len(s) < 2:
        return 0.0
    d = np.linalg.norm(pos[s][:, None] - pos[s][None], axis=2)
    other = np.triu(owner[s][:, None] != owner[s][None], 1)
    # an arrangement the embedding collapsed (two S on one spot) is the most crowded
    return round(float(((3.6 / np.maximum(d[other], 0.5)) ** 6).sum()), 2)


def _sound(atoms, floor=2.2):
    """Every S within 2.6 A of a metal (bond rule ``framework-sulfur``) and no two
    framework atoms closer than ``floor`` A (2.2; less for a framework shaped with
    alkynyl C alpha in the S places, 2.02 A from their Au)."""
    d = atoms.get_all_distances()
    np.fill_diagonal(d, np.inf)
    s = atoms.arrays["role"] == "S"
    reach = pair_cutoff("framework-sulfur", "Au", "S")
    return bool(d.min() >= floor and (d[s][:, ~s].min(axis=1) <= reach).all())


def _reads_back(atoms, motifs):
    """The analyser finds the intended motifs and roles in the framework: a chain bent
    onto a neighbour's S, or a ring broken open, is not the arrangement asked for."""
    result = analyse(atoms)
    return result.inventory == motifs and list(result.roles) == list(atoms.arrays["role"])


def _label(atoms, m, formula, isomer, ligand, multiplicity, others=()):
    ligand, formula_name = ligand
    formula = formula.with_ligand(formula_name)
    for lig in others:      # named phosphine / halide; a diphosphine for two P ligands
        formula = formula.with_ligand(lig.formula_name)
        if lig.kind == "phosphine":
            formula.ligands[lig.formula_name] = int(np.sum(atoms.arrays["role"] == "P")
                                                    ) // len(lig.donors)
    atoms.info.update(formula=str(formula), charge=formula.charge,
                      ligand="+".join([ligand] + [lig.name for lig in others]))
    atoms.info.pop("multiplicity", None)
    _, multiplicity = charge_multiplicity(atoms, multiplicity=multiplicity)
    atoms.info.update(
        multiplicity=multiplicity, nstar=formula.nstar, family=m["family"],
        member=f"{m['family']}:k={m['k']}", isomer=isomer, motifs=format_motifs(m["motifs"]),
        host="Au", literature=m["status"], score=round(float(atoms.info.pop("strain")), 6))
    atoms.info.pop("motif_records", None)
    return atoms


def _resolve_ligand(formula, ligand):
    """Library name (or canonical SMILES) of the thiolate to build; its formula name."""
    from clustergen.generation.ligand_chem import lookup, resolve
    names = [n for n in formula.ligands if ligand_info(n)[1]["class"] == "thiolate"]
    if ligand is None:
        ligand = next((n for n in names if n != "SR"), "SCH3")
    hit = lookup(ligand)
    if hit and hit[0] in ("SH", "SCH3"):
        return hit[0], hit[0]           # the fixed rule: no RDKit needed
    lig = resolve(ligand)
    if lig.kind != "thiolate":
        raise ClusterGenError(f"ligand '{ligand}' is a {lig.kind}, not a thiolate: the "
                              "template frameworks are Au-S (use `clustergen ligate` on a "
                              "framework with the right donor atoms)")
    return lig.name, lig.formula_name


def _sulfur_patterns(frame, sulfur):
    """``(label, sides)`` per S-configuration pattern to build on one framework.

    None: each staple type's default (label "default"); a pattern name: that one;
    "all": every pattern that gives this framework its own configurations, the
    crystal-like default first (the cheap score, framework strain, is the same for all);
    "hands": the defaults in the family's hand, then in the other hand
    (:func:`clustergen.generation.sulfur.assign`)."""
    check_pattern(sulfur)
    if sulfur == "hands":   # the default patterns in both hands, the family's hand first
        hand = family_hand(frame)
        return [("default", assign(frame, None, hand)),
                ("hand", assign(frame, None, other_hand(hand)))]
    if sulfur != "all":
        return [(sulfur or "default", assign(frame, sulfur))]
    out, seen = [], []
    for pattern in [None] + patterns():
        sides = assign(frame, pattern)
        if sides not in seen:
            seen.append(sides)
            out.append((pattern or "default", sides))
    return out


def build(formula, ligand=None, isomers=8, multiplicity=None, family=None, sulfur=None):
    """Candidates for a formula from every family that can build it (only from the one
    named ``family``, if given), best guess first.

    ``ligand`` picks R: a library name (``clustergen ligands``) or a thiol SMILES (default:
    the formula's own thiolate, else SCH3).  The Au-S framework is the same for every
    ligand; SH and SCH3 use a fixed rule, others RDKit conformers (:mod:`.ligate`).
    On a mixed phosphine/halide shell ``ligand`` may be a list, one per donor class
    (``["PET", "PPh3", "Br"]``): a named phosphine is built whole, a named halide
    replaces the template's; unnamed phosphines are PH3 models (:mod:`.mixed_shell`).
    The charge comes from the formula; the multiplicity defaults to the lowest the
    electron count allows.

    ``sulfur`` sets the side of each thiolate R (the S configuration, which a local
    relaxation cannot change; :mod:`.sulfur`): None = each staple type's default in
    ``templates/sulfur.yaml`` (dimers C2-like, as in the [Au25(SR)18]- crystal), "c2" or
    "mirror" for every staple type, or "all": each framework once per pattern that
    changes it, isomer labels "a", "a-mirror", ... (``info["sulfur"]`` names the pattern);
    "hands": each framework in both hands of its default patterns ("a", "a-hand"; a
    relaxation picks the lower: the two are diastereomers on a chiral framework).

    >>> cands = build("[Au25(SR)18]-", ligand="SH", isomers=2)
    >>> cands[0].info["nstar"], cands[0].info["motifs"], len(cands[0])
    (8, 'dimer:6', 61)
    >>> [a.info["family"] for a in build("[Au25(SR)18]-", ligand="SH", isomers=1,
    ...                                  family="face-sharing-icosahedra")]
    ['face-sharing-icosahedra']
    """
    f = parse(formula)
    check_pattern(sulfur)
    wanted = ligand
    # a thiolate formula resolves its R now (an unknown name fails before any building);
    # an alkynyl one (Au22(C≡CR)18) per member, below
    if ligand is not None and not isinstance(ligand, str):   # a list: one per donor class
        ligand = list(ligand)
        ligand = wanted = ligand[0] if len(ligand) == 1 else ligand
    others = []
    if not _alkynyl_names(f):
        thiolate, others = mixed_shell.split(ligand)
        mixed_shell.check_formula(f, others)
        ligand = _resolve_ligand(f, thiolate)
    elif not isinstance(ligand, (str, type(None))):
        raise ClusterGenError(f"{f} takes one ligand, its alkynyl ({', '.join(ligand)} given)")
    else:
        ligand = None
    isomers = validate.bounded_int(1, validate.MAX_ISOMERS, "isomers")(isomers)
    validate.check_charge(f.charge, what=f"charge of {f}")
    validate.check_nstar(f.nstar, f)
    if multiplicity is not None:
        validate.bounded_int(1, validate.MAX_MULTIPLICITY, "multiplicity")(multiplicity)
    per_family, crowded = [], []
    found = match(f, family=family)
    if not any(m["built"] for m in found):
        # listed literature members whose structure no rule places yet
        raise ClusterGenError(f"{f} is listed in {', '.join(m['family'] for m in found)} "
                              "but no growth rule builds it yet")
    for m in found:
        if not m["built"]:
            continue
        _check_redox(f, m)
        frames = frameworks(fam_mod.family(m["family"]), m["k"], limit=isomers, m=m)
        if m["staple_ligand"] != "SR":
            per_family.append(_alkynyl_candidates(frames, m, f, wanted, multiplicity))
            continue
        if ligand is None:
            raise ClusterGenError(f"{f}: the {m['family']} member {m['formula']} has "
                                  "thiolate staples, the formula names none")
        cands = []
        for i, frame in enumerate(frames):
            letter = LETTERS[i % 26] * (1 + i // 26)
            for pattern, sides in _sulfur_patterns(frame, sulfur):
                try:
                    atoms = mixed_shell.dress(
                        frame, ligand[0], others, donors.bidentate_count(f.ligands), sides
                    ) if others else donors.pair_phosphines(donors.cap_phosphines(
                        add_ligands(frame, ligand[0], sides=sides)),
                        donors.bidentate_count(f.ligands))
                except CrowdedShell as exc:  # a bulky R may fit another framework
                    crowded.append((f"{m['family']} isomer {letter}", exc))
                    continue
                atoms.info.setdefault("sulfur", pattern)   # "free": a bulky R fell back
                if atoms.info.get("framework_room"):       # say when the staples moved
                    logging.getLogger("clustergen").warning(
                        "%s: %s isomer %s: staple atoms moved up to %.2f A (every bond "
                        "kept) to make room for %s", f, m["family"], letter,
                        atoms.info["framework_room"], ligand[0])
                name = letter if pattern in (sulfur, "default") or sulfur not in (
                    "all", "hands") else f"{letter}-{pattern}"
                cands.append(_label(atoms, m, f, name, ligand, multiplicity, others))
        per_family.append(cands)
    _report_crowded(f, crowded, per_family)
    # best of each family first, then the next best of each ...; within a tier the cheap
    # strain score orders the families, so no family's place in the files decides
    ordered = [c for tier in _interleave(per_family)
               for c in sorted(tier, key=lambda a: a.info["score"])]
    if len(per_family) > 1:
        return ordered
    if sulfur in ("all", "hands"):  # ``isomers`` counts frameworks; each keeps its patterns
        first = {LETTERS[i % 26] * (1 + i // 26) for i in range(isomers)}
        return [c for c in ordered if c.info["isomer"].split("-")[0] in first]
    return ordered[:isomers]


def _report_crowded(formula, crowded, per_family):
    """Frameworks the ligand did not fit: an error when no framework took it, else one
    logged line naming those left out (the S-Adm isomer of Au30(SR)18 fits S-Adm where
    the double-Au7 one does not)."""
    if not crowded:
        return
    if not any(per_family):
        raise crowded[0][1]
    logging.getLogger("clustergen").warning(
        "%s: left out, the ligand is too crowded there: %s", formula,
        ", ".join(name for name, _ in crowded))


def _alkynyl_names(formula):
    """The formula's alkynyl ligand names (e.g. ['PhC2'], or ['C2R'] for C≡CR)."""
    return [n for n in formula.ligands if ligand_info(n)[1]["class"] == "alkynyl"]


def _resolve_alkynyl(formula, ligand):
    """The alkynyl to build (library name or SMILES; default: the formula's own, else
    MeC2, the smallest library alkynyl) as a resolved ligand."""
    from clustergen.generation.ligand_chem import resolve
    if ligand is None:
        own = [n for n in _alkynyl_names(formula) if n != "C2R"]
        ligand = own[0] if own else "MeC2"
    lig = resolve(ligand)
    if lig.kind != "alkynyl":
        raise ClusterGenError(f"ligand '{ligand}' is a {lig.kind}, not an alkynyl: the "
                              f"staples of {formula} are -C≡C-Au-C≡C- units")
    return lig


def _alkynyl_candidates(frames, m, formula, ligand, multiplicity):
    """Candidates of a member with alkynyl staples: each Au-S framework's S become C
    alpha (:func:`clustergen.generation.alkynyl.to_alkynyl`), then C beta and R are
    placed by :func:`clustergen.generation.ligate.ligate`."""
    from clustergen.generation.alkynyl import to_alkynyl
    from clustergen.generation.ligate import ligate
    lig = _resolve_alkynyl(formula, ligand)
    out = []
    for i, frame in enumerate(frames):
        atoms = ligate(to_alkynyl(frame), lig.name, charge=formula.charge)
        atoms.info.pop("sulfur", None)          # no S configuration in these staples
        out.append(_label(atoms, m, formula, LETTERS[i % 26] * (1 + i // 26),
                          (lig.name, lig.formula_name), multiplicity))
    return out


REDOX_WINDOW = 2   # electrons a built member may gain or lose (Au25: -1/0/+1 known)


def _check_redox(formula, m):
    """A charge far from the member's own is not that cluster: [Au25(SR)18]5- would
    need four electrons more than any isolated Au25 thiolate (-1, 0, +1 reported:
    Zhu, Aikens, Hollander, Schatz, Jin, J. Am. Chem. Soc. 2008, 130, 5883,
    DOI 10.1021/ja801173r)."""
    if abs(formula.nstar - m["nstar"]) > REDOX_WINDOW:
        raise ClusterGenError(
            f"{formula}: N* = {formula.nstar}, but the {m['family']} member "
            f"{m['formula']} has N* = {m['nstar']}; charges within {REDOX_WINDOW} "
            f"electrons of it are built")


def _interleave(lists):
    for i in range(max(len(x) for x in lists)):
        yield [x[i] for x in lists if i < len(x)]


def grow(family_name, upto=None, ligand="SCH3", progress=None):
    """Best candidate of every member of a family up to ``upto`` metal atoms.

    Without ``upto`` the listed (known + predicted) members are built.

    >>> [a.info["formula"] for a in grow("double-helix", upto=36, ligand="SH")]
    ['Au28(SH)20', 'Au36(SH)24']
    """
    fam = family(family_name)
    ligand = _resolve_ligand(parse("Au(SR)"), ligand)
    out = []
    todo = [m for m in members(fam, upto) if m["built"]]   # rules cannot place the rest
    for i, m in enumerate(todo):
        if progress:
            progress(i, len(todo), str(m["formula"]))
        frames = frameworks(fam, m["k"], limit=1, m=m)
        if m["staple_ligand"] != "SR":      # alkynyl staples: their own (default) R
            out += _alkynyl_candidates(frames, m, m["formula"], None, None)
            continue
        atoms = donors.cap_phosphines(add_ligands(frames[0], ligand[0]))
        out.append(_label(atoms, m, m["formula"], "a", ligand, None))
    return out


# ---------------------------------------------------------------- command line
