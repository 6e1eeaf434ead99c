"""Workflows: a study described in a small YAML file, run stage by stage into a directory.

Stages, in order (each a plain function over Atoms or ranking rows, usable from Python):

``build``   candidates from a growth family (``family`` + ``upto``) or a list of
            ``formulas``, with ``ligand`` and ``isomers`` (an int, or ``all``: every
            isomer the generator embeds, ``clustergen.generation.generate.MAX_EMBED`` per member);
            optional ``dope`` (element, count, classes, charge) through
            :func:`clustergen.screen.dopants.enumerate_dopings`          -> :func:`build_candidates`
``relax``   GFN-xTB pre-relaxation (method, fmax, steps, optimiser, workers or
            scheduler) into ``results.db``                       -> :func:`relax_candidates`
``learn``   optional: relax at most ``budget`` candidates chosen by active learning and
            predict the rest (inside the relax stage)    -> :mod:`.stages.learn`
``rank``    per-formula lowest energy, relative energies, HOMO-LUMO gap window, topology
            kept, converged only, top-N survivors per formula; or ``by: surrogate``, in
            the order of a model's predicted gap or relative energy -> :func:`rank`
``refine``  optional: DFT single points on the survivors, then their ranking at the best
            level (inside the rank stage)                -> :mod:`.stages.refine`
``dft``     decks for the survivors: ``codes``, ``task``, ``settings`` -> :func:`write_dft`
``report``  ``report.html``: 3D views, plots along the series, the table -> :func:`write_report`

A run directory holds ``candidates.extxyz``, ``results.db`` (:mod:`clustergen.compute.store`),
``ranking.csv``, ``dft/<code>/`` (decks, manifest, SLURM script), ``report.html`` and
``workflow-state.json``.  The state keeps, per stage, a hash of its settings and of the
previous stage's output; a stage whose hash is unchanged and whose output is on disk is
reused, so a second run redoes nothing and changing one stage's settings redoes only that
stage and those after it.  Relaxations are keyed by content (the store's candidate id), so
a run killed mid-relaxation resumes with every finished candidate kept.

Modules: :mod:`.config` (YAML loading and the schema; :mod:`.options` for ``learn``,
``refine`` and the surrogate keys of ``rank``), :mod:`.state` (hashes, resume),
:mod:`.runner` (the stage table and :func:`run`), :mod:`.stages` (one module per stage);
the ranking itself is library code in :mod:`clustergen.rank.ranking`.

>>> wf = load({"build": {"formulas": ["[Au25(SR)18]-"], "ligand": "SH", "isomers": 1},
...            "relax": {"fmax": 0.5, "steps": 5}})
>>> wf["relax"]["method"], wf["rank"]["top"], wf["dft"]
('GFN1-xTB', 1, None)
>>> load({"relax": {"fmx": 0.1}, "build": {"family": "double-helix"}})
Traceback (most recent call last):
...
clustergen.core.errors.ClusterGenError: relax: unknown key 'fmx' (known: method, fmax, steps, optimiser, workers, scheduler)
"""

from clustergen.rank.ranking import RANKING_COLUMNS, member_summary, read_ranking, write_ranking
from clustergen.workflow.config import SCHEMA, STAGES, load
from clustergen.workflow.runner import TABLE, run
from clustergen.workflow.stages.build import build_candidates
from clustergen.workflow.stages.dft import write_dft
from clustergen.workflow.stages.rank import rank
from clustergen.workflow.stages.relax import RUN_ONLY, candidate_ids, relax_candidates
from clustergen.workflow.stages.report import series_plots, write_report
from clustergen.workflow.state import STATE

__all__ = ["RANKING_COLUMNS", "RUN_ONLY", "SCHEMA", "STAGES", "STATE", "TABLE",
           "build_candidates", "candidate_ids", "load", "member_summary", "rank",
           "read_ranking", "relax_candidates", "run", "series_plots", "write_dft",
           "write_ranking", "write_report"]
