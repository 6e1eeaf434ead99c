"""Run one DFT single point here: the deck the writers make, the program, the parsed result.

:func:`run_job` is what an executor worker calls (local process or Dask worker on a
cluster node): it writes the deck with :func:`clustergen.dft.write_deck` (same defaults:
charge and multiplicity from the candidate, GTH pseudopotentials / def2-ECP, UKS for odd
electrons), runs CP2K or PySCF with ``threads`` OpenMP threads set explicitly, and returns
a record that :mod:`clustergen.dft.parse` filled.  A program failure is a record with
``status = "failed:<the program's message>"``, never an exception.

>>> refine_settings(_demo(), "cp2k")["poisson"], level_name(refine_settings(_demo(), "cp2k"))
('WAVELET', 'PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K, 300 Ry, FD 300 K)')
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError

from . import parse
from .settings import resolve
from .writer import write_deck

CODES = {"cp2k": "CP2K", "pyscf": "PySCF"}
# CP2K binaries in the order tried: OpenMP-only first (one process, threads), then MPI.
CP2K_BINARIES = ("cp2k.ssmp", "cp2k.psmp", "cp2k", "cp2k.popt", "cp2k.sopt")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# Appended to the PySCF deck: the results parse.pyscf_result reads, as JSON.
PYSCF_EPILOGUE = '''
import json as _json
import numpy as _np
import pyscf as _pyscf
_e = _np.asarray(mf.mo_energy).reshape(-1, _np.asarray(mf.mo_energy).shape[-1])
_o = _np.asarray(mf.mo_occ).reshape(_e.shape)
_chg = mf.mulliken_pop(verbose=0)[1]
with open("result.json", "w") as _fd:
    _json.dump({"e_tot": float(mf.e_tot), "converged": bool(mf.converged),
                "cycles": int(getattr(mf, "cycles", 0)) or None,
                "version": _pyscf.__version__, "mo_energy": _e.tolist(),
                "mo_occ": _o.tolist(), "mulliken": [float(c) for c in _chg]}, _fd)
'''


def _demo():
    from ase import Atoms
    return Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.52]], info={"charge": 0})


def table():
    """The ``refine`` section of ``templates/dft.yaml``.

    >>> table()["cp2k"]["poisson"]
    'WAVELET'
    """
    return load("dft.yaml")["refine"]


def check_code(code, task="sp"):
    """Raise a one-line error unless ``code`` can run ``task`` in the loop.

    >>> check_code("orca")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: refine runs cp2k or pyscf, not 'orca' ...
    """
    if code not in CODES:
        raise ClusterGenError(f"refine runs {' or '.join(CODES)}, not '{code}' (other codes: "
                              "clustergen dft writes their decks)")
    if task not in table()["tasks"]:
        raise ClusterGenError(f"refine runs single points (--task sp), not '{task}'; "
                              "use clustergen dft for optimisations")


def executable(code):
    """The program to run: a CP2K binary path, or this Python for PySCF.

    Missing programs are a one-line error naming the install command.
    """
    if code == "cp2k":
        forced = os.environ.get("CLUSTERGEN_CP2K")
        if forced:
            if not shutil.which(forced):
                raise ClusterGenError(f"CLUSTERGEN_CP2K={forced} is not an executable")
            return shutil.which(forced)
        for name in CP2K_BINARIES:
            if shutil.which(name):
                return shutil.which(name)
        raise ClusterGenError(f"CP2K not found (tried {', '.join(CP2K_BINARIES)}): "
                              "apt-get install cp2k, or set CLUSTERGEN_CP2K")
    if not _has("pyscf"):
        raise ClusterGenError("PySCF not installed: pip install pyscf")
    return sys.executable


def refine_settings(atoms, code, task="sp", **overrides):
    """Resolved settings for a loop run: the deck defaults plus the ``refine`` table.

    Overrides win over both; ``density_fit`` (PySCF) is not a deck setting and is kept
    in the result under that key.
    """
    check_code(code, task)
    defaults = dict(table()[code])
    density_fit = overrides.pop("density_fit", defaults.pop("density_fit", False))
    kwargs = {**defaults, **{k: v for k, v in overrides.items() if v is not None}}
    settings = resolve(atoms, code=code, task=task, **kwargs)
    if code == "pyscf" and settings["dispersion"] != "none" and not _has("pyscf.dispersion"):
        raise ClusterGenError("PySCF D3/D4 needs pip install pyscf-dispersion "
                              "(or --dispersion none)")
    settings["density_fit"] = bool(density_fit) and code == "pyscf"
    settings["overrides"] = kwargs
    return settings


def _has(module):
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # parent package missing
        return False


def level_name(settings):
    """Level-of-theory label stored with every DFT row, e.g. ``PBE-D3(BJ)/def2-SVP (PySCF)``.

    >>> level_name({"functional": "PBE", "dispersion": "none", "basis": "def2-SVP",
    ...             "code": "pyscf", "density_fit": True})
    'PBE/def2-SVP (PySCF, RI-J)'
    >>> level_name({"functional": "PBE", "dispersion": "d3bj", "code": "cp2k",
    ...             "basis": "DZVP-MOLOPT-SR-GTH", "cutoff": 200.0, "smearing": 300.0})
    'PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K, 200 Ry, FD 300 K)'

    The CP2K density cutoff is part of the name: total energies at two cutoffs differ
    by far more than isomer energies, and a rerun at another cutoff must not find the
    first run's rows "already stored".
    """
    disp = {"d3bj": "-D3(BJ)", "d4": "-D4"}.get(settings["dispersion"], "")
    basis = (settings["basis"] or "plane waves").replace("-GTH", "")
    extra = ", RI-J" if settings.get("density_fit") else ""
    if settings["code"] == "cp2k" and settings.get("cutoff"):
        extra += f", {settings['cutoff']:g} Ry"
    if settings.get("smearing"):  # fractional occupations: not comparable with integer ones
        extra += f", FD {settings['smearing']:g} K"
    return f"{settings['functional']}{disp}/{basis} ({CODES[settings['code']]}{extra})"


def thread_environ(threads):
    """Environment for the DFT program: ``threads`` OpenMP/BLAS threads, stated explicitly.

    >>> thread_environ(2)["OMP_NUM_THREADS"]
    '2'
    """
    env = dict(os.environ)
    env.update({name: str(int(threads)) for name in THREAD_VARIABLES})
    env.pop("LD_PRELOAD", None)  # the executor's tblite BLAS swap is not for CP2K/PySCF
    return env


def write_job(atoms, settings, directory, memory_mb=None):
    """Write the deck (and the PySCF epilogue) in ``directory``; returns the deck path."""
    over = dict(settings["overrides"])
    extra = [over.pop("extra", "") or ""]
    if settings["code"] == "pyscf":
        if settings["density_fit"]:
            extra.append("mf = mf.density_fit()")
        if memory_mb:  # PySCF keeps its integrals within this budget (else goes to disk)
            extra.append(f"mf.max_memory = {int(memory_mb)}")
    deck = write_deck(atoms, code=settings["code"], task=settings["task"],
                      directory=directory, extra="\n".join(e for e in extra if e), **over)
    if settings["code"] == "pyscf":
        with open(deck, "a") as fd:
            fd.write(PYSCF_EPILOGUE)
    return deck


def _command(code, deck):
    if code == "cp2k":
        return [executable("cp2k"), "-i", deck.name, "-o", "cp2k.out"]
    return [executable("pyscf"), deck.name]


def run_job(atoms, code="cp2k", task="sp", directory="job", threads=1, memory_mb=None,
            timeout=None, clean=False, **overrides):
    """Run one single point in ``directory`` and return its record (never raises on a
    failed run: ``status`` says what happened, ``message`` has the program's words).

    Record keys: status, energy (eV), homo, lumo, gap (eV), mulliken, hirshfeld,
    scf_iterations, wall (s), cpu (s) and peak_mb (the program's own), version, level,
    code, task, functional, basis, dispersion, charge, multiplicity, directory, message.
    ``clean`` removes the directory after a converged run; failed runs keep it for
    inspection.
    """
    settings = refine_settings(atoms, code, task, **overrides)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in ("result.json", "cp2k.out"):  # a rerun never reads an old answer
        (directory / stale).unlink(missing_ok=True)
    deck = write_job(atoms, settings, directory, memory_mb)
    t0 = time.perf_counter()
    with open(directory / "stdout.txt", "w") as out, \
            open(directory / "stderr.txt", "w") as err:
        proc = subprocess.Popen(_command(code, deck), cwd=directory, stdout=out,
                                stderr=err, env=thread_environ(threads))
        try:
            returncode, usage = wait_usage(proc, timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            proc.wait()
            returncode, usage = "timeout", {}
    wall = time.perf_counter() - t0
    result = {**_parse(code, directory, len(atoms), returncode, timeout), **usage}
    # "method" too, so the plain results table (which has no level column) names it
    record = {**result, "wall": wall, "level": level_name(settings),
              "method": level_name(settings), "code": code,
              "task": task, "functional": settings["functional"],
              "basis": settings["basis"], "dispersion": settings["dispersion"],
              "charge": settings["charge"], "multiplicity": settings["multiplicity"],
              "threads": int(threads), "directory": str(directory)}
    if settings.get("cutoff"):
        record.update(cutoff=settings["cutoff"], vacuum=settings["vacuum"],
                      poisson=settings["poisson"])
    if clean and record["status"] == "converged":
        shutil.rmtree(directory, ignore_errors=True)
    return record


def wait_usage(proc, timeout=None, poll=0.5):
    """Wait for ``proc`` and return its exit code and what the kernel measured for it:
    ``cpu`` (user + system s) and ``peak_mb`` (maximum resident set, MB), so every stored
    single point says what it cost.  Raises :class:`subprocess.TimeoutExpired` after
    ``timeout`` s (the process keeps running).

    >>> code, usage = wait_usage(subprocess.Popen([sys.executable, "-c", "pass"]))
    >>> code, sorted(usage), usage["peak_mb"] > 1
    (0, ['cpu', 'peak_mb'], True)
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, {"cpu": rusage.ru_utime + rusage.ru_stime,
                                     "peak_mb": rusage.ru_maxrss / 1024}  # Linux: kB
        if deadline is not None and time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(poll)


def _kill_tree(pid):
    """Kill a program and its helpers (CP2K's MPI daemon ``orted``), children first."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


def _parse(code, directory, natoms, returncode, timeout):
    if code == "cp2k":
        text = "".join((directory / name).read_text(errors="replace")
                       for name in ("cp2k.out", "stdout.txt", "stderr.txt")
                       if (directory / name).exists())
        result = parse.cp2k_output(text, natoms)
    else:
        result = parse.pyscf_output(directory)
    if returncode == "timeout":
        result.update(status=f"failed:timeout after {timeout} s", message=f"timeout {timeout}")
    elif returncode and result["status"] == "converged":
        result.update(status=f"failed:exit status {returncode}",
                      message=f"exit status {returncode}")
    elif isinstance(returncode, int) and returncode < 0 and result["status"].startswith("failed"):
        result["message"] = f"killed by signal {-returncode} (out of memory?); {result['message']}"
        result["status"] = f"failed:{result['message']}"
    return result


def describe(record):
    """One line for the user about a finished job.

    >>> describe({"status": "converged", "energy": -1.5, "gap": 2.0, "wall": 3.0,
    ...           "level": "PBE/x (CP2K)", "scf_iterations": 12})
    'converged  E = -1.500000 eV  gap 2.000 eV  12 SCF steps  3 s  PBE/x (CP2K)'
    >>> describe({"status": "converged", "energy": -1.5, "gap": None, "wall": 3.0,
    ...           "level": "PBE/x (CP2K)", "scf_iterations": 12, "cpu": 2.5, "peak_mb": 80})
    'converged  E = -1.500000 eV  gap - eV  12 SCF steps  3 s  2 CPU-s  80 MB  PBE/x (CP2K)'
    """
    if record["status"] != "converged":
        return f"{record['status']}  {record.get('level', '')}"
    gap = "-" if record.get("gap") is None else f"{record['gap']:.3f}"  # None: no LUMO printed
    used = "".join(f"  {record[k]:.0f} {unit}" for k, unit in (("cpu", "CPU-s"),
                                                                ("peak_mb", "MB"))
                   if record.get(k) is not None)
    return (f"converged  E = {record['energy']:.6f} eV  gap {gap} eV  "
            f"{record['scf_iterations']} SCF steps  {record['wall']:.0f} s{used}  "
            f"{record['level']}")
