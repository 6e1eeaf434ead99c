"""NWChem input (``nwchem.nw``): def2 basis and def2-ECP from NWChem's own libraries.

``* library def2-svp`` and ``Au library def2-ecp`` name the files NWChem ships
(Debian: /usr/share/nwchem/libraries), so nothing has to be supplied by the user.
Open shells run ODFT (unrestricted); COSMO takes the solvent's dielectric constant.
"""

from .geometry import xyz_lines
from .settings import basis_keyword, solvent_data

TASK = {"sp": "task dft energy", "opt": "task dft optimize", "freq": "task dft freq",
        "tddft": "task tddft energy"}


def write(atoms, settings, directory, header):
    """Write ``nwchem.nw`` in ``directory``; returns its path."""
    basis = basis_keyword(settings)
    lines = [f"# {line}" for line in header]
    lines += ["start cluster", "echo", "memory total 2000 mb",
              f"charge {settings['charge']}", "",
              "geometry units angstrom noautoz noautosym"]
    lines += ["  " + line for line in xyz_lines(atoms)] + ["end", ""]
    lines += ["basis spherical"]
    lines += [f"  {el} library {basis}" for el in settings["elements"]] + ["end", ""]
    ecps = [(el, e["core"]) for el, e in settings["elements"].items() if e["core"]]
    if ecps:
        lines += ["ecp"] + [f"  {el} library {core.lower()}" for el, core in ecps]
        lines += ["end", ""]
    lines += ["dft", f"  xc {settings['xc']}", f"  mult {settings['multiplicity']}"]
    if settings["unrestricted"]:
        lines.append("  odft")
    if settings["dispersion_keyword"]:
        lines.append(f"  disp {settings['dispersion_keyword']}")
    lines += ["  grid fine", "  convergence energy 1e-8", "  iterations 300", "end", ""]
    if settings["solvent"]:
        lines += ["cosmo", f"  dielec {solvent_data(settings['solvent'])['eps']}", "end", ""]
    if settings["task"] == "tddft":
        lines += ["tddft", f"  nroots {settings['nstates']}"]
        if not settings["unrestricted"]:
            lines.append("  notriplet")  # singlet ground state: bright states only
        lines += ["end", ""]
    if settings["extra"]:
        lines += [settings["extra"].rstrip(), ""]
    lines.append(TASK[settings["task"]])
    path = directory / settings["deck"]
    path.write_text("\n".join(lines) + "\n")
    return path
