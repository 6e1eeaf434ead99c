"""S-inversion hops: a cheap global step after a local relaxation of a thiolate cluster.

The side of its M-S-M plane that a thiolate R takes (the S configuration,
:mod:`clustergen.generation.sulfur`) splits the GFN1-xTB surface into basins that a local
optimiser rarely leaves, and the builder's rules pick the sides from the unrelaxed
geometry.  With R mirrored through the M-S-M plane at one S, bond lengths and angles stay
as they are, so a single point on the relaxed structure prices each inversion at almost
no cost (most within +-0.03 eV).  :func:`hop` applies every inversion that lowers that
single-point energy and the caller relaxes again; the hop is kept only if the relaxed
energy goes down.  This is basin hopping (D. J. Wales, J. P. K. Doye, J. Phys. Chem. A
1997, 101, 5111, doi:10.1021/jp970984n) with the moves restricted to S inversions,
screened by single points instead of accepted at random.

>>> from clustergen.core.model import make_cluster
>>> a = make_cluster(["Au", "S", "Au", "H"], [[-1.7, 0, 0], [0, 1.2, 0], [1.7, 0, 0],
...                  [0, 1.9, 1.1]], ["kernel", "S", "staple", "ligand"])
>>> [(s, r.tolist()) for s, _, _, r in inversions(a)]
[(1, [3])]
>>> round(float(mirrored(a, inversions(a)[0])[3, 2]), 6)
-1.1
"""

import numpy as np

from clustergen.core.bonds import pair_cutoff

METAL_ROLES = ("kernel", "staple")


def inversions(atoms):
    """``[(S, metal a, metal b, R atom indices)]``: every S bound to exactly two metals
    that carries an R (its ``ligand_index`` group, else the atom within 2.0 A)."""
    roles = np.asarray(atoms.arrays["role"])
    pos = atoms.positions
    metal = np.flatnonzero(np.isin(roles, METAL_ROLES))
    owner = atoms.arrays.get("ligand_index")
    reach = pair_cutoff("metal-sulfur", "Au", "S")
    out = []
    for s in np.flatnonzero(roles == "S"):
        d = np.linalg.norm(pos[metal] - pos[s], axis=1)
        near = metal[d < reach]
        if len(near) != 2:
            continue
        if owner is not None and owner[s] >= 0:
            r = np.flatnonzero((owner == owner[s]) & (roles == "ligand"))
        else:
            lig = np.flatnonzero(roles == "ligand")
            dl = np.linalg.norm(pos[lig] - pos[s], axis=1)
            r = lig[dl < 2.0]
        if len(r):
            out.append((int(s), int(near[0]), int(near[1]), r))
    return out


def mirrored(atoms, inversion):
    """Positions with the R of one S reflected through its M-S-M plane."""
    s, a, b, r = inversion
    pos = atoms.positions.copy()
    n = np.cross(pos[a] - pos[s], pos[b] - pos[s])
    n /= np.linalg.norm(n)
    pos[r] -= 2.0 * np.outer((pos[r] - pos[s]) @ n, n)
    return pos


def screen(atoms):
    """``[(dE, inversion)]``, lowest first: the single-point energy change (eV) of each
    S inversion on ``atoms`` (which carries its calculator; one call per S)."""
    base = atoms.get_potential_energy()
    start = atoms.positions.copy()
    out = []
    try:
        for inv in inversions(atoms):
            atoms.positions = mirrored(atoms, inv)
            out.append((float(atoms.get_potential_energy() - base), inv))
            atoms.positions = start
    finally:
        atoms.positions = start
    return sorted(out, key=lambda item: item[0])


def hop(atoms, threshold=0.0):
    """Positions with every S inversion whose single point lowers the energy by more than
    ``-threshold`` eV applied (each R reflected on the structure as it was: the
    inversions touch different atoms), and how many; ``(None, 0)`` when none does."""
    chosen = [inv for de, inv in screen(atoms) if de < threshold]
    if not chosen:
        return None, 0
    pos = atoms.positions.copy()
    for inv in chosen:
        r = inv[3]
        pos[r] = mirrored(atoms, inv)[r]
    return pos, len(chosen)


ROUNDS = 3      # hops tried at most; the search stops at the first that does not go lower
GAIN = 1e-3     # eV: a hop is kept when the relaxed energy drops by more than this


def search(atoms, relax_again, rounds=ROUNDS, threshold=0.0):
    """Hop from the relaxed ``atoms`` (with its calculator) while it pays: apply
    :func:`hop`, call ``relax_again(atoms)`` (returns True when converged), keep the new
    minimum if it is lower by more than :data:`GAIN`, else restore the previous one and
    stop.  Returns one dict per hop tried (inversions applied, energy change, kept)."""
    log = []
    for k in range(rounds):
        e0 = atoms.get_potential_energy()
        before = atoms.positions.copy()
        pos, n = hop(atoms, threshold)
        if pos is None:
            break
        atoms.positions = pos
        converged = relax_again(atoms)
        change = float(atoms.get_potential_energy() - e0)
        kept = bool(converged) and change < -GAIN
        log.append({"hop": k + 1, "inverted": n, "energy_change": change, "kept": kept})
        if not kept:
            atoms.positions = before
            atoms.get_potential_energy()        # the calculator's results are the kept minimum's
            break
    return log
