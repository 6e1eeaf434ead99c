"""Geometry helpers shared by the writers: coordinates as text and the vacuum box."""

import numpy as np


def xyz_lines(atoms, fmt="{:<3s}{:16.8f}{:16.8f}{:16.8f}"):
    """One ``El x y z`` line per atom (Angstrom), in the candidate's atom order.

    >>> from ase import Atoms
    >>> xyz_lines(Atoms("H", positions=[[0, 0, 0.5]]))
    ['H        0.00000000      0.00000000      0.50000000']
    """
    return [fmt.format(s, *p) for s, p in zip(atoms.get_chemical_symbols(), atoms.positions)]


def cluster_box(atoms, vacuum=10.0, mt_factor=2.0):
    """Copy of a cluster centred in a cubic, non-periodic box for plane-wave/GPW codes.

    The edge is the largest of (extent + 2 * vacuum) and (mt_factor * extent + 2 A): the
    first keeps ``vacuum`` A of empty space to every image, the second is what the
    Martyna-Tuckerman Poisson solver needs (a box about twice the charge density).

    >>> from ase import Atoms
    >>> box = cluster_box(Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]]), vacuum=8)
    >>> float(box.cell[0, 0]), bool(box.pbc.any())
    (18.5, False)
    """
    box = atoms.copy()
    extent = float(np.ptp(box.positions, axis=0).max()) if len(box) > 1 else 0.0
    edge = max(extent + 2 * vacuum, mt_factor * extent + 2.0)
    box.set_cell([edge, edge, edge])
    box.pbc = False
    box.center()
    return box
