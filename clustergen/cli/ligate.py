"""The ``ligate`` and ``ligands`` sub-commands over :mod:`clustergen.generation.ligate`."""

import sys
import time

from clustergen.cli.analyse import _read
from clustergen.core.model import write_candidates


def _cmd_ligate(args):
    from clustergen.generation.ligate import ligate
    frames = _read(args.file)
    out = []
    for k, atoms in enumerate(frames):
        t = time.perf_counter()
        lig = ligate(atoms, args.ligand, charge=args.charge)
        out.append(lig)
        n = int(lig.arrays["ligand_index"].max()) + 1
        print(f"{lig.info['formula']:<24} N*={lig.info['nstar']:<3} {n} ligands  "
              f"{len(lig)} atoms  frame {k}  {time.perf_counter() - t:.1f} s")
    write_candidates(args.output, out)
    print(f"wrote {len(out)} structure(s) to {args.output}", file=sys.stderr)
    return 0


def _cmd_ligands(args):
    from clustergen.generation.ligand_chem import describe, library
    rows = [describe(name) for name in library()]
    print(f"{'name':<11} {'class':<10} {'donor':<5} {'e-':<3} smiles")
    for r in rows:
        print(f"{r['name']:<11} {r['class']:<10} {r['donor']:<5} {r['electrons']:<3} "
              f"{r['smiles']}" + (f"\n{'':<11} {r['citation']}" if args.cite else ""))
    return 0


def register_cli(sub):
    """Add ``ligate`` and ``ligands`` to the ``clustergen`` command."""
    p = sub.add_parser(
        "ligate", help="put ligands on a metal-donor framework, or exchange ligands",
        description="Add R groups to every donor site of a framework (bare Au-S, or a "
                    "ligated structure whose R groups are replaced); the framework does not "
                    "move. Example: clustergen ligate au25_sch3.extxyz --ligand PET "
                    "-o au25_pet.extxyz")
    p.add_argument("file", help="structure file (extxyz, xyz, ...; every frame is ligated)")
    p.add_argument("--ligand", action="append", required=True,
                   help="library name (see `clustergen ligands`) or SMILES of the neutral "
                        "molecule (thiol, phosphine, HX, terminal alkyne); repeat for "
                        "mixed shells, one per donor class")
    p.add_argument("--charge", type=int, default=None,
                   help="total charge (default: from the file's info, else 0)")
    p.add_argument("-o", "--output", default="ligated.extxyz", help="extended XYZ output")
    p.set_defaults(func=_cmd_ligate)

    p = sub.add_parser("ligands", help="list the named ligand library",
                       description="List named ligands: name, class, donor, electrons "
                                   "taken in N*, SMILES. Example: clustergen ligands")
    p.add_argument("--cite", action="store_true", help="also print each citation")
    p.set_defaults(func=_cmd_ligands)
