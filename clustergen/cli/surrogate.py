"""The ``clustergen surrogate`` sub-commands over :mod:`clustergen.rank`."""

import json
import os
import sys

from clustergen.core.errors import ClusterGenError
from clustergen.rank.data import TARGETS

SHIPPED = ("dft-gap",)


def register_cli(subparsers):
    """``clustergen surrogate fit|predict|evaluate``.

    Example: ``clustergen surrogate fit --db results.db --target gap -o gap.model``.
    """
    p = subparsers.add_parser(
        "surrogate", help="fit, apply and check ML surrogates (GP with uncertainty)",
        description="Gaussian-process surrogates of gap, E_ads or relative energy over "
                    "role-averaged SOAP descriptors, trained on a results database. "
                    "Example: clustergen surrogate fit --db results.db --target gap "
                    "-o gap.model; clustergen surrogate predict cands.extxyz --model "
                    "gap.model --format csv")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    f = sub.add_parser("fit", help="fit a model on a results database")
    f.add_argument("--db", required=True, help="results database (SQLite file or URL)")
    f.add_argument("--target", required=True, help=f"one of {', '.join(TARGETS)}")
    f.add_argument("--level", help="level of theory to model (default: DFT with GFN1 "
                                   "partners as a delta model, else the commonest)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("-o", "--output", required=True, help="model file to write")
    f.set_defaults(action_func=_fit)
    q = sub.add_parser("predict", help="predict for structures (extxyz)")
    q.add_argument("input", help="structure file (extxyz/xyz, one or more frames)")
    q.add_argument("--model", required=True,
                   help="model file, or a shipped model: " + ", ".join(SHIPPED))
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.add_argument("-o", "--output", help="write here instead of stdout")
    q.set_defaults(action_func=_predict)
    e = sub.add_parser("evaluate", help="held-out parity plot and learning curve")
    e.add_argument("--db", required=True)
    e.add_argument("--target", required=True, help=f"one of {', '.join(TARGETS)}")
    e.add_argument("--split", choices=("random", "group"), default="random",
                   help="hold out random rows or whole compositions (group)")
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("-o", "--output", required=True, help="folder for PNGs and JSON")
    e.set_defaults(action_func=_evaluate)
    p.set_defaults(func=lambda args: _dispatch(p, args))


def _dispatch(parser, args):
    if not getattr(args, "action_func", None):
        parser.print_help()
        return 0
    return args.action_func(args)


def load_model(name):
    """A model file or a shipped model name (``dft-gap``)."""
    from clustergen.rank.surrogate import load
    if name == "dft-gap" and not os.path.exists(name):
        from clustergen.rank.dft_gap import load_model as shipped
        return shipped()
    return load(name)


def _fit(args):
    from clustergen.rank.data import check_target, rows_from_store
    from clustergen.rank.surrogate import fit
    check_target(args.target)
    rows = rows_from_store(args.db, args.target)
    model = fit(rows, args.target, level=args.level, seed=args.seed,
                note=f"fitted on {args.db}")
    model.save(args.output)
    m = model.meta
    cv = f", 5-fold MAE {m['cv_mae']:.3f} eV" if "cv_mae" in m else ""
    print(f"{args.output}: {m['target']} at {m['level']}"
          f"{' (delta from ' + m['base_level'] + ')' if m['delta'] else ''}, "
          f"{m['n_train']} structures, elements {', '.join(m['species'])}{cv}")
    return 0


def _read(path):
    from clustergen.core.model import read_candidates
    if not os.path.exists(path):
        raise ClusterGenError(f"no such file '{path}'")
    try:
        frames = read_candidates(path)
    except Exception as exc:  # ASE raises many types for unreadable files
        raise ClusterGenError(f"cannot read structures from '{path}': {exc}") from None
    for a in frames:
        a.info.setdefault("host", "Au")
    return frames


def _predict(args):
    from clustergen.cli.common import format_table
    from clustergen.rank.predicted import COLUMNS, ranking_rows
    model = load_model(args.model)
    frames = _read(args.input)
    if model.meta.get("base") == "sch3-single-point" and \
            any("C" not in a.get_chemical_symbols() for a in frames):
        print("note: structure(s) without R groups: the GFN1 input gets freshly placed CH3 "
              "groups, a path that held out 0.30 eV MAE (gaps too low) against 0.05 eV "
              "with the ligands' own alpha carbons", file=sys.stderr)
    rows = ranking_rows(frames, model)
    text = json.dumps(rows, indent=1) if args.format == "json" else \
        format_table(rows, args.format, COLUMNS)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0


def _evaluate(args):
    from clustergen.rank import evaluate as ev
    from clustergen.rank.data import check_target, rows_from_store
    from clustergen.rank.surrogate import MIN_ROWS
    check_target(args.target)
    rows = rows_from_store(args.db, args.target)
    if len(rows) < 2 * MIN_ROWS:
        raise ClusterGenError(f"{len(rows)} usable {args.target} value(s) in {args.db}; "
                              f"evaluate needs at least {2 * MIN_ROWS}")
    os.makedirs(args.output, exist_ok=True)
    y, mean, std = ev.cross_validate(rows, args.target, args.split, args.folds, args.seed)
    stats = ev.calibration(y, mean, std)
    sizes = sorted({s for s in (10, 20, 40, 80, 160, 320) if s < len(rows)}
                   | {max(MIN_ROWS, int(0.8 * len(rows)))})
    curve = ev.learning_curve(rows, args.target, sizes, seed=args.seed)
    title = f"{args.target}, {args.split} split"
    ev.parity_plot(y, mean, std, os.path.join(args.output, "parity.png"), title)
    ev.learning_curve_plot(curve, os.path.join(args.output, "learning_curve.png"), title)
    report = {"target": args.target, "split": args.split, "n": len(rows), **stats,
              "learning_curve": [{"n_train": n, "mae": m, "mae_std": s}
                                 for n, m, s in curve]}
    with open(os.path.join(args.output, "evaluation.json"), "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"{args.target}: held-out MAE {stats['mae']:.4f} eV over {len(rows)} rows "
          f"({args.split} split); z-scores mean {stats['z_mean']:.2f} std "
          f"{stats['z_std']:.2f}; {100 * stats['within_2std']:.0f}% within 2 std; "
          f"plots in {args.output}", file=sys.stderr)
    for n, m, s in curve:
        print(f"  n_train {n:4d}  MAE {m:.4f} +- {s:.4f} eV")
    return 0
