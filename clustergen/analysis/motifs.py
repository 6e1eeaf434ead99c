"""Motif machinery of the analyser: metal split, lattice-site promotion, staple chains.

The steps of :mod:`clustergen.analysis.analyse` that turn bonds into a kernel and staple
motifs: :func:`split_metals` (linear M(I) staple metals vs the kernel, steps 2-3),
:func:`promote_lattice_sites` (the "bridging" convention), :func:`find_motifs` (chains,
rings, bridging and terminal SR, step 4) and :func:`motif_sort_key` (smallest motif first).

>>> import numpy as np
>>> i, j = np.array([0, 1]), np.array([1, 2])          # S0-Au1-S2
>>> staple, kernel = np.array([False, True, False]), np.zeros(3, bool)
>>> adj = neighbour_lists(3, i, j, np.zeros((2, 3)))[0]
>>> [m["type"] for m in find_motifs(i, j, adj, staple, kernel, np.array([True, False, True]))]
['monomer']
"""

import numpy as np

from clustergen.core import model
from clustergen.core.bonds import components, nearest_reach
from clustergen.core.data import load, template_files
from clustergen.core.formula import chemistry

LINEAR = 150.0        # S-M-S angle (deg) above which a metal is a linear M(I) staple atom
STAPLE_MAX_METALS = 5  # a linear metal with more metal contacts than this is kernel
# "bridging" convention: kernel contacts within bond rule "lattice-site" (1.33 x kernel NN)
LATTICE_CONTACTS = 4  # ...at least this many of them put a linear metal on a kernel site


def masked_components(n, i, j, mask=None):
    """Connected-component labels over the atoms in ``mask`` (others get -1).

    >>> masked_components(4, np.array([0, 2]), np.array([1, 3]),
    ...                   np.array([True, True, False, True])).tolist()
    [0, 0, -1, 2]
    """
    if mask is not None:
        keep = mask[i] & mask[j]
        i, j = i[keep], j[keep]
    labels = components(n, i, j)
    if mask is not None:
        labels = np.where(mask, labels, -1)
    return labels


def neighbour_lists(n, i, j, vec):
    """Per-atom neighbour index arrays and bond vectors (atom -> neighbour, periodic-safe).

    >>> adj, _ = neighbour_lists(3, np.array([0, 1]), np.array([1, 2]), np.eye(3)[:2])
    >>> [a.tolist() for a in adj]
    [[1], [2, 0], [1]]
    """
    a = np.concatenate([i, j])
    b = np.concatenate([j, i])
    v = np.concatenate([vec, -vec])
    order = np.argsort(a, kind="stable")
    cuts = np.searchsorted(a[order], np.arange(1, n))
    return np.split(b[order], cuts), np.split(v[order], cuts)


def _max_angle(vectors):
    """Largest angle (deg) between any two bond vectors (0 with fewer than two)."""
    if len(vectors) < 2:
        return 0.0
    u = vectors / np.linalg.norm(vectors, axis=1)[:, None]
    return float(np.degrees(np.arccos(np.clip((u @ u.T).min(), -1.0, 1.0))))


def staple_angles(symbols):
    """Per-atom S-M-S angle above which a metal with two S is a staple metal.

    Au(I) and Ag(I) staples are linear (LINEAR); Cu(I), Cd(II), Hg(II) in staples bend
    further (templates/chemistry.yaml, ``staple_min_angle``).

    >>> staple_angles(["Au", "S"]).tolist()
    [150.0, 150.0]
    """
    table = chemistry()["metals"]
    return np.array([table.get(s, {}).get("staple_min_angle", LINEAR) for s in symbols])


def split_metals(i, j, adj, vecs, is_metal, is_sulfur, warnings, min_angle=None):
    """Staple and kernel metal masks (steps 2-3 of :mod:`clustergen.analysis.analyse`).

    >>> i, j = np.array([0, 1]), np.array([1, 2])          # linear S0-Au1-S2
    >>> adj, vecs = neighbour_lists(3, i, j, np.array([[2.3, 0, 0], [2.3, 0, 0]]))
    >>> staple, kernel = split_metals(i, j, adj, vecs, np.array([False, True, False]),
    ...                               np.array([True, False, True]), [])
    >>> staple.tolist(), kernel.tolist()
    ([False, True, False], [False, False, False])
    """
    n = len(is_metal)
    if min_angle is None:
        min_angle = np.full(n, LINEAR)
    staple = np.zeros(n, bool)
    n_s = np.bincount(np.concatenate([i[is_sulfur[j]], j[is_sulfur[i]]]), minlength=n)
    n_m = np.bincount(np.concatenate([i[is_metal[j]], j[is_metal[i]]]), minlength=n)
    for m in np.flatnonzero(is_metal & (n_s >= 2) & (n_m <= STAPLE_MAX_METALS)):
        staple[m] = _max_angle(vecs[m][is_sulfur[adj[m]]]) > min_angle[m]
    kernel = is_metal & ~staple
    if not kernel.any():
        return staple, kernel
    # connectivity of the remaining metals: the largest piece is the kernel
    labels = masked_components(n, i, j, kernel)
    pieces, sizes = np.unique(labels[kernel], return_counts=True)
    main = pieces[np.argmax(sizes)]
    for piece, size in zip(pieces, sizes):
        members = np.flatnonzero(labels == piece)
        touches_s = bool((n_s[members] > 0).all())
        if size == 1 and touches_s and n_m[members[0]] == 0:
            # a metal bonded to S only (bent or trigonal M(I)): a staple metal, never a kernel
            staple[members], kernel[members] = True, False
        elif piece == main:
            continue
        elif touches_s and size < 4:
            staple[members], kernel[members] = True, False
            warnings.append(f"metal atom(s) {members.tolist()} are not linear but are not "
                            "bonded to the kernel: counted as staple metal")
        else:
            warnings.append(f"kernel is in pieces: metal atom(s) {members.tolist()} are not "
                            "bonded to the main kernel")
    return staple, kernel


def promote_lattice_sites(positions, staple, kernel):
    """"bridging" convention: linear metals sitting on kernel lattice sites join the kernel.

    >>> from ase.cluster import Icosahedron
    >>> au13 = Icosahedron("Au", 2)                       # atom 1 sits on a shell site
    >>> staple = np.arange(13) == 1
    >>> promote_lattice_sites(au13.positions, staple, ~staple)[2]
    [1]
    """
    staple, kernel = staple.copy(), kernel.copy()
    core = np.flatnonzero(kernel)
    if len(core) < 2:
        return staple, kernel, []
    site = nearest_reach(positions[core], "lattice-site")
    moved = []
    while True:
        cand = np.flatnonzero(staple)
        if not len(cand):
            break
        core = np.flatnonzero(kernel)
        d = np.linalg.norm(positions[cand][:, None] - positions[core][None], axis=-1)
        hit = cand[(d <= site).sum(axis=1) >= LATTICE_CONTACTS]
        if not len(hit):
            break
        staple[hit], kernel[hit] = False, True
        moved.extend(int(h) for h in hit)
    return staple, kernel, sorted(moved)


def family_convention(atoms):
    """"bridging" if ``info["family"]`` names a template family with bridging SR in its motifs.

    >>> from ase import Atoms
    >>> family_convention(Atoms("Au"))
    'staple'
    """
    name = atoms.info.get("family")
    if not name:
        return "staple"
    for fname in template_files():
        data = load(fname)
        if isinstance(data, dict) and data.get("family") == name:
            motifs = (data.get("series") or {}).get("motifs") or {}
            return "bridging" if "bridging" in motifs else "staple"
    return "staple"


def _order_chain(members, adj, in_motif):
    """Atoms of a staple chain in bond order, from its lowest-index end S (rings: lowest atom)."""
    inside = set(members)
    deg = {a: sum(b in inside for b in adj[a]) for a in members}
    ends = [a for a in members if deg[a] == 1]
    path = [min(ends) if ends else min(members)]
    seen = set(path)
    while True:
        nxt = sorted(int(b) for b in adj[path[-1]] if b in inside and b not in seen)
        if not nxt:
            return path
        path.append(nxt[0])
        seen.add(nxt[0])


def find_motifs(i, j, adj, staple, kernel, is_sulfur):
    """Staple chains / rings, bridging and terminal SR (step 4 of :mod:`clustergen.analysis.analyse`).

    >>> i, j = np.array([0, 1]), np.array([1, 2])          # S0-Au1-S2
    >>> adj = neighbour_lists(3, i, j, np.zeros((2, 3)))[0]
    >>> [m["type"] for m in find_motifs(i, j, adj, np.array([False, True, False]),
    ...                                 np.zeros(3, bool), np.array([True, False, True]))]
    ['monomer']
    """
    n = len(staple)
    # the motif graph: staple metal - S bonds only
    link = (staple[i] & is_sulfur[j]) | (staple[j] & is_sulfur[i])
    mi, mj = i[link], j[link]
    deg = np.bincount(np.concatenate([mi, mj]), minlength=n)
    in_motif = deg > 0
    labels = masked_components(n, mi, mj, in_motif)
    madj = neighbour_lists(n, mi, mj, np.zeros((len(mi), 3)))[0]
    motifs = []
    for piece in np.unique(labels[in_motif]):
        members = np.flatnonzero(labels == piece)
        metal, sulfur = members[staple[members]], members[~staple[members]]
        nm, ns = len(metal), len(sulfur)
        simple = (deg[members] <= 2).all() and (deg[metal] == 2).all()
        ring = bool(simple and ns == nm and (deg[sulfur] == 2).all())
        if ring or (simple and ns == nm + 1):
            order = np.array(_order_chain(members.tolist(), madj, in_motif))
            metal, sulfur = order[staple[order]], order[~staple[order]]
            kind = model.motif_name(nm) + ("-ring" if ring else "")
        else:
            kind = "network"  # branched: an S on three staple metals, a metal on three S...
        motifs.append(_motif(kind, metal, sulfur, adj, kernel, ring))
    k_count = np.bincount(np.concatenate([i[kernel[j]], j[kernel[i]]]), minlength=n)
    for s in np.flatnonzero(is_sulfur & ~in_motif & (k_count > 0)):
        kind = "bridging" if k_count[s] >= 2 else "terminal"
        motifs.append(_motif(kind, [], [s], adj, kernel, False))
    motifs.sort(key=lambda m: (motif_sort_key(m["type"]), m["type"], min(m["sulfur"])))
    return motifs


def _motif(kind, metal, sulfur, adj, kernel, ring):
    anchors = sorted({int(b) for s in sulfur for b in adj[s] if kernel[b]})
    return {"type": kind, "metal": [int(a) for a in metal], "sulfur": [int(s) for s in sulfur],
            "anchors": anchors, "ring": bool(ring)}


def motif_sort_key(kind):
    """Sort key of a motif type: metal atoms in it (rings and terminal SR included).

    >>> motif_sort_key("terminal"), motif_sort_key("dimer"), motif_sort_key("octamer-ring")
    (0, 2, 8)
    """
    if kind in ("terminal", "network"):
        return 0 if kind == "terminal" else 10**6
    return model.motif_size(kind.removesuffix("-ring"))


def alkynyl_alpha(symbols, adj, is_metal):
    """Mask of alkynyl C alpha atoms: a C bonded to a metal whose only non-metal
    neighbour, if any, is one C (its C beta). A thiolate's C, a CO or CN carbon and the
    C beta (two non-metal partners: C alpha and R, or H) are not.

    In -C≡C-Au-C≡C- staples the C alpha sigma-binds the staple Au, as S does in
    -S-Au-S- (Q. Tang, D. Jiang, J. Phys. Chem. C 2015, 119, issue 20: PhC≡C-Au-C≡CPh
    staples on Au20 and Au(111), with pi contacts of the C≡C to the surface Au).

    >>> from ase import Atoms
    >>> a = Atoms("HCCAuCCH", positions=[[-4.3, 0, 0], [-3.25, 0, 0], [-2.05, 0, 0],
    ...                                  [0, 0, 0], [2.05, 0, 0], [3.25, 0, 0], [4.3, 0, 0]])
    >>> from clustergen.core.bonds import bonded_pairs
    >>> i, j, _, vec = bonded_pairs(a, "motifs")
    >>> adj = neighbour_lists(len(a), i, j, vec)[0]
    >>> metal = np.array(a.get_chemical_symbols()) == "Au"
    >>> np.flatnonzero(alkynyl_alpha(np.array(a.get_chemical_symbols()), adj, metal)).tolist()
    [2, 4]
    """
    symbols = np.asarray(symbols)
    out = np.zeros(len(symbols), bool)
    for c in np.flatnonzero(symbols == "C"):
        nb = np.asarray(adj[c], int)
        if not is_metal[nb].any():
            continue
        other = nb[~is_metal[nb]]
        out[c] = len(other) == 0 or (len(other) == 1 and symbols[other[0]] == "C")
    return out
