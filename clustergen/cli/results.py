"""The ``clustergen`` sub-command(s) over :mod:`clustergen.compute.store`."""

from clustergen.compute.store import format_rows, rows
from clustergen.core import validate


def register_cli(subparsers):
    """``clustergen results``: one row per stored candidate."""
    p = subparsers.add_parser(
        "results", help="print stored relaxation results, one row per candidate",
        description="Print the relaxation results stored in a database, one row per "
                    "candidate. Example: clustergen results --db results.db --format csv")
    p.add_argument("--db", default="results.db",
                   help="SQLite file or postgresql:// URL (default results.db)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--status", help="only rows with this status (e.g. converged)")
    p.set_defaults(func=_cli_results)


def _cli_results(args):
    validate.check_database(args.db, create=False)
    selection = {"status": args.status} if args.status else {}
    print(format_rows(rows(args.db, **selection), args.format))
    return 0
