"""The ``clustergen`` sub-command(s) over :mod:`clustergen.analysis.compare`."""

from clustergen.analysis.compare import align_frameworks
from clustergen.core.errors import ClusterGenError


def register_cli(subparsers):
    """Add ``clustergen compare A B``: framework RMSD of every frame of B against A.

    Example: ``clustergen compare structures/reference/au25_sr18_xtal.xyz built.xyz``
    """
    p = subparsers.add_parser(
        "compare", help="framework (Au+S) RMSD between structures",
        description="Framework RMSD (Å) of each frame of B against the first frame of A, "
                    "after optimal rotation, atom matching and (by default) mirroring. "
                    "Example: clustergen compare ref.xyz candidates.xyz --elements Au S")
    p.add_argument("reference", help="structure file (first frame used)")
    p.add_argument("candidates", help="structure file; every frame is compared")
    p.add_argument("--elements", nargs="+", default=["Au", "S"],
                   help="framework elements (default: Au S)")
    p.add_argument("--no-mirror", action="store_true",
                   help="do not allow improper rotations (keep handedness)")
    p.set_defaults(func=_cli_compare)


def _cli_compare(args):
    from clustergen.core.validate import read_structures

    try:
        ref = read_structures(args.reference, "reference")[0]
        frames = read_structures(args.candidates, "candidate file")
    except ClusterGenError as exc:
        raise ClusterGenError(f"cannot read structure: {exc}") from None
    for k, atoms in enumerate(frames):
        al = align_frameworks(ref, atoms, elements=tuple(args.elements),
                              mirror=not args.no_mirror)
        tag = " (mirror image)" if al.mirrored else ""
        print(f"{k}\t{atoms.get_chemical_formula()}\t{al.rmsd:.3f} Å{tag}")
    return 0
