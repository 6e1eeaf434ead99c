"""Training rows for the surrogate models, from the results store or from structures.

A row is a plain dict: ``atoms`` (the relaxed structure with roles), ``y`` (the target
value, eV), ``level`` (level of theory), ``id`` (candidate id), ``group`` (composition,
used for group-wise splits) and, where the same structure also has a GFN1-xTB value,
``base`` (that value: the input of a delta model).

Targets: ``gap`` (HOMO-LUMO gap), ``rel_energy`` (energy above the lowest stored
structure of the same composition and level) and ``e_ads`` (per adsorption site:
E(complex) - E(clean cluster) - E(free adsorbate), all from the same store).  A row's
level is its ``level`` key, else its ``method``, else GFN1-xTB.

>>> from ase.cluster import Icosahedron
>>> a, b = Icosahedron("Au", 2), Icosahedron("Au", 2)
>>> a.info.update(energy=-10.0, cid="a"); b.info.update(energy=-9.5, cid="b")
>>> [r["y"] for r in rows_from_structures([a, b], "rel_energy")]
[0.0, 0.5]
"""

import math

import numpy as np

from clustergen.core.errors import ClusterGenError

TARGETS = ("gap", "e_ads", "rel_energy")
BASE_LEVEL = "GFN1-xTB"
USABLE = ("converged", "not-converged", "topology-changed")  # statuses with real values


def check_target(target):
    """``target`` if known, else a ClusterGenError naming the known ones.

    >>> check_target("gap")
    'gap'
    """
    if target not in TARGETS:
        raise ClusterGenError(f"unknown target '{target}' (known: {', '.join(TARGETS)})")
    return target


def level_of(info):
    """Level of theory of a stored result (``level``, else ``method``, else GFN1-xTB).

    >>> level_of({}), level_of({"level": "PBE"})
    ('GFN1-xTB', 'PBE')
    """
    return str(info.get("level") or info.get("method") or BASE_LEVEL)


def _number(value):
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _composition(atoms):
    return str(atoms.info.get("formula") or atoms.get_chemical_formula())


def structure_key(atoms):
    """Key pairing results of one structure at two levels: ``info["parent"]`` (the cid
    of the GFN1 result a higher-level calculation started from) or the positions.

    >>> from ase import Atoms
    >>> structure_key(Atoms("Au", info={"parent": "abc"}))
    'abc'
    """
    if atoms.info.get("parent"):
        return str(atoms.info["parent"])
    pos = np.rint(np.asarray(atoms.positions) * 100).astype(int)
    return " ".join(atoms.get_chemical_symbols()) + ":" + pos.tobytes().hex()


def _value_rows(structures, target):
    """(atoms, value, level) for each structure with a finite value of ``target``."""
    out = []
    for atoms in structures:
        if atoms.info.get("status", "converged") not in USABLE:
            continue
        key = "energy" if target == "rel_energy" else target
        value = _number(atoms.info.get(key))
        if value is not None:
            out.append((atoms, value, level_of(atoms.info)))
    return out


def _relative(values):
    """Energies minus the lowest of the same composition and level."""
    low = {}
    for atoms, e, level in values:
        k = (_composition(atoms), level)
        low[k] = min(low.get(k, e), e)
    return [(a, e - low[(_composition(a), lv)], lv) for a, e, lv in values]


def _e_ads(structures):
    """E_ads rows: each complex against its clean cluster and free adsorbate."""
    energies = {}
    for atoms in structures:
        e = _number(atoms.info.get("energy"))
        if e is None or atoms.info.get("status", "converged") not in USABLE:
            continue
        key = (_composition(atoms), level_of(atoms.info))
        energies[key] = min(energies.get(key, e), e)
    out = []
    for atoms in structures:
        name = atoms.info.get("adsorbate")
        formula = _composition(atoms)
        e = _number(atoms.info.get("energy"))
        if not name or "+" not in formula or e is None or \
                atoms.info.get("status", "converged") not in USABLE:
            continue
        level = level_of(atoms.info)
        clean = energies.get((formula.rsplit("+", 1)[0], level))
        free = energies.get((str(name), level))
        if clean is not None and free is not None:
            out.append((atoms, e - clean - free, level))
    return out


def rows_from_structures(structures, target):
    """Training rows (see the module text) from structures whose ``info`` holds values.

    Where a structure has a GFN1-xTB value and a higher-level one (same
    :func:`structure_key`), the higher-level row carries the GFN1 value as ``base``.
    """
    check_target(target)
    structures = list(structures)
    if target == "rel_energy":
        values = _relative(_value_rows(structures, target))
    elif target == "e_ads":
        values = _e_ads(structures)
    else:
        values = _value_rows(structures, target)
    base = {structure_key(a): y for a, y, lv in values if lv == BASE_LEVEL}
    rows = []
    for k, (atoms, y, level) in enumerate(values):
        row = {"atoms": atoms, "y": float(y), "level": level,
               "id": str(atoms.info.get("cid") or f"s{k + 1}"),
               "group": _composition(atoms)}
        if level != BASE_LEVEL and structure_key(atoms) in base:
            row["base"] = base[structure_key(atoms)]
        rows.append(row)
    return rows


def rows_from_store(db, target):
    """Training rows from a results database (:mod:`clustergen.compute.store`).

    >>> rows_from_store("missing.db", "gap")
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: no results database 'missing.db'
    """
    from clustergen.compute import store

    check_target(target)
    try:
        structures = store.read_relaxed(db)
    except ClusterGenError:
        raise
    except Exception as exc:  # sqlite/ase.db raise several types for non-databases
        raise ClusterGenError(f"cannot read results database '{db}': "
                              f"{str(exc).splitlines()[0] if str(exc) else exc}") from None
    return rows_from_structures(structures, target)
