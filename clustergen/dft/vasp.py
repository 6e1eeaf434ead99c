"""VASP inputs: ``INCAR``, ``POSCAR``, ``KPOINTS`` and ``POTCAR.spec`` (no POTCAR shipped).

POTCARs are licensed: the job script concatenates the user's
``$VASP_PP_PATH/potpaw_PBE/<setup>/POTCAR`` in the order of ``POTCAR.spec`` and checks
each ZVAL against the one NELECT was computed with.  Gamma point, cubic vacuum box,
ISPIN = 2 with NUPDOWN fixed for open shells, monopole/dipole correction (IDIPOL = 4).
"""

import numpy as np
from ase.io import write as ase_write

from clustergen.core.data import load

from .geometry import cluster_box

TASK = {"sp": {"IBRION": -1, "NSW": 0},
        "opt": {"IBRION": 2, "NSW": 300, "EDIFFG": -0.02, "POTIM": 0.3},
        "freq": {"IBRION": 5, "NSW": 1, "NFREE": 2, "POTIM": 0.015}}


def incar(settings, nelect):
    """INCAR tags as an ordered dict.

    >>> tags = incar({"code": "vasp", "task": "sp", "cutoff": 400, "xc": "PE", "unrestricted": True,
    ...               "multiplicity": 2, "dispersion_keyword": 12, "solvent": None}, 101)
    >>> tags["ISPIN"], tags["NUPDOWN"], tags["NELECT"]
    (2, 1, 101)
    """
    tags = {"SYSTEM": "clustergen", "PREC": "Normal",
            "ENCUT": settings["cutoff"], "EDIFF": 1e-6}
    if settings["xc"] == "TPSS":
        tags.update({"METAGGA": "TPSS", "LASPH": ".TRUE."})
    else:
        tags["GGA"] = settings["xc"]
    tags["NELECT"] = nelect
    tags["ISPIN"] = 2 if settings["unrestricted"] else 1
    if settings["unrestricted"]:
        tags["NUPDOWN"] = settings["multiplicity"] - 1
    tags.update({"ISMEAR": 0, "SIGMA": 0.01, "ALGO": "Normal", "NELM": 200, "LREAL": "Auto",
                 "LDIPOL": ".TRUE.", "IDIPOL": 4, "DIPOL": "0.5 0.5 0.5",
                 "LWAVE": ".FALSE.", "LCHARG": ".FALSE."})
    if settings["dispersion_keyword"]:
        tags["IVDW"] = settings["dispersion_keyword"]
    tags.update(TASK[settings["task"]])
    return tags


def write(atoms, settings, directory, header):
    """Write the VASP inputs in ``directory``; returns the INCAR path."""
    box = cluster_box(atoms, settings["vacuum"], load("dft.yaml")["box"]["mt_factor"])
    # POSCAR groups atoms by element: keep the permutation so results map back
    order = np.argsort(-box.get_atomic_numbers(), kind="stable")
    box = box[order]
    species = list(dict.fromkeys(box.get_chemical_symbols()))
    elements = settings["elements"]
    nelect = sum(elements[s]["zval"] for s in box.get_chemical_symbols()) - settings["charge"]
    ase_write(directory / "POSCAR", box, format="vasp", direct=False, sort=False)
    (directory / "candidate_order.txt").write_text(" ".join(map(str, order)) + "\n")
    tags = incar(settings, nelect)
    lines = [f"# {line}" for line in header]
    lines += [f"{k} = {v}" for k, v in tags.items()]
    if settings["extra"]:
        lines.append(settings["extra"].rstrip())
    (directory / "INCAR").write_text("\n".join(lines) + "\n")
    (directory / "KPOINTS").write_text("Gamma point only (isolated cluster)\n0\nGamma\n1 1 1\n"
                                       "0 0 0\n")
    spec = [f"{s} {elements[s]['core'].split()[-1]} {elements[s]['zval']}" for s in species]
    (directory / "POTCAR.spec").write_text(
        "# element  potpaw_PBE setup  ZVAL   (concatenate in this order into POTCAR)\n"
        + "\n".join(spec) + "\n")
    return directory / "INCAR"
