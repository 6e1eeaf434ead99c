"""Ranking of relaxed candidates: relative energies within a formula, survivor rules, CSV.

Plain rows (dicts) in and out, no knowledge of workflows or run directories, so the
surrogate rankers that will sit beside this module can produce and read the same rows.
Energies are compared only between isomers of one formula: total energies of different
compositions are not comparable without reference chemical potentials.

>>> from ase import Atoms
>>> a = [Atoms("Au2", info=dict(cid=c, formula="Au2", status="converged", energy=e, gap=g))
...      for c, e, g in (("x", -1.0, 0.5), ("y", -1.3, 2.0))]
>>> [(r["cid"], r["rel_energy_eV"], r["survivor"]) for r in rank(a)]
[('y', 0.0, 'yes'), ('x', 0.3, 'no')]
"""

import csv

import numpy as np

from clustergen.core.errors import ClusterGenError

RANKING_COLUMNS = ("cid", "formula", "family", "member", "known", "isomer", "n_metal",
                   "energy_eV", "rel_energy_eV", "gap_eV", "status", "steps", "survivor",
                   "reason")
# numbers among the optional columns (predictions and their std) that do not end in _eV
NUMERIC = ("predicted_gap", "predicted_rel_energy", "predicted_std")


def _n_metal(formula):
    from clustergen.core.formula import parse

    try:
        return parse(formula).n_metal
    except ClusterGenError:
        return None


def candidate_rows(relaxed):
    """One row per distinct ``cid`` from the relaxed structures' ``info`` (first kept).

    >>> from ase import Atoms
    >>> rows = candidate_rows([Atoms("Au2", info={"cid": "x", "formula": "Au2"})] * 2)
    >>> len(rows), rows[0]["n_metal"], rows[0]["energy_eV"]
    (1, 2, None)
    """
    seen, rows = set(), []
    for atoms in relaxed:
        info = atoms.info
        if info.get("cid") in seen:
            continue  # the same structure twice in the input: one row
        seen.add(info.get("cid"))
        energy = info.get("energy")
        gap = info.get("gap")
        rows.append({
            "cid": info.get("cid", ""), "formula": str(info.get("formula", "")),
            "family": info.get("family", ""), "member": info.get("member", ""),
            "known": info.get("known", ""),
            "isomer": str(info.get("isomer", "")),
            "n_metal": _n_metal(str(info.get("formula", ""))),
            "energy_eV": None if energy is None else float(energy),
            "gap_eV": None if gap is None else float(gap),
            "status": str(info.get("status", "")), "steps": info.get("steps"),
            "topology": info.get("topology")})
    return rows


def relative_energies(rows):
    """Set ``rel_energy_eV``: energy above the lowest row of the same formula (eV).

    >>> rows = relative_energies([{"formula": "A", "energy_eV": -2.0},
    ...                           {"formula": "A", "energy_eV": -2.5},
    ...                           {"formula": "B", "energy_eV": None}])
    >>> [r["rel_energy_eV"] for r in rows]
    [0.5, 0.0, None]
    """
    lowest = {}
    for r in rows:
        if r["energy_eV"] is not None:
            lowest[r["formula"]] = min(lowest.get(r["formula"], np.inf), r["energy_eV"])
    for r in rows:
        e = r["energy_eV"]
        r["rel_energy_eV"] = None if e is None else round(e - lowest[r["formula"]], 6)
    return rows


def _reason(r, gap, energy_window, topology_kept, converged_only):
    """Why a row cannot survive ("" if it can), read from its status, gap and energy."""
    why = []
    if r["energy_eV"] is None:
        why.append("no energy")
    if converged_only and r["status"] != "converged":
        why.append(r["status"] or "not relaxed")
    if topology_kept and r["status"] == "topology-changed":
        if "topology-changed" in why:
            why.remove("topology-changed")
        problem = r.get("topology")  # what changed, from the relax check
        why.append("topology-changed" + (f" ({problem})" if problem and problem != "ok"
                                          else ""))
    lo, hi = gap or (None, None)
    if (lo is not None or hi is not None) and r["gap_eV"] is None:
        why.append("no gap")
    elif lo is not None and r["gap_eV"] < lo:
        why.append(f"gap < {lo:g} eV")
    elif hi is not None and r["gap_eV"] > hi:
        why.append(f"gap > {hi:g} eV")
    if (energy_window is not None and r["energy_eV"] is not None
            and r["rel_energy_eV"] > energy_window):
        why.append(f"> {energy_window:g} eV above lowest")
    return "; ".join(why)


def rank(relaxed, top=1, gap=None, energy_window=None, topology_kept=True,
         converged_only=True):
    """One row per candidate (dict), survivors marked, sorted by formula size, then energy.

    A candidate survives when it converged (``converged_only``), kept its topology
    (``topology_kept``), has its HOMO-LUMO gap inside ``gap`` (``[min, max]`` eV, either
    end None), lies within ``energy_window`` eV of its formula's lowest, and is among the
    ``top`` lowest of its formula that pass (``top=None``: no cap); ``reason`` says why not.

    >>> from ase import Atoms
    >>> a = [Atoms("Au2", info=dict(cid=c, formula="Au2", status=s, energy=e, gap=1.0))
    ...      for c, e, s in (("x", -1.0, "converged"), ("y", -1.3, "not-converged"))]
    >>> [(r["cid"], r["survivor"], r["reason"]) for r in rank(a)]
    [('y', 'no', 'not-converged'), ('x', 'yes', '')]
    """
    rows = relative_energies(candidate_rows(relaxed))
    for r in rows:
        r["reason"] = _reason(r, gap, energy_window, topology_kept, converged_only)
        r.pop("topology", None)
    rows.sort(key=lambda r: (r["n_metal"] or 0, r["formula"],
                             np.inf if r["energy_eV"] is None else r["energy_eV"]))
    return mark_survivors(rows, top)


def mark_survivors(rows, top, order_name=""):
    """Mark ``rows`` (sorted best first within each formula) ``survivor`` yes/no: a row
    survives when it has no ``reason`` and is among the first ``top`` of its formula
    (``order_name`` says what the order is, for the reason given to the rest).

    >>> rows = [{"formula": "Au2", "reason": ""} for _ in range(2)]
    >>> [r["survivor"] for r in mark_survivors(rows, 1)], rows[1]["reason"]
    (['yes', 'no'], 'not in top 1')
    """
    kept = {}
    for r in rows:
        if not r["reason"]:
            kept[r["formula"]] = kept.get(r["formula"], 0) + 1
            if top is not None and kept[r["formula"]] > top:
                r["reason"] = f"not in top {top}{order_name}"
        r["survivor"] = "no" if r["reason"] else "yes"
    return rows


def write_ranking(rows, path, columns=RANKING_COLUMNS):
    """Write ranking rows as CSV (``columns``, by default ``RANKING_COLUMNS``; energies
    in eV, 6 decimals)."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(k) is None else
                             (f"{r[k]:.6f}" if isinstance(r[k], float) else r[k])
                             for k in columns])


def read_ranking(path):
    """Ranking rows back from CSV (numbers as floats, empty cells as None).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "r.csv")
    >>> write_ranking([{"cid": "x", "energy_eV": -1.5, "survivor": "yes"}], p)
    >>> read_ranking(p)[0]["energy_eV"], read_ranking(p)[0]["survivor"]
    (-1.5, 'yes')
    """
    out = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            r = {k: (v if v != "" else None) for k, v in row.items()}
            for k, v in list(r.items()):
                if k in NUMERIC or k.endswith("_eV"):  # also the surrogate/level columns
                    r[k] = None if v is None else float(v)
            for k in ("n_metal", "steps"):
                r[k] = None if r[k] is None else int(r[k])
            out.append(r)
    return out


def member_summary(rows):
    """One line per formula: lowest isomer, its gap and status, the next isomer's ΔE and
    the survivor.

    >>> member_summary([{"formula": "Au2", "known": "", "isomer": "a", "rel_energy_eV": 0.0,
    ...                  "gap_eV": 1.5, "status": "converged", "survivor": "yes"}])
    ['Au2: lowest isomer a (converged), gap 1.50 eV; 1 isomer(s); survivor a']
    """
    groups = {}
    for r in rows:
        groups.setdefault(r["formula"], []).append(r)
    out = []
    for formula, group in groups.items():
        done = sorted((r for r in group if r["rel_energy_eV"] is not None),
                      key=lambda r: r["rel_energy_eV"])
        known = next((r["known"] for r in group if r.get("known")), "")
        text = formula + (f" ({known})" if known else "") + ": "
        if not done:
            out.append(text + f"no energy ({', '.join(r['status'] for r in group)})")
            continue
        best = done[0]
        gap = "n/a" if best["gap_eV"] is None else f"{best['gap_eV']:.2f}"
        text += f"lowest isomer {best['isomer']} ({best['status']}), gap {gap} eV"
        if len(done) > 1:
            text += f"; next isomer {done[1]['isomer']} +{done[1]['rel_energy_eV']:.3f} eV"
        surv = [r["isomer"] for r in group if r["survivor"] == "yes"]
        text += f"; {len(group)} isomer(s); survivor {', '.join(surv) or 'none'}"
        out.append(text)
    return out
