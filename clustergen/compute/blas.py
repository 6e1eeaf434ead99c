"""The fastest BLAS for tblite, loaded before tblite is first imported.

tblite's wheel bundles the reference (netlib) BLAS and LAPACK; with OpenBLAS a GFN1
single point on [Au25(SCH3)18]- is 4-5x faster with the same energy
(benchmarks/relax_blas.py).  tblite's extension resolves ``dgemm_``, ``dsyevd_`` ... in
the process's global symbol scope before its own bundled copies, so an OpenBLAS loaded
with ``RTLD_GLOBAL`` *before* ``import tblite`` takes over.  Routes, first that works:

``preloaded``  an OpenBLAS (or any BLAS) already in the global scope (``LD_PRELOAD``)
``pip``        the ``cmeel-openblas`` wheel (a clustergen dependency; plain symbol names)
``apt``        Debian/Ubuntu ``libopenblas0-pthread``
``bundled``    tblite's reference BLAS; one line on stderr says so (once per process)

``CLUSTERGEN_OPENBLAS`` picks one: ``pip``, ``apt``, ``none`` (bundled) or a library path.
OpenBLAS runs one thread: tblite parallelises with OpenMP, and OpenBLAS threads on top
were 7-40x slower.  Every tblite import in clustergen goes through :func:`tblite_ase`.
A failure to load never raises: the next route is tried.

>>> load() in ROUTES + ("path", "native")
True
>>> info()["kind"] in ("openblas", "reference", "other")
True
"""

import ctypes
import ctypes.util
import glob
import hashlib
import importlib.metadata
import importlib.util
import os
import sys

ROUTES = ("preloaded", "pip", "apt", "bundled")
APT_PATHS = (  # libopenblas0-pthread, then the generic alternatives
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
)
GFORTRAN = "libgfortran.so.5"      # what cmeel-openblas needs
_STATE = {}
_NOTICE_SHOWN = []


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def provider(symbol="dgemm_"):
    """Path of the library that gives ``symbol`` to a library loaded now (the global
    scope), or None when no global library has it (tblite then uses its bundled copy).

    >>> provider("no_such_symbol_") is None
    True
    """
    try:
        scope = ctypes.CDLL(None)
        address = ctypes.cast(getattr(scope, symbol), ctypes.c_void_p)
    except (AttributeError, OSError):
        return None
    for name in (None, ctypes.util.find_library("dl") or "libdl.so.2"):  # glibc < 2.34
        try:
            dladdr = ctypes.CDLL(name).dladdr
        except (AttributeError, OSError):
            continue
        found = _DlInfo()
        if dladdr(address, ctypes.byref(found)) and found.dli_fname:
            return os.fsdecode(found.dli_fname)
    return "unknown"


def _kind(path):
    if path is None:
        return "reference"
    return "openblas" if "openblas" in os.path.basename(path).lower() else "other"


def pip_library():
    """The cmeel-openblas wheel's ``libopenblas.so.0``, or None when not installed."""
    try:
        dist = importlib.metadata.distribution("cmeel-openblas")
    except importlib.metadata.PackageNotFoundError:
        return None
    path = str(dist.locate_file("cmeel.prefix/lib/libopenblas.so.0"))
    return path if os.path.exists(path) else None


def apt_library():
    """A Debian/Ubuntu OpenBLAS on this machine, or None."""
    for path in APT_PATHS:
        if os.path.exists(path):
            return path
    return None


def _tblite_libs():
    spec = importlib.util.find_spec("tblite")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(os.path.dirname(next(iter(spec.submodule_search_locations))),
                        "tblite.libs")


def gfortran_libraries():
    """Files to load (in order, globally) so that cmeel-openblas finds ``libgfortran.so.5``.

    [] when the system has it.  Otherwise tblite's wheel has one, renamed by auditwheel
    (its SONAME, e.g. ``libgfortran-83c28eba.so.5.0.0``, does not answer to
    ``libgfortran.so.5``): a copy with the SONAME set to ``libgfortran.so.5`` is kept in
    the user's cache, preceded by tblite's ``libquadmath`` that it needs.
    """
    try:
        ctypes.CDLL(GFORTRAN)
        return []
    except OSError:
        pass
    libs = _tblite_libs()
    found = sorted(glob.glob(os.path.join(libs or "", "libgfortran-*.so*")))
    quad = sorted(glob.glob(os.path.join(libs or "", "libquadmath-*.so*")))
    if not found:
        raise OSError(f"{GFORTRAN} not on the system and not in tblite's wheel")
    return quad[:1] + [_renamed_copy(found[0], GFORTRAN)]


def _renamed_copy(path, soname):
    """A copy of the shared library ``path`` whose SONAME (its file name, as auditwheel
    sets it) reads ``soname``; cached by content hash."""
    with open(path, "rb") as fh:
        data = fh.read()
    old = os.path.basename(path).encode() + b"\0"
    if data.count(old) != 1 or len(soname) >= len(old):
        raise OSError(f"cannot rename {os.path.basename(path)} to {soname}")
    digest = hashlib.sha1(data).hexdigest()[:12]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(cache, "clustergen", f"gfortran-{digest}")
    target = os.path.join(folder, soname)
    if not os.path.exists(target):
        os.makedirs(folder, exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data.replace(old, soname.encode().ljust(len(old), b"\0")))
        os.replace(tmp, target)
    return target


def preload_libraries(route):
    """Files to put in ``LD_PRELOAD`` (in this order) for ``route`` (``pip``/``apt``/a
    path) in a new process; raises OSError when the route is not available here."""
    if route == "pip":
        lib = pip_library()
        if lib is None:
            raise OSError("cmeel-openblas is not installed (pip install cmeel-openblas)")
        return gfortran_libraries() + [lib]
    if route == "apt":
        lib = apt_library()
        if lib is None:
            raise OSError("no Debian OpenBLAS (apt-get install libopenblas0-pthread)")
        return [lib]
    if not os.path.exists(route):
        raise OSError(f"no such library {route}")
    return [route]


def child_preload():
    """Files a new process should ``LD_PRELOAD`` to run tblite on OpenBLAS, by the same
    route order as :func:`load` ([] for the bundled BLAS); loads nothing here.

    >>> isinstance(child_preload(), list)
    True
    """
    forced = os.environ.get("CLUSTERGEN_OPENBLAS", "").strip()
    if forced.lower() in ("none", "bundled", "reference"):
        return []
    inherited = [p for p in os.environ.get("LD_PRELOAD", "").split()
                 if "openblas" in os.path.basename(p).lower()]
    if inherited:
        return inherited[-1:]
    for route in _routes(forced):
        try:
            files = preload_libraries(route)
            _open(files, ctypes.RTLD_LOCAL)  # a preload that cannot load kills the child
        except OSError:
            continue
        return files
    return []


def _routes(forced):
    """Routes to try, in order: the one ``CLUSTERGEN_OPENBLAS`` names, else pip, apt."""
    if not forced:
        return ["pip", "apt"]
    return [forced.lower() if forced.lower() in ("pip", "apt") else forced]


def _open_global(paths):
    """Load ``paths`` into the global scope with OpenBLAS held at one thread."""
    return _open(paths, ctypes.RTLD_GLOBAL)


def _open(paths, mode):
    old = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read when OpenBLAS initialises
    try:
        handles = [ctypes.CDLL(p, mode=mode) for p in paths]
    finally:
        if old is None:
            os.environ.pop("OPENBLAS_NUM_THREADS", None)
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = old
    return handles[-1]


def single_thread():
    """Set the global OpenBLAS to one thread; False when there is none."""
    try:
        ctypes.CDLL(None).openblas_set_num_threads(1)
        return True
    except AttributeError:
        return False


def _choose():
    """(route, library path or None, why the fast route is missing)."""
    forced = os.environ.get("CLUSTERGEN_OPENBLAS", "").strip()
    if forced.lower() in ("none", "bundled", "reference"):
        return "bundled", None, f"CLUSTERGEN_OPENBLAS={forced}"
    already = provider()
    if already:
        return "preloaded", already, ""
    if any(m == "tblite" or m.startswith("tblite.") for m in sys.modules):
        return "bundled", None, "tblite was imported before clustergen could load OpenBLAS"
    problems = []
    for route in _routes(forced):
        try:
            lib = _open_global(preload_libraries(route))._name
        except OSError as exc:
            problems.append(f"{route}: {str(exc).splitlines()[0]}")
            continue
        return (route if route in ROUTES else "path"), lib, ""
    return "bundled", None, "; ".join(problems)


def load():
    """Load the fastest BLAS (once per process) and return its route, one of
    :data:`ROUTES` (``path`` for a library named in ``CLUSTERGEN_OPENBLAS``; ``native``
    off Linux, where this module leaves tblite's libraries as they are)."""
    if _STATE:
        return _STATE["route"]
    if not sys.platform.startswith("linux"):
        _STATE.update(route="native", library=None, kind="other", why="")
        return "native"
    try:
        route, lib, why = _choose()
    except Exception as exc:  # noqa: BLE001  never stop a run over the BLAS
        route, lib, why = "bundled", None, f"{type(exc).__name__}: {exc}"
    if route != "bundled":
        single_thread()
    _STATE.update(route=route, library=lib, kind=_kind(provider() if route != "bundled"
                                                       else None), why=why)
    if route == "bundled":
        notice(why)
    return route


def info():
    """``{"route", "library", "kind", "why"}`` of this process (loads first)."""
    load()
    return dict(_STATE)


def describe():
    """One line naming the BLAS route of this process.

    >>> describe().startswith("BLAS: ")
    True
    """
    i = info()
    where = f" ({i['library']})" if i["library"] else ""
    return f"BLAS: {i['route']} {i['kind']}{where}"


def notice_text(why=""):
    """The line shown when tblite runs on its bundled reference BLAS."""
    because = f" ({why})" if why else ""
    return ("clustergen: tblite runs on its bundled reference BLAS, 4-5x slower"
            f"{because}; pip install cmeel-openblas, or apt-get install "
            "libopenblas0-pthread")


def notice(why=""):
    """Print :func:`notice_text` on stderr, once per process."""
    if _NOTICE_SHOWN or os.environ.get("CLUSTERGEN_BLAS_QUIET"):
        return
    _NOTICE_SHOWN.append(True)
    print(notice_text(why), file=sys.stderr)


def tblite_ase():
    """``tblite.ase``, imported after :func:`load` (the only tblite import clustergen makes).

    >>> tblite_ase().TBLite.__name__
    'TBLite'
    """
    load()
    import tblite.ase

    return tblite.ase
