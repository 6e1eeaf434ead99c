"""clustergen: design ligand-protected metal nanoclusters from growth templates.

>>> import clustergen
>>> clustergen.parse_formula("[Au25(SR)18]-").nstar
8
>>> cands = clustergen.build("[Au25(SR)18]-", ligand="SH", isomers=1)
>>> clustergen.analyse(cands[0]).inventory
{'dimer': 6}
"""

from importlib import import_module

from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import parse as parse_formula

__version__ = "0.1.0"

# public name -> module; loaded on first use so `import clustergen` stays light
_LAZY = {
    "build": "generation.generate", "grow": "generation.generate",
    "ligate": "generation.ligate",
    "write_deck": "dft", "write_decks": "dft",
    "view": "visual.viz", "render": "visual.viz", "init_notebook": "visual.viz",
    "framework_rmsd": "analysis.compare",
    "analyse": "analysis.analyse", "assign_roles": "analysis.analyse",
    "relax": "compute.relax",
    "read_candidates": "core.model", "write_candidates": "core.model",
}
__all__ = ["ClusterGenError", "parse_formula", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'clustergen' has no attribute {name!r}")
