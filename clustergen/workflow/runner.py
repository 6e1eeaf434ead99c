"""The runner: a loop over the stage table, each stage reused or run via :mod:`.state`."""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from clustergen.rank.ranking import RANKING_COLUMNS
from clustergen.workflow.config import STAGES, load
from clustergen.workflow.options import section_key
from clustergen.workflow.stages import build, dft, rank, relax, report
from clustergen.workflow.state import RunState


@dataclass(frozen=True)
class Stage:
    """One row of the stage table.

    The stage's key hashes ``salt`` (format constants whose change must redo it), its own
    settings minus ``ignore``, and the output hashes of the stages in ``after``.  It is
    reused when the key is unchanged, ``files`` exist in the run directory (the first
    one unchanged if ``check_file``) and ``module.reuse`` can read its outputs back."""

    name: str
    module: object                    # run / reuse / log (and clear, if optional)
    files: tuple
    after: tuple = ()
    ignore: tuple = ()
    salt: tuple = ()
    check_file: bool = False
    optional: bool = False            # a workflow without this stage skips it
    # keys added to the stage's schema later, with their defaults: left out of the key
    # while at the default, so run directories made before them are still reused
    added: tuple = ()
    # optional sections (clustergen.workflow.options) done inside this stage: their
    # settings join the key when the workflow has them
    sections: tuple = ()


TABLE = (
    Stage("build", build, (build.FILE,), check_file=True),
    Stage("relax", relax, (relax.FILE,), after=("build",), ignore=relax.RUN_ONLY,
          sections=("learn",)),
    Stage("rank", rank, (rank.FILE,), after=("relax",), salt=(RANKING_COLUMNS,),
          check_file=True, added=(("by", "energy"), ("target", None), ("model", None)),
          sections=("refine",)),
    Stage("dft", dft, (dft.FILE,), after=("rank",), optional=True),
    Stage("report", report, (report.FILE,), after=("rank", "dft")),
)
assert tuple(s.name for s in TABLE) == STAGES


def hashed_settings(stage, config):
    """What of the workflow enters a stage's key: its settings minus ``ignore`` and the
    ``added`` keys at their defaults, plus the optional ``sections`` it runs.

    >>> wf = load({"build": {"formulas": ["[Au25(SR)18]-"], "ligand": "SH"}})
    >>> sorted(hashed_settings(TABLE[2], wf))
    ['converged_only', 'energy_window', 'gap', 'top', 'topology_kept']
    """
    added = dict(stage.added)
    settings = {k: v for k, v in config[stage.name].items() if k not in stage.ignore
                and not (k in added and v == added[k])}
    for name in stage.sections:
        if config.get(name) is not None:
            settings[name] = section_key(name, config[name])
    return settings


def _stage(stage, config, inputs, state, run_dir):
    """Reuse or run one stage; returns "ran", "reused" or "skipped"."""
    settings = config[stage.name]
    if settings is None:
        if stage.optional and state.forget(stage.name):
            stage.module.clear(run_dir)  # outputs of an earlier version of the study
        return "skipped"
    key = state.key(stage.name, hashed_settings(stage, config), stage.after, stage.salt)
    if state.fresh(stage.name, key, stage.files, stage.check_file):
        outputs = stage.module.reuse(config, inputs, run_dir)
        if outputs is not None:
            inputs.update(outputs)
            return "reused"
    t0 = time.perf_counter()
    outputs = stage.module.run(config, dict(inputs, key=key), run_dir)
    output, extra = outputs.pop("digest"), outputs.pop("record", {})
    state.record(stage.name, key, output, time.perf_counter() - t0, **extra)
    inputs.update(outputs)
    return "ran"


def run(workflow, run_dir, workers=None, scheduler=None, progress=True, log=None):
    """Run a workflow (path, YAML text or dict) into ``run_dir``; returns
    ``{stage: "ran" | "reused" | "skipped"}``.

    ``workers``/``scheduler`` override the relax stage's.  Every stage whose settings
    and input are unchanged since the last run is reused; relaxations already in
    ``results.db`` are never redone.

    >>> run("workflows/predict-au60.yaml", "runs/au60")  # doctest: +SKIP
    {'build': 'ran', 'relax': 'ran', 'rank': 'ran', 'dft': 'ran', 'report': 'ran'}
    """
    config = load(workflow)
    if workers is not None:
        config["relax"].update(workers=workers, scheduler=None)
    if scheduler:
        config["relax"].update(scheduler=scheduler, workers=None)
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    state = RunState(run_dir)
    inputs = {"state": state.stages, "run_dir": run_dir, "progress": progress,
              "stages": STAGES, "started": time.perf_counter()}
    done = {}
    for stage in TABLE:
        done[stage.name] = _stage(stage, config, inputs, state, run_dir)
        if done[stage.name] != "skipped":
            for line in stage.module.log(inputs, done[stage.name]):
                log(line)
    return done
