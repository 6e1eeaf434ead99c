"""The ``clustergen`` sub-command(s) over :mod:`clustergen.generation.generate`."""

import re
import sys
import time

from clustergen.cli.common import MULTIPLICITY, int_range
from clustergen.core import validate
from clustergen.generation import families as fam_mod
from clustergen.generation.families import members
from clustergen.generation.generate import build, grow
from clustergen.generation.sulfur import patterns as sulfur_patterns
from clustergen.core.model import format_motifs, write_candidates


def _cmd_families(args):
    for name, fam in fam_mod.families().items():
        print(f"{name}: {fam['title']}")
        print(f"  step: {fam['step']}")
        for m in members(fam):
            print(f"  k={m['k']:<3} {str(m['formula']):<18} N*={m['nstar']:<3} "
                  f"{format_motifs(m['motifs']):<26} {m['status']}"
                  + ("" if m["built"] else "  (not built yet: no growth rule places its shell)"))
    return 0


def _progress(i, n, text):
    print(f"[{i + 1}/{n}] building {text}", file=sys.stderr, flush=True)


def _cmd_build(args):
    t = time.perf_counter()
    validate.output_file(args.output)
    cands = build(args.formula, ligand=args.ligand, isomers=args.isomers,
                  multiplicity=args.multiplicity, sulfur=args.sulfur)
    write_candidates(args.output, cands)
    for a in cands:
        print(f"{a.info['formula']:<20} {a.info['family']:<26} isomer {a.info['isomer']:<3}"
              f" score {a.info['score']:.4f}  N*={a.info['nstar']} "
              f"2S+1={a.info['multiplicity']}  {a.info['motifs']}")
    print(f"wrote {len(cands)} candidate(s) to {args.output} "
          f"in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return 0


def _cmd_grow(args):
    from pathlib import Path
    out = Path(validate.output_dir(args.output))
    family_of = fam_mod.family(args.family)   # an unknown name fails before any output
    out.mkdir(parents=True, exist_ok=True)
    for atoms in grow(family_of["family"], upto=args.upto, ligand=args.ligand,
                      progress=_progress):
        # the charge is dropped: [Au25(PPh3)10(SCH3)5Cl2]2+ -> Au25_PPh3_10_SCH3_5Cl2
        name = re.sub(r"^\[|\]\d*[+-]?$", "", atoms.info["formula"])
        name = name.replace("(", "_").replace(")", "_")
        path = out / f"{name.strip('_')}.extxyz"
        write_candidates(path, [atoms])
        print(f"{atoms.info['formula']:<20} N*={atoms.info['nstar']:<3} "
              f"{atoms.info['literature']:<9} -> {path}")
    return 0


def register_cli(sub):
    """Add ``families``, ``build`` and ``grow`` to the ``clustergen`` command."""
    p = sub.add_parser("families", help="list growth families with known and predicted members",
                       description="List growth families. Example: clustergen families")
    p.set_defaults(func=_cmd_families)

    p = sub.add_parser(
        "build", help="build candidates for a formula",
        description="Build candidate structures for a formula from every family that fits. "
                    "Example: clustergen build \"[Au25(SR)18]-\" --ligand SCH3 --isomers 8 "
                    "-o au25.extxyz; clustergen build \"[Au25(PPh3)10(SR)5Cl2]2+\" "
                    "--ligand PET --ligand PPh3 -o au25pph3.extxyz")
    p.add_argument("formula", help='e.g. "[Au25(SR)18]-" or Au38(SR)24')
    p.add_argument("--ligand", default=None, action="append",
                   help="thiolate to build: library name (`clustergen ligands`) or thiol "
                        "SMILES, e.g. PET or 'SC1=CC=C(C=C1)C(C)(C)C' (default SCH3); "
                        "repeat it for a mixed shell's phosphine and halide, e.g. "
                        "--ligand PET --ligand PPh3 --ligand Br (unnamed phosphines: PH3 "
                        "models)")
    p.add_argument("--isomers", type=int_range(1, validate.MAX_ISOMERS), default=8,
                   help=f"at most this many per family (1..{validate.MAX_ISOMERS})")
    p.add_argument("--multiplicity", type=MULTIPLICITY, default=None,
                   help="spin multiplicity 2S+1 (default: lowest allowed by electron count)")
    p.add_argument("--sulfur", choices=sulfur_patterns() + ["free", "all", "hands"],
                   default=None,
                   help="side of each thiolate R (S configuration, fixed for a relaxation): "
                        "c2 or mirror staples, free (steric choice at every S), all (each "
                        "framework once per pattern), or hands (each framework with its "
                        "staples' R sets in both hands); "
                        "default: per staple type, templates/sulfur.yaml (dimers c2)")
    p.add_argument("-o", "--output", default="candidates.extxyz", help="extended XYZ output")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "grow", help="build a family's members up to a size",
        description="Build the best candidate of each member of a family. "
                    "Example: clustergen grow double-helix --upto 84 --ligand SCH3 -o series/")
    p.add_argument("family", help="family name (see `clustergen families`)")
    p.add_argument("--upto", type=int_range(1, validate.MAX_METALS), default=None,
                   help=f"largest metal count to build (at most {validate.MAX_METALS})")
    p.add_argument("--ligand", default="SCH3",
                   help="thiolate to build: library name or thiol SMILES")
    p.add_argument("-o", "--output", default="series", help="output directory")
    p.set_defaults(func=_cmd_grow)
