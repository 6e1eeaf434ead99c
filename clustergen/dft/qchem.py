"""Q-Chem input (``qchem.in``): ``$molecule`` and ``$rem`` with def2 basis + def2-ECP."""

from .geometry import xyz_lines
from .settings import basis_keyword, solvent_data

JOBTYPE = {"sp": "sp", "opt": "opt", "freq": "freq", "tddft": "sp"}


def rem(settings):
    """``$rem`` variables as (name, value) pairs.

    >>> dict(rem({"code": "qchem", "task": "opt", "xc": "PBE", "basis": "def2-SVP",
    ...   "elements": {"Au": {"core": "def2-ECP"}}, "unrestricted": False,
    ...   "dispersion_keyword": "D3_BJ", "solvent": None}))["ECP"]
    'def2-ECP'
    """
    out = [("JOBTYPE", JOBTYPE[settings["task"]]), ("METHOD", settings["xc"]),
           ("BASIS", basis_keyword(settings))]
    cores = {e["core"] for e in settings["elements"].values() if e["core"]}
    if cores:
        out.append(("ECP", cores.pop()))
    out.append(("UNRESTRICTED", "TRUE" if settings["unrestricted"] else "FALSE"))
    if settings["dispersion_keyword"]:
        out.append(("DFT_D", settings["dispersion_keyword"]))
    out += [("SCF_CONVERGENCE", "8"), ("MAX_SCF_CYCLES", "300"), ("SYMMETRY", "FALSE"),
            ("SYM_IGNORE", "TRUE")]
    if settings["task"] == "tddft":
        out += [("CIS_N_ROOTS", str(settings["nstates"])), ("RPA", "TRUE")]
        if not settings["unrestricted"]:
            out.append(("CIS_TRIPLETS", "FALSE"))
    if settings["solvent"]:
        out.append(("SOLVENT_METHOD", "PCM"))
    return out


def write(atoms, settings, directory, header):
    """Write ``qchem.in`` in ``directory``; returns its path."""
    lines = [f"! {line}" for line in header]
    lines += ["$molecule", f"{settings['charge']} {settings['multiplicity']}"]
    lines += xyz_lines(atoms) + ["$end", "", "$rem"]
    lines += [f"   {k:<18s} {v}" for k, v in rem(settings)] + ["$end", ""]
    if settings["solvent"]:
        lines += ["$solvent", f"   SolventName {solvent_data(settings['solvent'])['qchem']}",
                  "$end", ""]
    if settings["extra"]:
        lines += [settings["extra"].rstrip(), ""]
    path = directory / settings["deck"]
    path.write_text("\n".join(lines))
    return path
