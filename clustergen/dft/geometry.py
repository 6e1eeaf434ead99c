"""Geometry helpers shared by the writers: coordinates as text and the vacuum box."""

import numpy as np


def xyz_lines(atoms, fmt="{:<3s}{:16.8f}{:16.8f}{:16.8f}"):
    """One ``El x y z`` line per atom (Angstrom), in the candidate's atom order.

    >>> from ase import Atoms
    >>> xyz_lines(Atoms("H", positions=[[0, 0, 0.5]]))
    ['H        0.00000000      0.00000000      0.50000000']
    """
    return [fmt.format(s, *p) for s, p in zip(atoms.get_chemical_symbols(), atoms.positions)]


def cluster_box(atoms, vacuum=10.0, mt_factor=2.0, cubic=True):
    """Copy of a cluster centred in a non-periodic box for plane-wave/GPW codes.

    The edge is the largest of (extent + 2 * vacuum) and (mt_factor * extent + 2 A): the
    first keeps ``vacuum`` A of empty space to every image, the second is what the
    Martyna-Tuckerman Poisson solver needs (a box about twice the charge density).
    ``cubic=False`` sizes each axis from the extent along it (mt_factor 0 for a wavelet
    solver, which needs no room for images): the grid, and so the memory, shrinks.

    >>> from ase import Atoms
    >>> box = cluster_box(Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]]), vacuum=8)
    >>> float(box.cell[0, 0]), bool(box.pbc.any())
    (18.5, False)
    >>> cluster_box(Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]]), 4, 0, False).cell.lengths()
    array([10.5,  8. ,  8. ])
    """
    box = atoms.copy()
    extent = np.ptp(box.positions, axis=0) if len(box) > 1 else np.zeros(3)
    if cubic:
        extent = np.full(3, extent.max())
    edge = np.maximum(extent + 2 * vacuum, mt_factor * extent + 2.0)
    box.set_cell(edge)
    box.pbc = False
    box.center()
    return box
