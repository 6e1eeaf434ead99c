"""The ``clustergen`` sub-command(s) over :mod:`clustergen.analysis.analyse`."""

import json

from clustergen.analysis.analyse import CONVENTIONS, analyse, assign_roles, report
from clustergen.cli.common import CHARGE
from clustergen.core import model, validate


def _read(path):
    return validate.read_structures(path)


def _cli(args):
    if args.output is not None:
        validate.output_file(args.output)
    frames = _read(args.file)
    if args.charge is not None:
        for a in frames:
            validate.check_charge(args.charge, int(a.numbers.sum()), "--charge")
    results = [analyse(a, args.charge, args.convention) for a in frames]
    if args.format == "json":
        out = []
        for k, r in enumerate(results):
            out.append({"frame": k, **r.summary()})
        print(json.dumps(out, indent=1))
    else:
        for k, r in enumerate(results):
            title = f"{args.file}" + (f" frame {k}" if len(frames) > 1 else "")
            print(report(r, f"{title} ({len(frames[k])} atoms)"))
    if args.output:
        for a in frames:
            assign_roles(a, args.charge, args.convention)
        model.write_candidates(args.output, frames)
    return 0


def register_cli(subparsers):
    """Add ``clustergen analyse FILE [--charge Q] [--convention C] [--format text|json]
    [-o OUT]``.

    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register_cli(sub).parse_args(["au25.xyz", "--charge", "-1"]).charge
    -1
    """
    p = subparsers.add_parser(
        "analyse", aliases=["analyze"],
        help="split a structure into kernel, staple motifs and ligands; print inventory and N*",
        description="Classify every atom of a cluster (any ASE-readable file; all frames) as "
                    "kernel metal, staple metal, thiolate S or ligand, list the motifs "
                    "(bridging, terminal, monomer, dimer, ..., rings), and print N* and the "
                    "implied formula.",
        epilog="example: clustergen analyse au25.xyz --charge -1 -o au25_roles.extxyz")
    p.add_argument("file", help="structure file (xyz, extxyz, cif, pdb, ...)")
    p.add_argument("--charge", type=CHARGE, default=None,
                   help="total charge q (default: the file's charge, else 0)")
    p.add_argument("--convention", choices=CONVENTIONS, default=None,
                   help="staple: every linear Au(I) is a staple atom (divide and protect); "
                        "bridging: linear Au on kernel lattice sites stay kernel and carry "
                        "bridging SR (Au28(TBBT)20, Au36, Au44, Au52 literature counts). "
                        "Default: from the file's family, else staple")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-o", "--output", help="write the frames with roles assigned (extxyz)")
    p.set_defaults(func=_cli)
    return p
