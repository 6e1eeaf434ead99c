"""Gaussian 16 input (``gaussian.gjf``) with a GENECP basis section.

Light elements get the def2 basis by name; every element from Rb on gets the def2 basis by
name plus its def2-ECP written out in full (from ``templates/def2_ecp.yaml``), so the deck
does not depend on which built-in ECP a Gaussian version attaches to a name.
"""

import re
import textwrap

from clustergen.core.data import load

from .geometry import xyz_lines
from .settings import basis_keyword, solvent_data

TASK = {"sp": "SP", "opt": "Opt", "freq": "Freq", "tddft": "SP"}
L_NAMES = "spdfghi"


def ecp_block(element):
    """One element's def2-ECP in Gaussian's ECP input format.

    >>> print(ecp_block("Au").splitlines()[:4])
    ['Au 0', 'AU-ECP 3 60', 'f potential', '  2']
    """
    ecp = load("def2_ecp.yaml")["ecp"][element]
    channels = ecp["channels"]
    lmax = len(channels) - 1
    top = L_NAMES[lmax]
    lines = [f"{element} 0", f"{element.upper()}-ECP {lmax} {ecp['ncore']}"]
    for i, (_, terms) in enumerate(channels):
        lines.append(f"{top} potential" if i == 0 else f"{L_NAMES[i - 1]}-{top} potential")
        lines.append(f"  {len(terms)}")
        lines += [f"{n} {exp:16.8f} {coef:18.8f}" for n, exp, coef in terms]
    return "\n".join(lines)


def title(header):
    """Title section: the level-of-theory header line without the characters Gaussian
    forbids in titles (@ # ! - _ \\); charge and multiplicity are on the next line anyway.

    >>> title(["[Au25(SCH3)18]- ...", "gaussian opt: PBE / def2-SVP / dispersion d3bj"])
    ['clustergen deck gaussian opt: PBE / def2 SVP / dispersion d3bj']
    """
    text = re.sub(r"\s+", " ", re.sub(r"[@#!\-_\\]", " ", header[1]))
    return textwrap.wrap("clustergen deck " + text, 78)[:4]


def route(settings, genecp):
    """The ``#P`` route line.

    >>> route({"code": "gaussian", "unrestricted": True, "xc": "PBEPBE", "basis": "def2-SVP",
    ...        "task": "tddft", "nstates": 40, "dispersion_keyword": "", "solvent": None}, True)
    '#P UPBEPBE/GenECP SP TD(NStates=40) SCF=(XQC,Tight) Int=UltraFine'
    """
    method = ("U" if settings["unrestricted"] else "R") + settings["xc"]
    basis = "GenECP" if genecp else basis_keyword(settings)
    words = [f"#P {method}/{basis}", TASK[settings["task"]]]
    if settings["task"] == "tddft":
        words.append(f"TD(NStates={settings['nstates']})")
    words += [settings["dispersion_keyword"], "SCF=(XQC,Tight)", "Int=UltraFine"]
    if settings["solvent"]:
        words.append(f"SCRF=(IEFPCM,Solvent={solvent_data(settings['solvent'])['gaussian']})")
    return " ".join(w for w in words if w)


def write(atoms, settings, directory, header):
    """Write ``gaussian.gjf`` in ``directory``; returns its path."""
    elements = settings["elements"]
    heavy = [el for el, e in elements.items() if e["core"]]
    light = [el for el in elements if el not in heavy]
    name = basis_keyword(settings)
    lines = ["%chk=gaussian.chk", route(settings, bool(heavy)), "",
             *title(header), "",
             f"{settings['charge']} {settings['multiplicity']}"]
    lines += xyz_lines(atoms) + [""]
    if heavy:
        for group in ([light] if light else []) + [[el] for el in heavy]:
            lines += [" ".join(group) + " 0", name, "****"]
        lines.append("")
        lines += [ecp_block(el) for el in heavy]
        lines.append("")
    if settings["extra"]:
        lines += [settings["extra"].rstrip(), ""]
    path = directory / settings["deck"]
    path.write_text("\n".join(lines) + "\n")
    return path
