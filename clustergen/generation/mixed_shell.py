"""Real phosphine and halide ligands on the mixed shells ``build`` makes (vertex-sharing
icosahedra: [Au13(dppe)5Cl2]3+, [Au25(PPh3)10(SR)5Cl2]2+, ...).

Without a phosphine named, ``build`` completes each P as a PH3 model (the cheap default,
as SCH3 is for SR; :func:`clustergen.generation.donors.cap_phosphines`).  Named ones are
built whole by :func:`clustergen.generation.ligate.place`, the phosphines first and the
thiolate R groups among them (the other way round where that leaves clashes), and a
named halide replaces the template's.
A diphosphine (dppe) first pairs the P sites as :func:`donors.pair_phosphines` does and
leans each pair toward its bite (:func:`donors.lean_to_bite`), as little as the ligand
allows: bites from its conformers' longest down, the first that places without clashes.

>>> import clustergen
>>> a = clustergen.build("[Au25(PPh3)10(SR)5Cl2]2+", ligand=["SCH3", "PMe3", "Br"],
...                      isomers=1)[0]
>>> a.info["formula"], a.get_chemical_formula()
('[Au25(PMe3)10(SCH3)5Br2]2+', 'C35H105Au25Br2P10S5')
"""

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.generation import donors
from clustergen.generation.ligand_chem import lookup, resolve
from clustergen.generation.ligands import add_ligands
from clustergen.generation.ligate import CrowdedShell, place

SITE_ROLE = {"phosphine": "P", "halide": "halide"}
BITE_STEP = 0.1     # A between the diphosphine bites tried
# the other order of placement: [Au25(PPh3)10(SR)5Cl2]2+ takes SC6H13, StBu and S-Adm at
# its waist only when they are placed before the PPh3 (PET, TBBT either way)
THIOLATE_FIRST = ("thiolate", "alkynyl", "phosphine")


def split(ligand):
    """(thiolate spec or None, [other ligands resolved]) of ``build``'s ``ligand``: a name or
    SMILES, or a list of them, at most one per donor class.

    >>> t, others = split(["PET", "PPh3", "Br"])
    >>> t, [(o.name, o.kind) for o in others]
    ('PET', [('PPh3', 'phosphine'), ('Br', 'halide')])
    """
    specs = [] if ligand is None else [ligand] if isinstance(ligand, str) else list(ligand)
    thiolate, others, kinds = None, [], set()
    for spec in specs:
        hit = lookup(spec)
        kind = "thiolate" if hit and hit[0] in ("SH", "SCH3") else resolve(spec).kind
        if kind in kinds:
            raise ClusterGenError(f"two {kind} ligands given ({', '.join(map(str, specs))}); "
                                  "give one per donor class")
        kinds.add(kind)
        if kind == "thiolate":
            thiolate = spec
        elif kind in SITE_ROLE:
            others.append(resolve(spec))
        else:
            raise ClusterGenError(f"ligand '{spec}' is an {kind}: alkynyl staples take the "
                                  "formula's own alkynyl (e.g. Au22(PhC2)18)")
    return thiolate, others


def check_formula(formula, others):
    """A named phosphine or halide needs the formula to have ligands of its class.

    >>> from clustergen.core.formula import parse
    >>> check_formula(parse("[Au25(SR)18]-"), [resolve("PPh3")])
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: ligand 'PPh3' is a phosphine, not a thiolate, and [Au25(SR)18]- has no phosphine ligands for it to replace
    """
    from clustergen.core.formula import ligand_info
    classes = {ligand_info(name)[1]["class"] for name in formula.ligands}
    for lig in others:
        if lig.kind not in classes:
            raise ClusterGenError(f"ligand '{lig.name}' is a {lig.kind}, not a thiolate, and "
                                  f"{formula} has no {lig.kind} ligands for it to replace")


def dress(frame, thiolate, others, n_bidentate, sides=None):
    """Ligands on a mixed-shell framework ``frame`` (donor atoms bare): the thiolate
    ``thiolate`` (a name; S configurations ``sides``) and the named phosphine and halide
    ligands ``others``, PH3 models where no phosphine is named.  ``n_bidentate``: the
    formula's diphosphine count (the PH3 models of a dppe share a ligand index).  A named
    phosphine is placed before the thiolate R groups: it has the least freedom."""
    roles = set(np.asarray(frame.arrays["role"]).tolist())
    for lig in others:
        if SITE_ROLE[lig.kind] not in roles:
            raise ClusterGenError(f"{lig.name} is a {lig.kind}: this framework has no "
                                  f"{lig.kind} sites (role {SITE_ROLE[lig.kind]})")
    phosphine = next((lig for lig in others if lig.kind == "phosphine"), None)
    if phosphine is None:
        atoms = donors.cap_phosphines(add_ligands(frame, thiolate, sides=sides))
        return place(donors.pair_phosphines(atoms, n_bidentate), others, room=False)
    ligands = others + ([resolve(thiolate)] if "S" in roles else [])
    if len(phosphine.donors) == 1:
        try:
            return place(frame, ligands, sides=sides)
        except CrowdedShell:    # a bulky or long thiolate may need the first pick of room
            return place(frame, ligands, sides=sides, order=THIOLATE_FIRST)
    n_pairs = int(np.sum(np.asarray(frame.arrays["role"]) == "P")) // 2
    error = None
    for bite in _bites(phosphine):
        try:
            return place(donors.lean_to_bite(frame, n_pairs, bite), ligands, sides=sides)
        except CrowdedShell as exc:     # a shorter bite leans the P further: try it
            error = exc
        except ClusterGenError as exc:  # no conformer fits this bite
            error = error or exc
    raise error


def _bites(lig):
    """P...P distances to lean to, from the conformers' longest to their shortest."""
    p = lig.conformers[:, list(lig.donors)]
    bite = np.linalg.norm(p[:, 0] - p[:, 1], axis=1)
    return np.arange(bite.max(), bite.min() - 1e-9, -BITE_STEP)
