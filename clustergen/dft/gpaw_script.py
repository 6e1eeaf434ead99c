"""GPAW script (``gpaw_run.py``): real-space PAW for sp/opt/freq, LCAO-TDDFT for spectra.

Charge and fixed total spin moment (``FermiDirac(..., fixmagmom=True)``) from the
candidate, the default PAW setups by name, a cubic vacuum box, D3(BJ) through the
``dftd3`` Python package (simple-dftd3) when requested.
"""

from ase.io import write as ase_write

from clustergen.core.data import load

from .geometry import cluster_box

TEMPLATE = '''\
"""{title}"""
from ase.io import read
from gpaw import GPAW, FermiDirac

atoms = read("structure.xyz")
atoms.set_cell([{edge:.4f}] * 3)
atoms.pbc = False
atoms.center()
magmom = {magmom}
if magmom:  # start from the target moment, spread over all atoms
    atoms.set_initial_magnetic_moments([magmom / len(atoms)] * len(atoms))
calc = GPAW(mode={mode}, xc={xc!r}, h={h}, charge={charge}, spinpol={spinpol},
            setups={setups!r}, occupations=FermiDirac(0.01, fixmagmom={spinpol}),
            convergence={{"energy": 1e-6, "density": 1e-6}}, txt="gpaw.txt"{basis})
{dispersion}
{extra}
{task}
'''

TASK = {
    "sp": 'print("FINAL ENERGY", atoms.get_potential_energy())',
    "opt": ('from ase.optimize import FIRE\n'
            'FIRE(atoms, trajectory="opt.traj", logfile="opt.log").run(fmax=0.02, steps=1000)\n'
            'atoms.write("relaxed.xyz")\n'
            'print("FINAL ENERGY", atoms.get_potential_energy())'),
    "freq": ('from ase.vibrations import Vibrations\n'
             'vib = Vibrations(atoms, name="vib", delta=0.01, nfree=2)\n'
             'vib.run()\nvib.summary(log="vib.txt")'),
    "tddft": ('atoms.get_potential_energy()\n'
              'calc.write("gs.gpw", mode="all")\n'
              'from gpaw.lcaotddft import LCAOTDDFT\n'
              'from gpaw.lcaotddft.dipolemomentwriter import DipoleMomentWriter\n'
              'from gpaw.tddft.spectrum import photoabsorption_spectrum\n'
              'td = LCAOTDDFT("gs.gpw", txt="td.txt")\n'
              'DipoleMomentWriter(td, "dm.dat")\n'
              'td.absorption_kick([0.0, 0.0, 1e-5])\n'
              'td.propagate(10, 3000)  # 10 as steps, 30 fs\n'
              'photoabsorption_spectrum("dm.dat", "spectrum.dat", width=0.1)'),
}


def write(atoms, settings, directory, header):
    """Write ``gpaw_run.py`` and ``structure.xyz`` in ``directory``; returns the script path."""
    tab = load("dft.yaml")
    box = cluster_box(atoms, settings["vacuum"], tab["box"]["mt_factor"])
    ase_write(directory / "structure.xyz", atoms, format="xyz")
    lcao = settings["task"] == "tddft"
    disp = ""
    if settings["dispersion_keyword"]:
        disp = ('from dftd3.ase import DFTD3\n'
                f'atoms.calc = DFTD3(method={settings["functional"]!r}, damping="d3bj")'
                '.add_calculator(calc)')
    else:
        disp = "atoms.calc = calc"
    text = TEMPLATE.format(
        title="\n".join(header), edge=box.cell[0, 0], magmom=settings["multiplicity"] - 1,
        mode='"lcao"' if lcao else '"fd"', basis=', basis="dzp"' if lcao else "",
        xc=settings["xc"], h=tab["gpaw"]["h"], charge=settings["charge"],
        spinpol=settings["unrestricted"], setups=tab["gpaw"]["setups"], dispersion=disp,
        extra=settings["extra"], task=TASK[settings["task"]])
    path = directory / settings["deck"]
    path.write_text(text)
    return path
