"""Every command refuses bad input with one line (exit 2), before any work.

Classes: databases, structure files, electron counting, numbers, sizes, output paths,
workflow files, single bugs, HTML escaping.  Interruption and concurrent runs are in
tests/test_interrupt_concurrency.py.
"""

import math
import os
import sqlite3

import numpy as np
import pytest
from ase import Atoms
from ase.cluster import Icosahedron

from clustergen.cli import main
from clustergen.core import safe_yaml, validate
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster, write_candidates

AU2 = "Au 0 0 0\nAu 2.88 0 0\n"


def _xyz(tmp_path, name, body, comment=""):
    lines = [line for line in body.strip().splitlines() if line.strip()]
    path = tmp_path / name
    path.write_text(f"{len(lines)}\n{comment}\n" + "\n".join(lines) + "\n")
    return str(path)


def refused(argv, capsys, *fragments):
    """main(argv) exits 2 with exactly one stderr line holding every fragment."""
    capsys.readouterr()
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture
def au13(tmp_path):
    a = Icosahedron("Au", 2)
    a.info.update(charge=0, multiplicity=2)
    path = tmp_path / "au13.extxyz"
    write_candidates(path, [a])
    return str(path)


@pytest.fixture
def h2(tmp_path):
    return _xyz(tmp_path, "h2.xyz", "H 0 0 0\nH 0.9 0 0", "charge=0 multiplicity=1")


# ------------------------------------------------------------------------ numbers

@pytest.mark.parametrize("check, text, ok", [
    (validate.finite_float, "1.5", 1.5), (validate.finite_float, "nan", None),
    (validate.finite_float, "inf", None), (validate.finite_float, "1e999", None),
    (validate.finite_float, "abc", None), (validate.positive_float, "0", None),
    (validate.positive_float, "-1", None), (validate.nonneg_float, "0", 0.0),
    (validate.nonneg_float, "-0.1", None), (validate.positive_int, "0", None),
    (validate.positive_int, "2.5", None), (validate.positive_int, "7", 7),
    (validate.nonneg_int, "-1", None), (validate.tolerance, "nan", None),
    (validate.tolerance, "100", None), (validate.tolerance, "0.3", 0.3),
])
def test_number_checkers(check, text, ok):
    if ok is None:
        with pytest.raises(ClusterGenError):
            check(text)
    else:
        assert check(text) == ok


def test_bounded_int_names_the_bound():
    with pytest.raises(ClusterGenError, match="at most 64"):
        validate.bounded_int(1, 64, "isomers")(65)
    assert validate.bounded_int(-3, 3)("-3") == -3


# ---------------------------------------------------------------------- electrons

def test_charge_and_multiplicity_rules():
    assert validate.check_charge("-1.0") == -1
    for bad in (-0.5, "not", float("nan"), True, None, 99999):
        with pytest.raises(ClusterGenError):
            validate.check_charge(bad)
    with pytest.raises(ClusterGenError, match="leaves"):
        validate.check_charge(3, electrons=2)            # H2 3+ has no electrons
    assert validate.check_multiplicity(3, 8) == 3        # triplet of 8 electrons
    for m in (0, -1, 2, 11, 99999):                      # parity, range, > N + 1
        with pytest.raises(ClusterGenError):
            validate.check_multiplicity(m, 8)
    with pytest.raises(ClusterGenError, match="N\\* = -19"):
        validate.check_nstar(-19, "[Au25(SR)18]26+")


def test_build_refuses_impossible_electron_counts(tmp_path, capsys):
    out = str(tmp_path / "b.extxyz")
    refused(["build", "[Au25(SR)18]26+", "-o", out], capsys, "N* = -19")
    refused(["build", "[Au25(SR)18]5-", "-o", out], capsys, "N* = 12", "N* = 8")
    refused(["build", "[Au25(SR)18]-", "--multiplicity", "-1", "-o", out], capsys)
    refused(["build", "[Au25(SR)18]-", "--multiplicity", "99999", "-o", out], capsys)
    refused(["build", "[Au25(SR)18]-", "--multiplicity", "2", "-o", out], capsys,
            "impossible")                              # 8 + 2*25... even count: not 2
    assert not os.path.exists(out)
    assert main(["build", "[Au25(SR)18]-", "--ligand", "SH", "--isomers", "1",
                 "--multiplicity", "3", "-o", out]) == 0
    from clustergen.core.model import read_candidates
    (a,) = read_candidates(out)
    assert (a.info["charge"], a.info["multiplicity"], a.info["nstar"]) == (-1, 3, 8)


def test_relax_and_analyse_refuse_absurd_charges(tmp_path, capsys, au13, h2):
    db = str(tmp_path / "r.db")
    refused(["analyse", au13, "--charge", "99999"], capsys, "--charge")
    hot = _xyz(tmp_path, "hot.xyz", "H 0 0 0\nH 0.9 0 0", "charge=99999")
    refused(["relax", hot, "--db", db, "--workers", "0", "--no-progress"], capsys, "charge")
    assert not os.path.exists(db) or sqlite3.connect(db).execute(
        "SELECT count(*) FROM sqlite_master WHERE name='systems'").fetchone()[0] == 0


# --------------------------------------------------------------------- structures

STRUCTURE_CASES = [
    ("empty.xyz", None, "", "empty"),
    ("truncated.xyz", None, "5\nc\nAu 0 0 0\nAu 2.9 0 0\n", "cannot read"),
    ("unknown.xyz", "Xx 0 0 0\nAu 2.9 0 0", "", "cannot read"),
    ("dummy.xyz", "X 0 0 0\nAu 2.9 0 0", "", "unknown element"),
    ("nan.xyz", "Au nan 0 0\nAu 2.9 0 0", "", "non-finite"),
    ("inf.xyz", "Au inf 0 0\nAu 2.9 0 0", "", "non-finite"),
    ("huge.xyz", "Au 1e300 0 0\nAu 2.9 0 0", "", "beyond"),
    ("overlap.xyz", "Au 0 0 0\nAu 0.2 0 0", "", "overlapping atoms"),
    ("words.xyz", AU2, "charge=not stated", "charge must be an integer"),
    ("high.xyz", AU2, "multiplicity=high", "multiplicity must be an integer"),
    ("half.xyz", AU2, "charge=-0.5", "charge must be an integer"),
    ("mneg.xyz", AU2, "multiplicity=-1", "multiplicity must be at least 1"),
    ("mbig.xyz", AU2, "multiplicity=99999", "exceeds"),
    ("parity.xyz", AU2, "charge=0 multiplicity=2", "impossible"),
]


@pytest.mark.parametrize("name, body, comment, message", STRUCTURE_CASES)
def test_bad_structure_files_are_refused_by_every_reader(tmp_path, capsys, au13, name,
                                                         body, comment, message):
    if body is None:
        path = str(tmp_path / name)
        open(path, "w").write(comment)
    else:
        path = _xyz(tmp_path, name, body, comment)
    with pytest.raises(ClusterGenError, match=message.split()[0]):
        validate.read_structures(path)
    db = str(tmp_path / "r.db")
    for argv in (["analyse", path], ["compare", au13, path],
                 ["relax", path, "--db", db, "--workers", "0", "--no-progress"],
                 ["dft", path, "-o", str(tmp_path / "dft")],
                 ["render", path, "-o", str(tmp_path / "x.html")],
                 ["dopants", path, "--dopant", "Pt"], ["adsorb", path]):
        refused(argv, capsys, message)
    assert not os.path.exists(tmp_path / "dft") and not os.path.exists(tmp_path / "x.html")
    assert not os.path.exists(db)


def test_binary_and_directory_inputs(tmp_path, capsys):
    binary = tmp_path / "b.xyz"
    binary.write_bytes(bytes(range(256)) * 4)
    refused(["analyse", str(binary)], capsys, "cannot read")
    refused(["analyse", str(tmp_path)], capsys, "is a directory")
    refused(["analyse", ""], capsys, "empty")


def test_integral_float_charge_is_accepted_and_normalised(tmp_path):
    path = _xyz(tmp_path, "q.xyz", AU2, "charge=-1.0")
    (a,) = validate.read_structures(path)
    assert a.info["charge"] == -1 and isinstance(a.info["charge"], int)


def test_overlap_refused_in_the_api(tmp_path):
    import clustergen
    a = make_cluster(["H", "H"], [[0, 0, 0], [0.1, 0, 0]], ["ligand"] * 2, charge=0)
    with pytest.raises(ClusterGenError, match="overlapping"):
        clustergen.relax(a, db=str(tmp_path / "r.db"), workers=0, progress=False)
    assert not (tmp_path / "r.db").exists()


# ---------------------------------------------------------------------- databases

def test_bad_databases_are_refused_by_every_command(tmp_path, capsys, au13, h2):
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE accounts (id INTEGER, name TEXT)")
    con.commit()
    con.close()
    # (database, message for commands that write, message for commands that read)
    cases = [(str(text), "not a database", "not a database"),
             (str(tmp_path), "is a directory", "is a directory"),
             ("", "empty database name", "empty database name"),
             (str(foreign), "another program", "another program"),
             ("postgresql://nobody:x@127.0.0.1:1/none", "cannot open database",
              "cannot open database"),
             ("/proc/clustergen.db", "cannot create database", "no results database"),
             ("mysql://u@h/x", "unsupported database URL", "unsupported database URL")]
    for db, writing, reading in cases:
        for argv, message in (
                (["results", "--db", db], reading),
                (["dft", "--db", db, "-o", str(tmp_path / "d")], reading),
                (["relax", h2, "--db", db, "--workers", "0", "--no-progress"], writing),
                (["dopants", au13, "--dopant", "Pt", "--relax", "--db", db, "--workers",
                  "0", "--no-progress"], writing),
                (["adsorb", au13, "--adsorbate", "H", "--relax", "--db", db,
                  "--workers", "0", "--no-progress"], writing)):
            refused(argv, capsys, message)
        if db.endswith(".db"):  # render reads other names as structure files
            refused(["render", db, "-o", str(tmp_path / "r.html")], capsys, reading)
    # the foreign file was not touched: still one table, no ase tables
    tables = {r[0] for r in sqlite3.connect(foreign).execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"accounts"}


def test_new_and_empty_database_files_are_accepted(tmp_path):
    empty = tmp_path / "e.db"
    empty.write_bytes(b"")
    assert validate.check_database(str(empty)) == str(empty)
    assert validate.check_database(str(tmp_path / "new.db")).endswith("new.db")
    with pytest.raises(ClusterGenError, match="no results database"):
        validate.check_database(str(tmp_path / "new.db"), create=False)


def test_results_show_the_candidates_charge(tmp_path, capsys):
    from clustergen.compute import store
    a = make_cluster(["Au", "S"], [[0, 0, 0], [2.3, 0, 0]], ["staple", "S"], charge=-1,
                     multiplicity=1)
    db = str(tmp_path / "r.db")
    store.write_result(db, a, {"cid": "c1", "status": "failed:demo"})
    assert store.rows(db)[0]["charge"] == -1
    assert main(["results", "--db", db, "--format", "csv"]) == 0
    header, row = capsys.readouterr().out.strip().splitlines()
    assert row.split(",")[header.split(",").index("charge")] == "-1"


# ------------------------------------------------------------------------ numbers

@pytest.mark.parametrize("opt, value", [
    ("--nstates", "-1"), ("--nstates", "nan"), ("--cutoff", "nan"), ("--cutoff", "-1"),
    ("--cutoff", "inf"), ("--vacuum", "-1"), ("--vacuum", "nan"), ("--top", "0"),
])
def test_dft_numbers(tmp_path, capsys, au13, opt, value):
    out = tmp_path / "dft"
    refused(["dft", au13, "--code", "vasp", "--task", "tddft", opt, value, "-o", str(out)],
            capsys)
    assert not out.exists()


def test_dft_api_refuses_nan_cutoff(tmp_path):
    from clustergen.dft import write_decks
    a = Icosahedron("Au", 2)
    a.info.update(charge=0)
    with pytest.raises(ClusterGenError, match="cutoff must be finite"):
        write_decks([a], code="vasp", directory=tmp_path / "d", cutoff=float("nan"))
    assert not (tmp_path / "d").exists()
    write_decks([a], code="vasp", directory=tmp_path / "ok", cutoff=400)
    incar = next((tmp_path / "ok").glob("*/INCAR")).read_text()
    assert "ENCUT = 400" in incar and "nan" not in incar.lower()


@pytest.mark.parametrize("argv, message", [
    (["--fmax", "inf"], "fmax must be finite"), (["--fmax", "nan"], "fmax"),
    (["--fmax", "0"], "fmax must be positive"), (["--steps", "-1"], "at least 0"),
    (["--workers", "-1"], "at least 0"), (["--workers", "x"], "integer"),
])
def test_relax_numbers(tmp_path, capsys, h2, argv, message):
    refused(["relax", h2, "--db", str(tmp_path / "r.db")] + argv, capsys, message)


def test_relax_api_refuses_infinite_fmax(tmp_path):
    from clustergen.compute.relax import relax
    a = make_cluster(["H", "H"], [[0, 0, 0], [0.9, 0, 0]], ["ligand"] * 2, charge=0)
    with pytest.raises(ClusterGenError, match="fmax must be finite"):
        relax(a, db=str(tmp_path / "r.db"), fmax=math.inf, workers=0, progress=False)


@pytest.mark.parametrize("cmd, argv", [
    ("dopants", ["--dopant", "Pt", "--tolerance", "nan"]),
    ("dopants", ["--dopant", "Pt", "--tolerance", "-1"]),
    ("dopants", ["--dopant", "Pt", "--cap", "-1"]),
    ("dopants", ["--dopant", "Pt", "--workers", "-1"]),
    ("dopants", ["--dopant", "Pt", "--count", "0"]),
    ("dopants", ["--dopant", "Pt", "--temperature", "nan"]),
    ("adsorb", ["--tolerance", "inf"]), ("adsorb", ["--workers", "-1"]),
    ("adsorb", ["--anchor", "-1"]),
    ("render", ["--rotation", "abc", "-o", "x.png"]),
    ("render", ["--rotation", "nanx", "-o", "x.png"]),
    ("render", ["--cols", "0", "-o", "x.png"]), ("render", ["--limit", "-1", "-o", "x.png"]),
])
def test_screen_and_render_numbers(tmp_path, capsys, monkeypatch, au13, cmd, argv):
    monkeypatch.chdir(tmp_path)
    refused([cmd, au13] + argv, capsys)


# -------------------------------------------------------------------------- sizes

def test_sizes_that_would_hang_are_capped(tmp_path, capsys):
    refused(["build", "[Au25(SR)18]-", "--isomers", "100000", "-o",
             str(tmp_path / "b.extxyz")], capsys, "at most")
    refused(["grow", "double-helix", "--upto", "2000", "-o", str(tmp_path / "s")], capsys,
            "at most")
    assert not (tmp_path / "s").exists()
    from clustergen.generation.generate import build, grow
    with pytest.raises(ClusterGenError):
        build("[Au25(SR)18]-", isomers=10 ** 6)
    with pytest.raises(ClusterGenError):
        grow("double-helix", upto=2000)
    wf = tmp_path / "w.yaml"
    wf.write_text("build: {family: double-helix, upto: 1000}\n")
    refused(["run", str(wf), "--check", "-o", str(tmp_path / "run")], capsys, "upto")


# --------------------------------------------------------------------- output paths

def test_output_paths(tmp_path, capsys, au13):
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    build = ["build", "[Au25(SR)18]-", "--isomers", "1"]
    refused(build + ["-o", str(tmp_path)], capsys, "is a directory")
    refused(build + ["-o", ""], capsys, "empty")
    refused(build + ["-o", "/proc/none/x.extxyz"], capsys, "does not exist")
    refused(["grow", "au7-backbone", "--upto", "21", "-o", str(a_file)], capsys,
            "is a file")
    refused(["dft", au13, "-o", str(a_file)], capsys, "is a file")
    refused(["dft", au13, "-o", str(a_file / "sub")], capsys, "is a file")
    refused(["render", au13, "-o", str(tmp_path)], capsys, "is a directory")
    refused(["render", au13, "-o", str(tmp_path / "x.txt")], capsys, "cannot render")
    refused(["analyse", au13, "-o", str(tmp_path)], capsys, "is a directory")
    refused(["dopants", au13, "--dopant", "Pt", "-o", str(tmp_path)], capsys, "directory")
    refused(["adsorb", au13, "--structures", str(tmp_path)], capsys, "directory")
    assert a_file.read_text() == "x"


# -------------------------------------------------------------------- workflow files

def test_workflow_files(tmp_path, capsys):
    def wf(name, data):
        path = tmp_path / name
        (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
        return str(path)

    bomb = ("a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                      for p, c in zip("abcdefgh", "bcdefghi")))
    assert len(bomb) < 700
    cases = [
        (str(tmp_path), "is a directory"),
        (wf("bin.yaml", b"\x00\x01build\xff"), "binary"),
        (wf("latin.yaml", "name: caf\xe9\n".encode("latin-1")), "not UTF-8"),
        (wf("deep.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n"), "nesting"),
        (wf("dup.yaml", "build: {family: double-helix, upto: 36}\nbuild: {formulas: [x]}\n"),
         "duplicate key 'build'"),
        (wf("nested-dup.yaml", "build: {family: double-helix, family: au7-backbone}\n"),
         "duplicate key 'family'"),
        (wf("bomb.yaml", bomb), "aliases"),
    ]
    for path, message in cases:
        refused(["run", path, "--check", "-o", str(tmp_path / "run")], capsys, message)
        with pytest.raises(ClusterGenError):
            safe_yaml.load_yaml_file(path)
    # a wrong type in a nested key is the workflow schema's to refuse
    refused(["run", wf("type.yaml", "build: {family: double-helix, upto: [1, 2]}\n"),
             "--check", "-o", str(tmp_path / "run")], capsys, "upto")
    assert not (tmp_path / "run").exists()
    good = wf("good.yaml", "build: {family: double-helix, upto: 36}\n")
    assert safe_yaml.load_yaml_file(good) == {"build": {"family": "double-helix", "upto": 36}}


# ---------------------------------------------------------------------- single bugs

def test_adsorb_on_a_dimer_and_a_flat_triangle(tmp_path, capsys):
    from clustergen.screen.adsorption import adsorption_sites
    dimer = Atoms("Au2", positions=[[0, 0, 0], [2.88, 0, 0]])
    sites = adsorption_sites(dimer)
    assert {s["kind"] for s in sites} >= {"top", "bridge"}
    for s in sites:
        assert np.isfinite(s["position"]).all()
        d = np.linalg.norm(dimer.positions - s["position"], axis=1)
        assert d.min() > 1.0                       # on the cluster, not inside it
    tri = Atoms("Au3", positions=[[0, 0, 0], [2.88, 0, 0], [1.44, 2.49, 0]])
    for s in adsorption_sites(tri):
        assert np.isfinite(s["position"]).all()
    path = _xyz(tmp_path, "au2.xyz", AU2, "charge=0")
    assert main(["adsorb", path, "--adsorbate", "H"]) == 0
    assert "distinct site" in capsys.readouterr().err


def test_adsorb_relax_with_an_explicit_method(tmp_path, capsys, monkeypatch):
    """--method (the GFN method) no longer collides with the symmetry method."""
    seen = {}

    def fake(configs, **options):
        seen.update(options)
        return [c.copy() for c in configs]

    monkeypatch.setattr("clustergen.screen.dopants.relax_configurations", fake)
    path = _xyz(tmp_path, "au2.xyz", AU2, "charge=0")
    main(["adsorb", path, "--adsorbate", "H", "--sites", "top", "--relax", "--method",
          "GFN1-xTB", "--workers", "0", "--db", str(tmp_path / "a.db"), "--no-progress"])
    assert seen["method"] == "GFN1-xTB" and seen["db"] == str(tmp_path / "a.db")


def test_render_unknown_role_is_refused(tmp_path, capsys):
    path = tmp_path / "r.extxyz"
    path.write_text("2\nProperties=species:S:1:pos:R:3:role:S:1\nAu 0 0 0 wizard\n"
                    "Au 2.9 0 0 kernel\n")
    refused(["render", str(path), "-o", str(tmp_path / "r.html")], capsys,
            "unknown role 'wizard'")


# ------------------------------------------------------------------------- security

def test_render_escapes_text_in_scripts(tmp_path, capsys):
    evil = "</script><script>alert(1)</script>"
    a = make_cluster(["Au", "Au"], [[0, 0, 0], [2.9, 0, 0]], ["kernel"] * 2, charge=0,
                     formula=evil)
    b = make_cluster(["Au", "Au", "Au"], [[0, 0, 0], [2.9, 0, 0], [1.45, 2.5, 0]],
                     ["kernel"] * 3, charge=0, formula=evil)
    src = tmp_path / "evil.extxyz"
    write_candidates(src, [a, b])
    out = tmp_path / "g.html"
    assert main(["render", str(src), "--grid", "--labels", "0=" + evil.replace(",", ";"),
                 "-o", str(out)]) == 0
    page = out.read_text()
    assert "<script>alert" not in page and "alert(1)" in page   # shown, not run
    clean = tmp_path / "clean.extxyz"
    a.info["formula"] = b.info["formula"] = "Au2"
    write_candidates(clean, [a, b])
    assert main(["render", str(clean), "--grid", "-o", str(tmp_path / "c.html")]) == 0
    # the same number of script elements as a page made from harmless text
    assert page.count("<script") == (tmp_path / "c.html").read_text().count("<script")
