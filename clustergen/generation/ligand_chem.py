"""Ligand chemistry from RDKit: a library name or SMILES -> donor atom(s) and 3D conformers.

A ligand is given as the neutral, H-capped molecule (thiol, phosphine, HX, terminal alkyne).
The donor is found from the graph: a thiol S-H (thiolate), a trivalent P (phosphine; two
make a bidentate diphosphine such as dppe), a lone H-X (halide) or a terminal alkyne C-H
(alkynyl C alpha).  The donor's H is removed; conformers come from ETKDG (Riniker, Landrum,
J. Chem. Inf. Model. 55, 2562 (2015), doi:10.1021/acs.jcim.5b00654) relaxed with MMFF94
(Halgren, J. Comput. Chem. 17, 490 (1996)).

>>> lig = resolve("PET")
>>> lig.kind, lig.electrons, lig.symbols[0], len(lig.symbols), lig.conformers.shape[1:]
('thiolate', 1, 'S', 18, (18, 3))
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError

NCONF_BI = 300     # ETKDG conformers of a bidentate (dppe): 255 kept fit five on Au13; 57 or 94 clash
SEED = 20081  # ETKDG random seed: the same conformers on every run
BOND_SC = 1.84   # thiolate S-C (A): DFT models of Au thiolate clusters give 1.82-1.86
BOND_SH = 1.35
GENERIC = {"thiolate": "SR", "phosphine": "PR3", "alkynyl": "C2R"}


@dataclass(frozen=True, eq=False)
class Ligand:
    """One ligand ready for placement: atoms with the donor(s) first, conformers in A.

    ``axis_atom`` is the atom bonded to the (first) donor that sets the donor->R direction
    (thiolate C alpha, alkynyl C beta); -1 for phosphines and halides.  ``energies`` are
    MMFF energies (kcal/mol) relative to the lowest conformer.
    """

    name: str
    smiles: str
    canonical: str
    kind: str
    electrons: int
    formula_name: str
    symbols: tuple
    donors: tuple
    axis_atom: int
    conformers: np.ndarray
    energies: np.ndarray
    bond: float = 0.0
    citation: str = ""


def library():
    """Named ligands: ``{name: entry}`` from ``templates/ligands.yaml``.

    >>> lib = library(); lib["PPh3"]["class"], lib["Cl"]["electrons"]
    ('phosphine', 1)
    """
    return load("ligands.yaml")["ligands"]


def lookup(name):
    """Library name (aliases accepted) -> (canonical name, entry), or None.

    >>> lookup("SC2H4Ph")[0], lookup("nope")
    ('PET', None)
    """
    table = library()
    if name in table:
        return name, table[name]
    for key, entry in table.items():
        if name in entry.get("aliases", ()):
            return key, entry
    return None


def _mol(smiles, label):
    from rdkit import Chem, RDLogger
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        known = ", ".join(library())
        raise ClusterGenError(f"unknown ligand '{label}': neither a library name "
                              f"({known}) nor valid SMILES")
    if any(a.GetFormalCharge() for a in mol.GetAtoms()):
        raise ClusterGenError(f"ligand '{label}' is charged; give the neutral molecule "
                              "(thiol R-SH, phosphine, HX or terminal alkyne)")
    if any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        raise ClusterGenError(f"ligand '{label}' is a radical; give the neutral H-capped "
                              "molecule (e.g. the thiol R-SH)")
    return Chem.AddHs(mol)


def _donors(mol):
    """Candidate donors: (kind, donor index, H index to remove or -1, axis atom or -1)."""
    found = []
    for atom in mol.GetAtoms():
        sym, nbrs = atom.GetSymbol(), atom.GetNeighbors()
        hs = [n.GetIdx() for n in nbrs if n.GetSymbol() == "H"]
        heavy = [n.GetIdx() for n in nbrs if n.GetSymbol() != "H"]
        single = all(b.GetBondTypeAsDouble() == 1 for b in atom.GetBonds())
        if sym == "S" and hs and len(nbrs) == 2 and single:
            axis = heavy[0] if heavy else hs[1]
            found.append(("thiolate", atom.GetIdx(), hs[0], axis))
        elif sym == "P" and len(nbrs) == 3 and single:
            found.append(("phosphine", atom.GetIdx(), -1, -1))
        elif sym in ("Cl", "Br", "I") and len(hs) == 1 and not heavy:
            found.append(("halide", atom.GetIdx(), hs[0], -1))
        elif sym == "C" and len(hs) == 1 and len(heavy) == 1 and any(
                b.GetBondTypeAsDouble() == 3 for b in atom.GetBonds()):
            found.append(("alkynyl", atom.GetIdx(), hs[0], heavy[0]))
    return found


def _pick_donor(found, label):
    if not found:
        raise ClusterGenError(f"ligand '{label}' has no donor atom (thiol S-H, phosphine P, "
                              "halide H-X or terminal alkyne C-H)")
    kinds = {k for k, *_ in found}
    phosphines = [f for f in found if f[0] == "phosphine"]
    if kinds == {"phosphine"} and len(phosphines) <= 2:
        return found
    if len(found) > 1:
        where = ", ".join(f"{k} atom {i}" for k, i, *_ in found)
        raise ClusterGenError(f"ligand '{label}' has several candidate donors ({where}); "
                              "give a SMILES with exactly one")
    return found


def _conformers(mol, n_conf):
    """ETKDG + MMFF conformers, lowest energy first, near-duplicates dropped."""
    from rdkit.Chem import AllChem
    params = AllChem.ETKDGv3()
    params.randomSeed = SEED
    params.numThreads = 1
    ids = list(AllChem.EmbedMultipleConfs(mol, n_conf, params))
    if not ids:
        raise ClusterGenError("RDKit could not embed the ligand in 3D")
    if mol.GetNumAtoms() > 1 and AllChem.MMFFHasAllMoleculeParams(mol):
        res = AllChem.MMFFOptimizeMoleculeConfs(mol, maxIters=2000, numThreads=1)
        energy = np.array([e for _, e in res])
    else:
        energy = np.zeros(len(ids))
    coords = np.array([mol.GetConformer(c).GetPositions() for c in ids])
    heavy = np.array([a.GetSymbol() != "H" for a in mol.GetAtoms()])
    keep = []
    for k in np.argsort(energy, kind="stable"):
        dk = np.linalg.norm(coords[k][heavy, None] - coords[k][None, heavy], axis=-1)
        if all(np.abs(dk - np.linalg.norm(coords[j][heavy, None] - coords[j][None, heavy],
                                          axis=-1)).max() > 0.25 for j in keep):
            keep.append(k)
    return coords[keep], energy[keep] - energy[keep].min()


@lru_cache(maxsize=1)
def _canonical_library():
    from rdkit import Chem
    return {Chem.CanonSmiles(e["smiles"]): n for n, e in library().items()}


def _by_structure(smiles):
    """A SMILES of a library molecule -> that library entry (so it keeps its name)."""
    from rdkit import Chem, RDLogger
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    name = _canonical_library().get(Chem.MolToSmiles(mol)) if mol is not None else None
    return (name, library()[name]) if name else None


def _rotors(mol):
    from rdkit.Chem import Lipinski
    return int(Lipinski.NumRotatableBonds(mol))


@lru_cache(maxsize=64)
def resolve(spec):
    """A :class:`Ligand` from a library name or a SMILES (ClusterGenError naming the problem).

    >>> resolve("SC1=CC=C(C=C1)C(C)(C)C").name, resolve("SCCCC").formula_name
    ('TBBT', 'SR')
    >>> resolve("dppe").donors, resolve("Cl").symbols
    ((0, 1), ('Cl',))
    """
    from rdkit import Chem
    spec = str(spec).strip()
    hit = lookup(spec) or _by_structure(spec)
    name, entry = hit if hit else (None, {})
    smiles = entry.get("smiles", spec)
    mol = _mol(smiles, spec)
    # embed from the canonical atom order: the same molecule, the same conformers
    mol = Chem.AddHs(Chem.MolFromSmiles(Chem.MolToSmiles(Chem.RemoveHs(mol))))
    found = _pick_donor(_donors(mol), spec)
    kind = found[0][0]
    remove = {h for _, _, h, _ in found if h >= 0}
    donors = [d for _, d, _, _ in found]
    axis = found[0][3]
    # atom order: donors first, then the rest; the donor's H dropped
    order = donors + [a.GetIdx() for a in mol.GetAtoms()
                      if a.GetIdx() not in donors and a.GetIdx() not in remove]
    n_conf = 1 if mol.GetNumAtoms() <= 2 else (
        NCONF_BI if len(donors) > 1 else min(12, 4 + 3 * _rotors(mol)))
    coords, energy = _conformers(mol, n_conf)
    coords = coords[:, order]
    axis_new = order.index(axis) if axis in order else -1
    if kind == "thiolate" and axis_new > 0:
        coords = _set_bond(coords, axis_new, BOND_SH if mol.GetAtomWithIdx(axis)
                           .GetSymbol() == "H" else BOND_SC)
    canonical = Chem.MolToSmiles(Chem.RemoveHs(mol))
    electrons = entry.get("electrons", 0 if kind == "phosphine" else 1)
    symbols = tuple(mol.GetAtomWithIdx(i).GetSymbol() for i in order)
    return Ligand(name=name or canonical, smiles=smiles, canonical=canonical, kind=kind,
                  electrons=int(electrons), formula_name=name or GENERIC.get(kind, symbols[0]),
                  symbols=symbols, donors=tuple(range(len(donors))), axis_atom=axis_new,
                  conformers=coords, energies=energy, bond=float(entry.get("bond", 0.0)),
                  citation=entry.get("citation", ""))


def _set_bond(coords, axis, length):
    """Move every non-donor atom along donor->axis so the donor-axis bond is ``length``."""
    out = coords.copy()
    for k, xyz in enumerate(coords):
        v = xyz[axis] - xyz[0]
        d = np.linalg.norm(v)
        out[k, 1:] += (length - d) * v / d
    return out


def describe(spec):
    """One library row as a dict (what ``clustergen ligands`` prints).

    >>> describe("PPh3")["donor"], describe("PPh3")["electrons"]
    ('P', 0)
    """
    name, entry = lookup(spec) or (None, None)
    if entry is None:
        raise ClusterGenError(f"unknown ligand '{spec}' (library: {', '.join(library())})")
    return {"name": name, "smiles": entry["smiles"], "class": entry["class"],
            "donor": entry["donor"], "electrons": entry["electrons"],
            "citation": entry.get("citation", "")}
