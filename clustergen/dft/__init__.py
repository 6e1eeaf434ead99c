"""DFT hand-off: input decks and SLURM array scripts for the candidates that survive.

One writer per code (ORCA, Gaussian, Q-Chem, NWChem, PySCF, CP2K, VASP, GPAW, Quantum
ESPRESSO); the level of theory comes from ``templates/dft.yaml`` (defaults per task, with
the reason for each) and is checked in :func:`clustergen.dft.settings.resolve` before any
file is written.  Charge and multiplicity come from the candidate.  CP2K and PySCF
single points can also be run in the loop and stored beside the GFN1 results
(:mod:`clustergen.dft.refine`, ``clustergen refine``).

>>> import tempfile
>>> from ase import Atoms
>>> auh = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.52]], info={"charge": 0})
>>> path = write_deck(auh, code="nwchem", task="sp", directory=tempfile.mkdtemp())
>>> "Au library def2-ecp" in path.read_text()
True
"""

from .batch import read_top, write_decks
from .settings import TASKS, codes, resolve
from .writer import write_deck

__all__ = ["write_deck", "write_decks", "read_top", "resolve", "codes", "TASKS"]
