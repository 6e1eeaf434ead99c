"""The ``clustergen`` sub-command(s) over :mod:`clustergen.dft.batch`."""

from clustergen.cli.common import int_range, nonneg_float, positive_float, positive_int
from clustergen.core import validate
from clustergen.core.errors import ClusterGenError
from clustergen.dft.batch import read_top, write_decks
from clustergen.dft.settings import TASKS, codes


def register_cli(subparsers):
    """``clustergen dft``: decks, manifest and SLURM script for candidates."""
    p = subparsers.add_parser(
        "dft", help="write DFT input decks + SLURM array script for candidates",
        description="Write one DFT input deck per candidate (charge and multiplicity from "
                    "the candidate), a manifest (JSON + CSV) and a SLURM array script. "
                    "Examples: clustergen dft relaxed.extxyz --code orca --task opt -o dft/ ; "
                    "clustergen dft --db results.db --top 5 --code cp2k -o dft/ ; "
                    "clustergen dft au25.extxyz --code gaussian --task tddft --nstates 40 -o dft/")
    p.add_argument("files", nargs="*", metavar="FILES", help="candidate extxyz files")
    p.add_argument("--db", help="results database (clustergen relax); converged rows only")
    p.add_argument("--top", type=positive_int, help="with --db: lowest-energy N per formula")
    p.add_argument("--code", default="orca", choices=codes())
    p.add_argument("--task", default="opt", choices=TASKS)
    p.add_argument("--functional", help="override the task default (e.g. PBE, TPSS, PBE0)")
    p.add_argument("--basis", help="override the basis (def2-SVP, def2-TZVP, ...)")
    p.add_argument("--dispersion", help="d3bj, d4 or none")
    p.add_argument("--nstates", type=int_range(1, 10000), help="excited states for --task tddft")
    p.add_argument("--solvent", help="implicit solvent name (water, dichloromethane, ...)")
    p.add_argument("--vacuum", type=nonneg_float, help="vacuum (A) around the cluster, box codes")
    p.add_argument("--cutoff", type=positive_float,
                   help="plane-wave cutoff: cp2k CUTOFF (Ry), vasp ENCUT (eV), espresso ecutwfc (Ry)")
    p.add_argument("--poisson", choices=("MT", "WAVELET"),
                   help="cp2k Poisson solver: MT (default, box >= 2x the cluster) or "
                        "WAVELET (box = extent + 2 x vacuum; what clustergen refine uses)")
    p.add_argument("--extra", default="", help="raw text appended to every deck")
    p.add_argument("-o", "--output", default="dft", help="output directory (default dft/)")
    p.set_defaults(func=_cli_dft)


def _cli_dft(args):
    candidates = []
    validate.output_dir(args.output)
    if args.db is not None:
        candidates += read_top(args.db, args.top)
    elif args.top is not None:
        raise ClusterGenError("--top needs --db")
    for name in args.files:
        candidates += validate.read_structures(name, "candidate file")
    if not candidates:
        raise ClusterGenError("give candidate files or --db")
    overrides = {k: getattr(args, k) for k in ("functional", "basis", "dispersion",
                                               "nstates", "solvent", "vacuum", "cutoff",
                                               "poisson")
                 if getattr(args, k) is not None}
    entries = write_decks(candidates, code=args.code, task=args.task, directory=args.output,
                          extra=args.extra, **overrides)
    print(f"{len(entries)} {args.code} {args.task} deck(s) in {args.output}/; "
          f"submit: cd {args.output} && sbatch run_{args.code}_{args.task}.slurm")
    return 0
