"""clustergen: design ligand-protected metal nanoclusters from growth templates.

>>> import clustergen
>>> clustergen.parse_formula("[Au25(SR)18]-").nstar
8
"""

from .errors import ClusterGenError
from .formula import parse as parse_formula

__version__ = "0.1.0"
__all__ = ["ClusterGenError", "parse_formula", "__version__"]
