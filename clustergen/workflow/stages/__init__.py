"""The workflow's stages, one module each: build, relax, rank, dft, report.

Each module has ``run(config, inputs, run_dir) -> outputs`` (do the work; ``outputs``
carries ``digest``, the hash later stages' keys include, and ``record``, extras for the
state file), ``reuse(config, inputs, run_dir) -> outputs | None`` (read a finished
stage's outputs back, None when they cannot be) and ``log(inputs, status) -> lines``.
``config`` is the loaded workflow (:func:`clustergen.workflow.config.load`), ``inputs``
the outputs of earlier stages plus ``state`` (the stages' records), ``key`` and
``progress``.  The runner (:mod:`clustergen.workflow.runner`) decides which to call.
"""

import numpy as np


def scalar_info(atoms):
    """A copy without calculator whose info holds scalars only (extxyz-safe).

    >>> from ase import Atoms
    >>> scalar_info(Atoms("Au", info={"energy": -1.0, "records": [1, 2]})).info
    {'energy': -1.0}
    """
    out = atoms.copy()
    out.calc = None
    out.info = {k: v for k, v in atoms.info.items()
                if isinstance(v, (str, int, float, bool, np.generic))}
    return out
