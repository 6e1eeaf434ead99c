"""PySCF script (``pyscf_run.py``): the open-source molecular reference for the other decks.

Same def2 basis and def2-ECP (PySCF names the def2 ECP after its basis), RKS/UKS from the
multiplicity, D3(BJ)/D4 through ``mf.disp`` (needs ``pip install pyscf-dispersion``),
ddCOSMO with the solvent's dielectric constant, TDDFT via ``mf.TDDFT()``, optimisation via
geomeTRIC (``pip install geometric``); with ``smearing`` (K) Fermi-Dirac occupations through
``pyscf.scf.addons.smearing`` (``e_tot`` is then E(T) of the fractional occupations,
``mf.e_free`` = E - TS; the spin is not fixed, so a UKS multiplicity is only the guess).  Prints ``FINAL ENERGY <hartree>``.
"""

from ase import units

from .geometry import xyz_lines
from .settings import basis_keyword, solvent_data

TEMPLATE = '''\
"""{title}"""
from pyscf import dft, gto

ATOMS = """
{atoms}
"""
mol = gto.M(atom=ATOMS, unit="Angstrom", charge={charge}, spin={spin},
            basis={basis!r}, ecp={ecp!r}, verbose=4)
mf = dft.{kind}(mol)
mf.xc = {xc!r}
mf.max_cycle = 300
mf.conv_tol = 1e-9
{dispersion}{solvent}{smearing}{extra}
{task}
'''

TASK = {
    "sp": 'energy = mf.kernel()\nprint("FINAL ENERGY", energy)',
    "opt": ('from pyscf.geomopt.geometric_solver import optimize\n'
            'mol_eq = optimize(mf, maxsteps=500)\n'
            'print(mol_eq.tostring(format="xyz"))\n'
            'print("FINAL ENERGY", mf.e_tot)'),
    "tddft": ('energy = mf.kernel()\nprint("FINAL ENERGY", energy)\n'
              'td = mf.TDDFT()\ntd.nstates = {nstates}\ntd.kernel()\ntd.analyze()'),
}


def smearing_lines(kelvin):
    """Fermi-Dirac smearing through ``scf.addons.smearing`` (sigma = k_B T in Hartree), or
    nothing when ``kelvin`` is None.

    >>> print(smearing_lines(300.0).splitlines()[-1])
    mf = addons.smearing(mf, sigma=0.000950043154, method="fermi")
    >>> smearing_lines(None)
    ''
    """
    if not kelvin:
        return ""
    sigma = kelvin * units.kB / units.Hartree
    return ("from pyscf.scf import addons\n"
            f'mf = addons.smearing(mf, sigma={sigma:.9g}, method="fermi")\n')


def write(atoms, settings, directory, header):
    """Write ``pyscf_run.py`` in ``directory``; returns its path."""
    basis = basis_keyword(settings)
    elements = settings["elements"]
    text = TEMPLATE.format(
        title="\n".join(header), atoms="\n".join(xyz_lines(atoms)),
        charge=settings["charge"], spin=settings["multiplicity"] - 1,
        basis={el: basis for el in elements},
        ecp={el: basis for el, e in elements.items() if e["core"]},
        kind="UKS" if settings["unrestricted"] else "RKS", xc=settings["xc"],
        dispersion=(f'mf.disp = {settings["dispersion_keyword"]!r}\n'
                    if settings["dispersion_keyword"] else ""),
        solvent=(f'mf = mf.ddCOSMO()\nmf.with_solvent.eps = '
                 f'{solvent_data(settings["solvent"])["eps"]}\n' if settings["solvent"] else ""),
        smearing=smearing_lines(settings.get("smearing")),
        extra=settings["extra"] + "\n" if settings["extra"] else "",
        task=TASK[settings["task"]].format(nstates=settings["nstates"]))
    path = directory / settings["deck"]
    path.write_text(text)
    return path
