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

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.path.join(HERE, "models", "dft-gap.joblib")
LEVEL = "DFT (NC_Database)"
CAP = "SCH3"
FRAMEWORK = ("Au", "Ag", "Cu", "Pd", "Pt", "Cd", "Hg", "S")


def _demo_framework():
    from clustergen.core.model import make_cluster
    return make_cluster(["S", "Au", "Au", "S"], [[-3.9, 0, 0], [-1.6, 0.5, 0],
                                                 [1.6, 0.5, 0], [3.9, 0, 0]],
                        ["S", "staple", "staple", "S"], charge=0)


def bare_framework(atoms):
    """Metal and S atoms of ``atoms`` with roles from the analyser (R groups dropped).

    >>> len(bare_framework(_demo_framework()))
    4
    """
    from clustergen.rank.descriptors import ensure_roles
    keep = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s in FRAMEWORK]
    frame = atoms[keep]
    if "role" not in atoms.arrays:
        frame = ensure_roles(frame)
    frame.info.update({k: atoms.info[k] for k in ("charge", "host") if k in atoms.info})
    return frame


def capped(atoms):
    """The framework of ``atoms`` with every thiolate capped by CH3 (the GFN1 input).

    With R groups present the ligand is cut after its alpha carbon, which keeps its
    place; three H atoms complete a tetrahedral CH3 around the S-C axis, the first
    towards the carbon's old neighbour.  A bare framework gets CH3 groups placed by
    :func:`clustergen.generation.ligands.add_ligands`.  (Placing fresh CH3 groups on
    the DFT frameworks gave GFN1 gaps correlating with the DFT gaps at r = 0.61 over 13
    clusters; keeping the alpha carbon raised the adamantanethiolate clusters' gaps by
    0.5-0.7 eV towards DFT.)
    """
    from ase import Atoms

    from clustergen.generation.ligands import add_ligands
    charge = int(atoms.info.get("charge", 0))
    sym = np.array(atoms.get_chemical_symbols())
    carbons = np.flatnonzero(sym == "C")
    if not len(carbons):
        out = add_ligands(bare_framework(atoms), CAP)
        out.info["charge"] = charge
        out.info.pop("multiplicity", None)
        return out
    pos = atoms.positions
    keep = [i for i, s in enumerate(sym) if s in FRAMEWORK]
    symbols, positions = list(sym[keep]), list(pos[keep])
    for s_atom in np.flatnonzero(sym == "S"):
        d = np.linalg.norm(pos[carbons] - pos[s_atom], axis=1)
        for c in carbons[d < 2.0]:
            symbols += ["C", "H", "H", "H"]
            positions += [pos[c], *_methyl_hydrogens(pos[s_atom], pos[c], pos, c)]
    return Atoms(symbols, positions, info={"charge": charge})


def _methyl_hydrogens(s, c, pos, index):
    """Three H positions of a tetrahedral CH3 on the S-C axis."""
    u = (c - s) / np.linalg.norm(c - s)
    d = np.linalg.norm(pos - c, axis=1)
    near = [k for k in np.flatnonzero((d > 0.5) & (d < 1.75)) if k != index and
            np.linalg.norm(pos[k] - s) > 0.5]
    ref = pos[near[0]] - c if near else np.cross(u, [1.0, 0.0, 0.0])
    p = ref - (ref @ u) * u
    if np.linalg.norm(p) < 1e-6:
        p = np.cross(u, [0.0, 1.0, 0.0])
    p /= np.linalg.norm(p)
    q = np.cross(u, p)
    theta = np.radians(180.0 - 109.47)   # H-C-S angle 109.47 deg
    return [c + 1.09 * (np.cos(theta) * u + np.sin(theta) * (np.cos(f) * p + np.sin(f) * q))
            for f in np.radians([0.0, 120.0, 240.0])]


def gfn1_gap(atoms):
    """GFN1-xTB gap (eV) of the CH3-capped framework of ``atoms`` (one single point,
    through the SCF ladder of :func:`clustergen.compute.relax.relax_one`); cached in
    ``info["gfn1_gap_sch3"]``."""
    from clustergen.compute.relax import relax_one
    if atoms.info.get("gfn1_gap_sch3") is not None:
        return float(atoms.info["gfn1_gap_sch3"])
    _, record = relax_one(capped(atoms), steps=0)
    if record.get("gap") is None:
        raise ClusterGenError(f"GFN1-xTB single point failed for "
                              f"{atoms.get_chemical_formula()}: {record['status']}")
    atoms.info["gfn1_gap_sch3"] = float(record["gap"])
    return float(record["gap"])


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
