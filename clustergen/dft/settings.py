"""Resolve the level of theory for one candidate: task defaults, code limits, overrides.

Everything is checked here, before any file is written: the code/task/functional/basis
combination, the charge and spin of the candidate, and that every element has a basis set,
ECP or pseudopotential in the chosen set.  The result is a plain dict the writers read.
"""

from ase.data import atomic_numbers

from clustergen.core import validate
from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError
from clustergen.core.identity import charge_multiplicity

TASKS = ("sp", "opt", "freq", "tddft")
# plane-wave cutoff per code: CP2K density cutoff (Ry), VASP ENCUT (eV), QE ecutwfc (Ry)
CUTOFF = {"cp2k": "cutoff", "vasp": "encut", "espresso": "ecutwfc"}
POISSON = ("MT", "WAVELET")  # CP2K isolated-system solvers (Martyna-Tuckerman, wavelet)


def table():
    """The parsed ``templates/dft.yaml``.

    >>> table()["tasks"]["opt"]["functional"]
    'PBE'
    """
    return load("dft.yaml")


def codes():
    """Names of the codes a deck can be written for.

    >>> "orca" in codes() and "cp2k" in codes()
    True
    """
    return tuple(table()["codes"])


def _lookup(kind, name):
    """Case-insensitive lookup of a functional/basis/solvent/dispersion entry."""
    entries = table()[kind]
    for key in entries:
        if key.lower() == str(name).lower():
            return key, entries[key]
    raise ClusterGenError(f"unknown {kind[:-1].replace('_', ' ')} '{name}' "
                          f"(known: {', '.join(entries)})")




def _def2_ecp(element):
    info = table()["def2"]
    return info["ecp_name"] if atomic_numbers[element] >= info["ecp_from"] else None


def _check_def2(elements, basis):
    lo1, hi1, lo2, hi2 = table()["def2"]["elements"]
    missing = [el for el in elements
               if not (lo1 <= atomic_numbers[el] <= hi1 or lo2 <= atomic_numbers[el] <= hi2)]
    if missing:
        raise ClusterGenError(f"no {basis} basis for {', '.join(missing)}")


def _element_basis(code, elements, basis):
    """Per-element (basis, core) names in the code's own set; errors for gaps."""
    tab = table()
    if code == "cp2k":
        if basis not in tab["cp2k"]["basis_sets"]:
            raise ClusterGenError(f"basis '{basis}' not offered for cp2k "
                                  f"(choose {', '.join(tab['cp2k']['basis_sets'])})")
        q = tab["cp2k"]["valence"]
        missing = [el for el in elements if el not in q]
        if missing:
            raise ClusterGenError(f"no {basis}/GTH-PBE for {', '.join(missing)} in cp2k data")
        return {el: {"basis": f"{basis}-q{q[el]}", "core": f"GTH-PBE-q{q[el]}"}
                for el in elements}
    if code == "vasp":
        pot = tab["vasp"]["potcars"]
        missing = [el for el in elements if el not in pot]
        if missing:
            raise ClusterGenError(f"no PAW_PBE POTCAR chosen for {', '.join(missing)}")
        return {el: {"basis": None, "core": f"PAW_PBE {pot[el][0]}", "zval": pot[el][1]}
                for el in elements}
    if code == "gpaw":
        missing = [el for el in elements if el not in tab["gpaw"]["elements"]]
        if missing:
            raise ClusterGenError(f"no GPAW PAW setup for {', '.join(missing)}")
        return {el: {"basis": None, "core": tab["gpaw"]["setups"]} for el in elements}
    if code == "espresso":
        pseudo = tab["espresso"]["pseudopotentials"]
        missing = [el for el in elements if el not in pseudo]
        if missing:
            raise ClusterGenError(f"no SSSP pseudopotential chosen for {', '.join(missing)}")
        return {el: {"basis": None, "core": pseudo[el]} for el in elements}
    # molecular codes: def2 basis, def2-ECP from Rb on
    key, names = _lookup("basis_sets", basis)
    if names.get(code) is None:
        raise ClusterGenError(f"basis {key} not available for {code}")
    _check_def2(elements, key)
    return {el: {"basis": key, "core": _def2_ecp(el)} for el in elements}


MAX_CUTOFF = 1.0e4   # eV (VASP) or Ry (CP2K, QE): converged decks use a few hundred
MAX_VACUUM = 100.0   # A of vacuum around a cluster; a box beyond is no calculation
SMEARING_CODES = ("cp2k", "pyscf")  # Fermi-Dirac smearing is written for these decks
MAX_SMEARING = 1.0e4  # K: beyond this the "electronic temperature" melts every gap


def check_smearing(smearing, code):
    """Electronic temperature (K) of Fermi-Dirac smearing, or None for off (None or 0).

    >>> check_smearing(300, "cp2k"), check_smearing(0, "pyscf"), check_smearing(None, "orca")
    (300.0, None, None)
    >>> check_smearing(300, "orca")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: smearing is written for cp2k and pyscf decks ...
    """
    if smearing is None or smearing == 0:
        return None
    kelvin = validate.positive_float(smearing, "smearing")
    if kelvin > MAX_SMEARING:
        raise ClusterGenError(f"smearing {smearing} K is beyond {MAX_SMEARING:g} K")
    if code not in SMEARING_CODES:
        raise ClusterGenError(f"smearing is written for {' and '.join(SMEARING_CODES)} decks, "
                              f"not {code}")
    return float(kelvin)


def resolve(atoms, code="orca", task="opt", functional=None, basis=None, dispersion=None,
            solvent=None, nstates=None, extra="", charge=None, multiplicity=None,
            vacuum=None, cutoff=None, poisson=None, smearing=None):
    """Settings dict for one deck: level of theory, physics of the candidate, per-element sets.

    ``smearing``: electronic temperature in K for Fermi-Dirac occupations (CP2K and PySCF
    only; default off), the fallback for an SCF that does not converge with integer
    occupations (small-gap metal clusters).

    >>> from ase import Atoms
    >>> a = Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.52]], info={"charge": 0})
    >>> s = resolve(a, code="orca", task="opt")
    >>> s["functional"], s["basis"], s["elements"]["Au"]["core"], s["multiplicity"]
    ('PBE', 'def2-SVP', 'def2-ECP', 1)
    """
    # geometry here; charge and multiplicity (info or arguments) below
    validate.check_atoms(atoms, str(atoms.info.get("formula", atoms.get_chemical_formula())),
                         info=False)
    tab = table()
    if code not in tab["codes"]:
        raise ClusterGenError(f"unknown code '{code}' (known: {', '.join(tab['codes'])})")
    spec = tab["codes"][code]
    if task not in TASKS:
        raise ClusterGenError(f"unknown task '{task}' (known: {', '.join(TASKS)})")
    if task not in spec["tasks"]:
        raise ClusterGenError(f"task '{task}' not supported for {code} "
                              f"(supported: {', '.join(spec['tasks'])})")
    defaults = tab["tasks"][task]
    reason = spec.get("reason", defaults["reason"])
    functional = functional or spec.get("functional") or defaults["functional"]
    functional, names = _lookup("functionals", functional)
    if names.get(code) is None:
        offered = [f for f, n in tab["functionals"].items() if n.get(code)]
        raise ClusterGenError(f"functional {functional} not offered for {code} "
                              f"(choose {', '.join(offered)})")
    if spec["kind"] == "molecular":
        basis = basis or defaults["basis"]
    else:
        basis = basis or spec.get("basis")
        if basis and code != "cp2k":
            raise ClusterGenError(f"{code} uses plane waves: no basis set can be chosen")
    dispersion = (dispersion or defaults["dispersion"]).lower().replace("(", "").replace(")", "")
    dispersion, dnames = _lookup("dispersion", dispersion)
    if dnames.get(code) is None:
        raise ClusterGenError(f"dispersion {dispersion} not available in {code}")
    if solvent:
        solvent, _ = _lookup("solvents", solvent.lower())
        if not spec["solvent"]:
            raise ClusterGenError(f"implicit solvent is not set up for {code}; use a molecular "
                                  "code (orca, gaussian, qchem, nwchem, pyscf) or --extra")
    charge, multiplicity = charge_multiplicity(atoms, charge, multiplicity, require_charge=True)
    elements = sorted(set(atoms.get_chemical_symbols()), key=lambda el: atomic_numbers[el])
    if nstates is not None and task != "tddft":
        raise ClusterGenError("nstates only applies to task tddft")
    if nstates is not None:
        validate.bounded_int(1, 10000, "nstates")(nstates)
    nstates = int(nstates or defaults.get("nstates", 0)) or None
    if cutoff is not None and validate.positive_float(cutoff, "cutoff") > MAX_CUTOFF:
        raise ClusterGenError(f"cutoff {cutoff} is beyond {MAX_CUTOFF:g} (eV or Ry)")
    if vacuum is not None and validate.nonneg_float(vacuum, "vacuum") > MAX_VACUUM:
        raise ClusterGenError(f"vacuum {vacuum} A is beyond {MAX_VACUUM:g} A")
    if cutoff is not None and code not in CUTOFF:
        raise ClusterGenError(f"{code} has no plane-wave cutoff to set")
    cutoff = float(cutoff) if cutoff is not None else (
        tab[code][CUTOFF[code]] if code in CUTOFF else None)
    if poisson is not None and code != "cp2k":
        raise ClusterGenError(f"{code} has no Poisson solver to choose")
    poisson = str(poisson or "MT").upper()
    if poisson not in POISSON:
        raise ClusterGenError(f"unknown Poisson solver '{poisson}' ({', '.join(POISSON)})")
    return {
        "code": code, "task": task, "kind": spec["kind"],
        "functional": functional, "xc": names[code],
        "basis": basis, "dispersion": dispersion, "dispersion_keyword": dnames[code],
        "solvent": solvent or None, "nstates": nstates,
        "charge": charge, "multiplicity": multiplicity, "unrestricted": multiplicity > 1,
        "elements": _element_basis(code, elements, basis),
        "cutoff": cutoff, "poisson": poisson,
        "vacuum": float(vacuum if vacuum is not None else tab["box"]["vacuum"]),
        "smearing": check_smearing(smearing, code),
        "extra": extra or "", "reason": " ".join(str(reason).split()),
        "deck": spec["deck"],
    }


def solvent_data(name):
    """Dielectric constant and per-code names of a solvent.

    >>> solvent_data("water")["eps"]
    78.36
    """
    return _lookup("solvents", name)[1]


def basis_keyword(settings):
    """The code's own spelling of the settings' basis set.

    >>> basis_keyword({"code": "gaussian", "basis": "def2-SVP"})
    'Def2SVP'
    """
    return _lookup("basis_sets", settings["basis"])[1][settings["code"]]
