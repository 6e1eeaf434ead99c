"""Alkynyl staples: an Au-S framework turned into -C≡C-Au-C≡C- chains and rings.

The shell engine shapes staples with S as the bridging donor; a member whose staples are
alkynyls (``staple_ligand: C2R`` in its template entry, e.g. Au22(C≡CR)18 of the
tetrahedral-ring family) is shaped with carbon's bond lengths instead (the shell rule's
``lengths``: staple Au-C alpha ``SIGMA`` A, kernel Au-C alpha ``PI`` A, the side-on
contact of a chain end's C≡C to the surface Au) and its S are then made C alpha
(:func:`to_alkynyl`).

C beta and R come from :func:`clustergen.generation.ligate.ligate` (RDKit conformers).
Geometry from Q. Tang, D. Jiang, J. Phys. Chem. C 2015, 119 (issue 20), "Insights into
the PhC≡C/Au interface" (DFT: PhC≡C-Au-C≡CPh staples, sigma-bonded terminal C to the
staple Au, pi-bonded C≡C to the substrate Au); Au-C(sigma) 1.95-2.10 A and C≡C 1.20-1.22 A
are the windows :func:`alkynyl_report` checks. The first member's structure paper was not
found with the tools used here: its shell is this module's and the family's rule, not a
fit to published coordinates.
"""

import numpy as np

from clustergen.core.errors import ClusterGenError
from clustergen.core.model import make_cluster

SIGMA = 2.02       # staple Au-C alpha (sigma), the template's ``lengths.staple``
PI = 2.25          # kernel Au-C alpha contact of a chain end, ``lengths.kernel``
WINDOWS = {"au_c": (1.95, 2.10), "c_c": (1.20, 1.22), "c_au_c_min": 160.0}


def to_alkynyl(frame):
    """The framework with every S (role ``S``) made an alkynyl C alpha (role ``ligand``,
    as :mod:`clustergen.generation.ligate` marks alkynyl donors), positions kept: the
    framework is shaped with carbon's bond lengths (the shell rule's ``lengths``).

    >>> from ase import Atoms
    >>> f = Atoms("AuSAuS", positions=[[0, 0, 0], [0, 2.25, 0], [1.9, 2.9, 0], [3.8, 3.5, 0]])
    >>> f.set_array("role", np.array(["kernel", "S", "staple", "S"]))
    >>> c = to_alkynyl(f)
    >>> c.get_chemical_symbols(), c.arrays["role"].tolist()
    (['Au', 'C', 'Au', 'C'], ['kernel', 'ligand', 'staple', 'ligand'])
    """
    roles = np.array(frame.arrays["role"], dtype="U8")
    if not (roles == "S").any():
        raise ClusterGenError("the framework has no S to turn into alkynyl C alpha")
    symbols = ["C" if r == "S" else s for r, s in zip(roles, frame.get_chemical_symbols())]
    out = make_cluster(symbols, frame.positions.copy(), np.where(roles == "S", "ligand", roles))
    out.info.update(frame.info)
    return out


def alkynyl_report(atoms):
    """Alkynyl geometry of a built cluster: sigma Au-C alpha (each C alpha's nearest Au),
    C≡C, C-Au-C at staple Au, and the shortest Au-C beta (pi contact), with ``ok`` and
    ``problems`` against :data:`WINDOWS`.

    >>> from ase import Atoms
    >>> a = Atoms("CCAuCC", positions=[[-3.2, 0, 0], [-2.0, 0, 0], [0, 0, 0],
    ...                                 [2.0, 0, 0], [3.2, 0, 0]])
    >>> r = alkynyl_report(a)
    >>> r["au_c"], r["c_c"], r["c_au_c"], r["ok"]
    ((2.0, 2.0), (1.2, 1.2), 180.0, True)
    """
    sym = np.array(atoms.get_chemical_symbols())
    pos = atoms.positions
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    au = np.flatnonzero(sym == "Au")
    carbon = np.flatnonzero(sym == "C")
    alpha = [c for c in carbon if d[c, au].min() < 2.45
             and sum(1 for x in np.flatnonzero(d[c] < 1.7) if sym[x] != "Au") <= 1]
    if not alpha:
        raise ClusterGenError("no alkynyl C alpha bonded to Au")
    beta = [int(np.flatnonzero((sym == "C") & (d[c] < 1.4))[0]) for c in alpha
            if ((sym == "C") & (d[c] < 1.4)).any()]
    sigma = [float(d[c, au].min()) for c in alpha]
    triple = [float(d[c, b]) for c, b in zip(alpha, beta)]
    angles = []
    for m in au:
        near = [c for c in alpha if d[c, m] <= min(2.2, d[c, au].min() + 1e-6)]
        for x in range(len(near)):
            for y in range(x + 1, len(near)):
                u, v = pos[near[x]] - pos[m], pos[near[y]] - pos[m]
                angles.append(float(np.degrees(np.arccos(
                    np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))))
    rep = {"au_c": (round(min(sigma), 3), round(max(sigma), 3)),
           "c_c": (round(min(triple), 3), round(max(triple), 3)) if triple else (np.nan,) * 2,
           "c_au_c": round(min(angles), 1) if angles else np.nan,
           "au_cbeta": round(float(d[np.ix_(beta, au)].min()), 3) if beta else np.nan}
    problems = []
    lo, hi = WINDOWS["au_c"]
    if not (lo <= rep["au_c"][0] and rep["au_c"][1] <= hi):
        problems.append(f"Au-C alpha {rep['au_c'][0]:.2f}-{rep['au_c'][1]:.2f} outside {lo}-{hi}")
    lo, hi = WINDOWS["c_c"]
    if triple and not (lo <= rep["c_c"][0] and rep["c_c"][1] <= hi):
        problems.append(f"C≡C {rep['c_c'][0]:.3f}-{rep['c_c'][1]:.3f} outside {lo}-{hi}")
    if angles and rep["c_au_c"] < WINDOWS["c_au_c_min"]:
        problems.append(f"C-Au-C {rep['c_au_c']:.0f} < {WINDOWS['c_au_c_min']:.0f}")
    rep["problems"] = problems
    rep["ok"] = not problems
    return rep
