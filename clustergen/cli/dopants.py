"""The ``clustergen`` sub-command(s) over :mod:`clustergen.screen.dopants`."""

import sys

from clustergen.cli.common import (
    CHARGE,
    add_screen_arguments,
    int_range,
    positive_float,
    positive_int,
    write_text,
    format_table,
    graph_hint,
    load_input,
    relax_options,
)
from clustergen.core.identity import scalar_info
from clustergen.core import validate
from clustergen.cli.refine import add_refine_arguments, refine_options
from clustergen.core.errors import ClusterGenError
from clustergen.screen.dopants import (
    TEMPERATURE,
    enumerate_dopings,
    prior,
    relax_configurations,
    screen,
    summary,
)


def register_cli(subparsers):
    """``clustergen dopants``: symmetry-distinct dopant sites, relaxed and ranked.

    Example: ``clustergen dopants "[Au25(SR)18]0" --ligand SCH3 --dopant Pt --relax``.
    """
    p = subparsers.add_parser(
        "dopants", help="screen symmetry-distinct dopant sites (centre, kernel-surface, "
                        "staple) and rank them by GFN-xTB energy",
        description="Enumerate every symmetry-distinct way to put --count dopant atoms "
                    "on the host metal sites of a cluster, relax them (--relax) and rank "
                    "them: energy, relative energy, Boltzmann population (weighted by the "
                    "symmetry multiplicity), HOMO-LUMO gap, status, and the literature "
                    "prior. Example: clustergen dopants \"[Au25(SR)18]0\" --ligand SCH3 "
                    "--dopant Pt --count 1 --relax --format csv -o pt.csv")
    p.add_argument("input", help="formula (built with the template generator) or a "
                                 "structure file (extxyz)")
    p.add_argument("--dopant", required=True, help="dopant element, e.g. Pt, Ag, Cu")
    p.add_argument("--count", type=int_range(1, 64), default=1,
                   help="dopant atoms per cluster")
    p.add_argument("--classes", help="comma-separated site classes to dope "
                                     "(centre,kernel-surface,staple; default all)")
    p.add_argument("--charge", type=CHARGE, help="charge of the doped cluster (default: "
                                              "the host's)")
    p.add_argument("--use-priors", action="store_true",
                   help="relax configurations matching the literature prior first "
                        "(with --cap this prunes the others)")
    p.add_argument("--cap", type=positive_int, help="relax at most this many configurations")
    p.add_argument("--temperature", type=positive_float, default=TEMPERATURE,
                   help="K, for Boltzmann populations (default 298.15)")
    p.add_argument("--learn", action="store_true",
                   help="active learning: relax only the configurations a surrogate "
                        "(Gaussian process) finds informative; the rest are predicted "
                        "(implies --relax)")
    p.add_argument("--budget", type=int, default=24,
                   help="with --learn: at most this many relaxations (default 24)")
    p.add_argument("--acquisition", choices=("lcb", "ucb", "uncertainty", "random"),
                   help="with --learn: lcb (lowest energy, default), ucb (largest gap "
                        "with --learn-target gap), uncertainty, random")
    p.add_argument("--learn-target", choices=("energy", "gap"), default="energy",
                   help="with --learn: the property searched (default energy)")
    add_screen_arguments(p)
    p.add_argument("--refine", type=int, metavar="N",
                   help="with --relax: DFT single points on the N lowest configurations "
                        "(clustergen refine options below), then their ranking at DFT level")
    add_refine_arguments(p)
    p.set_defaults(func=_cli)


def _cli(args):
    from clustergen.core.model import write_candidates
    if args.count < 1:
        raise ClusterGenError(f"--count must be >= 1, got {args.count}")
    if args.refine is not None and (args.refine < 1 or not args.relax):
        raise ClusterGenError("--refine N needs N >= 1 and --relax")
    for path in (args.output, args.structures):
        if path is not None:
            validate.output_file(path)
    relax_options(args)  # opens --db now when relaxing
    atoms = load_input(args.input, args.ligand, args.frame)
    classes = args.classes.split(",") if args.classes else None
    configs = enumerate_dopings(atoms, args.dopant, args.count, classes=classes,
                                charge=args.charge, tolerance=args.tolerance,
                                method=args.symmetry)
    host = atoms.info.get("host", "Au")
    total = sum(c.info["site_multiplicity"] for c in configs)
    print(f"{configs[0].info['formula']}: {len(configs)} symmetry-distinct configuration(s) "
          f"of {total} ({configs[0].info['point_group']} framework)", file=sys.stderr)
    if args.symmetry == "geometry":
        hint = graph_hint(atoms, args.tolerance)
        if hint:
            print(hint, file=sys.stderr)
    relaxed = {}

    def engine(chosen):
        _drop_predictions(args, chosen)  # superseded; a stored id would also block it
        done = relax_configurations(chosen, **relax_options(args))
        relaxed.update({id(c): d for c, d in zip(chosen, done)})
        return done

    columns = None
    if args.learn:
        rows, columns = _learn(args, configs, engine)
    else:
        rows = screen(configs, relax=engine if args.relax else False,
                      temperature=args.temperature, cap=args.cap,
                      use_priors=args.use_priors)
    text = format_table(rows, args.format, *([columns] if columns else []))
    if args.output:
        write_text(args.output, text)
    else:
        print(text)
    p = prior(args.dopant, host)
    if p:
        print(f"prior ({args.dopant} in {host}): {p['site']} - {p['note']}", file=sys.stderr)
    # predicted rows guide the next relaxations; the summary speaks of computed ones
    print(summary([r for r in rows if r["status"] != "predicted"], args.dopant, host,
                  args.temperature))
    if args.structures:
        write_candidates(args.structures,
                         [scalar_info(relaxed.get(id(c)) or c) for c in configs])
    if args.refine:
        _refine(args, list(relaxed.values()))
    return 0


def _refine(args, relaxed):
    """DFT single points on the ``--refine`` lowest configurations, ranked at DFT level."""
    from clustergen.compute.store import rows
    from clustergen.dft.refine import refine
    from clustergen.rank.levels import COLUMNS, ranking

    done = sorted((a for a in relaxed if a is not None and a.info.get("status") == "converged"),
                  key=lambda a: a.info["energy"])[:args.refine]
    if not done:
        raise ClusterGenError("no converged configuration to refine")
    refine(done, db=args.db, workers=args.workers, progress=not args.no_progress,
           **refine_options(args))
    cids = {a.info["cid"] for a in done}
    table = ranking([r for r in rows(args.db) if r.get("cid") in cids], "best",
                    args.temperature)
    print(f"\n{len(done)} lowest configuration(s) at the best level available:")
    print(format_table(table, args.format, COLUMNS))


def _learn(args, configs, engine):
    """``--learn``: the active-learning screen; rows and their columns."""
    import os

    from clustergen.rank.screening import COLUMNS, learned_screen
    if args.budget < 1:
        raise ClusterGenError(f"--budget must be >= 1, got {args.budget}")
    if args.cap is not None or args.use_priors:
        raise ClusterGenError("--learn chooses what to relax; drop --cap/--use-priors")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    rows, state = learned_screen(
        configs, engine, key=args.learn_target, budget=args.budget,
        acquisition=args.acquisition, batch=max(workers, 1),
        temperature=args.temperature, log=lambda m: print(m, file=sys.stderr))
    print(f"learn: {len(state['order'])} of {len(configs)} configurations relaxed "
          f"(stopped: {state['stopped']}); the others are predicted (± 1 std)",
          file=sys.stderr)
    _store_predictions(args, configs, rows, len(state["values"]))
    return rows, COLUMNS


def _store_ids(args, configs):
    """The ids the relaxer gives ``configs`` with these options (None: no database yet)."""
    import os

    from clustergen.compute.relax import method_settings
    from clustergen.compute.store import is_url
    from clustergen.core.identity import candidate_ids

    if not (is_url(args.db) or os.path.exists(args.db)):
        return None
    opts = relax_options(args)
    return candidate_ids(configs, method_settings(
        **{k: opts[k] for k in ("method", "fmax") if k in opts}))


def _drop_predictions(args, configs):
    """Stored predictions of configurations about to be relaxed are out of date."""
    from clustergen.rank.stored import drop_predictions, has_predictions

    ids = _store_ids(args, configs)
    if ids and has_predictions(args.db):
        drop_predictions(args.db, ids)


def _relaxed_into(db, rows):
    """True when ``db`` holds the relaxations of the computed rows."""
    from clustergen.compute.store import stored_status

    done = {r["id"] for r in rows if r.get("source") == "computed"}
    return bool(done & set(stored_status(db)))


def _store_predictions(args, configs, rows, n_values):
    """Keep the predictions in ``--db`` beside the relaxations (clustergen.rank.stored),
    under the id each configuration's relaxation would get, so ``clustergen results``
    shows computed and predicted rows together."""
    from clustergen.rank.stored import write_predictions

    by_sites = {c.info["dopant_sites"]: c for c in configs}
    chosen = [(by_sites[r["sites"]], r) for r in rows if r.get("std") is not None]
    ids = _store_ids(args, [c for c, _ in chosen]) if chosen else None
    if not ids or not _relaxed_into(args.db, rows):
        return  # nothing to store, or the relaxations were not stored there
    structures = []
    for (config, _), cid in zip(chosen, ids):
        atoms = config.copy()
        atoms.info["cid"] = cid
        structures.append(atoms)
    key = args.learn_target
    write_predictions(args.db, structures, key, [r[key] for _, r in chosen],
                      [r["std"] for _, r in chosen], f"GP on {n_values} relaxed")
