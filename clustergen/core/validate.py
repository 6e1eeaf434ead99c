"""One input-validation layer for every command and the Python API.

Every check raises :class:`~clustergen.core.errors.ClusterGenError` with a one-line
message naming the problem, before any work starts.  Groups:

* numbers: ``positive_float``, ``finite_float``, ``nonneg_float``, ``positive_int``,
  ``nonneg_int``, ``bounded_int`` (also usable as argparse ``type=``);
* electrons: :func:`check_charge`, :func:`check_multiplicity`, :func:`check_nstar`;
* structures: :func:`check_atoms` (finite coordinates, real elements, no overlapping atoms,
  integral charge/multiplicity in ``info``) and :func:`read_structures`;
* paths: :func:`output_file`, :func:`output_dir`, :func:`input_file`;
* databases: :func:`check_database` (an ase.db SQLite file, an empty/new file, or a
  ``postgresql://`` URL);
* workflow files: :func:`clustergen.core.safe_yaml.load_yaml_file` (safe YAML, no
  duplicate keys, bounded aliases, size and depth caps), which uses :func:`input_file`.
"""

import math
import os

import numpy as np

from clustergen.core.errors import ClusterGenError

MAX_WORKERS = 256          # local worker processes
MAX_STEPS = 100000         # optimiser steps per candidate
MAX_MULTIPLICITY = 101     # 2S+1; the electron count bounds it further
MAX_ISOMERS = 64           # candidates per family in one build
MAX_METALS = 200           # --upto: largest member grow/workflows build in one go
MAX_TOLERANCE = 3.0        # A: a symmetry tolerance beyond a bond length means nothing
MAX_CHARGE = 30            # |q| of any cluster ion we model; beyond is a typo
MIN_DISTANCE = 0.5         # A: closer atoms are overlapping input, not a structure
MAX_COORDINATE = 1.0e4     # A: a cluster is nanometres wide; 1e300 is a broken file
MAX_ATOMS = 20000
SQLITE_MAGIC = b"SQLite format 3\x00"


def _fail(message):
    raise ClusterGenError(message)


# ------------------------------------------------------------------------ numbers

def _number(text, kind, what):
    if isinstance(text, bool):
        _fail(f"{what} must be a number, got {text!r}")
    try:
        value = kind(text)
        if kind is int and isinstance(text, float) and not float(text).is_integer():
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        _fail(f"{what} must be {'an integer' if kind is int else 'a number'}, "
              f"got {text!r}")
    if kind is float and not math.isfinite(value):
        _fail(f"{what} must be finite, got {text!r}")
    return value


def finite_float(text, what="value"):
    """A finite float (no nan, inf or 1e999).

    >>> finite_float("2.5")
    2.5
    >>> finite_float("nan")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: value must be finite, got 'nan'
    """
    return _number(text, float, what)


def positive_float(text, what="value"):
    """A finite float > 0.

    >>> positive_float(0.05)
    0.05
    """
    value = finite_float(text, what)
    if value <= 0:
        _fail(f"{what} must be positive, got {text!r}")
    return value


def nonneg_float(text, what="value"):
    """A finite float >= 0.

    >>> nonneg_float("0")
    0.0
    """
    value = finite_float(text, what)
    if value < 0:
        _fail(f"{what} must be >= 0, got {text!r}")
    return value


def bounded_int(low=None, high=None, what="value"):
    """A checker for integers in ``[low, high]`` (None: open end).

    >>> bounded_int(1, 64)("8")
    8
    >>> bounded_int(1, 64, "--isomers")("1000")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: --isomers must be at most 64, got '1000'
    """
    def check(text, what=what):
        value = _number(text, int, what)
        if low is not None and value < low:
            _fail(f"{what} must be at least {low}, got {text!r}")
        if high is not None and value > high:
            _fail(f"{what} must be at most {high}, got {text!r}")
        return value
    check.__name__ = "integer"  # argparse names the type in its own messages
    return check


def tolerance(text, what="tolerance"):
    """A symmetry tolerance in A: positive, at most :data:`MAX_TOLERANCE`.

    >>> tolerance("0.3")
    0.3
    """
    value = positive_float(text, what)
    if value > MAX_TOLERANCE:
        _fail(f"{what} {value} A is beyond {MAX_TOLERANCE} A (a bond length)")
    return value


def rotation(text, what="rotation"):
    """An ASE rotation string such as ``"90x,30y"`` (angle in degrees, then axis).

    >>> rotation("90x, -30y")
    '90x, -30y'
    >>> rotation("abc")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: rotation 'abc': write ANGLEaxis items...
    """
    import re
    item = r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*[xyzXYZ]\s*"
    if not isinstance(text, str) or not re.fullmatch(f"({item}(,{item})*)?", text):
        _fail(f"{what} {str(text)[:40]!r}: write ANGLEaxis items such as '90x,30y'")
    for part in filter(None, (p.strip() for p in text.split(","))):
        finite_float(part[:-1], what)
    return text


def positive_int(text, what="value"):
    """An integer >= 1.

    >>> positive_int("3")
    3
    """
    return bounded_int(1, None)(text, what)


def nonneg_int(text, what="value"):
    """An integer >= 0.

    >>> nonneg_int(0)
    0
    """
    return bounded_int(0, None)(text, what)


# ---------------------------------------------------------------------- electrons

def check_charge(charge, electrons=None, what="charge"):
    """An integral charge with |q| <= :data:`MAX_CHARGE` that leaves electrons.

    Accepts ints and integral floats or strings ("-1", "-1.0"); refuses -0.5, "not",
    nan.  ``electrons`` is the neutral electron count (sum of Z) when known.

    >>> check_charge("-1.0"), check_charge(2)
    (-1, 2)
    >>> check_charge(-0.5)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: charge must be an integer, got -0.5
    """
    if isinstance(charge, (bool, np.bool_)) or charge is None:
        _fail(f"{what} must be an integer, got {charge!r}")
    try:
        value = float(charge)
    except (TypeError, ValueError):
        _fail(f"{what} must be an integer, got {charge!r}")
    if not math.isfinite(value) or not value.is_integer():
        _fail(f"{what} must be an integer, got {charge!r}")
    q = int(value)
    if abs(q) > MAX_CHARGE:
        _fail(f"{what} {q} is beyond +-{MAX_CHARGE}: no cluster ion carries that")
    if electrons is not None and electrons - q < 1:
        _fail(f"{what} {q} leaves {electrons - q} electrons")
    return q


def check_multiplicity(multiplicity, electrons, what="multiplicity", where=""):
    """Spin multiplicity 2S+1: >= 1, <= electrons + 1, parity of the electron count.

    >>> check_multiplicity(2, 7)
    2
    >>> check_multiplicity(1, 7)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: multiplicity 1 impossible for 7 electrons (parity)
    """
    m = bounded_int(1, None, what)(multiplicity)
    if m > electrons + 1:
        _fail(f"{what} {m} exceeds {electrons} electrons + 1{where}")
    if (m % 2 == 1) != (electrons % 2 == 0):
        _fail(f"{what} {m} impossible for {electrons} electrons (parity){where}")
    return m


def check_nstar(nstar, formula):
    """Superatom electron count N* must be >= 0.

    >>> check_nstar(8, "[Au25(SR)18]-")
    8
    """
    if nstar < 0:
        _fail(f"{formula}: N* = {nstar} is negative (the charge removes more electrons "
              "than the metal gives)")
    return nstar


# --------------------------------------------------------------------- structures

def check_atoms(atoms, where="structure", min_distance=MIN_DISTANCE, info=True):
    """Refuse empty, non-finite, absurdly far, unknown-element or overlapping atoms,
    unknown roles and (with ``info``) a non-integral or impossible charge/multiplicity
    in ``atoms.info``, normalised to int.  Code that does not use the electron count
    (analysis, drawing) or takes it from arguments passes ``info=False``.  Returns
    ``atoms``.

    >>> from ase import Atoms
    >>> check_atoms(Atoms("Au2", [[0, 0, 0], [2.9, 0, 0]], info={"charge": -1.0})).info
    {'charge': -1}
    >>> check_atoms(Atoms("Au2", [[0, 0, 0], [0.1, 0, 0]]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: structure: overlapping atoms 0 and 1 (0.10 A apart...
    """
    n = len(atoms)
    if n == 0:
        _fail(f"{where}: no atoms")
    if n > MAX_ATOMS:
        _fail(f"{where}: {n} atoms, more than the {MAX_ATOMS} clustergen handles")
    if (atoms.numbers <= 0).any() or (atoms.numbers > 118).any():
        _fail(f"{where}: unknown element (atomic number {int(atoms.numbers.min())})")
    pos = np.asarray(atoms.positions, dtype=float)
    if not np.isfinite(pos).all():
        _fail(f"{where}: non-finite coordinates (nan or inf)")
    if np.abs(pos).max() > MAX_COORDINATE:
        _fail(f"{where}: coordinates beyond {MAX_COORDINATE:g} A")
    if n > 1:
        from scipy.spatial import cKDTree
        pairs = cKDTree(pos).query_pairs(min_distance, output_type="ndarray")
        if len(pairs):
            i, j = (int(k) for k in pairs[0])
            d = float(np.linalg.norm(pos[i] - pos[j]))
            _fail(f"{where}: overlapping atoms {i} and {j} ({d:.2f} A apart, "
                  f"minimum {min_distance} A)")
    if "role" in atoms.arrays:
        from clustergen.core.model import ROLES
        unknown = sorted(set(map(str, atoms.arrays["role"])) - set(ROLES))
        if unknown:
            _fail(f"{where}: unknown role {unknown[0][:40]!r} (known: {', '.join(ROLES)})")
    if not info:
        return atoms
    electrons = int(atoms.numbers.sum())
    if atoms.info.get("charge") is not None:
        atoms.info["charge"] = check_charge(atoms.info["charge"], electrons,
                                            f"{where}: charge")
    if atoms.info.get("multiplicity") is not None:
        atoms.info["multiplicity"] = check_multiplicity(
            atoms.info["multiplicity"], electrons - atoms.info.get("charge", 0),
            f"{where}: multiplicity")
    return atoms


def read_structures(path, what="structure file"):
    """Every frame of a structure file, each checked with :func:`check_atoms`.

    >>> read_structures("missing.xyz")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: no such file 'missing.xyz'
    """
    from clustergen.core.model import read_candidates
    path = input_file(path, what)
    if os.path.getsize(path) == 0:
        _fail(f"{what} '{path}' is empty")
    try:
        frames = read_candidates(path)
    except ClusterGenError:
        raise
    except Exception as exc:  # noqa: BLE001  ASE raises many types for unreadable files
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        _fail(f"cannot read {what} '{path}': {type(exc).__name__}"
              + (f": {text}" if text else ""))
    if not frames:
        _fail(f"{what} '{path}' holds no structure")
    for k, atoms in enumerate(frames):
        check_atoms(atoms, f"{path}" + (f" frame {k}" if len(frames) > 1 else ""))
    return frames


# --------------------------------------------------------------------------- paths

def input_file(path, what="file"):
    """An existing, readable regular file.

    >>> input_file("")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: empty file name
    """
    path = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(path, str) or not path.strip():
        _fail(f"empty {what} name")
    if not os.path.exists(path):
        _fail(f"no such file '{path}'")
    if os.path.isdir(path):
        _fail(f"{what} '{path}' is a directory")
    if not os.access(path, os.R_OK):
        _fail(f"{what} '{path}' is not readable")
    return path


def output_file(path, what="output file"):
    """A file path we may create or overwrite: not a directory, parent exists and is
    writable.

    >>> output_file(".")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: output file '.' is a directory
    """
    path = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(path, str) or not path.strip():
        _fail(f"empty {what} name")
    if os.path.isdir(path) or path.endswith(os.sep):
        _fail(f"{what} '{path}' is a directory")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        _fail(f"{what} '{path}': directory '{parent}' does not exist")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        _fail(f"{what} '{path}' is not writable")
    if not os.access(parent, os.W_OK | os.X_OK):
        _fail(f"{what} '{path}': directory '{parent}' is not writable")
    return path


def output_dir(path, what="output directory"):
    """A directory we may create or write into (an existing file is refused).

    >>> import tempfile; d = tempfile.mkdtemp(); output_dir(d) == d
    True
    """
    path = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(path, str) or not path.strip():
        _fail(f"empty {what} name")
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        _fail(f"{what} '{path}': '{probe}' is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        _fail(f"{what} '{path}': '{probe}' is not writable")
    return path


# ----------------------------------------------------------------------- databases

def check_database(db, create=True):
    """A results database name: a ``postgresql://`` URL, or a SQLite path that is new,
    empty, or already an ase.db.  A foreign SQLite file (other tables), a non-database
    file, a directory, '' and unwritable places are refused; with ``create=False`` the
    file must exist.  Returns the name as a string.

    >>> import tempfile, os; d = tempfile.mkdtemp()
    >>> check_database(os.path.join(d, "new.db")).endswith("new.db")
    True
    >>> check_database(d)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: database '...' is a directory
    """
    name = os.fspath(db) if isinstance(db, os.PathLike) else db
    if not isinstance(name, str) or not name.strip():
        _fail("empty database name")
    if "://" in name:
        if not name.startswith(("postgresql://", "postgres://")):
            _fail(f"unsupported database URL '{name.split('://')[0]}://...' "
                  "(use postgresql://...)")
        return name
    if os.path.isdir(name):
        _fail(f"database '{name}' is a directory")
    if not os.path.exists(name):
        if not create:
            _fail(f"no results database '{name}'")
        output_file(name, "database")
        try:  # root passes os.access everywhere: a real probe catches read-only places
            open(name, "ab").close()
            os.remove(name)
        except OSError as exc:
            _fail(f"cannot create database '{name}': {exc.strerror}")
        return name
    input_file(name, "database")
    if create and not os.access(name, os.W_OK):
        _fail(f"database '{name}' is not writable")
    if os.path.getsize(name) == 0:
        return name
    with open(name, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        _fail(f"'{name}' is not a database (not a SQLite file)")
    tables = _sqlite_tables(name) - {"clustergen_claims"}  # compute/claims.py's table
    if tables and not {"systems", "information"} <= tables:
        _fail(f"'{name}' is a SQLite database of another program (tables "
              f"{', '.join(sorted(tables)[:4])}): refusing to add results to it")
    return name


def _sqlite_tables(path):
    import sqlite3
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        _fail(f"'{path}' is not a readable SQLite database: {exc}")


# Workflow-file reading lives in its own module; it is part of this layer.
