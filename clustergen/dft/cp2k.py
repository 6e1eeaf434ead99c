"""CP2K input (``cp2k.inp``): GPW with MOLOPT-SR basis and GTH-PBE pseudopotentials.

The cluster sits in a non-periodic cell (``PERIODIC NONE`` for cell and Poisson solver).
Martyna-Tuckerman solver (default): cubic box >= 2x the cluster and >= 10 A vacuum.
Wavelet solver (``poisson="WAVELET"``, what ``clustergen refine`` uses): exact isolated
boundary conditions, so a cubic box of extent + 2 x vacuum is enough (Genovese et al.,
J. Chem. Phys. 125, 074105 (2006), doi:10.1063/1.2335442); CP2K 2023.1 aborts on a
non-cubic cell with this solver.  SCF: OT with DIIS; with ``smearing`` (K) diagonalisation,
Broyden mixing, ``&SMEAR FERMI_DIRAC`` and added MOs instead.  UKS with the
multiplicity for open shells; DFT-D3(BJ) from CP2K's ``dftd3.dat``.  Mulliken and
Hirshfeld charges and the HOMO/LUMO (``MO_CUBES`` without cube files) are printed so
:mod:`clustergen.dft.parse` can read them back.  Basis and potential
names carry the valence count (``-q11``) so a basis can never pair with the wrong core.
"""

import math

from clustergen.core.data import load

from .geometry import cluster_box

RUN_TYPE = {"sp": "ENERGY", "opt": "GEO_OPT", "freq": "VIBRATIONAL_ANALYSIS"}


def _indent(text, n):
    return "\n".join(" " * n + line if line.strip() else line for line in text.splitlines())


# Fixed sections of the deck.  OT with DIIS and a full single-inverse preconditioner, an
# outer SCF loop for the hard cases; Mulliken and Hirshfeld charges and the frontier
# orbitals are printed so that clustergen.dft.parse can read them back.
_SCF = """    &QS
      EPS_DEFAULT 1.0E-12
    &END QS
    &SCF
      SCF_GUESS ATOMIC
      EPS_SCF 1.0E-6
      MAX_SCF 50
      &OT
        MINIMIZER DIIS
        PRECONDITIONER FULL_SINGLE_INVERSE
      &END OT
      &OUTER_SCF
        EPS_SCF 1.0E-6
        MAX_SCF 20
      &END OUTER_SCF
    &END SCF
"""
# With Fermi-Dirac smearing (``smearing`` K): OT needs integer occupations, so the SCF
# switches to diagonalisation with Broyden density mixing and unoccupied MOs above the
# Fermi level for the fractional occupations to spread into (CP2K manual, SCF/SMEAR).
# Measured on [PtAu24(SH)18]0 (61 atoms, 950 basis functions, 200 Ry; docs/dft-handoff.md):
# this SCF converges in 32-37 steps where OT (DIIS, FULL_SINGLE_INVERSE or FULL_ALL) was
# still at gradient 1e-4 after 25-57.  EPS_DEFAULT 1e-10 (not 1e-12): the same run at
# 1e-12 gave an energy 0.017 meV away, in the same 35 steps and 3 % more CPU.
_SCF_SMEAR = """    &QS
      EPS_DEFAULT 1.0E-10
    &END QS
    &SCF
      SCF_GUESS ATOMIC
      EPS_SCF 1.0E-6
      MAX_SCF 300
      ADDED_MOS {added_mos}
      &DIAGONALIZATION ON
        ALGORITHM STANDARD
      &END DIAGONALIZATION
      &MIXING ON
        METHOD BROYDEN_MIXING
        ALPHA 0.2
        NBROYDEN 8
      &END MIXING
      &SMEAR ON
        METHOD FERMI_DIRAC
        ELECTRONIC_TEMPERATURE [K] {kelvin:g}{moment}
      &END SMEAR
    &END SCF
"""
# unoccupied MOs per spin added with smearing: this fraction of the occupied ones, at least
# ADDED_MOS_MIN (Fermi-Dirac tails at a few hundred K reach only a few levels up)
ADDED_MOS_FRACTION = 0.2
ADDED_MOS_MIN = 10
_PRINT = """    &PRINT
      &MULLIKEN ON
      &END MULLIKEN
      &HIRSHFELD ON
      &END HIRSHFELD
      &MO_CUBES
        WRITE_CUBE .FALSE.
        NHOMO 1
        NLUMO 1
      &END MO_CUBES
    &END PRINT
"""
_MOTION = {
    "opt": """
&MOTION
  &GEO_OPT
    OPTIMIZER LBFGS
    MAX_ITER 1000
  &END GEO_OPT
&END MOTION""",
    "freq": """
&VIBRATIONAL_ANALYSIS
  DX 0.01
  NPROC_REP 1
  INTENSITIES .FALSE.
&END VIBRATIONAL_ANALYSIS""",
}


def valence_electrons(atoms, charge=0):
    """Electrons the GTH pseudopotentials leave (CP2K's valence count) minus ``charge``.

    >>> from ase import Atoms
    >>> valence_electrons(Atoms("AuSH", positions=[[0, 0, 0], [2.3, 0, 0], [2.3, 1.3, 0]]))
    18
    """
    q = load("dft.yaml")["cp2k"]["valence"]
    return sum(q[s] for s in atoms.get_chemical_symbols()) - int(charge)


def scf_section(atoms, settings):
    """The QS + SCF sections: OT (integer occupations) or, with ``settings["smearing"]``
    (K), diagonalisation with Fermi-Dirac smearing and added MOs.

    >>> from ase import Atoms
    >>> a = Atoms("AuSH", positions=[[0, 0, 0], [2.3, 0, 0], [2.3, 1.3, 0]])
    >>> "&OT" in scf_section(a, {"smearing": None, "charge": 0})
    True
    >>> text = scf_section(a, {"smearing": 300.0, "charge": 0})
    >>> [ln.strip() for ln in text.splitlines() if "ADDED_MOS" in ln or "TEMPERATURE" in ln]
    ['ADDED_MOS 10', 'ELECTRONIC_TEMPERATURE [K] 300']
    """
    if not settings.get("smearing"):
        return _SCF
    occupied = math.ceil(valence_electrons(atoms, settings["charge"]) / 2)
    added = max(ADDED_MOS_MIN, math.ceil(ADDED_MOS_FRACTION * occupied))
    # One Fermi level for both spins would let the smearing choose the spin state: on
    # [Au2]- it put the SOMO's partner level at the common Fermi level (a gap of 0).  The
    # candidate's multiplicity fixes alpha - beta, and each spin gets its own Fermi level.
    unpaired = int(settings.get("multiplicity", 1)) - 1
    moment = f"\n        FIXED_MAGNETIC_MOMENT {unpaired}" if unpaired else ""
    return _SCF_SMEAR.format(added_mos=added, kelvin=settings["smearing"], moment=moment)


def write(atoms, settings, directory, header):
    """Write ``cp2k.inp`` in ``directory``; returns its path."""
    tab = load("dft.yaml")
    poisson = settings.get("poisson") or "MT"
    mt_factor = 0.0 if poisson == "WAVELET" else tab["box"]["mt_factor"]
    box = cluster_box(atoms, settings["vacuum"], mt_factor, cubic=True)
    abc = " ".join(f"{x:.4f}" for x in box.cell.lengths())
    spin = ["UKS .TRUE."] if settings["unrestricted"] else []
    vdw = ""
    if settings["dispersion_keyword"]:
        vdw = f"""
&VDW_POTENTIAL
  POTENTIAL_TYPE PAIR_POTENTIAL
  &PAIR_POTENTIAL
    TYPE {settings['dispersion_keyword']}
    PARAMETER_FILE_NAME dftd3.dat
    REFERENCE_FUNCTIONAL {settings['xc']}
  &END PAIR_POTENTIAL
&END VDW_POTENTIAL"""
    coords = "\n".join(f"{s:<3s}{x:16.8f}{y:16.8f}{z:16.8f}"
                       for s, (x, y, z) in zip(box.get_chemical_symbols(), box.positions))
    kinds = "\n".join(f"&KIND {el}\n  BASIS_SET {e['basis']}\n  POTENTIAL {e['core']}\n&END KIND"
                      for el, e in settings["elements"].items())
    motion = _MOTION.get(settings["task"], "")
    text = f"""{''.join(f'# {line}{chr(10)}' for line in header)}&GLOBAL
  PROJECT cluster
  RUN_TYPE {RUN_TYPE[settings['task']]}
  PRINT_LEVEL LOW
&END GLOBAL
&FORCE_EVAL
  METHOD QUICKSTEP
  &DFT
    BASIS_SET_FILE_NAME BASIS_MOLOPT
    POTENTIAL_FILE_NAME GTH_POTENTIALS
    CHARGE {settings['charge']}
    MULTIPLICITY {settings['multiplicity']}
{_indent(chr(10).join(spin), 4)}
    &MGRID
      CUTOFF {settings['cutoff']:g}
      REL_CUTOFF {tab['cp2k']['rel_cutoff']}
    &END MGRID
    &POISSON
      PERIODIC NONE
      POISSON_SOLVER {poisson}
    &END POISSON
{scf_section(atoms, settings)}    &XC
      &XC_FUNCTIONAL {settings['xc']}
      &END XC_FUNCTIONAL{_indent(vdw, 6)}
    &END XC
{_PRINT}  &END DFT
  &SUBSYS
    &CELL
      ABC {abc}
      PERIODIC NONE
    &END CELL
    &COORD
{_indent(coords, 6)}
    &END COORD
{_indent(kinds, 4)}
  &END SUBSYS
&END FORCE_EVAL{motion}
{settings['extra']}
"""
    path = directory / settings["deck"]
    path.write_text(text)
    return path
