"""BLAS routes for tblite: each route in a fresh process (the choice is made once, before
tblite loads), same GFN1 energy on every route, one notice on the slow one."""

import glob
import json
import os
import pathlib
import subprocess
import sys

import pytest

from clustergen.compute import blas

pytest.importorskip("tblite")

TESTS = os.path.dirname(os.path.abspath(__file__))
CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "tblite-first":
    import tblite.ase  # noqa: F401  a user script that imports tblite itself first
from clustergen.compute import blas
from clustergen.compute.relax import calculator
from relax_toys import au_sch3_2
atoms = au_sch3_2()
for _ in range(2):  # a second calculator must not repeat the notice
    atoms.calc = calculator("GFN1-xTB", charge=-1)
    energy = atoms.get_potential_energy()
print(json.dumps(dict(blas.info(), energy=energy, describe=blas.describe())))
"""


def _child(route, mode="plain", **env):
    env = dict(os.environ, OMP_NUM_THREADS="1", **env)
    for name in ("LD_PRELOAD", "CLUSTERGEN_OPENBLAS", "CLUSTERGEN_BLAS_QUIET"):
        env.pop(name, None)
    if route == "preloaded":
        env["LD_PRELOAD"] = blas.apt_library()
    elif route:
        env["CLUSTERGEN_OPENBLAS"] = route
    out = subprocess.run([sys.executable, "-c", CHILD, TESTS, mode], env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def _ld_bindings(log_prefix, symbol):
    """Libraries tblite's extension bound ``symbol`` to, from an LD_DEBUG=bindings log."""
    found = set()
    for path in glob.glob(f"{log_prefix}.*"):
        for line in pathlib.Path(path).read_text(errors="replace").splitlines():
            if "_libtblite" in line.split(" to ")[0] and f"`{symbol}'" in line:
                found.add(line.split(" to ")[1].split(" [")[0])
    return found


@pytest.mark.skipif(blas.pip_library() is None, reason="cmeel-openblas not installed")
def test_pip_route_is_taken_by_tblite_and_gives_the_bundled_energy(tmp_path):
    log = tmp_path / "ld"
    fast, err = _child("pip", LD_DEBUG="bindings", LD_DEBUG_OUTPUT=str(log))
    slow, slow_err = _child("none")
    print(f"\npip route: {fast['describe']}\nforced off: {slow['describe']}")
    assert (fast["route"], fast["kind"]) == ("pip", "openblas")
    assert fast["library"] == blas.pip_library()
    assert "reference BLAS" not in err
    # the dynamic linker bound tblite's BLAS and LAPACK calls to the wheel's OpenBLAS
    assert _ld_bindings(log, "dgemm_") == {blas.pip_library()}
    assert _ld_bindings(log, "dsyevd_") == {blas.pip_library()}
    assert (slow["route"], slow["kind"]) == ("bundled", "reference")
    assert slow_err.count("bundled reference BLAS") == 1       # one line, once
    assert fast["energy"] == pytest.approx(slow["energy"], abs=1e-7)


@pytest.mark.skipif(blas.apt_library() is None, reason="no Debian OpenBLAS here")
def test_apt_and_preloaded_routes_give_the_same_energy():
    apt, _ = _child("apt")
    pre, _ = _child("preloaded")
    assert (apt["route"], apt["kind"]) == ("apt", "openblas")
    assert (pre["route"], pre["library"]) == ("preloaded", blas.apt_library())
    assert apt["energy"] == pytest.approx(pre["energy"], abs=1e-7)


def test_default_route_prefers_pip_then_apt_and_never_the_slow_one_when_fast_exists():
    got, err = _child(None)
    want = "pip" if blas.pip_library() else ("apt" if blas.apt_library() else "bundled")
    assert got["route"] == want
    assert ("reference BLAS" in err) == (want == "bundled")


def test_failed_loads_fall_back_cleanly_with_one_notice():
    missing, err = _child("/nonexistent/libopenblas.so.0")
    assert missing["route"] == "bundled" and "no such library" in missing["why"]
    assert err.count("\n") == 1 and "bundled reference BLAS" in err
    late, err = _child(None, mode="tblite-first")
    assert late["route"] == "bundled" and "imported before" in err
    assert late["energy"] == pytest.approx(missing["energy"], abs=1e-7)


@pytest.mark.skipif(blas.pip_library() is None, reason="cmeel-openblas not installed")
def test_wheel_openblas_loads_without_a_system_libgfortran(tmp_path, monkeypatch):
    """On a machine without libgfortran5 the wheel's NEEDED libgfortran.so.5 is met by a
    renamed copy of tblite's.  Simulated: the OpenBLAS copy here asks for a name no
    system has, and only the renamed copy of tblite's library answers to it."""
    name = "libgfortrax.so.5"
    data = pathlib.Path(blas.pip_library()).read_bytes()
    assert data.count(b"libgfortran.so.5\0") == 1
    lib = tmp_path / "libopenblas.so.0"
    lib.write_bytes(data.replace(b"libgfortran.so.5\0", name.encode() + b"\0"))
    code = ("import ctypes, sys\n"
            "for p in sys.argv[1:]: ctypes.CDLL(p, mode=ctypes.RTLD_GLOBAL)\n"
            "print(ctypes.CDLL(None).openblas_get_num_threads())")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), OPENBLAS_NUM_THREADS="1")
    bare = subprocess.run([sys.executable, "-c", code, str(lib)], env=env,
                          capture_output=True, text=True, check=False)
    assert bare.returncode != 0 and name in bare.stderr          # the problem is real
    # such a library is never handed to workers as LD_PRELOAD (that would kill them)
    monkeypatch.setenv("CLUSTERGEN_OPENBLAS", str(lib))
    monkeypatch.delenv("LD_PRELOAD", raising=False)
    assert blas.child_preload() == []
    monkeypatch.delenv("CLUSTERGEN_OPENBLAS")
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
    libs = blas._tblite_libs()
    quad = min(glob.glob(os.path.join(libs, "libquadmath-*")))
    gfortran = min(glob.glob(os.path.join(libs, "libgfortran-*")))
    shim = blas._renamed_copy(gfortran, name)
    assert shim.startswith(env["XDG_CACHE_HOME"])
    fixed = subprocess.run([sys.executable, "-c", code, quad, shim, str(lib)],
                           env=env, capture_output=True, text=True, check=False)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip() == "1"                           # and held at one thread


def test_every_tblite_import_in_the_package_goes_through_blas():
    root = pathlib.Path(blas.__file__).parents[1]
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "blas.py"
                 and any(line.lstrip().startswith(("import tblite", "from tblite"))
                         for line in p.read_text().splitlines())]
    assert offenders == []


def test_workers_preload_what_this_process_would_choose(monkeypatch):
    from clustergen.compute import executor

    monkeypatch.delenv("LD_PRELOAD", raising=False)
    monkeypatch.delenv("CLUSTERGEN_OPENBLAS", raising=False)
    first = blas.pip_library() or blas.apt_library()
    assert executor.openblas_path() == first
    env = executor.worker_environ()
    assert env["CLUSTERGEN_BLAS_QUIET"] == "1"
    if first:
        assert env["LD_PRELOAD"].split()[-1] == first
    monkeypatch.setenv("CLUSTERGEN_OPENBLAS", "apt")
    assert executor.openblas_path() == blas.apt_library()
