"""Options and helpers shared by several sub-commands (dopants, adsorb, ...)."""

import argparse
import math
import os

from clustergen.core import validate
from clustergen.core.errors import ClusterGenError
from clustergen.analysis.sites import kernel_indices
from clustergen.core.orbits import framework_permutations
from clustergen.screen.dopants import (
    COLUMNS,
)


def argtype(check, name, what="value"):
    """An argparse ``type=`` from a :mod:`clustergen.core.validate` checker: the
    checker's own message becomes argparse's one-line error (exit 2).

    >>> positive_float("0.05"), int_range(0, 4)("2")
    (0.05, 2)
    """
    def parse(text):
        try:
            return check(text, what=what)
        except ClusterGenError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = name
    return parse


def int_range(low=None, high=None):
    """argparse type: an integer in ``[low, high]``."""
    return argtype(validate.bounded_int(low, high), "integer")


finite_float = argtype(validate.finite_float, "number")
positive_float = argtype(validate.positive_float, "positive number")
FMAX = argtype(validate.positive_float, "positive number", "fmax")
nonneg_float = argtype(validate.nonneg_float, "number")
positive_int = argtype(validate.positive_int, "positive integer")
nonneg_int = argtype(validate.nonneg_int, "integer")
WORKERS = int_range(0, validate.MAX_WORKERS)      # --workers: 0 = no Dask
STEPS = int_range(0, validate.MAX_STEPS)          # --steps: optimiser step cap
CHARGE = int_range(-validate.MAX_CHARGE, validate.MAX_CHARGE)
MULTIPLICITY = int_range(1, validate.MAX_MULTIPLICITY)
TOLERANCE = argtype(validate.tolerance, "tolerance")


def write_text(path, text):
    """Write a table or report to ``path`` (checked first: not a directory, writable)."""
    validate.output_file(path)
    try:
        with open(path, "w") as fh:
            fh.write(text + "\n")
    except OSError as exc:
        raise ClusterGenError(f"cannot write '{path}': {exc.strerror}") from None


def format_table(rows, fmt="table", columns=COLUMNS):
    """Rows as an aligned text table or CSV.

    >>> print(format_table([{"id": "c1", "energy": -1.23456}], "csv", ("id", "energy")))
    id,energy
    c1,-1.234560
    """
    def cell(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return f"{v:.6f}" if isinstance(v, float) else str(v)

    table = [list(columns)] + [[cell(r.get(c)) for c in columns] for r in rows]
    if fmt == "csv":
        import csv
        import io
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(table)
        return buf.getvalue().rstrip("\n")
    if fmt != "table":
        raise ClusterGenError(f"unknown format '{fmt}' (table, csv)")
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in table)


def load_input(text, ligand=None, frame=0):
    """The host cluster: a structure file (extxyz frame ``frame``) or a formula built
    with :func:`clustergen.generation.generate.build` (best-ranked isomer).

    >>> load_input("[Au25(SR)18]-", ligand="SCH3").info["formula"]  # doctest: +SKIP
    '[Au25(SCH3)18]-'
    """
    if os.path.exists(text):
        frames = validate.read_structures(text)
        if not -len(frames) <= frame < len(frames):
            raise ClusterGenError(f"'{text}' has {len(frames)} frame(s), no frame {frame}")
        atoms = frames[frame]
        if "role" not in atoms.arrays and {"S", "P"} & set(atoms.get_chemical_symbols()):
            from clustergen.analysis.analyse import assign_roles
            assign_roles(atoms, charge=atoms.info.get("charge"))
        atoms.info.setdefault("host", "Au")
        return atoms
    if os.path.splitext(text)[1].lower() in (".xyz", ".extxyz", ".traj", ".cif", ".pdb"):
        raise ClusterGenError(f"no such file '{text}'")
    from clustergen.generation.generate import build
    return build(text, ligand=ligand, isomers=1)[0]


def graph_hint(atoms, tolerance):
    """A note when the bond graph is more symmetric than the geometry at ``tolerance``
    (typical of relaxed or crystal structures), else None.

    >>> from ase.cluster import Icosahedron
    >>> graph_hint(Icosahedron("Au", 2), 0.3) is None  # ideal: geometry finds all 120
    True
    """
    try:
        graph = len(framework_permutations(atoms, method="graph",
                                           kernel=kernel_indices(atoms)))
    except ClusterGenError:
        return None
    geometric = len(framework_permutations(atoms, tolerance=tolerance))
    if graph > geometric:
        return (f"note: the framework bond graph has {graph} automorphisms, the geometry "
                f"{geometric} operations within {tolerance} A; --symmetry graph (or a "
                "larger --tolerance) treats it as the ideal framework and relaxes fewer "
                "configurations")
    return None


def add_screen_arguments(p):
    """Options shared by ``dopants`` and ``adsorb``: input, symmetry, relaxation engine
    and output.

    >>> import argparse
    >>> p = argparse.ArgumentParser(); add_screen_arguments(p)
    >>> relax_options(p.parse_args(["--db", "x.db", "--workers", "0"]))["db"]
    'x.db'
    """
    p.add_argument("--ligand", default=None, help="thiolate for a formula input (SCH3)")
    p.add_argument("--frame", type=int_range(), default=0,
                   help="frame of a multi-frame file")
    p.add_argument("--tolerance", type=TOLERANCE, default=0.3,
                   help="symmetry tolerance in Angstrom (default 0.3; crystal or relaxed "
                        "structures may need 0.9, or --symmetry graph)")
    p.add_argument("--symmetry", choices=("geometry", "graph"), default="geometry",
                   help="point group within --tolerance, or bond-graph automorphisms")
    p.add_argument("--relax", action="store_true",
                   help="relax every configuration with GFN-xTB (else only enumerate)")
    p.add_argument("--db", default="results.db",
                   help="results database for --relax (SQLite file or postgresql:// URL)")
    p.add_argument("--workers", type=WORKERS, default=None,
                   help="local worker processes (default one per core; 0 = no Dask)")
    p.add_argument("--method", default=None, help="GFN-xTB method (default GFN1-xTB)")
    p.add_argument("--fmax", type=FMAX, default=None,
                   help="force criterion, eV/A")
    p.add_argument("--steps", type=STEPS, default=None, help="step cap per relaxation")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("-o", "--output", help="write the table here instead of stdout")
    p.add_argument("--structures", help="write the (relaxed) structures to this extxyz")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def relax_options(args):
    """``relax()`` keyword arguments from the shared options (see
    :func:`add_screen_arguments`); with ``--relax`` the database is opened here, so a
    bad one is refused before any configuration is enumerated."""
    if getattr(args, "relax", False):
        from clustergen.compute.store import connect
        connect(args.db)
    opts = {"db": args.db, "workers": args.workers, "progress": not args.no_progress}
    for name in ("method", "fmax", "steps"):
        if getattr(args, name) is not None:
            opts[name] = getattr(args, name)
    return opts
