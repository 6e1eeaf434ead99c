"""The ``clustergen`` sub-command(s) over :mod:`clustergen.visual.viz`."""

import os

from clustergen.cli.common import argtype, int_range
from clustergen.core import validate
from clustergen.core.errors import ClusterGenError
from clustergen.visual.viz import db_structures, render


def _parse_labels(text):
    labels = {}
    for item in filter(None, (text or "").split(",")):
        index, sep, name = item.partition("=")
        if not sep or not index.strip().lstrip("-").isdigit():
            raise ClusterGenError(f"bad label '{item}': write INDEX=TEXT, e.g. 0=centre")
        labels[int(index)] = name
    return labels


SUFFIXES = (".html", ".htm", ".png", ".svg", ".pdf")


def _cli(args):
    validate.output_file(args.output)
    suffix = os.path.splitext(args.output)[1].lower()
    if suffix not in SUFFIXES:
        raise ClusterGenError(f"cannot render to '{suffix or args.output}': use .html, "
                              ".png, .svg or .pdf")
    if args.input.endswith(".db"):
        structures = db_structures(args.input, args.query, args.limit)
        if not structures:
            raise ClusterGenError(f"no rows in {args.input} match {args.query!r}")
    else:
        structures = validate.read_structures(args.input)
    if args.frame is not None:
        if not -len(structures) <= args.frame < len(structures):
            raise ClusterGenError(f"frame {args.frame} out of range: {args.input} has "
                                  f"{len(structures)} frame(s)")
        structures = [structures[args.frame]]
    overlay = None
    if args.overlay:
        overlay = validate.read_structures(args.overlay, "overlay")[0]
        if len(structures) != 1:
            raise ClusterGenError("--overlay needs one structure: add --frame N")
    target = structures[0] if len(structures) == 1 else structures
    render(target, args.output, grid=args.grid, overlay=overlay,
           labels=_parse_labels(args.labels), hide_ligands=args.hide_ligands,
           kernel_only=args.kernel_only, title=args.title, rotation=args.rotation,
           cols=args.cols)
    print(f"wrote {args.output}")
    return 0


def register_cli(subparsers):
    """Add ``clustergen render FILE -o OUT``: HTML page (3Dmol.js inlined) or PNG/SVG figure.

    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register_cli(sub).prog.endswith("render")
    True
    """
    p = subparsers.add_parser(
        "render", help="draw candidates: self-contained HTML page or PNG/SVG figure",
        description="Draw candidates in role colours. Examples:\n"
                    "  clustergen render au25.extxyz -o au25.html   # page, works offline\n"
                    "  clustergen render au25.extxyz -o au25.png    # static figure\n"
                    "  clustergen render series.extxyz --grid -o series.svg\n"
                    "  clustergen render results.db --query status=converged -o best.html",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("input", help="extended XYZ (or any ASE-readable file) or an ASE .db")
    p.add_argument("-o", "--output", required=True, help="output .html, .png, .svg or .pdf")
    p.add_argument("--frame", type=int_range(), help="draw only this frame (0 first, -1 last)")
    p.add_argument("--grid", action="store_true",
                   help="gallery of all frames (default for HTML: animate same-atom frames)")
    p.add_argument("--overlay", metavar="REF", help="reference structure to align and overlay")
    p.add_argument("--labels", help="site labels, e.g. '0=centre,5=shell'")
    p.add_argument("--hide-ligands", action="store_true", help="hide R-group atoms")
    p.add_argument("--kernel-only", action="store_true", help="show only kernel metal atoms")
    p.add_argument("--title", help="title above the picture")
    p.add_argument("--rotation", default="",
                   type=argtype(validate.rotation, "rotation", "rotation"),
                   help="static figures: ASE rotation, e.g. '90x,30y'")
    p.add_argument("--cols", type=int_range(1, 64), default=4, help="gallery columns (default 4)")
    p.add_argument("--query", default="", help="database selection, e.g. status=converged")
    p.add_argument("--limit", type=int_range(1, 1000), default=24,
                   help="database rows at most (default 24)")
    p.set_defaults(func=_cli)
    return p
