"""``write_deck``: settings for one candidate, then the code's writer."""

import importlib
import re
from pathlib import Path

from .settings import resolve

WRITERS = {"orca": "orca", "gaussian": "gaussian", "qchem": "qchem", "nwchem": "nwchem",
           "pyscf": "pyscf_script", "cp2k": "cp2k", "vasp": "vasp", "gpaw": "gpaw_script",
           "espresso": "espresso"}

SUPPLY = {
    "orca": "ORCA binary (free academic licence, orcaforum.kofo.mpg.de)",
    "gaussian": "Gaussian 16 licence and binary (g16)",
    "qchem": "Q-Chem licence and binary",
    "nwchem": "nothing: def2 basis/ECP are NWChem library files",
    "pyscf": "pip install pyscf (pyscf-dispersion for D3/D4, geometric for opt)",
    "cp2k": "nothing: BASIS_MOLOPT, GTH_POTENTIALS, dftd3.dat ship with CP2K",
    "vasp": "VASP licence and potpaw_PBE POTCARs ($VASP_PP_PATH); see POTCAR.spec",
    "gpaw": "GPAW with its PAW setups (gpaw install-data); pip install dftd3 for D3",
    "espresso": "SSSP efficiency 1.1 PBE pseudopotentials in ./pseudo (materialscloud.org/discover/sssp)",
}


def deck_name(atoms, index=None):
    """A file-name-safe deck directory name: the store's ``cid`` if present, else formula +
    isomer (+ index).

    >>> from ase import Atoms
    >>> deck_name(Atoms("Au2", info={"formula": "[Au25(SR)18]-", "isomer": "a"}), 3)
    '003_Au25_SR_18_m_a'
    """
    info = atoms.info
    if info.get("cid"):
        name = str(info["cid"])
    else:
        formula = str(info.get("formula") or atoms.get_chemical_formula())
        formula = formula.replace("-", "m").replace("+", "p")
        name = "_".join(p for p in (formula, str(info.get("isomer") or "")) if p)
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
    return f"{index:03d}_{name}" if index is not None else name


def header_lines(atoms, settings):
    """Comment lines every deck starts with: who, what level and why, what to supply."""
    s = settings
    solvent = s["solvent"] or "gas phase"
    return [
        f"clustergen DFT deck: {atoms.info.get('formula', atoms.get_chemical_formula())} "
        f"({len(atoms)} atoms) charge {s['charge']} multiplicity {s['multiplicity']}"
        f"{' (unrestricted)' if s['unrestricted'] else ''}",
        f"{s['code']} {s['task']}: {s['functional']} / {s['basis'] or 'plane waves'} / "
        f"dispersion {s['dispersion']} / {solvent}",
        f"why: {s['reason']}",
        f"user supplies: {SUPPLY[s['code']]}",
    ]


def write_deck(atoms, code="orca", task="opt", directory=".", **overrides):
    """Write the input deck for one candidate; returns the path of the main deck file.

    ``overrides`` are any of :func:`clustergen.dft.settings.resolve`'s keywords
    (functional, basis, dispersion, solvent, nstates, extra, charge, multiplicity, vacuum).
    Everything is checked before the directory is touched.

    >>> import tempfile
    >>> from ase import Atoms
    >>> au2 = Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]], info={"charge": -1})
    >>> deck = write_deck(au2, code="orca", task="sp", directory=tempfile.mkdtemp())
    >>> [l for l in deck.read_text().splitlines() if l.startswith("*xyz")]
    ['*xyz -1 2 ']
    """
    return write_resolved(atoms, resolve(atoms, code=code, task=task, **overrides), directory)


def write_resolved(atoms, settings, directory):
    """Write the deck for settings already :func:`clustergen.dft.settings.resolve`-d for
    ``atoms``; returns the path of the main deck file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    writer = importlib.import_module(f".{WRITERS[settings['code']]}", __package__)
    return writer.write(atoms, settings, directory, header_lines(atoms, settings))
