"""Property-based robustness: for generated formulas, structure files, numeric options and
workflow files every command either succeeds with a correct result (exit 0) or refuses
in one line (exit 2): never a traceback (an exception escaping ``main``), never a hang
(an alarm ends any example after :data:`LIMIT` seconds).

Each property draws a bounded number of examples; the suite takes well under two minutes.
The oracles are written here from the rules themselves (finite coordinates, integral
charge, electron-count parity...), not by calling the validation code under test.
"""

import contextlib
import io
import math
import os
import re
import signal
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustergen.cli import main

LIMIT = 60  # s: an example running longer is a hang
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def _alarm(seconds):
    def hang(signum, frame):
        raise TimeoutError(f"hang: still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(argv):
    """(status, stdout, stderr) of ``clustergen argv`` in this process; an exception
    escaping main (the CLI would print a traceback) fails the property."""
    out, err = io.StringIO(), io.StringIO()
    with _alarm(LIMIT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def assert_refusal(status, err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, (status, err)


# ------------------------------------------------------------------------ formulas

METALS = st.sampled_from(["Au", "Ag", "Pt", "Xx", "au", ""])
LIGANDS = st.sampled_from(["(SR)", "(SCH3)", "(SH)", "(XYZ)", "(PPh3)", "Cl", "()", ""])
COUNTS = st.one_of(st.integers(-3, 40).map(str), st.just(""),
                   st.sampled_from(["25", "18", "99999999999999999999", "0"]))
CHARGES = st.sampled_from(["", "-", "+", "0", "2-", "5-", "26+", "--", "+-", "x",
                           "\u2212", "99999999-", "1.5+"])


@st.composite
def formulas(draw):
    core = draw(METALS) + draw(COUNTS) + draw(LIGANDS) + draw(COUNTS)
    charge = draw(CHARGES)
    if draw(st.booleans()):
        core = f"[{core}]{charge}"
    if draw(st.integers(0, 9)) == 0:  # a well-formed family member now and then
        core = draw(st.sampled_from(["[Au25(SR)18]-", "[Au25(SR)18]+", "Au25(SR)18",
                                     "[Au25(SR)18]3-", "[Au25(SR)18]26+"]))
    return core


@settings(max_examples=30, **SETTINGS)
@given(formula=formulas(), multiplicity=st.one_of(st.none(), st.integers(-2, 6)))
def test_build_any_formula(formula, multiplicity):
    from clustergen.core.model import read_candidates
    d = tempfile.mkdtemp()
    out = os.path.join(d, "c.extxyz")
    argv = ["build", formula, "--isomers", "1", "--ligand", "SH", "-o", out]
    if multiplicity is not None:
        argv += ["--multiplicity", str(multiplicity)]
    status, stdout, err = run(argv)
    if status != 0:
        assert_refusal(status, err)
        assert not os.path.exists(out)
        return
    for atoms in read_candidates(out):       # a correct result: physics of the labels
        electrons = int(atoms.numbers.sum()) - atoms.info["charge"]
        assert atoms.info["nstar"] >= 0
        assert atoms.info["multiplicity"] % 2 != electrons % 2
        assert 1 <= atoms.info["multiplicity"] <= electrons + 1
        d2 = atoms.get_all_distances() + 10 * __import__("numpy").eye(len(atoms))
        assert d2.min() > 0.5


# ---------------------------------------------------------------- structure files

ELEMENTS = st.sampled_from(["Au", "S", "H", "C", "Xx", "X", "Q", "au", "1"])
COORDS = st.one_of(st.floats(-8, 8, allow_nan=False), st.sampled_from(
    [math.nan, math.inf, -math.inf, 1e300, 0.0]))
VALUES = st.sampled_from(["0", "-1", "1", "2", "3", "-0.5", "0.5", "1.0", "-2.0", "nan",
                          "inf", "not stated", "high", "99999", "-99999", "31", "-30",
                          "1e400", '""', "True"])


@st.composite
def xyz_files(draw):
    """Mostly sound files (real elements on a 2.6 A line) with one flaw now and then, so
    that the charge and spin rules are reached as often as the file-format ones."""
    n = draw(st.integers(1, 5))
    atoms = []
    for i in range(n):
        element = draw(ELEMENTS) if draw(st.integers(0, 9)) == 0 else \
            draw(st.sampled_from(["Au", "Au", "S", "H", "Ag"]))
        xyz = [2.6 * i + draw(st.floats(-0.3, 0.3)), draw(st.floats(-0.3, 0.3)), 0.0]
        if draw(st.integers(0, 9)) == 0:
            xyz[draw(st.integers(0, 2))] = draw(COORDS)
        atoms.append((element, xyz))
    comment = []
    for key in ("charge", "multiplicity"):
        if draw(st.sampled_from([True, True, True, False])):
            comment.append(f"{key}={draw(VALUES)}")
    declared = n if draw(st.integers(0, 9)) else draw(st.integers(0, 7))
    return declared, " ".join(comment), atoms


def _oracle(declared, comment, atoms):
    """None when the file is a valid structure with an integral charge; else a reason."""
    import numpy as np
    from ase.data import atomic_numbers
    if declared != len(atoms):
        return "atom count"
    # ASE reads "au" as gold and "1" as atomic number 1: both are fair readings
    z = [atomic_numbers.get(s.capitalize(), int(s) if s.isdigit() else 0) for s, _ in atoms]
    if min(z) <= 0:
        return "element"
    pos = np.array([p for _, p in atoms], float)
    if not np.isfinite(pos).all() or np.abs(pos).max() > 1e4:
        return "coordinates"
    if len(pos) > 1:
        d = np.linalg.norm(pos[:, None] - pos[None], axis=2) + 1e9 * np.eye(len(pos))
        if d.min() < 0.5:
            return "overlap"
    values = dict(item.split("=", 1) for item in comment.split() if "=" in item)
    if "charge" not in values:
        return "no charge"  # dft never assumes one
    try:
        q = float(values["charge"])
    except ValueError:
        return "charge"
    if not math.isfinite(q) or q != int(q) or abs(q) > 30 or sum(z) - q < 1:
        return "charge"
    electrons = sum(z) - int(q)
    if "multiplicity" in values:
        try:
            m = float(values["multiplicity"])
        except ValueError:
            return "multiplicity"
        if not math.isfinite(m) or m != int(m) or m < 1 or m > electrons + 1 \
                or int(m) % 2 == electrons % 2:
            return "multiplicity"
    return None


@settings(max_examples=80, **SETTINGS)
@given(case=xyz_files())
def test_any_structure_file(case):
    declared, comment, atoms = case
    d = tempfile.mkdtemp()
    path = os.path.join(d, "s.xyz")
    with open(path, "w") as fh:
        fh.write(f"{declared}\n{comment}\n")
        fh.writelines(f"{s} {x!r} {y!r} {z!r}\n" for s, (x, y, z) in atoms)
    reason = _oracle(declared, comment, atoms)
    out = os.path.join(d, "dft")
    status, _, err = run(["dft", path, "--code", "orca", "--task", "sp", "-o", out])
    if reason is not None:
        assert_refusal(status, err)
        assert not os.path.exists(out), reason
    elif status != 0:
        assert_refusal(status, err)   # e.g. no basis for an element: refused, not broken
    else:
        deck = open(next(os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs
                         if f.endswith(".inp"))).read()
        assert "nan" not in deck.lower() and "inf " not in deck.lower()
        values = dict(item.split("=", 1) for item in comment.split())
        q = int(float(values["charge"]))
        m = re.search(r"\* ?xyz\w* (-?\d+) (\d+)", deck)
        assert m and int(m.group(1)) == q, deck[:400]
    status, _, err = run(["analyse", path])
    if reason not in (None, "no charge"):
        assert_refusal(status, err)
    elif status != 0:
        assert_refusal(status, err)   # e.g. no metal atoms to analyse


@settings(max_examples=80, **SETTINGS)
@given(charge=st.one_of(st.none(), VALUES), multiplicity=st.one_of(st.none(), VALUES))
def test_any_comment_line_on_a_sound_structure(charge, multiplicity):
    """Charge and multiplicity read from the comment line of a sound Au2 file: the deck
    carries exactly the stated (integral, possible) values, or the file is refused."""
    comment = " ".join(f"{k}={v}" for k, v in (("charge", charge),
                                                ("multiplicity", multiplicity))
                       if v is not None)
    atoms = [("Au", [0.0, 0.0, 0.0]), ("Au", [2.88, 0.0, 0.0])]
    reason = _oracle(2, comment, atoms)
    d = tempfile.mkdtemp()
    path = os.path.join(d, "au2.xyz")
    with open(path, "w") as fh:
        fh.write(f"2\n{comment}\nAu 0 0 0\nAu 2.88 0 0\n")
    out = os.path.join(d, "dft")
    status, _, err = run(["dft", path, "--code", "orca", "--task", "sp", "-o", out])
    if reason is not None:
        assert_refusal(status, err)
        assert not os.path.exists(out), reason
        return
    assert status == 0, err
    deck = open(next(os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs
                     if f.endswith(".inp"))).read()
    q = int(float(charge))
    m = re.search(r"\* ?xyz\w* (-?\d+) (\d+)", deck)
    assert m and int(m.group(1)) == q, deck[:400]
    electrons = 158 - q
    spin = int(m.group(2))
    assert spin == (int(float(multiplicity)) if multiplicity else 1 + electrons % 2)


# ---------------------------------------------------------------- numeric options

NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10 ** 6, 10 ** 6), st.sampled_from(
                        ["abc", "", "1e999", "-0", "0x10", "1_000", " 3 ", "nan"]))


def _as_float(text):
    try:
        value = float(str(text))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@pytest.fixture(scope="module")
def au13_file():
    from ase.cluster import Icosahedron

    from clustergen.core.model import write_candidates
    a = Icosahedron("Au", 2)
    a.info.update(charge=-1, multiplicity=1)
    path = os.path.join(tempfile.mkdtemp(), "au13.extxyz")
    write_candidates(path, [a])
    return path


@settings(max_examples=40, **SETTINGS)
@given(option=st.sampled_from(["--cutoff", "--vacuum"]), value=NUMBERS)
def test_dft_numeric_options(au13_file, option, value):
    out = os.path.join(tempfile.mkdtemp(), "dft")
    status, _, err = run(["dft", au13_file, "--code", "vasp", option, str(value), "-o", out])
    number = _as_float(value)
    ok = number is not None and (0 < number <= 1e4 if option == "--cutoff"
                                 else 0 <= number <= 100)
    if not ok:
        assert_refusal(status, err)
        return
    assert status == 0, err
    if option == "--cutoff":
        incar = open(next(os.path.join(r, "INCAR") for r, _, fs in os.walk(out)
                          if "INCAR" in fs)).read()
        encut = float(re.search(r"ENCUT\s*=\s*(\S+)", incar).group(1))
        assert math.isclose(encut, number, rel_tol=1e-6, abs_tol=1e-6)


@settings(max_examples=30, **SETTINGS)
@given(option=st.sampled_from(["--nstates", "--top"]), value=NUMBERS)
def test_dft_integer_options(au13_file, option, value):
    out = os.path.join(tempfile.mkdtemp(), "dft")
    argv = ["dft", au13_file, "--code", "orca", "--task", "tddft", option, str(value),
            "-o", out]
    status, _, err = run(argv)
    text = str(value).strip()
    whole = re.fullmatch(r"[-+]?\d+", text.replace("_", "")) is not None
    if option == "--top" or not whole or not 1 <= int(text.replace("_", "")) <= 10000:
        assert_refusal(status, err)   # --top needs --db; nstates 1..10000
    else:
        assert status == 0, err


@settings(max_examples=30, **SETTINGS)
@given(value=NUMBERS)
def test_tolerance_option(au13_file, value):
    status, out, err = run(["dopants", au13_file, "--dopant", "Pt", "--tolerance",
                            str(value)])
    number = _as_float(value)
    if number is None or not 0 < number <= 3.0:
        assert_refusal(status, err)
    else:
        assert status == 0, err
        assert "centre" in out   # Au13 has a centre site whatever the tolerance


@settings(max_examples=30, **SETTINGS)
@given(fmax=NUMBERS, steps=st.one_of(st.integers(-5, 5), st.just("x")))
def test_relax_numeric_options_refused_before_work(au13_file, fmax, steps):
    db = os.path.join(tempfile.mkdtemp(), "r.db")
    number = _as_float(fmax)
    good = number is not None and number > 0 and isinstance(steps, int) and steps >= 0
    if good:
        return  # a real relaxation: covered by tests/test_relax.py
    status, _, err = run(["relax", au13_file, "--db", db, "--workers", "0",
                          "--no-progress", "--fmax", str(fmax), "--steps", str(steps)])
    assert_refusal(status, err)
    assert not os.path.exists(db)


# ---------------------------------------------------------------- workflow files

KEYS = st.sampled_from(["build", "relax", "rank", "dft", "report", "name", "family",
                        "upto", "formulas", "isomers", "ligand", "fmax", "x"])
LEAVES = st.one_of(st.integers(-5, 3000), st.floats(allow_nan=True), st.booleans(),
                   st.none(), st.sampled_from(["double-helix", "Au25(SR)18", "SH", "all",
                                               "abc", ""]))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


def _yaml(tree, indent=0):
    """Block-style YAML of a tree (kept simple: flow style for leaves)."""
    import json
    pad = " " * indent
    if isinstance(tree, dict):
        if not tree:
            return "{}"
        return "\n" + "\n".join(f"{pad}{k}: {_yaml(v, indent + 2)}" for k, v in tree.items())
    if isinstance(tree, list):
        return json.dumps(tree, default=str).replace("NaN", ".nan")
    if isinstance(tree, float) and math.isnan(tree):
        return ".nan"
    return json.dumps(tree)


@settings(max_examples=60, **SETTINGS)
@given(tree=st.dictionaries(KEYS, TREES, max_size=4),
       extra=st.sampled_from(["", "build: {family: double-helix}\n",
                              "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
                                  f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                  for p, c in zip("abcde", "bcdef")),
                              "\x00", "x: " + "[" * 300 + "]" * 300 + "\n"]))
def test_any_workflow_file(tree, extra):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "w.yaml")
    text = _yaml(tree).lstrip("\n") + "\n" + extra
    with open(path, "w") as fh:
        fh.write(text)
    status, out, err = run(["run", path, "--check", "-o", os.path.join(d, "run")])
    if status != 0:
        assert_refusal(status, err)
        return
    assert "build:" in out                 # --check lists the stages it validated
    assert extra in ("", "build: {family: double-helix}\n")  # never aliases or binary
    assert not os.path.exists(os.path.join(d, "run"))
