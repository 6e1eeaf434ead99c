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
    p.add_argument("--level", choices=("best", "dft", "gfn1"),
                   help="rank per composition at this level instead: relative energies "
                        "and Boltzmann populations from DFT where every candidate of the "
                        "formula has it (best), DFT only (dft) or GFN1 (gfn1); a column "
                        "says which level each number comes from")
    p.add_argument("--temperature", type=float, default=298.15,
                   help="K, for --level populations (default 298.15)")
    p.set_defaults(func=_cli_results)


def _cli_results(args):
    validate.check_database(args.db, create=False)
    selection = {"status": args.status} if args.status else {}
    if args.level:
        from clustergen.cli.common import format_table
        from clustergen.rank.levels import COLUMNS, ranking

        table = ranking(rows(args.db), args.level, args.temperature)
        if args.format == "json":
            print(format_rows(table, "json"))
        else:
            print(format_table(table, args.format, COLUMNS))
        return 0
    print(format_rows(rows(args.db, **selection), args.format))
    return 0
