"""The ``clustergen`` command. Each feature module registers its own sub-command.

A module listed in ``COMMAND_MODULES`` defines ``register_cli(subparsers)`` which adds a
parser whose ``func(args)`` does the work.  Input problems raise
:class:`~clustergen.core.errors.ClusterGenError`; they are printed as one line and exit 2.
"""

import argparse
import importlib
import sys

from clustergen.core.errors import ClusterGenError

COMMAND_MODULES = (
    "build",      # families, build, grow
    "analyse",    # analyse
    "compare",    # compare
    "relax",      # relax
    "results",    # results
    "dopants",    # dopants
    "adsorb",     # adsorb
    "dft",        # dft
    "render",     # render
    "run",        # run
    "surrogate",  # surrogate fit, predict, evaluate
)


def build_parser():
    """The argument parser with every available sub-command.

    >>> "build" in build_parser().format_help()
    True
    """
    parser = argparse.ArgumentParser(
        prog="clustergen",
        description="Design ligand-protected metal nanoclusters from growth templates.",
    )
    parser.add_argument("--version", action="version", version="clustergen 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"clustergen.cli.{name}").register_cli(sub)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status.

    >>> main(["--help"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        result = args.func(args)
    except ClusterGenError as exc:
        print(f"clustergen {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
