"""The ``clustergen`` sub-command(s) over :mod:`clustergen.compute.store`."""

from clustergen.compute.store import TABLE_COLUMNS, format_rows, rows
from clustergen.core import validate
from clustergen.rank.stored import has_predictions

# with predictions stored: computed or predicted, and a prediction's value and std (eV)
PREDICTION_COLUMNS = ("source", "target", "predicted", "std")


def register_cli(subparsers):
    """``clustergen results``: one row per stored candidate."""
    p = subparsers.add_parser(
        "results", help="print stored relaxation results, one row per candidate",
        description="Print the relaxation results stored in a database, one row per "
                    "candidate. When the database holds surrogate predictions (a workflow "
                    "with a learn section), a source column says computed or predicted, "
                    "with the prediction and its standard deviation; predictions are never "
                    "ranked by --level. Example: clustergen results --db results.db "
                    "--format csv")
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
    table = rows(args.db, **selection)
    if has_predictions(args.db):  # an active-learning run: say what was computed
        for r in table:
            r.setdefault("source", "computed")
        if args.format == "table":
            from clustergen.cli.common import format_table

            print(format_table(table, "table", TABLE_COLUMNS + PREDICTION_COLUMNS))
            return 0
    print(format_rows(table, args.format))
    return 0
