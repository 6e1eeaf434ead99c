"""Where does a heteroatom go?  Enumerate symmetry-distinct dopings, relax, rank.

Every way to put ``count`` dopant atoms on the host metal sites is generated once per
symmetry orbit of the Au-S framework (:mod:`clustergen.symmetry`), labelled with its site
class (:mod:`clustergen.sites`: centre, kernel-surface, staple) and the orbit size
(``multiplicity``), relaxed through :func:`clustergen.relax.relax` and ranked by energy;
Boltzmann populations count each configuration ``multiplicity`` times.  The electron
count follows the dopant's valence (``templates/chemistry.yaml``): the charge stays as
given, so [Au25(SR)18]0 with one Pt becomes the 6e cluster [PtAu24(SR)18]0.  Literature
site preferences (``templates/dopants.yaml``) are shown beside the answer and steer the
work only with ``use_priors``.

>>> from ase.cluster import Icosahedron
>>> au13 = Icosahedron("Au", 2)
>>> [(c.info["dopant_sites"], c.info["site_class"], c.info["site_multiplicity"])
...  for c in enumerate_dopings(au13, "Pt")]
[('[0]', 'centre', 1), ('[1]', 'kernel-surface', 12)]
"""

import math
import os
import sys

import numpy as np

from .data import load
from .errors import ClusterGenError
from .formula import Formula, chemistry, parse
from .sites import CLASSES, site_classes
from .symmetry import (distinct_substitutions, framework_permutations, group_name,
                       point_group)

KB = 8.617333262e-5  # Boltzmann constant, eV/K
TEMPERATURE = 298.15  # K
POPULATED = ("converged", "not-converged")  # statuses whose energies enter populations


# ---------------------------------------------------------------------------- priors

def priors():
    """Literature site preferences from ``templates/dopants.yaml`` (list of dicts).

    >>> sorted(p["dopant"] for p in priors() if p["host"] == "Au")
    ['Ag', 'Cd', 'Cu', 'Hg', 'Pd', 'Pt']
    """
    return list(load("dopants.yaml")["priors"])


def prior(dopant, host="Au"):
    """The prior for ``dopant`` in ``host`` (a dict with site and note) or None.

    >>> prior("Pt")["site"], prior("Au", host="Ag")["site"], prior("Zn")
    ('centre', 'centre', None)
    """
    for entry in priors():
        if entry["dopant"] == dopant and entry["host"] == host:
            return entry
    return None


# ---------------------------------------------------------------------- substitution

def _metal_symbols():
    return chemistry()["metals"]


def host_formula(atoms):
    """The cluster formula of ``atoms``: metals counted from the atoms, ligands and
    charge from ``info["formula"]``/``info["charge"]`` (or the analyser).

    >>> from ase.cluster import Icosahedron
    >>> a = Icosahedron("Au", 2); a[0].symbol = "Pd"; a.info["charge"] = 4
    >>> host_formula(a).nstar
    8
    """
    symbols = atoms.get_chemical_symbols()
    metals = {}
    for s in symbols:
        if s in _metal_symbols():
            metals[s] = metals.get(s, 0) + 1
    charge = int(atoms.info.get("charge", 0))
    text = atoms.info.get("formula")
    if text:
        ligands = dict(parse(text).ligands)
    elif "S" not in symbols and "P" not in symbols:
        ligands = {}
    else:
        from .analyse import analyse
        ligands = dict(analyse(atoms, charge=charge).formula.ligands)
    return Formula(metals, ligands, charge)


def _ordered_metals(metals, host):
    """Dopants first, host last, as in [PtAu24(SR)18]."""
    return dict(sorted(metals.items(), key=lambda kv: (kv[0] == host, kv[0])))


def substitute(atoms, sites, dopant, charge=None):
    """A copy of ``atoms`` with the metal atoms ``sites`` replaced by ``dopant``.

    The charge is kept (or set to ``charge``); the electron count N*, the spin
    multiplicity (lowest allowed) and the formula follow the dopant's valence.

    >>> from ase.cluster import Icosahedron
    >>> au13 = Icosahedron("Au", 2)
    >>> au13.info.update(formula="[Au13]5+", charge=5)
    >>> pt = substitute(au13, [0], "Pt")
    >>> pt.info["formula"], pt.info["nstar"], pt.info["multiplicity"]
    ('[PtAu12]5+', 7, 2)
    """
    if dopant not in _metal_symbols():
        raise ClusterGenError(f"unknown dopant '{dopant}' (known metals: "
                              f"{', '.join(_metal_symbols())})")
    sites = [int(s) for s in sites]
    symbols = atoms.get_chemical_symbols()
    for s in sites:
        if not 0 <= s < len(atoms):
            raise ClusterGenError(f"site {s} out of range 0..{len(atoms) - 1}")
        if symbols[s] not in _metal_symbols():
            raise ClusterGenError(f"site {s} is {symbols[s]}, not a metal atom")
    out = atoms.copy()
    host = atoms.info.get("host", "Au")
    for s in sites:
        out[s].symbol = dopant
    out.info["host"] = host
    if charge is not None:
        out.info["charge"] = int(charge)
    formula = host_formula(out)
    formula = Formula(_ordered_metals(formula.metals, host), formula.ligands,
                      formula.charge)
    out.info.update(formula=str(formula), charge=formula.charge, nstar=formula.nstar,
                    multiplicity=formula.multiplicity)
    return out


def configuration_class(classes, sites):
    """Site-class label of a doping: one class name, or several joined by ``+`` in the
    order centre, kernel-surface, staple.

    >>> configuration_class({0: "centre", 5: "staple", 6: "staple"}, (5, 0))
    'centre+staple'
    """
    names = {classes[int(s)] for s in sites}
    return "+".join(c for c in CLASSES if c in names)


def enumerate_dopings(atoms, dopant, count=1, classes=None, charge=None, tolerance=0.3,
                      method="geometry"):
    """Every symmetry-distinct way to put ``count`` ``dopant`` atoms on host metal sites.

    ``classes`` limits the sites to those site classes (e.g. ``["centre", "staple"]``).
    Returns doped candidates; each ``info`` has ``dopant``, ``dopant_sites`` (atom
    indices as ``"[3,17]"``: brackets keep ase.db from reading "3" as a number), ``site_class``, ``site_multiplicity`` (configurations the
    symmetry makes equivalent; they sum to C(sites, count)), ``point_group`` of the
    undoped framework, plus the updated formula, nstar and multiplicity.

    >>> from ase.cluster import Icosahedron
    >>> [c.info["site_multiplicity"] for c in enumerate_dopings(Icosahedron("Au", 2), "Ag", 2)]
    [12, 30, 30, 6]
    """
    host = atoms.info.get("host", "Au")
    if dopant == host:
        raise ClusterGenError(f"dopant {dopant} is the host metal")
    cls = site_classes(atoms)
    symbols = atoms.get_chemical_symbols()
    wanted = set(CLASSES if classes is None else classes)
    unknown = wanted - set(CLASSES)
    if unknown:
        raise ClusterGenError(f"unknown site class(es) {sorted(unknown)}; known: "
                              f"{', '.join(CLASSES)}")
    sites = [i for i, c in cls.items() if c in wanted and symbols[i] == host]
    if len(sites) < count:
        raise ClusterGenError(f"only {len(sites)} {host} site(s) in classes "
                              f"{', '.join(sorted(wanted))} for {count} dopant(s)")
    images = framework_permutations(atoms, tolerance=tolerance, method=method)
    group = point_group(atoms, tolerance=tolerance) if method == "geometry" \
        else group_name(atoms, images) + " (bond graph)"
    base = str(atoms.info.get("isomer", "")) or "x"
    out = []
    for chosen, mult in distinct_substitutions(atoms, sites, count, group=images):
        doped = substitute(atoms, chosen, dopant, charge=charge)
        label = "[" + ",".join(str(s) for s in chosen) + "]"
        doped.info.update(dopant=dopant, dopant_sites=label,
                          site_class=configuration_class(cls, chosen),
                          site_multiplicity=int(mult), point_group=group,
                          isomer=f"{base}:{dopant}@{label}")
        out.append(doped)
    return out


def order_by_priors(configurations, host="Au"):
    """Configurations whose site class matches the literature prior first (stable).

    >>> from ase.cluster import Icosahedron
    >>> cs = enumerate_dopings(Icosahedron("Au", 2), "Ag")
    >>> [c.info["site_class"] for c in order_by_priors(cs)]
    ['kernel-surface', 'centre']
    """
    def rank(c):
        p = prior(c.info["dopant"], host)
        return 0 if p and p["site"] in c.info["site_class"].split("+") else 1
    return sorted(configurations, key=rank)


# ------------------------------------------------------------------------ screening

def boltzmann(energies, weights, temperature=TEMPERATURE):
    """Populations of states with ``energies`` (eV) and degeneracies ``weights`` at
    ``temperature`` (K); NaN energies get population NaN and do not count.

    >>> [round(p, 3) for p in boltzmann([0.0, 0.0], [1, 3])]
    [0.25, 0.75]
    """
    e = np.asarray(energies, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(e)
    pop = np.full(len(e), np.nan)
    if not ok.any():
        return pop.tolist()
    if temperature <= 0:
        raise ClusterGenError(f"temperature must be positive, got {temperature}")
    x = -(e[ok] - e[ok].min()) / (KB * temperature)
    p = w[ok] * np.exp(x)
    pop[ok] = p / p.sum()
    return pop.tolist()


def relax_configurations(configurations, **relax_options):
    """Relax configurations through :func:`clustergen.relax.relax` (stored, resumable,
    parallel); returns the relaxed candidates in input order (None where a result is
    missing).  ``relax_options`` go to ``relax`` (db, workers, method, fmax, ...).

    >>> relaxed = relax_configurations(configs, db="screen.db", workers=2)  # doctest: +SKIP
    """
    from . import relax as engine
    from . import store

    relaxed = engine.relax(configurations, **relax_options)
    by_cid = {a.info.get("cid"): a for a in relaxed}
    key = engine.method_settings(relax_options.get("method", engine.DEFAULT_METHOD),
                                 relax_options.get("fmax", engine.FMAX),
                                 relax_options.get("optimiser", engine.DEFAULT_OPTIMISER),
                                 relax_options.get("settings"))
    out = []
    for atoms in configurations:
        charge, mult = engine.charge_multiplicity(atoms)
        out.append(by_cid.get(store.candidate_id(atoms, charge, mult, key)))
    return out


def screen(configurations, relax=None, temperature=TEMPERATURE, cap=None,
           use_priors=False, **relax_options):
    """Rank doped configurations by energy; one row dict per configuration.

    ``relax`` is a callable taking the list of configurations and returning relaxed
    ones in the same order (with ``info`` energy, gap, status); the default is
    :func:`relax_configurations` (GFN-xTB, stored in ``relax_options["db"]``).  Pass
    ``relax=False`` to only enumerate.  ``cap`` relaxes the first ``cap``
    configurations (ordered by the priors when ``use_priors``); the rest are listed as
    ``skipped``.

    Rows: id, dopant, sites, site_class, multiplicity, energy, rel_energy (eV),
    population (Boltzmann, multiplicity-weighted, at ``temperature``), gap, status,
    prior.

    >>> from ase.cluster import Icosahedron
    >>> rows = screen(enumerate_dopings(Icosahedron("Au", 2), "Pt"), relax=False)
    >>> [(r["site_class"], r["multiplicity"], r["status"]) for r in rows]
    [('centre', 1, 'not-relaxed'), ('kernel-surface', 12, 'not-relaxed')]
    >>> rows = screen(configs, db="screen.db", workers=2)  # GFN1-xTB  # doctest: +SKIP
    """
    configurations = list(configurations)
    if use_priors:
        configurations = order_by_priors(configurations)
    chosen = configurations if cap is None else configurations[:max(int(cap), 0)]
    results = [None] * len(configurations)
    if relax is not False and chosen:
        engine = relax or (lambda cs: relax_configurations(cs, **relax_options))
        done = engine(chosen)
        if len(done) != len(chosen):
            raise RuntimeError(f"relax returned {len(done)} results for {len(chosen)}")
        results[:len(chosen)] = done
    rows = []
    for k, (start, res) in enumerate(zip(configurations, results)):
        info = start.info
        p = prior(info["dopant"], info.get("host", "Au"))
        row = {"id": (res.info.get("cid") if res is not None else None) or f"c{k + 1}",
               "dopant": info["dopant"], "sites": info["dopant_sites"],
               "site_class": info["site_class"],
               "multiplicity": int(info["site_multiplicity"]),
               "formula": info["formula"], "energy": None, "rel_energy": None,
               "population": None, "gap": None,
               "status": "not-relaxed" if relax is False else
                         "skipped" if k >= len(chosen) else "failed:no result",
               "prior": p["site"] if p else ""}
        if res is not None:
            e = res.info.get("energy")
            row.update(energy=float(e) if e is not None else None,
                       gap=res.info.get("gap"), status=res.info.get("status", "unknown"))
        rows.append(row)
    energies = [r["energy"] if r["energy"] is not None and r["status"] in POPULATED
                else np.nan for r in rows]
    pops = boltzmann(energies, [r["multiplicity"] for r in rows], temperature)
    finite = [e for e in energies if np.isfinite(e)]
    for r, e, p in zip(rows, energies, pops):
        if np.isfinite(e):
            r.update(rel_energy=e - min(finite), population=p)
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["rel_energy"] is None,
                                                    rows[i]["rel_energy"] or 0.0, i))
    return [rows[i] for i in order]


def class_summary(rows):
    """Per site class: lowest relative energy and summed population (relaxed rows only).

    >>> class_summary([{"site_class": "centre", "rel_energy": 0.0, "population": 0.9},
    ...                {"site_class": "staple", "rel_energy": 0.3, "population": 0.1}])
    {'centre': {'rel_energy': 0.0, 'population': 0.9}, 'staple': {'rel_energy': 0.3, 'population': 0.1}}
    """
    out = {}
    for r in rows:
        if r.get("rel_energy") is None:
            continue
        c = out.setdefault(r["site_class"], {"rel_energy": r["rel_energy"],
                                             "population": 0.0})
        c["rel_energy"] = min(c["rel_energy"], r["rel_energy"])
        c["population"] += r["population"]
    return dict(sorted(out.items(), key=lambda kv: kv[1]["rel_energy"]))


def summary(rows, dopant, host="Au", temperature=TEMPERATURE):
    """One line naming the preferred site class of ``dopant`` and how far the others lie.

    >>> summary([{"site_class": "centre", "rel_energy": 0.0, "population": 0.99},
    ...          {"site_class": "kernel-surface", "rel_energy": 0.42, "population": 0.01}],
    ...         "Pt")  # doctest: +NORMALIZE_WHITESPACE
    'Pt: preferred site class centre (population 99.0% at 298 K); kernel-surface +0.420 eV;
     prior: centre (agrees)'
    """
    classes = class_summary(rows)
    p = prior(dopant, host)
    prior_text = f"prior: {p['site']}" if p else "prior: none"
    if not classes:
        return f"{dopant}: no relaxed configuration, no preferred site class " \
               f"(use --relax); {prior_text}"
    best, data = next(iter(classes.items()))
    others = "; ".join(f"{c} +{d['rel_energy']:.3f} eV" for c, d in classes.items()
                       if c != best)
    if p:
        prior_text += " (agrees)" if p["site"] == best else " (differs)"
    parts = [f"{dopant}: preferred site class {best} (population "
             f"{100 * data['population']:.1f}% at {temperature:.0f} K)"]
    # classes with no usable energy (failed, topology-changed) are named, not hidden
    missing = {}
    for r in rows:
        if r["site_class"] not in classes and r.get("status"):
            missing.setdefault(r["site_class"], set()).add(r["status"])
    unranked = [f"{c} not ranked ({', '.join(sorted(st))})" for c, st in missing.items()]
    return "; ".join(parts + ([others] if others else []) + unranked + [prior_text])


COLUMNS = ("id", "dopant", "sites", "site_class", "multiplicity", "energy", "rel_energy",
           "population", "gap", "status", "prior")


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


# ----------------------------------------------------------------------------- CLI

def load_input(text, ligand=None, frame=0):
    """The host cluster: a structure file (extxyz frame ``frame``) or a formula built
    with :func:`clustergen.generate.build` (best-ranked isomer).

    >>> load_input("[Au25(SR)18]-", ligand="SCH3").info["formula"]  # doctest: +SKIP
    '[Au25(SCH3)18]-'
    """
    from .model import read_candidates
    if os.path.exists(text):
        try:
            frames = read_candidates(text)
        except Exception as exc:  # ASE raises many types for unreadable files
            raise ClusterGenError(f"cannot read structure from '{text}': {exc}") from None
        if not -len(frames) <= frame < len(frames):
            raise ClusterGenError(f"'{text}' has {len(frames)} frame(s), no frame {frame}")
        atoms = frames[frame]
        if "role" not in atoms.arrays and {"S", "P"} & set(atoms.get_chemical_symbols()):
            from .analyse import assign_roles
            assign_roles(atoms, charge=atoms.info.get("charge"))
        atoms.info.setdefault("host", "Au")
        return atoms
    if os.path.splitext(text)[1].lower() in (".xyz", ".extxyz", ".traj", ".cif", ".pdb"):
        raise ClusterGenError(f"no such file '{text}'")
    from .generate import build
    return build(text, ligand=ligand, isomers=1)[0]


def graph_hint(atoms, tolerance):
    """A note when the bond graph is more symmetric than the geometry at ``tolerance``
    (typical of relaxed or crystal structures), else None.

    >>> from ase.cluster import Icosahedron
    >>> graph_hint(Icosahedron("Au", 2), 0.3) is None  # ideal: geometry finds all 120
    True
    """
    try:
        graph = len(framework_permutations(atoms, method="graph"))
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
    p.add_argument("--frame", type=int, default=0, help="frame of a multi-frame file")
    p.add_argument("--tolerance", type=float, default=0.3,
                   help="symmetry tolerance in Angstrom (default 0.3; crystal or relaxed "
                        "structures may need 0.9, or --symmetry graph)")
    p.add_argument("--symmetry", choices=("geometry", "graph"), default="geometry",
                   help="point group within --tolerance, or bond-graph automorphisms")
    p.add_argument("--relax", action="store_true",
                   help="relax every configuration with GFN-xTB (else only enumerate)")
    p.add_argument("--db", default="results.db",
                   help="results database for --relax (SQLite file or postgresql:// URL)")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default one per core; 0 = no Dask)")
    p.add_argument("--method", default=None, help="GFN-xTB method (default GFN1-xTB)")
    p.add_argument("--fmax", type=float, default=None, help="force criterion, eV/A")
    p.add_argument("--steps", type=int, default=None, help="step cap per relaxation")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("-o", "--output", help="write the table here instead of stdout")
    p.add_argument("--structures", help="write the (relaxed) structures to this extxyz")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def relax_options(args):
    """``relax()`` keyword arguments from the shared options (see
    :func:`add_screen_arguments`)."""
    opts = {"db": args.db, "workers": args.workers, "progress": not args.no_progress}
    for name in ("method", "fmax", "steps"):
        if getattr(args, name) is not None:
            opts[name] = getattr(args, name)
    return opts


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
    p.add_argument("--count", type=int, default=1, help="dopant atoms per cluster")
    p.add_argument("--classes", help="comma-separated site classes to dope "
                                     "(centre,kernel-surface,staple; default all)")
    p.add_argument("--charge", type=int, help="charge of the doped cluster (default: "
                                              "the host's)")
    p.add_argument("--use-priors", action="store_true",
                   help="relax configurations matching the literature prior first "
                        "(with --cap this prunes the others)")
    p.add_argument("--cap", type=int, help="relax at most this many configurations")
    p.add_argument("--temperature", type=float, default=TEMPERATURE,
                   help="K, for Boltzmann populations (default 298.15)")
    add_screen_arguments(p)
    p.set_defaults(func=_cli)


def _cli(args):
    from .model import write_candidates
    if args.count < 1:
        raise ClusterGenError(f"--count must be >= 1, got {args.count}")
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
        done = relax_configurations(chosen, **relax_options(args))
        relaxed.update({id(c): d for c, d in zip(chosen, done)})
        return done

    rows = screen(configs, relax=engine if args.relax else False,
                  temperature=args.temperature, cap=args.cap, use_priors=args.use_priors)
    text = format_table(rows, args.format)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    p = prior(args.dopant, host)
    if p:
        print(f"prior ({args.dopant} in {host}): {p['site']} - {p['note']}", file=sys.stderr)
    print(summary(rows, args.dopant, host, args.temperature))
    if args.structures:
        write_candidates(args.structures,
                         [scalar_info(relaxed.get(id(c)) or c) for c in configs])
    return 0


def scalar_info(atoms):
    """A copy keeping only scalar ``info`` (extxyz cannot hold lists), no calculator.

    >>> from ase import Atoms
    >>> sorted(scalar_info(Atoms("Au", info={"a": 1, "b": [1, 2]})).info)
    ['a']
    """
    out = atoms.copy()
    out.info = {k: v for k, v in atoms.info.items()
                if isinstance(v, (str, int, float, bool, np.generic))}
    return out
