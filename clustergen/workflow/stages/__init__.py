"""The workflow's stages, one module each: build, relax, rank, dft, report.

Each module has ``run(config, inputs, run_dir) -> outputs`` (do the work; ``outputs``
carries ``digest``, the hash later stages' keys include, and ``record``, extras for the
state file), ``reuse(config, inputs, run_dir) -> outputs | None`` (read a finished
stage's outputs back, None when they cannot be) and ``log(inputs, status) -> lines``.
``config`` is the loaded workflow (:func:`clustergen.workflow.config.load`), ``inputs``
the outputs of earlier stages plus ``state`` (the stages' records), ``key`` and
``progress``.  The runner (:mod:`clustergen.workflow.runner`) decides which to call.
"""

from clustergen.core.identity import scalar_info  # noqa: F401  (the one filter)
