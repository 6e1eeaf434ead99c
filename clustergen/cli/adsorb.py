"""The ``clustergen`` sub-command(s) over :mod:`clustergen.screen.adsorption`."""

import sys

from clustergen.cli.common import nonneg_int
from clustergen.core import validate
from clustergen.screen.adsorption import COLUMNS, KINDS, screen


def register_cli(subparsers):
    """``clustergen adsorb``: CO, H, O, OH (or an xyz molecule) on every distinct site.

    Example: ``clustergen adsorb pt_best.extxyz --adsorbate CO --relax -o co.csv``.
    """
    from clustergen.cli.common import add_screen_arguments
    p = subparsers.add_parser(
        "adsorb", help="place an adsorbate on every symmetry-distinct top, bridge and "
                       "hollow site and report E_ads",
        description="Find the exposed metal atoms of a cluster, enumerate symmetry-"
                    "distinct top, bridge and hollow sites, place the adsorbate and (with "
                    "--relax) report E_ads = E(cluster+ads) - E(cluster) - E(ads) per "
                    "site with its site class and distance to the dopant. Example: "
                    "clustergen adsorb pt_best.extxyz --adsorbate CO --relax --format csv "
                    "-o co.csv")
    p.add_argument("input", help="structure file (extxyz) or a formula to build")
    p.add_argument("--adsorbate", default="CO",
                   help="CO, H, O, OH or an xyz file of a molecule (default CO)")
    p.add_argument("--anchor", type=nonneg_int, default=0,
                   help="atom of an xyz adsorbate that binds the metal (default 0)")
    p.add_argument("--sites", default="top,bridge,hollow",
                   help="site kinds to try, comma separated (default all)")
    add_screen_arguments(p)
    p.set_defaults(func=_cli)


def _cli(args):
    from clustergen.cli.common import format_table, load_input, relax_options
    from clustergen.core.model import write_candidates
    from clustergen.core.identity import scalar_info
    from clustergen.cli.common import write_text
    from clustergen.screen.dopants import relax_configurations
    for path in (args.output, args.structures):
        if path is not None:
            validate.output_file(path)
    relax_options(args)  # opens --db now when relaxing
    atoms = load_input(args.input, args.ligand, args.frame)
    kinds = tuple(k.strip() for k in args.sites.split(",") if k.strip())
    # the engine carries the GFN method; screen's own ``method`` is the symmetry method
    engine = (lambda cs: relax_configurations(cs, **relax_options(args))) if args.relax \
        else None
    rows, structures = screen(atoms, args.adsorbate, kinds, relax=engine,
                              anchor=args.anchor, tolerance=args.tolerance,
                              method=args.symmetry)
    text = format_table(rows, args.format, COLUMNS)
    if args.output:
        write_text(args.output, text)
    else:
        print(text)
    counts = {k: sum(1 for r in rows if r["site"] == k) for k in KINDS}
    print(f"{len(rows)} distinct site(s): " + ", ".join(f"{n} {k}" for k, n in
                                                        counts.items()), file=sys.stderr)
    if args.structures:
        write_candidates(args.structures, [scalar_info(s) for s in structures])
    return 0
