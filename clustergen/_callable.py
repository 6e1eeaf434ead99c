"""Modules that share their name with their main function (``analyse``, ``relax``).

``import clustergen.relax`` rebinds the package attribute ``clustergen.relax`` from the
function to the module, so the module itself is made callable: ``clustergen.relax(...)``
calls the function and ``clustergen.relax.relax_one`` / ``from clustergen import relax``
keep working, whatever was imported first.
"""

import sys


def make_callable(module_name, func):
    """Make module ``module_name`` call ``func`` when called.

    >>> import clustergen, clustergen.analyse
    >>> callable(clustergen.analyse) and hasattr(clustergen.analyse, "Analysis")
    True
    """
    module = sys.modules[module_name]

    class CallableModule(type(module)):
        __doc__ = module.__doc__

        def __call__(self, *args, **kwargs):
            return func(*args, **kwargs)

    module.__class__ = CallableModule
