"""The ``clustergen run`` sub-command: run a YAML workflow."""

import json

from clustergen.cli.common import WORKERS
from clustergen.core import validate
from clustergen.workflow import STAGES, load, run
from clustergen.workflow.options import SECTIONS


def register_cli(subparsers):
    """``clustergen run WORKFLOW.yaml -o RUN_DIR``: run (or resume) a workflow."""
    p = subparsers.add_parser(
        "run", help="run a YAML workflow (build, relax, rank, dft, report; optional "
                    "learn and refine); resumable",
        description="Run a workflow file stage by stage into a run directory: "
                    "candidates.extxyz, results.db, ranking.csv, dft/, report.html. A rerun "
                    "reuses every finished stage and relaxation. Example: clustergen run "
                    "workflows/predict-au60.yaml -o runs/au60")
    p.add_argument("workflow", help="workflow YAML file")
    p.add_argument("-o", "--output", required=True, help="run directory")
    p.add_argument("--workers", type=WORKERS, help="override relax.workers (0 = no Dask)")
    p.add_argument("--scheduler", help="override relax.scheduler (Dask address)")
    p.add_argument("--check", action="store_true",
                   help="only validate the workflow and print its stages")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cli_run)


def _cli_run(args):
    if args.check:
        wf = load(args.workflow)
        for name in STAGES + SECTIONS:
            if name in STAGES or wf[name] is not None:  # learn, refine: only when given
                print(f"{name}: {json.dumps(wf[name])}")
        return 0
    validate.output_dir(args.output, "run directory")
    run(args.workflow, args.output, workers=args.workers, scheduler=args.scheduler,
        progress=not args.no_progress)
    return 0
