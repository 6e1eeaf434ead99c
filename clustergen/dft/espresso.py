"""Quantum ESPRESSO pw.x input (``espresso.pwi``), written with ASE's ``write_espresso_in``.

SSSP efficiency PBE pseudopotentials by file name (the user downloads them into
``pseudo/``), Gamma point, ``assume_isolated = 'mt'`` in a cubic box, ``tot_charge`` and
``tot_magnetization`` from the candidate, Grimme-D3(BJ) via ``vdw_corr``.
"""

from ase.io.espresso import write_espresso_in

from clustergen.core.data import load

from .geometry import cluster_box

CALCULATION = {"sp": "scf", "opt": "relax"}


def write(atoms, settings, directory, header):
    """Write ``espresso.pwi`` in ``directory``; returns its path."""
    tab = load("dft.yaml")
    box = cluster_box(atoms, settings["vacuum"], tab["box"]["mt_factor"])
    data = {
        "control": {"calculation": CALCULATION[settings["task"]], "prefix": "cluster",
                    "pseudo_dir": "./pseudo", "outdir": "./tmp", "tprnfor": True,
                    "forc_conv_thr": 1e-3},
        "system": {"ecutwfc": settings["cutoff"],
                   "ecutrho": settings["cutoff"] * tab["espresso"]["dual"],
                   "tot_charge": settings["charge"], "assume_isolated": "mt",
                   "occupations": "smearing", "smearing": "gaussian", "degauss": 0.001},
        "electrons": {"conv_thr": 1e-8, "mixing_beta": 0.3, "electron_maxstep": 300},
    }
    if settings["unrestricted"]:
        data["system"].update({"nspin": 2, "tot_magnetization": settings["multiplicity"] - 1})
        box.set_initial_magnetic_moments([0.1] * len(box))
    if settings["dispersion_keyword"]:
        data["system"].update({"vdw_corr": "dft-d3", "dftd3_version": settings["dispersion_keyword"]})
    if settings["task"] == "opt":
        data["ions"] = {"ion_dynamics": "bfgs"}
    pseudos = {el: e["core"] for el, e in settings["elements"].items()}
    path = directory / settings["deck"]
    with open(path, "w") as fd:
        fd.write("".join(f"! {line}\n" for line in header))
        write_espresso_in(fd, box, input_data=data, pseudopotentials=pseudos, kpts=None)
        if settings["extra"]:
            fd.write(settings["extra"].rstrip() + "\n")
    return path
