"""CP2K input (``cp2k.inp``): GPW with MOLOPT-SR basis and GTH-PBE pseudopotentials.

The cluster sits in a non-periodic cell (``PERIODIC NONE`` for cell and Poisson solver).
Martyna-Tuckerman solver (default): cubic box >= 2x the cluster and >= 10 A vacuum.
Wavelet solver (``poisson="WAVELET"``, what ``clustergen refine`` uses): exact isolated
boundary conditions, so a cubic box of extent + 2 x vacuum is enough (Genovese et al.,
J. Chem. Phys. 125, 074105 (2006), doi:10.1063/1.2335442); CP2K 2023.1 aborts on a
non-cubic cell with this solver.  UKS with the
multiplicity for open shells; DFT-D3(BJ) from CP2K's ``dftd3.dat``.  Mulliken and
Hirshfeld charges and the HOMO/LUMO (``MO_CUBES`` without cube files) are printed so
:mod:`clustergen.dft.parse` can read them back.  Basis and potential
names carry the valence count (``-q11``) so a basis can never pair with the wrong core.
"""

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
{_SCF}    &XC
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
