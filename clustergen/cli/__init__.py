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
    "ligate",     # ligate, ligands
    "analyse",    # analyse
    "compare",    # compare
    "relax",      # relax
    "results",    # results
    "dopants",    # dopants
    "adsorb",     # adsorb
    "dft",        # dft
    "refine",     # refine (DFT single points in the loop)
    "render",     # render
    "run",        # run
    "surrogate",  # surrogate fit, predict, evaluate
)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line (exit 2), like every other input problem."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The argument parser with every available sub-command.

    >>> "build" in build_parser().format_help()
    True
    """
    parser = _Parser(
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: a status, not an exit
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        result = args.func(args)
    except ClusterGenError as exc:
        print(f"clustergen {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted(args.command)
    return int(result or 0)


def _one_line(exc):
    text = " ".join(str(exc).split())
    return text if len(text) <= 400 else text[:397] + "..."


def _interrupted(command):
    """Ctrl-C: one line and exit 130 (128 + SIGINT).  Every result stored before the
    interrupt stays in the database (each is written in its own transaction as it
    finishes), so a rerun resumes."""
    store = sys.modules.get("clustergen.compute.store")
    done = store.written() if store else 0
    print(f"clustergen {command}: interrupted; {done} finished results kept, "
          "rerun to resume", file=sys.stderr, flush=True)
    return 130


if __name__ == "__main__":
    sys.exit(main())
