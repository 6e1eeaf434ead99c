"""Fuzz the command line: a few hundred bad and edge inputs across every sub-command.

Each case runs ``clustergen.cli.main(argv)`` in a forked child (imports paid once) with a
timeout, stdout/stderr captured, and is counted per sub-command as

  ok                        exit 0 and the output passed the case's sanity check
  exit2                     exit 2 with a one-line message (input refused)
  traceback                 a Python traceback, or any other exit status
  hang                      still running after the timeout (killed)
  silent-nonsense-detected  exit 0 where the input is impossible, or output that fails
                            the sanity check (nan in a deck, N* < 0, ...)

Goal: 0 traceback, 0 hang, 0 silent-nonsense.  Usage::

    OMP_NUM_THREADS=1 python benchmarks/fuzz_cli.py [--timeout 60] [--only build,dft]
"""

import argparse
import collections
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

OUTCOMES = ("ok", "exit2", "traceback", "hang", "silent-nonsense-detected")
AU2 = "Au 0 0 0\nAu 2.88 0 0\n"


def _xyz(body, comment=""):
    lines = [line for line in body.strip().splitlines() if line.strip()]
    return f"{len(lines)}\n{comment}\n" + "\n".join(lines) + "\n"


def structure_files(d):
    """Bad and good structure files in ``d``: name -> (path, must_fail)."""
    from ase.cluster import Icosahedron

    from clustergen.core.model import write_candidates
    au13 = Icosahedron("Au", 2)
    au13.info.update(charge=0, multiplicity=2)
    texts = {
        "empty": ("", True),
        "blank-lines": ("\n\n\n", True),
        "truncated": ("5\ncomment\nAu 0 0 0\nAu 2.9 0 0\n", True),
        "count-words": ("two\n\nAu 0 0 0\n", True),
        "unknown-element": (_xyz("Xx 0 0 0\nAu 2.9 0 0"), True),
        "dummy-element": (_xyz("X 0 0 0\nAu 2.9 0 0"), True),
        "nan-coords": (_xyz("Au nan 0 0\nAu 2.9 0 0"), True),
        "inf-coords": (_xyz("Au inf 0 0\nAu 2.9 0 0"), True),
        "huge-coords": (_xyz("Au 1e300 0 0\nAu 2.9 0 0"), True),
        "overlap": (_xyz("Au 0 0 0\nAu 0.1 0 0"), True),
        "same-place": (_xyz("Au 1 1 1\nAu 1 1 1"), True),
        "charge-words": (_xyz(AU2, "charge=not stated"), True),
        "multiplicity-word": (_xyz(AU2, "multiplicity=high"), True),
        "charge-half": (_xyz(AU2, "charge=-0.5"), True),
        "charge-huge": (_xyz(AU2, "charge=99999"), True),
        "charge-nan": (_xyz(AU2, "charge=nan"), True),
        "mult-negative": (_xyz(AU2, "multiplicity=-1"), True),
        "mult-huge": (_xyz(AU2, "multiplicity=99999"), True),
        "mult-parity": (_xyz(AU2, "charge=0 multiplicity=2"), True),
        "bad-role": ("2\nProperties=species:S:1:pos:R:3:role:S:1\nAu 0 0 0 wizard\n"
                     "Au 2.9 0 0 kernel\n", True),
        "script-formula": (_xyz(AU2, 'formula="</script><script>alert(1)</script>"'),
                           False),
        "au2": (_xyz(AU2, "charge=0 multiplicity=1"), False),
        "h2": (_xyz("H 0 0 0\nH 0.9 0 0", "charge=0 multiplicity=1"), False),
        "latin1": ("2\ncharg\xe9=0\nAu 0 0 0\nAu 2.9 0 0\n", None),
    }
    out = {}
    for name, (text, bad) in texts.items():
        path = os.path.join(d, f"{name}.xyz")
        with open(path, "w", encoding="latin-1" if name == "latin1" else "utf-8") as fh:
            fh.write(text)
        out[name] = (path, bad)
    binary = os.path.join(d, "binary.xyz")
    with open(binary, "wb") as fh:
        fh.write(bytes(range(256)) * 8)
    out["binary"] = (binary, True)
    good = os.path.join(d, "au13.extxyz")
    write_candidates(good, [au13])
    out["au13"] = (good, False)
    return out


def databases(d):
    """Database names: name -> (value, must_fail)."""
    text = os.path.join(d, "notes.txt")
    with open(text, "w") as fh:
        fh.write("not a database\n")
    foreign = os.path.join(d, "foreign.db")
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE accounts (id INTEGER, name TEXT)")
    con.commit()
    con.close()
    empty = os.path.join(d, "empty.db")
    open(empty, "w").close()
    return {"text-file": (text, True), "directory": (d, True), "empty-name": ("", True),
            "foreign-sqlite": (foreign, True),
            "dead-postgres": ("postgresql://nobody:x@127.0.0.1:1/none", True),
            "mysql-url": ("mysql://u@localhost/x", True),
            "unwritable": ("/proc/clustergen.db", True),
            "missing-dir": (os.path.join(d, "no", "such", "r.db"), True),
            "empty-file": (empty, None)}  # a relax case may fill it: readers then succeed


def workflow_files(d):
    """Workflow files: name -> (path, must_fail)."""
    files = {
        "dup-key": ("build: {family: double-helix, upto: 36}\nbuild: {formulas: [x]}\n",
                    True),
        "alias-bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n"
                       + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                 for p, c in zip("abcdefgh", "bcdefghi"))
                       + "build: {family: double-helix, upto: 36}\n", True),
        "deep": ("x: " + "[" * 5000 + "]" * 5000 + "\n", True),
        "wrong-nested-type": ("build: {family: double-helix, upto: [1, 2]}\n", True),
        "relax-type": ("build: {family: double-helix, upto: 36}\nrelax: {fmax: abc}\n",
                       True),
        "upto-huge": ("build: {family: double-helix, upto: 1000}\n", True),
        "list": ("- build\n- relax\n", True),
        "empty": ("", True),
        "not-yaml": ("build: [unclosed\n", True),
        "unknown-stage": ("build: {family: double-helix, upto: 36}\nfoo: 1\n", True),
        "good": ("build: {family: double-helix, upto: 36, ligand: SH, isomers: 1}\n", None),
    }
    out = {}
    for name, (text, bad) in files.items():
        path = os.path.join(d, f"wf-{name}.yaml")
        with open(path, "w") as fh:
            fh.write(text)
        out[name] = (path, bad)
    with open(os.path.join(d, "wf-binary.yaml"), "wb") as fh:
        fh.write(b"\x00\x01\x02build\xff\xfe")
    out["binary"] = (os.path.join(d, "wf-binary.yaml"), True)
    with open(os.path.join(d, "wf-latin1.yaml"), "wb") as fh:
        fh.write("name: caf\xe9\nbuild: {family: double-helix}\n".encode("latin-1"))
    out["non-utf8"] = (os.path.join(d, "wf-latin1.yaml"), True)
    out["directory"] = (d, True)
    return out


FORMULAS = {  # formula -> must_fail (None: either answer is fine)
    "": True, "[": True, "]": True, "[]": True, "Au": True, "Au25": True, "()": True,
    "[Au25(SR)18]26+": True, "[Au25(SR)18]5-": True, "[Au25(SR)18]99999999999999-": True,
    "Au25(SR)18]": True, "[Au25(SR)18": True, "[Au25(SR)18]--": True, "[Au25(SR)18]+-": True,
    "Xx25(SR)18": True, "Au25(XYZ)18": True, "Au0(SR)1": True, "Au-1(SR)2": True,
    "Au99999999999999999999(SR)18": True, "Au25(SR)0": True, "au25(sr)18": True,
    "Au25(SR)18\x00": True, "Au25(SR)18 garbage": True, "[Au25(SR)18]\u22121": False,
    "Pt25(SR)18": True, "[Au25(SR)18]-": False, "Au25(SR)18": False,
    "[Au25(SR)18]+": False, "[Au25(SR)18]0": False, "Au25(SCH3)18": False,
    "Au38(SR)24": None, "[Au25(PPh3)10(SR)5Cl2]2+": True, "Au25(SR)18Cl": True,
}


def build_cases(d, files):
    out = os.path.join(d, "b.extxyz")
    cases = [(["build", f, "--isomers", "1", "--ligand", "SH", "-o", out], bad)
             for f, bad in FORMULAS.items()]
    base = ["build", "[Au25(SR)18]-", "--ligand", "SH"]
    for opt, values in {"--isomers": ["0", "-1", "abc", "1e9", "100000", "nan", "2.5", ""],
                        "--multiplicity": ["0", "-1", "2", "99999", "x", "inf"],
                        "--ligand": ["Foo", "", "PPh3"]}.items():
        cases += [(base + ["--isomers", "1", opt, v, "-o", out] if opt != "--isomers"
                   else base + [opt, v, "-o", out], True) for v in values]
    cases += [(base + ["--isomers", "1", "--multiplicity", "3", "-o", out], False)]
    for o in ("", d, "/proc/x/y.extxyz", os.path.join(d, "no", "dir", "x.extxyz"),
              files["au2"][0] + "/x.extxyz"):
        cases.append((base + ["--isomers", "1", "-o", o], True))
    for fam, upto, bad in (("double-helix", "2000", True), ("double-helix", "0", True),
                           ("double-helix", "-5", True), ("double-helix", "abc", True),
                           ("nosuch", "36", True), ("", "36", True),
                           ("double-helix", "20", None), ("au7-backbone", "21", False)):
        cases.append((["grow", fam, "--upto", upto, "--ligand", "SH", "-o",
                       os.path.join(d, "series")], bad))
    cases.append((["grow", "au7-backbone", "--upto", "21", "-o", files["au2"][0]], True))
    cases.append((["families"], False))
    return cases


def structure_cases(d, files, dbs):
    cases = []
    for name, (path, bad) in files.items():
        # a good file may still have nothing to analyse (H2) or to compare with Au13
        cases.append((["analyse", path], bad or None))
        cases.append((["compare", files["au13"][0], path], bad or None))
        cases.append((["dft", path, "--code", "orca", "-o", os.path.join(d, "dft-" + name)],
                      True if bad else None))
        cases.append((["render", path, "-o", os.path.join(d, f"r-{name}.html")],
                      bad or None))
        cases.append((["relax", path, "--db", os.path.join(d, f"relax-{name}.db"),
                       "--workers", "0", "--no-progress", "--steps", "3"],
                      bad if name not in ("au13",) else None))
        cases.append((["dopants", path, "--dopant", "Pt"], True if bad else None))
        cases.append((["adsorb", path, "--adsorbate", "H"], True if bad else None))
    cases += [(["analyse", "/no/such.xyz"], True), (["analyse", d], True),
              (["analyse", ""], True)]
    good = files["au13"][0]
    for v in ("99999", "-99999", "abc", "0.5", "nan", "100"):
        cases.append((["analyse", good, "--charge", v], True))
    cases += [(["analyse", good, "--charge", "-1"], None),
              (["analyse", good, "-o", d], True), (["analyse", good, "--format", "xml"], True),
              (["compare", good, good, "--elements", "Xx"], True),
              (["compare", good, good], False)]
    au2 = files["au2"][0]
    for name, (db, bad) in dbs.items():
        cases.append((["relax", files["h2"][0], "--db", db, "--workers", "0",
                       "--no-progress"], bad))
        cases.append((["results", "--db", db], True if bad else None))
        cases.append((["dft", "--db", db, "--code", "orca", "-o",
                       os.path.join(d, "dft-db")], True if bad else None))
        cases.append((["render", db, "-o", os.path.join(d, "db.html")],
                      True if bad else None))
        cases.append((["dopants", au2, "--dopant", "Pt", "--relax", "--db", db,
                       "--workers", "0", "--steps", "2", "--no-progress"], bad))
    h2 = files["h2"][0]
    for opt, v in (("--fmax", "inf"), ("--fmax", "nan"), ("--fmax", "0"), ("--fmax", "-1"),
                   ("--steps", "-1"), ("--steps", "1e99"), ("--workers", "-1"),
                   ("--workers", "abc"), ("--method", "GFN9"), ("--optimiser", "x"),
                   ("-o", d), ("-o", ""), ("--traj-dir", au2)):
        cases.append((["relax", h2, "--db", os.path.join(d, "opt.db"), "--workers", "0",
                       "--no-progress", opt, v], True))
    return cases


def option_cases(d, files):
    au13, au2 = files["au13"][0], files["au2"][0]
    out = os.path.join(d, "opt-dft")
    cases = []
    for opt, values in {"--nstates": ["-1", "0", "nan", "1e9", "x"],
                        "--cutoff": ["nan", "-1", "inf", "0", "x"],
                        "--vacuum": ["-1", "nan", "inf", "1e300"],
                        "--top": ["0", "-1", "x"],
                        "--code": ["nosuch"], "--task": ["nosuch"]}.items():
        cases += [(["dft", au13, "--code", "vasp", "--task", "tddft", opt, v, "-o", out], True)
                  for v in values]
    cases += [(["dft", au13, "--code", code, "-o", os.path.join(d, f"deck-{code}")], False)
              for code in ("orca", "vasp", "cp2k", "gaussian", "espresso")]
    cases += [(["dft", au13, "--code", "vasp", "--cutoff", "400", "-o", au2], True),
              (["dft", au13, "--code", "vasp", "-o", ""], True),
              (["dft", "--code", "orca", "-o", out], True),
              (["dft", au13, "--top", "2", "-o", out], True)]
    for opt, values in {"--tolerance": ["nan", "-1", "0", "inf", "1e9", "x"],
                        "--cap": ["-1", "0", "x"], "--count": ["0", "-1", "1000", "x"],
                        "--dopant": ["Xx", "", "H"], "--workers": ["-1", "x"],
                        "--charge": ["99999", "x", "0.5"], "--frame": ["99", "x"],
                        "--temperature": ["-5", "nan", "0"], "--fmax": ["inf", "0"],
                        "--classes": ["bogus"], "--steps": ["-3"]}.items():
        for v in values:
            bad = None if (opt, v) == ("--dopant", "H") else True
            cases.append((["dopants", au13, "--dopant", "Pt", opt, v], bad))
    cases += [(["dopants", au13, "--dopant", "Pt"], False),
              (["dopants", au13, "--dopant", "Pt", "--count", "2", "--cap", "3"], False),
              (["dopants", au13, "--dopant", "Pt", "-o", d], True),
              (["dopants", au13, "--dopant", "Pt", "--structures", d], True),
              (["dopants", au2, "--dopant", "Pt"], None)]
    for opt, values in {"--tolerance": ["nan", "-1"], "--anchor": ["-1", "99", "x"],
                        "--sites": ["foo", "", ","], "--adsorbate": ["nosuch.xyz", "Xe2", ""],
                        "--workers": ["-1"], "--frame": ["-99"]}.items():
        cases += [(["adsorb", au13, opt, v], True) for v in values]
    cases += [(["adsorb", au13, "--adsorbate", "H"], False),
              (["adsorb", au2, "--adsorbate", "CO"], None),
              (["adsorb", au13, "--adsorbate", files["binary"][0]], True),
              (["adsorb", au13, "--adsorbate", files["nan-coords"][0]], True),
              (["adsorb", au13, "-o", d], True),
              (["adsorb", au2, "--adsorbate", "H", "--sites", "top", "--relax", "--method",
                "GFN1-xTB", "--workers", "0", "--steps", "2", "--db",
                os.path.join(d, "ads.db"), "--no-progress"], None)]
    for opt, values in {"--rotation": ["abc", "90q", "nanx", "90x,,", "1e999x"],
                        "--cols": ["0", "-1", "x"], "--limit": ["0", "-1"],
                        "--frame": ["99", "x"], "--labels": ["x", "0", "99=far", "a=b"],
                        "-o": ["", d, os.path.join(d, "x.txt"), "/proc/x/y.html"]}.items():
        cases += [(["render", au13, opt, v] + ([] if opt == "-o" else
                   ["-o", os.path.join(d, "r.png")]), True) for v in values]
    cases += [(["render", au13, "-o", os.path.join(d, "ok.html")], False),
              (["render", au13, "--rotation", "90x,30y", "-o", os.path.join(d, "ok.png")],
               False),
              (["render", files["script-formula"][0], "--grid", "--labels",
                "0=</script><script>alert(2)</script>", "-o", os.path.join(d, "xss.html")],
               False),
              (["render", au13, "--overlay", files["nan-coords"][0], "-o",
                os.path.join(d, "ov.html")], True)]
    cases += [(["results", "--db", os.path.join(d, "missing.db")], True),
              (["results", "--db", os.path.join(d, "missing.db"), "--format", "x"], True),
              ([], False), (["--version"], False), (["nosuch"], True), (["build"], True)]
    return cases


def workflow_cases(d, wfs):
    cases = []
    for name, (path, bad) in wfs.items():
        cases.append((["run", path, "--check", "-o", os.path.join(d, "run")], bad))
    good = wfs["good"][0]
    cases += [(["run", good, "--workers", "-1", "-o", os.path.join(d, "run")], True),
              (["run", good, "-o", wfs["dup-key"][0]], True),
              (["run", "/no/such.yaml", "--check", "-o", d], True),
              (["run", "", "--check", "-o", d], True)]
    return cases


def _child(argv, out, err):
    os.setsid()  # its own process group: a hang is killed with everything it started
    for fd, path in ((1, out), (2, err)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(f, fd)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    from clustergen.cli import main
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001  a bug: show it the way the CLI would
        import traceback
        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code or 0))


def run_case(argv, timeout, d):
    """(exit status or None on timeout, stdout, stderr, seconds) of one case."""
    import signal
    out, err = os.path.join(d, "case.out"), os.path.join(d, "case.err")
    t = time.perf_counter()
    p = multiprocessing.get_context("fork").Process(target=_child, args=(argv, out, err))
    p.start()
    p.join(timeout)
    code = p.exitcode
    if p.is_alive():
        code = None
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.join()
    return code, _read(out), _read(err), time.perf_counter() - t


def _read(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as fh:
        return fh.read()


def nonsense(argv, stdout):
    """A reason when a successful run's output is physically or syntactically wrong."""
    import glob
    import re
    if argv[:1] == ["build"]:
        if any(int(n) < 0 for n in re.findall(r"N\*=(-?\d+)", stdout)):
            return "negative N*"
    if argv[:1] == ["dft"]:
        out = argv[argv.index("-o") + 1] if "-o" in argv else "dft"
        for deck in glob.glob(os.path.join(out, "**", "*"), recursive=True):
            if os.path.isfile(deck) and re.search(r"(?<![A-Za-z])(nan|inf)(?![A-Za-z])",
                                                  open(deck, errors="replace").read(),
                                                  re.IGNORECASE):
                return f"nan/inf in {os.path.basename(deck)}"
    if argv[:1] == ["render"] and argv[argv.index("-o") + 1].endswith(".html"):
        page = open(argv[argv.index("-o") + 1], errors="replace").read()
        if "<script>alert" in page:
            return "unescaped script from the input in the page"
    return None


def classify(argv, must_fail, code, stdout, stderr):
    """Outcome name and a note."""
    if code is None:
        return "hang", ""
    if "Traceback (most recent call last)" in stderr or code not in (0, 2):
        last = [line for line in stderr.strip().splitlines() if line.strip()][-1:] or [""]
        return "traceback", f"exit {code}: {last[0][:160]}"
    if code == 2:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        note = "" if len(lines) == 1 else f"{len(lines)} stderr lines"
        if must_fail is False:
            note = ("refused a good input: " + (lines[-1] if lines else ""))[:200]
        return "exit2", note
    if must_fail:
        return "silent-nonsense-detected", "exit 0 on impossible input"
    why = nonsense(argv, stdout)
    return ("silent-nonsense-detected", why) if why else ("ok", "")


def all_cases(d):
    files = structure_files(d)
    dbs = databases(d)
    wfs = workflow_files(d)
    return (build_cases(d, files) + structure_cases(d, files, dbs) + option_cases(d, files)
            + workflow_cases(d, wfs))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per case")
    parser.add_argument("--only", help="comma-separated sub-commands to run")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    d = tempfile.mkdtemp(prefix="clustergen-fuzz-")
    cwd = os.getcwd()
    os.chdir(d)  # default outputs (candidates.extxyz, results.db, dft/) land here
    cases = all_cases(d)
    if args.only:
        keep = set(args.only.split(","))
        cases = [c for c in cases if (c[0][:1] or ["(none)"])[0] in keep]
    counts = collections.defaultdict(collections.Counter)
    notes = []
    t0 = time.perf_counter()
    for argv_case, must_fail in cases:
        code, out, err, secs = run_case(argv_case, args.timeout, d)
        outcome, note = classify(argv_case, must_fail, code, out, err)
        command = argv_case[0] if argv_case else "(none)"
        counts[command][outcome] += 1
        if note or outcome not in ("ok", "exit2") or args.verbose:
            notes.append(f"{outcome:<24} {secs:5.1f}s  {' '.join(map(repr, argv_case))[:150]}"
                         + (f"\n{'':32}{note}" if note else ""))
    os.chdir(cwd)
    width = max(len(c) for c in counts)
    print(f"{'command':<{width}}  " + "  ".join(f"{o:>9}" if o != OUTCOMES[-1]
                                                 else "nonsense" for o in OUTCOMES))
    total = collections.Counter()
    for command in sorted(counts):
        total.update(counts[command])
        print(f"{command:<{width}}  " + "  ".join(f"{counts[command][o]:>9}" if o != OUTCOMES[-1]
                                                 else f"{counts[command][o]:>8}"
                                                 for o in OUTCOMES))
    print(f"{'total':<{width}}  " + "  ".join(f"{total[o]:>9}" if o != OUTCOMES[-1]
                                             else f"{total[o]:>8}" for o in OUTCOMES))
    print(f"{sum(total.values())} cases in {time.perf_counter() - t0:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if notes:
        print("\nnotes:")
        print("\n".join(notes))
    bad = total["traceback"] + total["hang"] + total["silent-nonsense-detected"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
