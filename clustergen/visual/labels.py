"""What a picture says about a candidate: its one-line caption and, for an overlay, the
framework alignment and RMSD.  Shared by the 3D views (:mod:`clustergen.visual.viz`) and
the static figures (:mod:`clustergen.visual.figure`)."""

from ase import Atoms  # noqa: F401  (doctests)

from clustergen.visual import palette

def caption(atoms):
    """One-line caption: formula, isomer, N* and gap (eV), as far as ``atoms.info`` has them.

    >>> caption(Atoms("Au2", info={"formula": "Au2", "nstar": 2, "gap": 1.234}))
    'Au2  N*=2  gap 1.23 eV'
    """
    info = atoms.info
    parts = [str(info.get("formula") or atoms.get_chemical_formula())]
    if "db_id" in info:
        parts.insert(0, f"#{info['db_id']}")
    if info.get("isomer") not in (None, ""):
        parts.append(f"isomer {info['isomer']}")
    if info.get("nstar") is not None:
        parts.append(f"N*={info['nstar']}")
    if info.get("gap") is not None:
        parts.append(f"gap {float(info['gap']):.2f} eV")
    return "  ".join(parts)


def _framework_elements(atoms):
    roles = palette.roles_of(atoms)
    symbols = atoms.get_chemical_symbols()
    return tuple(dict.fromkeys(s for s, r in zip(symbols, roles.tolist()) if r != "ligand"))


def overlay_alignment(atoms, reference):
    """Align ``reference`` on ``atoms`` by their frameworks (non-ligand atoms).

    Returns (aligned copy of reference, framework RMSD in Angstrom, mirrored).

    >>> a = Atoms("Au2S", positions=[[0, 0, 0], [2.9, 0, 0], [1.45, 1.8, 0]])
    >>> b = a.copy(); b.rotate(40, "z"); b.translate([3, 0, 0])
    >>> moved, rmsd, mirrored = overlay_alignment(a, b)
    >>> round(rmsd, 6)
    0.0
    """
    from clustergen.analysis.compare import align_frameworks

    fit = align_frameworks(atoms, reference, elements=_framework_elements(atoms))
    moved = reference.copy()
    moved.positions = fit.positions
    return moved, fit.rmsd, fit.mirrored
