"""The shipped DFT-calibrated HOMO-LUMO gap model (``--model dft-gap``).

Trained on the 24 fully protected gold-thiolate clusters with DFT gaps in the Ligand
Protected Nanocluster Database of the Mpourmpakis group (NC_Database, GPL-3.0; see
``structures/nc_database/PROVENANCE.md``).  It is a delta model: the GFN1-xTB gap of
the cluster's Au-S framework with methyl groups in place of the R groups (:func:`capped`,
:func:`gfn1_gap`), linearly calibrated to the DFT gaps, plus a Gaussian process over the
framework descriptors for what the calibration misses.  The GP sees only the
framework, so a bare Au-S framework (no R groups) can be predicted too, but its GFN1
input then needs freshly placed CH3 groups, which made held-out errors six times larger
(0.30 vs 0.05 eV, see docs/surrogate.md).

The group cross-validation (:func:`group_cv`) leaves out every cluster with the same
number of gold atoms at once (e.g. both Au25 charge states, both Au28 and both Au44),
so a cluster is never predicted from a near copy of itself.

>>> capped(_demo_framework()).get_chemical_formula()
'C2H6Au2S2'
"""

import csv
import os
import sqlite3

import numpy as np

from clustergen.core.errors import ClusterGenError

# The model's input, the capped-framework GFN1 gap, lives in its own module (a loaded
# surrogate computes it too); its names stay importable from here.
from clustergen.rank.capped_gap import (  # noqa: F401
    CAP,
    FRAMEWORK,
    _demo_framework,
    bare_framework,
    capped,
    gfn1_gap,
)

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.path.join(HERE, "models", "dft-gap.joblib")
LEVEL = "DFT (NC_Database)"
# ----------------------------------------------------------------------- training data

def read_nc_database(folder):
    """The clusters with a DFT gap from a local copy of NC_Database (``folder`` holds
    ``NC_Database.sqlite`` and the structure files); a list of Atoms with ``info`` name,
    charge, dft_gap, path, reference."""
    from ase.io import read
    path = os.path.join(folder, "NC_Database.sqlite")
    if not os.path.isfile(path):
        raise ClusterGenError(f"no NC_Database.sqlite in '{folder}'")
    con = sqlite3.connect(path)
    cur = con.execute("SELECT NC, q, GAP, path, \"Reference Publications\" FROM NC_Data")
    out = []
    for name, q, gap, rel, ref in cur.fetchall():
        try:
            gap = float(gap)
        except (TypeError, ValueError):
            continue
        atoms = read(os.path.join(folder, rel.replace("\\", "/")))
        atoms.info = {"name": name, "charge": int(q), "dft_gap": gap, "path": rel,
                      "reference": (ref or "").strip(), "host": "Au"}
        out.append(atoms)
    con.close()
    return out


def cached_gaps(csv_path):
    """``{path: gfn1 gap}`` from the cache CSV (empty when absent)."""
    if not os.path.isfile(csv_path):
        return {}
    with open(csv_path) as fh:
        return {r["path"]: float(r["gfn1_gap_sch3"]) for r in csv.DictReader(fh)}


def training_rows(clusters, cache_csv=None):
    """Rows for :func:`clustergen.rank.surrogate.fit`: the DFT gap as ``y`` with the
    GFN1 gap of the capped framework as ``base`` (computed when not in the cache; new
    values are appended to ``cache_csv``)."""
    cache = cached_gaps(cache_csv) if cache_csv else {}
    rows = []
    for atoms in clusters:
        path = atoms.info["path"]
        if path in cache:
            atoms.info["gfn1_gap_sch3"] = cache[path]
        base = gfn1_gap(atoms)
        if cache_csv and path not in cache:
            _append(cache_csv, atoms, base)
        frame = bare_framework(atoms)
        frame.info.update(gfn1_gap_sch3=base)
        rows.append({"atoms": frame, "y": atoms.info["dft_gap"], "level": LEVEL,
                     "base": base, "id": atoms.info["name"],
                     "group": f"Au{frame.get_chemical_symbols().count('Au')}"})
    return rows


def _append(csv_path, atoms, gap):
    new = not os.path.isfile(csv_path)
    with open(csv_path, "a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["name", "path", "charge", "gfn1_gap_sch3"])
        w.writerow([atoms.info["name"], atoms.info["path"], atoms.info["charge"],
                    f"{gap:.4f}"])


# ------------------------------------------------------------------------- evaluation

def group_cv(rows, seed=0, **fit_options):
    """Leave-one-group-out predictions: ``(y, mean, std, groups)`` arrays."""
    from clustergen.rank.surrogate import fit
    groups = np.array([r["group"] for r in rows])
    y = np.array([r["y"] for r in rows])
    mean, std = np.zeros(len(rows)), np.zeros(len(rows))
    for g in sorted(set(groups)):
        test = np.flatnonzero(groups == g)
        train = [r for r, gg in zip(rows, groups) if gg != g]
        model = fit(train, "gap", seed=seed, **fit_options)
        m, s = model.predict([rows[i]["atoms"] for i in test],
                             base=[rows[i]["base"] for i in test])
        mean[test], std[test] = m, s
    return y, mean, std, groups


def load_model():
    """The shipped model (ClusterGenError when the package data is missing)."""
    from clustergen.rank.surrogate import load
    if not os.path.isfile(MODEL_PATH):
        raise ClusterGenError("the shipped dft-gap model is not installed "
                              f"({MODEL_PATH} missing)")
    return load(MODEL_PATH)
