"""clustergen: design ligand-protected metal nanoclusters from growth templates.

>>> import clustergen
>>> clustergen.parse_formula("[Au25(SR)18]-").nstar
8
>>> cands = clustergen.build("[Au25(SR)18]-", ligand="SH", isomers=1)
>>> clustergen.analyse(cands[0]).inventory
{'dimer': 6}
"""

from importlib import import_module

from .errors import ClusterGenError
from .formula import parse as parse_formula

__version__ = "0.1.0"

# public name -> module; loaded on first use so `import clustergen` stays light
_LAZY = {
    "build": "generate", "grow": "generate",
    "write_deck": "dft", "write_decks": "dft",
    "view": "viz", "render": "viz", "init_notebook": "viz",
    "framework_rmsd": "compare",
    # these two modules are callable (clustergen._callable): importing them rebinds the
    # name to the module, which then calls the function
    "analyse": "analyse", "assign_roles": "analyse", "relax": "relax",
    "read_candidates": "model", "write_candidates": "model",
}
__all__ = ["ClusterGenError", "parse_formula", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'clustergen' has no attribute {name!r}")
