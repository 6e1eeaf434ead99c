"""Where does a heteroatom go?  Enumerate symmetry-distinct dopings, relax, rank.

Every way to put ``count`` dopant atoms on the host metal sites is generated once per
symmetry orbit of the Au-S framework (:mod:`clustergen.core.orbits`), labelled with its site
class (:mod:`clustergen.analysis.sites`: centre, kernel-surface, staple) and the orbit size
(``multiplicity``), relaxed through :func:`clustergen.compute.relax.relax` and ranked by energy;
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


import numpy as np

from clustergen.analysis.sites import CLASSES, kernel_indices, site_classes
from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import Formula, chemistry, parse
from clustergen.core.orbits import distinct_substitutions, framework_permutations
from clustergen.core.symmetry import group_name, point_group

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
        from clustergen.analysis.analyse import analyse
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
    kernel = kernel_indices(atoms) if method == "graph" else None
    images = framework_permutations(atoms, tolerance=tolerance, method=method, kernel=kernel)
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
    """Relax configurations through :func:`clustergen.compute.relax.relax` (stored, resumable,
    parallel); returns one relaxed candidate per configuration, in input order.
    ``relax_options`` go to ``relax`` (db, workers, method, fmax, ...).

    >>> relaxed = relax_configurations(configs, db="screen.db", workers=2)  # doctest: +SKIP
    """
    from clustergen.compute.relax import relax

    return relax(configurations, **relax_options)


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

