"""Small hand-built clusters for the symmetry, site-class, dopant and adsorption tests.

They are idealised frameworks with the right topology and symmetry (not relaxed
structures): the [Au25(SR)18] model follows the Th arrangement of six dimeric staples,
each capping one of the six edges of the icosahedron that lie on a Cartesian axis.
"""

import numpy as np

from clustergen.core.model import make_cluster

PHI = (1 + 5 ** 0.5) / 2


def icosahedron(radius=2.78, element="Au"):
    """Centred icosahedron (centre first) with vertices at (0, +-1, +-phi) and cyclic."""
    verts = []
    for a in (1, -1):
        for b in (1, -1):
            verts += [(0, a, b * PHI), (a, b * PHI, 0), (b * PHI, 0, a)]
    verts = np.array(verts) / np.linalg.norm(verts[0]) * radius
    return np.vstack([[0, 0, 0], verts])


def au13(roles=True):
    """Bare Au13 icosahedron, optionally with kernel roles."""
    pos = icosahedron()
    kw = dict(formula="Au13", charge=5, multiplicity=1, nstar=8, host="Au") if roles else {}
    atoms = make_cluster(["Au"] * 13, pos, ["kernel"] * 13, **kw)
    if not roles:
        del atoms.arrays["role"]
    return atoms


# One staple half in the plane of its axis e and anchor direction w, as (w, e) in Angstrom
# for a shell radius of 2.78 A: solved once for Au-S 2.32-2.38 A, S-Au-S 172 degrees,
# staple Au >= 3.15 A from the kernel.
S_TERMINAL, AU_STAPLE, S_CENTRAL = (3.431, 3.589), (1.824, 5.263), (0.0, 6.697)


def au25_framework(ligand=True):
    """[Au25(SH)18]- model: Au13 + 6 SR-Au-SR-Au-SR staples (R = H pointing outward when
    ``ligand``, else the bare Au25S18 framework), Th symmetry, roles set."""
    symbols, roles, pos = ["Au"] * 13, ["kernel"] * 13, list(icosahedron(2.78))

    def add(symbol, role, xyz):
        symbols.append(symbol); roles.append(role); pos.append(np.asarray(xyz, float))

    for axis in range(3):
        for sign in (1, -1):
            e = np.zeros(3); e[axis] = sign
            w = np.zeros(3); w[(axis + 1) % 3] = 1  # the staple's anchors lie at +-w
            for side in (1, -1):
                s_t = side * S_TERMINAL[0] * w + S_TERMINAL[1] * e
                add("S", "S", s_t)
                add("Au", "staple", side * AU_STAPLE[0] * w + AU_STAPLE[1] * e)
                if ligand:
                    add("H", "ligand", s_t + 1.35 * s_t / np.linalg.norm(s_t))
            add("S", "S", S_CENTRAL[1] * e)
            if ligand:
                add("H", "ligand", (S_CENTRAL[1] + 1.35) * e)
    formula = "[Au25(SH)18]-" if ligand else "Au25S18"
    return make_cluster(symbols, pos, roles, formula=formula, charge=-1, multiplicity=1,
                        nstar=8, host="Au", motifs="dimer:6", family="face-sharing-Au13",
                        member="Au25", isomer="0", score=0.0)


def biicosahedron(radius=2.78):
    """Au23 kernel of Au38: two centred icosahedra sharing a face (the second is the
    mirror image of the first through the shared face), centres first (indices 0, 1)."""
    first = icosahedron(radius)
    dist = np.linalg.norm(first[1:, None] - first[None, 1:], axis=2)
    edge = dist[dist > 0.1].min()
    a, b = 1, 1 + int(np.argmax(np.isclose(dist[0], edge, atol=0.05)))
    c = next(1 + k for k in range(12)
             if np.isclose(dist[a - 1, k], edge, atol=0.05)
             and np.isclose(dist[b - 1, k], edge, atol=0.05))
    centre = first[[a, b, c]].mean(axis=0)
    normal = centre / np.linalg.norm(centre)
    second = first - 2 * np.outer((first - centre) @ normal, normal)
    pos = [first[0], second[0]] + list(first[1:])
    pos += [p for p in second[1:] if np.linalg.norm(first - p, axis=1).min() > 0.5]
    return make_cluster(["Au"] * len(pos), pos, ["kernel"] * len(pos), host="Au",
                        formula="Au23", charge=0, multiplicity=2, nstar=23)


def run_cli(argv, monkeypatch=None, module=None):
    """Run the ``clustergen`` command line in-process; returns the exit status."""
    from clustergen import cli
    return cli.main(argv)
