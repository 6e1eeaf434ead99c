"""ORCA input (``orca.inp``), written with ASE's ``write_orca``.

def2 basis + explicit ``NewECP ... "def2-ECP"`` for every element from Rb on (ORCA would
assign it anyway; writing it makes the deck self-describing), UKS for open shells,
RI-J/RIJCOSX with def2/J, CPCM solvent, D3BJ/D4 keywords.
"""

from ase.io.orca import write_orca

from .settings import basis_keyword, solvent_data

TASK = {"sp": "SP", "opt": "Opt", "freq": "Freq", "tddft": "SP"}
HYBRIDS = ("PBE0", "B3LYP", "TPSSh", "CAM-B3LYP")


def simple_input(settings):
    """The ``!`` line of an ORCA deck.

    >>> simple_input({"code": "orca", "unrestricted": True, "xc": "PBE", "functional": "PBE",
    ...     "basis": "def2-SVP", "dispersion_keyword": "D3BJ", "task": "opt", "solvent": None})
    'UKS PBE def2-SVP def2/J RIJ D3BJ Opt TightSCF'
    """
    words = ["UKS" if settings["unrestricted"] else "RKS", settings["xc"],
             basis_keyword(settings), "def2/J",
             "RIJCOSX" if settings["functional"] in HYBRIDS else "RIJ",
             settings["dispersion_keyword"], TASK[settings["task"]], "TightSCF"]
    if settings["solvent"]:
        words.append(f"CPCM({solvent_data(settings['solvent'])['orca']})")
    return " ".join(w for w in words if w)


def blocks(settings):
    """The ``%`` blocks: ECP per heavy element, TDDFT roots, the user's extra text."""
    out = []
    ecps = [el for el, e in settings["elements"].items() if e["core"]]
    if ecps:
        out.append("%basis\n" + "".join(f'  NewECP {el} "{settings["elements"][el]["core"]}" end\n'
                                        for el in ecps) + "end")
    out.append("%scf\n  MaxIter 300\nend")
    if settings["task"] == "tddft":
        out.append(f"%tddft\n  NRoots {settings['nstates']}\n  MaxDim 5\nend")
    if settings["extra"]:
        out.append(settings["extra"])
    return "\n".join(out)


def write(atoms, settings, directory, header):
    """Write ``orca.inp`` in ``directory``; returns its path."""
    path = directory / settings["deck"]
    with open(path, "w") as fd:
        fd.write("".join(f"# {line}\n" for line in header))
        write_orca(fd, atoms, {"orcasimpleinput": simple_input(settings),
                               "orcablocks": blocks(settings),
                               "charge": settings["charge"], "mult": settings["multiplicity"]})
    return path
