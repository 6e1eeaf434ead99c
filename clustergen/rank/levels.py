"""Rank candidates at the best level of theory available for each composition.

Total energies compare only within one composition (same formula and charge), and only at
one level.  :func:`ranking` groups the store's GFN-xTB rows by composition and, for each
group, uses a DFT level when *every* compared candidate has a converged row at it
(``level="best"`` or ``"dft"``), GFN-xTB otherwise (``"best"``) - mixing levels inside
one group would compare numbers that are not comparable.  Every output row names the
level its relative energy comes from, and carries both levels' relative energies where
they exist so the two can be compared.

Boltzmann populations weight each candidate by its symmetry multiplicity
(``site_multiplicity``, 1 if absent): p_i ~ g_i exp(-dE_i / kT).

>>> rows = [{"cid": "a", "cluster": "X", "status": "converged", "energy": -10.0},
...         {"cid": "b", "cluster": "X", "status": "converged", "energy": -10.1},
...         {"cid": "a", "cluster": "X", "status": "converged", "energy": -500.2,
...          "level": "PBE/x (CP2K)"},
...         {"cid": "b", "cluster": "X", "status": "converged", "energy": -500.0,
...          "level": "PBE/x (CP2K)"}]
>>> [(r["cid"], r["level"], round(r["de"], 2)) for r in ranking(rows, "best")]
[('a', 'PBE/x (CP2K)', 0.0), ('b', 'PBE/x (CP2K)', 0.2)]
>>> [(r["cid"], r["level"], round(r["de"], 2)) for r in ranking(rows, "gfn1")]
[('b', 'GFN1-xTB', 0.0), ('a', 'GFN1-xTB', 0.1)]

With DFT for only one of the two, ``best`` falls back to GFN1 and ``dft`` leaves the
group out:

>>> partial = rows[:3]
>>> [r["level"] for r in ranking(partial, "best")], ranking(partial, "dft")
(['GFN1-xTB', 'GFN1-xTB'], [])
"""

import math

from ase.units import kB

from clustergen.core.errors import ClusterGenError

CHOICES = ("best", "dft", "gfn1")
TEMPERATURE = 298.15
COLUMNS = ("cid", "cluster", "isomer", "site_class", "level", "energy", "de", "population", "gap",
           "de_gfn1", "de_dft", "dft_level", "status")


def composition(row):
    """The grouping key: the store's ``cluster`` formula, which carries the charge
    (ase.db does not keep a ``charge`` key-value pair reliably).

    >>> composition({"cluster": "[PdAu24(SH)18]0"})
    '[PdAu24(SH)18]0'
    """
    return str(row.get("cluster") or row.get("formula") or "?")


def _base_level(row):
    return row.get("method") or "GFN1-xTB"


def boltzmann(energies, weights=None, temperature=TEMPERATURE):
    """Populations from energies (eV) and degeneracies; sums to 1.

    >>> [round(p, 3) for p in boltzmann([0.0, 0.05], temperature=298.15)]
    [0.875, 0.125]
    """
    weights = weights or [1.0] * len(energies)
    low = min(energies)
    terms = [w * math.exp(-(e - low) / (kB * temperature)) for e, w in zip(energies, weights)]
    total = sum(terms)
    return [t / total for t in terms]


def _choose_level(members, dft, wanted):
    """The DFT level every member has converged (most complete first), else None."""
    cids = {m["cid"] for m in members}
    full = [lvl for lvl, by_cid in dft.items() if cids <= set(by_cid)]
    if wanted not in ("best", "dft"):
        return None
    return sorted(full)[0] if full else None


def ranking(rows, level="best", temperature=TEMPERATURE):
    """Per-composition ranking rows from store rows (GFN-xTB and DFT mixed, as
    :func:`clustergen.compute.store.rows` returns them).

    ``level``: ``best`` (DFT where every candidate of the group has it, else GFN1),
    ``dft`` (only groups fully covered at a DFT level; the others are left out) or
    ``gfn1``.  Rows are sorted by composition, then relative energy.
    """
    if level not in CHOICES:
        raise ClusterGenError(f"unknown level '{level}' (choose {', '.join(CHOICES)})")
    base = [r for r in rows if "level" not in r and r.get("status") == "converged"
            and r.get("energy") is not None]
    dft = {}
    for r in rows:
        if "level" in r and r.get("status") == "converged" and r.get("energy") is not None:
            dft.setdefault(r["level"], {})[r["cid"]] = r
    groups = {}
    for r in base:
        groups.setdefault(composition(r), []).append(r)
    out = []
    for key in sorted(groups):
        members = groups[key]
        chosen = _choose_level(members, dft, level)
        if level == "dft" and chosen is None:
            continue
        out += _rank_group(members, dft, chosen, temperature)
    return out


def _relative(values):
    low = min(values)
    return [v - low for v in values]


def _rank_group(members, dft, chosen, temperature):
    """Rows of one composition at the chosen level (None: GFN-xTB)."""
    gfn = _relative([m["energy"] for m in members])
    any_dft = next((lvl for lvl in sorted(dft) if all(m["cid"] in dft[lvl] for m in members)),
                   None)
    dft_de = (_relative([dft[any_dft][m["cid"]]["energy"] for m in members])
              if any_dft else [None] * len(members))
    use = dft_de if chosen else gfn
    weights = [float(m.get("site_multiplicity") or 1) for m in members]
    pops = boltzmann(use, weights, temperature)
    rows = []
    for m, de, p, g, d in zip(members, use, pops, gfn, dft_de):
        top = dft[chosen][m["cid"]] if chosen else m
        rows.append({"cid": m["cid"], "cluster": composition(m), "isomer": m.get("isomer"),
                     "site_class": m.get("site_class"),
                     "level": chosen or _base_level(m), "energy": top["energy"], "de": de,
                     "population": p, "gap": top.get("gap"), "de_gfn1": g, "de_dft": d,
                     "dft_level": any_dft, "status": top.get("status")})
    return sorted(rows, key=lambda r: r["de"])
