"""The ``clustergen`` sub-command(s) over :mod:`clustergen.compute.relax`."""

import sys

from clustergen.compute.relax import (
    DEFAULT_METHOD,
    DEFAULT_OPTIMISER,
    FMAX,
    METHODS,
    OPTIMISERS,
    STEPS,
    relax,
)
from clustergen.cli.common import STEPS as STEP_CAP
from clustergen.cli.common import FMAX as FMAX_TYPE
from clustergen.cli.common import WORKERS
from clustergen.core import validate
from clustergen.core.model import write_candidates
from clustergen.core.identity import scalar_info


def register_cli(subparsers):
    """``clustergen relax``: GFN-xTB pre-relaxation into a results database."""
    p = subparsers.add_parser(
        "relax", help="pre-relax candidates with GFN-xTB (tblite), results in a database",
        description="Relax candidates with GFN-xTB through tblite, in parallel Dask "
                    "workers, storing each result as it finishes; a rerun skips finished "
                    "candidates. Example: clustergen relax candidates.extxyz --db "
                    "results.db --workers 2 -o relaxed.extxyz")
    p.add_argument("inputs", nargs="+", help="extended XYZ files of candidates")
    p.add_argument("--db", default="results.db",
                   help="SQLite file or postgresql:// URL (default results.db)")
    p.add_argument("--workers", type=WORKERS, default=None,
                   help="local worker processes (default: one per core; 0 = no Dask)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler, "
                                       "e.g. tcp://10.0.0.5:8786")
    p.add_argument("-o", "--output", help="write the relaxed candidates to this extxyz")
    p.add_argument("--method", default=DEFAULT_METHOD, choices=METHODS)
    p.add_argument("--fmax", type=FMAX_TYPE, default=FMAX, help="force criterion, eV/A")
    p.add_argument("--steps", type=STEP_CAP, default=STEPS, help="step cap per candidate")
    p.add_argument("--optimiser", default=DEFAULT_OPTIMISER, choices=OPTIMISERS,
                   help=f"ASE optimiser or two-stage protocol (default {DEFAULT_OPTIMISER}; "
                        "the earlier default was FIRE with --fmax 0.05 --steps 300)")
    p.add_argument("--retry", action="store_true",
                   help="redo stored not-converged and failed candidates")
    p.add_argument("--traj-dir", help="trajectory directory (default <db>.traj)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cli_relax)


def _cli_relax(args):
    candidates = []
    for path in args.inputs:
        candidates += validate.read_structures(path, "candidate file")
    if args.output is not None:
        validate.output_file(args.output)
    if args.traj_dir is not None:
        validate.output_dir(args.traj_dir, "trajectory directory")
    relaxed = relax(candidates, db=args.db, workers=args.workers, scheduler=args.scheduler,
                    method=args.method, fmax=args.fmax, steps=args.steps,
                    optimiser=args.optimiser, retry=args.retry, traj_dir=args.traj_dir,
                    progress=not args.no_progress)
    counts = {}
    for atoms in relaxed:
        counts[atoms.info.get("status")] = counts.get(atoms.info.get("status"), 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    from clustergen.compute.store import written
    routes = sorted({f"{a.info['blas_route']} {a.info.get('blas', '')}".strip()
                     for a in relaxed if a.info.get("blas_route")})
    blas = f" (BLAS: {', '.join(routes)})" if routes else ""
    print(f"{len(relaxed)} candidates in {args.db}: {summary}; {written()} relaxed by "
          f"this run{blas}", file=sys.stderr)
    if args.output:
        write_candidates(args.output, [scalar_info(a) for a in relaxed])
    return 0
