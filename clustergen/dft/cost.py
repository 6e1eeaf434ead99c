"""Memory and time of one DFT single point, estimated before it runs, and the refusal of
jobs that cannot fit.

CP2K (GPW): memory and time are dominated by the real-space grids, whose size follows
from the box and the density cutoff (points per axis ~ L sqrt(E_cut[Ry]) / pi, rounded up
to an FFT size), plus dense matrices in the basis (MOLOPT functions counted from CP2K's
own ``BASIS_MOLOPT``).  PySCF: the basis (``nao``) and, with density fitting, the auxiliary
basis (``naux``) are built exactly; memory is matrices plus the 3-centre integrals PySCF
keeps in memory when they fit ``max_memory`` (else on disk).  The constants in the
``refine: cost:`` table of ``templates/dft.yaml`` were fitted to runs measured on this
project's machine (docs/dft-handoff.md); estimates are for sizing, good to a factor ~2.
"""

import math
import os

from ase.units import Bohr

from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError

from .geometry import cluster_box

CP2K_DATA = ("/usr/share/cp2k", "/usr/share/cp2k/data", "/opt/cp2k/data")


def _table():
    return load("dft.yaml")["refine"]["cost"]


def fft_size(n):
    """Smallest n' >= n whose only prime factors are 2, 3 and 5 (CP2K's FFT sizes; it
    chose 135 points for a 12.93 A box at 300 Ry, where L sqrt(E) / pi = 134.7).

    >>> fft_size(121), fft_size(134.7)
    (125, 135)
    """
    n = max(int(math.ceil(n)), 2)
    while True:
        m = n
        for f in (2, 3, 5):
            while m % f == 0:
                m //= f
        if m == 1:
            return n
        n += 1


def grid_points(atoms, settings):
    """Points of CP2K's finest grid for the settings' box and cutoff.

    >>> from ase import Atoms
    >>> s = {"vacuum": 4.0, "poisson": "WAVELET", "cutoff": 300}
    >>> grid_points(Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]]), s) == 120 ** 3
    True
    """
    wavelet = settings.get("poisson") == "WAVELET"
    box = cluster_box(atoms, settings["vacuum"], 0.0 if wavelet else 2.0, cubic=True)
    per_axis = [fft_size(length / Bohr * math.sqrt(settings["cutoff"]) / math.pi)
                for length in box.cell.lengths()]
    return math.prod(per_axis)


def _molopt_counts(basis_names):
    """Contracted spherical functions per ``(element, basis name)`` from BASIS_MOLOPT."""
    root = os.environ.get("CP2K_DATA_DIR")
    paths = ([root] if root else []) + list(CP2K_DATA)
    path = next((os.path.join(p, "BASIS_MOLOPT") for p in paths
                 if os.path.exists(os.path.join(p, "BASIS_MOLOPT"))), None)
    if path is None:
        return {}
    lines = open(path).read().splitlines()
    counts, i = {}, 0
    while i < len(lines):
        parts = lines[i].split()
        hit = [(parts[0], name) for name in parts[1:] if (parts[0], name) in basis_names]
        if len(parts) >= 2 and hit and i + 1 < len(lines):
            nsets, total, j = int(lines[i + 1].split()[0]), 0, i + 2
            for _ in range(nsets):
                head = [int(x) for x in lines[j].split()]
                lmin, nexp, shells = head[1], head[3], head[4:]
                total += sum(n * (2 * (lmin + k) + 1) for k, n in enumerate(shells))
                j += 1 + nexp
            counts[hit[0]] = total
            i = j
            continue
        i += 1
    return counts


def basis_functions(atoms, settings):
    """Number of basis functions: exact from PySCF / CP2K's basis file, else ~13 per atom.

    >>> from ase import Atoms
    >>> from clustergen.dft.settings import resolve
    >>> a = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.52]], info={"charge": 0})
    >>> basis_functions(a, resolve(a, code="cp2k", task="sp"))   # DZVP: Au 25, H 5
    30
    """
    symbols = atoms.get_chemical_symbols()
    if settings["code"] == "pyscf":
        return _pyscf_sizes(atoms, settings)[0]
    names = {(el, e["basis"]) for el, e in settings["elements"].items()}
    counts = _molopt_counts(names)
    per = {el: counts.get((el, e["basis"]), 13) for el, e in settings["elements"].items()}
    return sum(per[s] for s in symbols)


def _pyscf_sizes(atoms, settings):
    """(nao, naux) of the PySCF molecule; naux 0 without density fitting."""
    from pyscf import gto

    from .settings import basis_keyword

    basis = basis_keyword(settings)
    mol = gto.M(atom=[(s, p) for s, p in zip(atoms.get_chemical_symbols(), atoms.positions)],
                basis=basis, ecp={el: basis for el, e in settings["elements"].items()
                                  if e["core"]},
                charge=settings["charge"], spin=settings["multiplicity"] - 1, verbose=0)
    naux = 0
    if settings.get("density_fit"):
        from pyscf.df import addons
        naux = addons.make_auxmol(mol, addons.make_auxbasis(mol)).nao_nr()
    return mol.nao_nr(), naux


def estimate(atoms, settings, threads=1):
    """Peak memory (GB), CPU time (h) and size figures of one single point.

    >>> from ase import Atoms
    >>> from clustergen.dft.run import refine_settings
    >>> a = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.52]], info={"charge": 0})
    >>> e = estimate(a, refine_settings(a, "cp2k"))
    >>> e["basis_functions"], e["memory_gb"] < 2
    (30, True)
    """
    c = _table()[settings["code"]]
    nbf = basis_functions(atoms, settings)
    out = {"code": settings["code"], "basis_functions": nbf, "threads": threads}
    if settings["code"] == "cp2k":
        points = grid_points(atoms, settings)
        per_point = c["mb_per_mpoint"][settings.get("poisson") or "MT"]
        scf = "smear" if settings.get("smearing") else "ot"
        if scf == "smear":  # Broyden mixing keeps densities on the grid
            per_point += c["smear_mb_per_mpoint"]
        mb = c["base_mb"] + per_point * points / 1e6 + 8 * c["matrices"] * nbf ** 2 / 1e6
        cpu = c["setup_s_per_mpoint"] * points / 1e6 + c["steps"][scf] * (
            c["cpu_s_per_mpoint"] * points / 1e6 + c["cpu_s_per_atom"] * len(atoms)
            + c["cpu_s_per_gflop"] * 1e-9 * nbf ** 3)
        out.update(grid_points=points, memory_gb=mb / 1024, min_memory_gb=mb / 1024)
    else:
        nao, naux = _pyscf_sizes(atoms, settings)
        matrices = c["base_mb"] + 8 * c["matrices"] * nao ** 2 / 1e6
        cderi = 8 * naux * nao * (nao + 1) / 2 / 1e6
        mb = matrices + cderi
        coulomb = c["cpu_s_per_gflop"] * 1e-9 * (
            naux * nao ** 2 if naux else c["direct_factor"] * nao ** 3)
        xc = c["cpu_s_per_mgridao"] * c["grid_per_atom"] * len(atoms) * nao / 1e6
        cpu = c["setup_s"] + c["steps"] * (coulomb + xc)
        out.update(naux=naux, memory_gb=mb / 1024, min_memory_gb=matrices / 1024)
    out["cpu_hours"] = cpu / 3600
    out["wall_hours"] = cpu / 3600 / max(1.0, c["thread_efficiency"] * threads)
    return out


def describe(est):
    """One line: the estimate as the user sees it before a run.

    >>> describe({"memory_gb": 2.5, "min_memory_gb": 1.0, "cpu_hours": 0.5,
    ...           "wall_hours": 0.5, "basis_functions": 300, "threads": 1})
    'estimated 2.5 GB (at least 1.0 GB), 30 CPU-min, ~30 min wall on 1 thread(s); 300 basis functions'
    """
    def span(hours):
        return f"{hours * 60:.0f} min" if hours < 2 else f"{hours:.1f} h"

    extra = f", {est['grid_points'] / 1e6:.1f} M grid points" if est.get("grid_points") else ""
    return (f"estimated {est['memory_gb']:.1f} GB (at least {est['min_memory_gb']:.1f} GB), "
            f"{span(est['cpu_hours']).replace(' ', ' CPU-')}, ~{span(est['wall_hours'])} wall "
            f"on {est['threads']} thread(s); {est['basis_functions']} basis functions{extra}")


def machine_memory_gb():
    """Memory available on this machine now, less the reserve, in GB."""
    import psutil

    return psutil.virtual_memory().available / 2 ** 30 - load("dft.yaml")["refine"][
        "memory_reserve_gb"]


def scheduler_memory_gb(scheduler):
    """The largest per-worker memory limit a Dask scheduler states (GB), or None."""
    from dask.distributed import Client

    try:
        with Client(scheduler, timeout="20s") as c:
            limits = [w.get("memory_limit") or 0 for w in c.scheduler_info()["workers"].values()]
    except (OSError, TimeoutError) as exc:
        raise ClusterGenError(f"cannot reach Dask scheduler {scheduler}: {exc}") from None
    return max(limits) / 2 ** 30 if limits and max(limits) else None


def budget(planned, workers, scheduler, threads, memory_gb):
    """Memory per job (GB) and the number of local workers to start.

    Local default: as many workers as cores allow (``cores // threads``) and memory
    allows (the largest estimate must fit each).
    """
    need = max(est["memory_gb"] for _, _, est in planned)
    floor = max(est["min_memory_gb"] for _, _, est in planned)
    if scheduler:
        return (memory_gb or scheduler_memory_gb(scheduler) or need), None
    total = machine_memory_gb()
    if memory_gb:
        total = min(total, memory_gb * (workers or 1))
    cores = max(1, (os.cpu_count() or 1) // max(1, threads))
    if workers is None:
        workers = max(1, min(cores, len(planned), int(total // max(need, floor, 0.1))))
    per_job = memory_gb or (total / max(workers, 1))
    return per_job, workers


def refuse_oversized(planned, per_job_gb, scheduler=None):
    """One-line error when the largest job's minimum memory exceeds what it gets."""
    where = f"the scheduler's workers ({scheduler})" if scheduler else "this machine"
    for atoms, settings, est in planned:
        if est["min_memory_gb"] > per_job_gb:
            name = atoms.info.get("formula", atoms.get_chemical_formula())
            raise ClusterGenError(
                f"{name} ({settings['code']}) needs ~{est['min_memory_gb']:.1f} GB per job, "
                f"{where} gives {per_job_gb:.1f} GB: use fewer workers, a smaller cutoff/"
                f"vacuum, or a cluster (--scheduler); job refused before it starts")
