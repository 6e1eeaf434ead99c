"""The ``clustergen refine`` sub-command over :mod:`clustergen.dft.refine`."""

import sys

from clustergen.core.errors import ClusterGenError


def add_refine_arguments(p, prefix=""):
    """DFT-in-the-loop options shared by ``refine`` and ``dopants --refine``.

    >>> import argparse
    >>> p = argparse.ArgumentParser(); add_refine_arguments(p)
    >>> refine_options(p.parse_args(["--code", "pyscf", "--basis", "def2-SVP"]))["basis"]
    'def2-SVP'
    """
    p.add_argument("--code", default="cp2k",
                   help="cp2k (GPW, PBE) or pyscf (def2 basis + ECP); default cp2k")
    p.add_argument("--task", default="sp", help="sp (single point; the only task run here)")
    p.add_argument("--functional", help="override (cp2k: PBE; pyscf default PBE)")
    p.add_argument("--basis", help="override (pyscf: def2-SVP, def2-TZVP, ...; cp2k: "
                                   "DZVP-MOLOPT-SR-GTH, SZV-MOLOPT-SR-GTH)")
    p.add_argument("--dispersion", help="d3bj (default), d4 or none")
    p.add_argument("--cutoff", type=float, help="cp2k density cutoff, Ry (default 300)")
    p.add_argument("--vacuum", type=float, help="cp2k vacuum each side, A (default 5)")
    p.add_argument("--smearing", type=float, metavar="K",
                   help="Fermi-Dirac smearing at this electronic temperature (K); cp2k "
                        "default 300 (diagonalisation + Broyden mixing + added MOs: 35 SCF "
                        "steps on [PtAu24(SH)18]0 where OT had not converged after 57, "
                        "docs/dft-handoff.md; open shells keep their multiplicity), 0 for "
                        "OT with integer occupations; pyscf default off "
                        "(scf.addons.smearing).  Part of the level name")
    p.add_argument("--density-fit", action="store_true",
                   help="pyscf: RI-J density fitting instead of direct SCF (faster; needs "
                        "naux*nao^2/2 doubles of memory or disk)")
    p.add_argument("--threads", type=int, default=1,
                   help="OpenMP threads per DFT job (default 1)")
    p.add_argument("--memory", type=float,
                   help="GB one job may use (default: free memory / workers, or the "
                        "Dask workers' limit); bigger jobs are refused before they start")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); "
                                       "default: local worker processes")
    p.add_argument("--scratch", help="job directories (default <db>.dft/)")
    p.add_argument("--clean", action="store_true",
                   help="delete a job's directory once it converged")
    p.add_argument("--retry", action="store_true",
                   help="redo stored failed / unconverged DFT jobs")
    p.add_argument("--timeout", type=float, help="seconds per job before it is stopped")


def refine_options(args):
    """Keyword arguments of :func:`clustergen.dft.refine.refine` from parsed options."""
    if args.threads < 1:
        raise ClusterGenError(f"--threads must be >= 1, got {args.threads}")
    opts = {"code": args.code, "task": args.task, "threads": args.threads,
            "memory_gb": args.memory, "scheduler": args.scheduler, "scratch": args.scratch,
            "clean": args.clean, "retry": args.retry, "timeout": args.timeout}
    for name in ("functional", "basis", "dispersion", "cutoff", "vacuum", "smearing"):
        if getattr(args, name) is not None:
            opts[name] = getattr(args, name)
    if args.density_fit:
        if args.code != "pyscf":
            raise ClusterGenError("--density-fit applies to --code pyscf only")
        opts["density_fit"] = True
    return opts


def register_cli(subparsers):
    """``clustergen refine``: DFT single points on the best stored candidates."""
    p = subparsers.add_parser(
        "refine", help="run DFT single points (CP2K or PySCF) on the lowest stored "
                       "candidates and store them beside the GFN-xTB results",
        description="Run DFT single points on the --top N lowest-energy converged "
                    "candidates of each formula in --db, locally (one process per core "
                    "by default) or on a Dask scheduler, and store each result as a row "
                    "with the candidate's id and its level of theory. Memory and time are "
                    "estimated first; a job that does not fit is refused. A rerun skips "
                    "finished jobs. Example: clustergen refine --db results.db --top 3 "
                    "--code cp2k --task sp")
    p.add_argument("--db", default="results.db",
                   help="results database (SQLite file or postgresql:// URL)")
    p.add_argument("--top", type=int, default=3, help="lowest N per formula (default 3)")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: what cores and memory allow; "
                        "0 = run here without Dask)")
    p.add_argument("--dry-run", action="store_true", help="print the estimates only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_refine_arguments(p)
    p.set_defaults(func=_cli_refine)


def _cli_refine(args):
    from clustergen.compute.store import connect
    from clustergen.dft.batch import read_top
    from clustergen.dft.refine import refine

    if args.top < 1:
        raise ClusterGenError(f"--top must be >= 1, got {args.top}")
    connect(args.db, create=False)
    candidates = read_top(args.db, args.top)
    rows = refine(candidates, db=args.db, workers=args.workers, dry_run=args.dry_run,
                  progress=not args.no_progress, **refine_options(args))
    if args.dry_run:
        return 0
    print_level_rows(rows)
    failed = [r for r in rows if r.get("status") != "converged"]
    print(f"{len(rows) - len(failed)} converged, {len(failed)} failed or not converged; "
          f"clustergen results --db {args.db} --level best", file=sys.stderr)
    return 0


def print_level_rows(rows):
    """One line per DFT result: cid, status, energy, gap, SCF steps, wall, level, message."""
    from clustergen.cli.common import format_table

    cols = ("cid", "cluster", "status", "energy", "gap", "scf_iterations", "wall", "level",
            "message")
    print(format_table(rows, "table", cols))
