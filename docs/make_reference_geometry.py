"""Measure the reference structures: numbers behind docs/reference-geometry.md.

Run from the repository root:  ``python docs/make_reference_geometry.py > /tmp/geo.md``

Reads only ``structures/reference/*.xyz`` (validation data) and prints Markdown.  This is a
documentation tool, not part of the package: builders must not import it or its data.

Conventions (all distances in Å, angles in degrees):
* framework = Au and S atoms; ligand atoms are ignored.
* bonds: Au–S < 2.75, kernel Au–Au < 3.30 (the longest kernel bonds in DFT models are 3.2).
* "linear" Au: exactly two S neighbours with S–Au–S > 150.  Linear Au + their S form motif
  chains (n Au, n+1 S) or rings (n Au, n S); an S bound to no linear Au is a bridging SR.
* fcc clusters: a chain whose Au sit, on average, < 0.9 Å from free sites of the fcc lattice
  fitted to the non-linear Au is counted as kernel Au carrying bridging SR (the literature
  convention, e.g. Au20 kernel of Au28(TBBT)20); the measured gap is 0.72 vs 1.10 Å.
"""

import itertools
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
from ase.io import read
from scipy.spatial import ConvexHull

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "structures" / "reference"
AUS, AUAU, LINEAR = 2.75, 3.30, 150.0
LATTICE_CUT = 0.9
PHI = (1 + 5 ** 0.5) / 2
NAMES = ("bridging", "monomer", "dimer", "trimer", "tetramer", "pentamer", "hexamer",
         "heptamer", "octamer")

ICOSAHEDRAL = ("au25_sr18_xtal", "au25_sr18_dft", "au38_sr24_xtal", "au38_sr24_dft")
FCC = ("au28_sr20_dft_a", "au28_sr20_dft_b", "au36_sr24_xtal", "au36_sr24_dft",
       "au44_sr28_dft", "au52_sr32_dft_a", "au52_sr32_dft_b", "au23_sr16_dft",
       "au30_sr18_dft_fcc", "au29_sr19_dft", "au21_sr15_dft_a", "au21_sr15_dft_b",
       "au36_sr24_dft_c")


# ---------------------------------------------------------------- geometry helpers
def angle(p, q, r):
    """Angle p-q-r in degrees."""
    u, v = p - q, r - q
    return np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))


def stats(values, fmt="{:.2f}"):
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        return "–"
    return (f"{fmt.format(values.mean())} ({fmt.format(values.min())}–"
            f"{fmt.format(values.max())}, n={values.size})")


def framework(path):
    atoms = read(path)
    keep = np.isin(atoms.get_chemical_symbols(), ("Au", "S"))
    return atoms[keep]


# ---------------------------------------------------------------- fcc lattice fit
def _round_fcc(y):
    r = np.round(y)
    for n in np.flatnonzero(r.sum(axis=1) % 2):
        err = y[n] - r[n]
        k = np.argmax(np.abs(err))
        r[n, k] += 1 if err[k] > 0 else -1
    return r


def _similarity(x, sites):
    """x ~ s * sites @ R.T + t (proper R); returns R, s, t, residual vectors."""
    cx, cs = x.mean(0), sites.mean(0)
    u, sv, vt = np.linalg.svd((sites - cs).T @ (x - cx))
    d = np.diag([1, 1, np.sign(np.linalg.det(vt.T @ u.T))])
    rot = vt.T @ d @ u.T
    s = np.trace(np.diag(sv) @ d) / ((sites - cs) ** 2).sum()
    t = cx - s * cs @ rot.T
    return rot, s, t, x - (s * sites @ rot.T + t)


def fit_fcc(x):
    """Best fcc lattice through atoms x: integer sites (units a/2, even sum), a, rms."""
    dist = np.linalg.norm(x[:, None] - x[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    d0 = np.median(dist.min(1))
    seed = np.array([[0, 0, 0], [1, 1, 0], [1, 0, 1.0]])
    best = None
    for i in range(len(x)):
        for j, k in itertools.permutations(np.flatnonzero(dist[i] < 1.2 * d0), 2):
            if abs(np.cos(np.radians(angle(x[j], x[i], x[k]))) - 0.5) > 0.15:
                continue
            rot, s, t, _ = _similarity(x[[i, j, k]], seed)
            for _ in range(5):
                sites = _round_fcc((x - t) @ rot / s)
                if len(np.unique(sites, axis=0)) < len(x):
                    break
                rot, s, t, res = _similarity(x, sites)
            else:
                r = np.linalg.norm(res, axis=1)
                key = ((r < 0.4).sum(), -np.sqrt((r ** 2).mean()))
                if best is None or key > best[0]:
                    best = (key, sites, rot, s, t, r)
    key, sites, rot, s, t, r = best
    return dict(sites=sites.astype(int), rot=rot, s=s, t=t, a=2 * s, resid=r,
                rms=float(np.sqrt((r ** 2).mean())))


def lattice_coords(fit, x):
    """Fractional lattice coordinates (units a/2) of positions x in a fitted frame."""
    return (x - fit["t"]) @ fit["rot"] / fit["s"]


def canonical_sites(sites):
    """Integer sites shifted/reoriented to a canonical form (cubic symmetry, min lexsort)."""
    best = None
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            y = sites[:, perm] * signs
            y = y - np.round(y.mean(0) / 2).astype(int) * 2   # keep even-sum parity
            key = tuple(map(tuple, y[np.lexsort(y.T[::-1])]))
            if best is None or key < best:
                best = key
    return np.array(best)


def chain_frame(sites):
    """Cubic operation (perm, signs, shift) putting the cuboctahedron centres along +x with
    the first centre layer at x = 0, choosing the smallest lexicographic centre/site list."""
    centres, _ = cuboctahedral_centres(sites)
    if not centres:
        centres = [sites[0]]
    best = None
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            cen = np.array(centres)[:, perm] * signs
            spread = np.ptp(cen, axis=0)
            if spread[0] < spread.max():
                continue
            shift = cen.min(axis=0)
            if shift.sum() % 2:
                shift[2] -= 1  # keep fcc parity (even coordinate sum)
            y = sites[:, perm] * signs - shift
            key = (tuple(sorted(map(tuple, cen - shift))),
                   tuple(sorted(map(tuple, y))))
            if best is None or key < best[0]:
                best = (key, (perm, np.array(signs), shift))
    return best[1]


def apply_frame(frame, y):
    perm, signs, shift = frame
    return np.asarray(y)[..., list(perm)] * signs - shift


def cuboctahedral_centres(sites):
    """Sites whose 12 fcc nearest-neighbour sites are all occupied."""
    nn = np.array([v for v in itertools.product((-1, 0, 1), repeat=3)
                   if sum(map(abs, v)) == 2])
    occ = set(map(tuple, sites))
    return [s for s in sites if all(tuple(s + v) in occ for v in nn)], nn


# ---------------------------------------------------------------- classification
def classify(atoms, lattice=False):
    """Kernel/staple split, motifs and bonds of an Au/S framework."""
    sym = np.array(atoms.get_chemical_symbols())
    pos = atoms.positions
    dist = atoms.get_all_distances()
    au, s_idx = np.flatnonzero(sym == "Au"), np.flatnonzero(sym == "S")
    s_nb = {i: [j for j in s_idx if dist[i, j] < AUS] for i in au}
    linear = [i for i in au if len(s_nb[i]) == 2
              and angle(pos[s_nb[i][0]], pos[i], pos[s_nb[i][1]]) > LINEAR]
    g = nx.Graph()
    g.add_nodes_from(s_idx)
    g.add_edges_from((i, j) for i in linear for j in s_nb[i])
    chains = [sorted(c) for c in nx.connected_components(g)]
    kernel = [i for i in au if i not in linear]
    fit = None
    if lattice:
        fit = fit_fcc(pos[kernel])
        occ = set(map(tuple, fit["sites"]))
        for comp in chains:
            golds = [i for i in comp if sym[i] == "Au"]
            if not golds:
                continue
            y = lattice_coords(fit, pos[golds])
            r = _round_fcc(y)
            res = np.linalg.norm((y - r) * fit["s"], axis=1)
            free = all(tuple(v) not in occ for v in r.astype(int))
            if res.mean() < LATTICE_CUT and free:
                kernel += golds
                occ |= set(map(tuple, r.astype(int)))
        kernel = sorted(kernel)
        fit = fit_fcc(pos[kernel])
    staple = [i for i in au if i not in kernel]
    g = nx.Graph()
    g.add_nodes_from(s_idx)
    g.add_edges_from((i, j) for i in staple for j in s_nb[i])
    motifs = []
    for comp in nx.connected_components(g):
        golds = sorted(i for i in comp if sym[i] == "Au")
        sulfurs = sorted(i for i in comp if sym[i] == "S")
        ring = bool(golds) and len(sulfurs) == len(golds)
        motifs.append(dict(au=golds, s=sulfurs, ring=ring,
                           name=NAMES[len(golds)] + ("-ring" if ring else "")))
    return dict(sym=sym, pos=pos, dist=dist, kernel=kernel, staple=staple, s=list(s_idx),
                s_nb=s_nb, motifs=motifs, fit=fit, linear=linear)


def inventory(c):
    count = Counter(m["name"] for m in c["motifs"])
    order = sorted(count, key=lambda n: (NAMES.index(n.split("-")[0]), n))
    return ", ".join(f"{n}:{count[n]}" for n in order)


# ---------------------------------------------------------------- measurements
def measure(c):
    """Distances, angles, anchors and heights of one classified framework."""
    sym, pos, dist = c["sym"], c["pos"], c["dist"]
    kernel, staple = set(c["kernel"]), set(c["staple"])
    out = {}
    kl = sorted(kernel)
    kk = [dist[i, j] for i, j in itertools.combinations(kl, 2) if dist[i, j] < AUAU]
    out["AuAu_kernel"] = kk
    out["AuS_staple"] = [dist[i, j] for i in staple for j in c["s_nb"][i]]
    out["AuS_kernel"] = [dist[i, j] for i in kernel for j in c["s_nb"][i]]
    out["SAuS_staple"] = [angle(pos[c["s_nb"][i][0]], pos[i], pos[c["s_nb"][i][1]])
                          for i in staple if len(c["s_nb"][i]) == 2]
    out["SAuS_kernel"] = [angle(pos[c["s_nb"][i][0]], pos[i], pos[c["s_nb"][i][1]])
                          for i in kernel if len(c["s_nb"][i]) == 2]
    au_s = {j: [i for i in c["s_nb"] if j in c["s_nb"][i]] for j in c["s"]}
    kinds = {"K-S-St": [], "St-S-St": [], "K-S-K": [], "other": []}
    for j, golds in au_s.items():
        for i1, i2 in itertools.combinations(golds, 2):
            ks = (i1 in kernel) + (i2 in kernel)
            key = {2: "K-S-K", 1: "K-S-St", 0: "St-S-St"}[ks]
            kinds[key].append(angle(pos[i1], pos[j], pos[i2]))
    out["AuSAu"] = kinds
    # anchors: kernel atoms bound to the ends of each staple chain, and to bridging SR
    anchors = {}
    for m in c["motifs"]:
        anchor = sorted({i for j in m["s"] for i in au_s[j] if i in kernel})
        anchors.setdefault(m["name"], []).append(
            (anchor, [dist[p, q] for p, q in itertools.combinations(anchor, 2)]))
    out["anchors"] = anchors
    kernel_s = Counter(len(c["s_nb"][i]) for i in kernel)
    out["kernel_S"] = dict(sorted(kernel_s.items()))
    # heights above the kernel convex hull
    hull = ConvexHull(pos[kl])
    eq = hull.equations  # n.x + b <= 0 inside

    def height(x):
        return float(np.max(eq[:, :3] @ x + eq[:, 3]))

    s_kind = {}
    for j, golds in au_s.items():
        ks = sum(i in kernel for i in golds)
        s_kind[j] = {2: "bridging", 1: "terminal", 0: "middle"}.get(ks, "other")
    out["S_height"] = {k: [height(pos[j]) for j in s_kind if s_kind[j] == k]
                       for k in ("bridging", "terminal", "middle")}
    out["Au_staple_height"] = [height(pos[i]) for i in staple]
    out["S_kind"] = s_kind
    return out


def summary_row(name, c, m):
    return (f"| `{name}` | {len(c['kernel'])} | {inventory(c)} | "
            f"{sum(v for k, v in m['kernel_S'].items() if k)} "
            f"({', '.join(f'{v}×{k}S' for k, v in m['kernel_S'].items())}) | "
            f"{stats(m['AuAu_kernel'])} | {stats(m['AuS_kernel'])} | "
            f"{stats(m['AuS_staple'])} | {stats(m['SAuS_staple'], '{:.0f}')} |")


def detail(name, c, m):
    lines = [f"### {name}", ""]
    lines.append(f"* motifs: {inventory(c)}; kernel Au{len(c['kernel'])}; staple Au "
                 f"{len(c['staple'])}; kernel Au with 0/1/2/3 S: {m['kernel_S']}")
    lines.append(f"* kernel Au–Au (< {AUAU}): {stats(m['AuAu_kernel'])}")
    lines.append(f"* Au–S kernel {stats(m['AuS_kernel'])}; Au–S staple "
                 f"{stats(m['AuS_staple'])}")
    lines.append(f"* S–Au–S staple {stats(m['SAuS_staple'], '{:.0f}')}; kernel Au with 2 S "
                 f"{stats(m['SAuS_kernel'], '{:.0f}')}")
    k = m["AuSAu"]
    lines.append(f"* Au–S–Au: kernel–S–staple {stats(k['K-S-St'], '{:.0f}')}; "
                 f"staple–S–staple {stats(k['St-S-St'], '{:.0f}')}; "
                 f"kernel–S–kernel (bridging) {stats(k['K-S-K'], '{:.0f}')}")
    for motif, items in sorted(m["anchors"].items()):
        d = [x for _, ds in items for x in ds]
        n_anchor = Counter(len(a) for a, _ in items)
        lines.append(f"* {motif}: kernel anchors per motif {dict(n_anchor)}; "
                     f"anchor–anchor distance {stats(d)}")
    h = m["S_height"]
    lines.append(f"* height above kernel hull: S bridging {stats(h['bridging'])}; "
                 f"S terminal {stats(h['terminal'])}; S middle {stats(h['middle'])}; "
                 f"staple Au {stats(m['Au_staple_height'])}")
    return lines


# ---------------------------------------------------------------- special analyses
def ideal_icosahedron():
    """The 12 vertices (0,±1,±φ), (±1,±φ,0), (±φ,0,±1); edge length 2."""
    return np.array([p for s1 in (1, -1) for s2 in (1, -1)
                     for p in ([0, s1, s2 * PHI], [s1, s2 * PHI, 0], [s2 * PHI, 0, s1])],
                    dtype=float)


def vertex_label(v):
    """'(0,+1,+φ)'-style label of an ideal vertex."""
    def one(x):
        if abs(x) < 1e-9:
            return "0"
        sign = "+" if x > 0 else "-"
        return sign + ("φ" if abs(abs(x) - PHI) < 1e-6 else "1")
    return "(" + ",".join(one(x) for x in v) + ")"


def icosahedral_rotations():
    """The 60 proper rotations mapping the ideal icosahedron onto itself."""
    v = ideal_icosahedron()
    out = []
    for i, j in itertools.permutations(range(12), 2):
        if abs(np.linalg.norm(v[i] - v[j]) - 2) > 1e-6:
            continue
        a = np.array([v[0], v[1], np.cross(v[0], v[1])])
        b = np.array([v[i], v[j], np.cross(v[i], v[j])])
        rot = np.linalg.solve(a, b).T           # rot @ v[0] = v[i], rot @ v[1] = v[j]
        if np.linalg.det(rot) > 0 and np.allclose(rot @ rot.T, np.eye(3), atol=1e-6):
            out.append(rot)
    return out


def th_asymmetry(x, sym):
    """RMS displacement between x and its images under the generators of Th."""
    from scipy.optimize import linear_sum_assignment
    ops = [np.diag([-1, 1, 1]), np.diag([1, -1, 1]), np.diag([1, 1, -1]),
           np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]])]
    total = 0.0
    for op in ops:
        y = x @ op.T
        for e in ("Au", "S"):
            m = sym == e
            cost = np.linalg.norm(x[m][:, None] - y[m][None], axis=2) ** 2
            r, c_ = linear_sum_assignment(cost)
            total += cost[r, c_].sum()
    return np.sqrt(total / (4 * len(x)))


def icosahedron_frame(pos, centre, shell):
    """Rotation taking the shell to the ideal icosahedron (0,±1,±φ) frame; (R, mapping)."""
    raw = ideal_icosahedron()
    ideal = raw / np.linalg.norm(raw[0])
    x = pos[shell] - pos[centre]
    r = np.linalg.norm(x, axis=1).mean()
    best = None
    for i, j in itertools.permutations(range(12), 2):
        if abs(np.linalg.norm(x[i] - x[j]) / r - 1.05) > 0.2:
            continue
        for a, b in ((0, 1), ):  # (0,1,φ) and (1,φ,0) are bonded neighbours
            u, _, vt = np.linalg.svd(np.array([x[i], x[j], np.cross(x[i], x[j])]).T
                                     @ np.array([ideal[a], ideal[b],
                                                 np.cross(ideal[a], ideal[b])]) * 1.0)
            rot = vt.T @ u.T
            if np.linalg.det(rot) < 0:
                continue
            y = x @ rot.T / r
            cost = np.linalg.norm(y[:, None] - ideal[None], axis=2)
            from scipy.optimize import linear_sum_assignment
            row, col = linear_sum_assignment(cost)
            val = cost[row, col].sum()
            if best is None or val < best[0]:
                best = (val, rot, col)
    _, rot, col = best
    return rot, col, ideal, r


def au25_section(name, c, m):
    pos, dist = c["pos"], c["dist"]
    kernel = c["kernel"]
    centre = max(kernel, key=lambda i: (dist[i, kernel] < AUAU).sum())
    shell = [i for i in kernel if i != centre]
    rot, col, ideal, r = icosahedron_frame(pos, centre, shell)
    raw = ideal_icosahedron()
    # the icosahedron fixes the frame only up to its 60 rotations; pick the one in which
    # the whole Au/S framework is closest to pyritohedral (Th: mirrors x=0, y=0, z=0, C3)
    x0 = (pos - pos[centre]) @ rot.T
    best = None
    for g in icosahedral_rotations():
        err = th_asymmetry(x0 @ g.T, c["sym"])
        if best is None or err < best[0]:
            best = (err, g)
    th_err, g = best
    rot = g @ rot
    y = (pos[shell] - pos[centre]) @ rot.T / r
    from scipy.optimize import linear_sum_assignment
    col = linear_sum_assignment(np.linalg.norm(y[:, None] - ideal[None], axis=2))[1]
    vertex = {shell[k]: col[k] for k in range(12)}
    cs = [dist[centre, i] for i in shell]
    ss = [dist[i, j] for i, j in itertools.combinations(shell, 2) if dist[i, j] < AUAU]
    second = [dist[i, j] for i, j in itertools.combinations(shell, 2)
              if AUAU <= dist[i, j] < 5.3]
    lines = [f"#### {name}: icosahedral geometry", "",
             f"* centre–shell {stats(cs)}; shell–shell edges {stats(ss)} "
             f"(edge/radius {np.mean(ss) / np.mean(cs):.3f}, ideal 1.051); shell "
             f"second neighbours {stats(second)} (ideal φ × edge)",
             f"* frame: of the 60 icosahedron-preserving frames, the one closest to Th "
             f"(mirrors x=0, y=0, z=0 and C3 x→y→z); residual asymmetry {th_err:.2f} Å rms"]
    au_s = {j: [i for i in c["s_nb"] if j in c["s_nb"][i]] for j in c["s"]}
    lines.append("* the 6 dimeric staples in the frame where the shell is the ideal icosahedron "
                 "(0,±1,±φ), (±1,±φ,0), (±φ,0,±1) centred at the origin; atom coordinates in Å "
                 "(S_end bound to anchor A, Au, S_mid, Au, S_end bound to anchor B):")
    lines.append("")
    lines.append("| anchor A | anchor B | A–B Å | S_end(A) | Au | S_mid | Au | S_end(B) |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for mo in c["motifs"]:
        if mo["name"] != "dimer":
            continue
        ends = [j for j in mo["s"] if any(i in kernel for i in au_s[j])]
        mid = [j for j in mo["s"] if j not in ends][0]
        anchor = {j: [i for i in au_s[j] if i in kernel][0] for j in ends}
        ends.sort(key=lambda j: tuple(raw[vertex[anchor[j]]]))
        chain = [ends[0]]
        chain.append([i for i in mo["au"] if ends[0] in c["s_nb"][i]][0])
        chain.append(mid)
        chain.append([i for i in mo["au"] if ends[1] in c["s_nb"][i]][0])
        chain.append(ends[1])
        xyz = (pos[chain] - pos[centre]) @ rot.T

        def fmt(v):
            return "({:+.2f},{:+.2f},{:+.2f})".format(*v)
        a, b = anchor[ends[0]], anchor[ends[1]]
        lines.append(f"| {vertex_label(raw[vertex[a]])} | {vertex_label(raw[vertex[b]])} | "
                     f"{dist[a, b]:.2f} | " + " | ".join(fmt(v) for v in xyz) + " |")
    return lines


def au38_section(name, c, m):
    pos, dist = c["pos"], c["dist"]
    kernel = c["kernel"]
    coord = {i: (dist[i, kernel] < AUAU).sum() - 1 for i in kernel}
    centres = sorted(kernel, key=lambda i: -coord[i])[:2]
    axis = pos[centres[1]] - pos[centres[0]]
    axis /= np.linalg.norm(axis)
    mid = pos[centres].mean(0)
    ref = np.cross(axis, [1, 0, 0]) if abs(axis[0]) < 0.9 else np.cross(axis, [0, 1, 0])
    ref /= np.linalg.norm(ref)
    ref2 = np.cross(axis, ref)

    def cyl(i):
        v = pos[i] - mid
        return v @ axis, np.degrees(np.arctan2(v @ ref2, v @ ref)) % 360

    others = sorted((i for i in kernel if i not in centres), key=lambda i: cyl(i)[0])
    layers, cur = [], [others[0]]
    for i in others[1:]:
        if cyl(i)[0] - cyl(cur[-1])[0] > 0.5:
            layers.append(cur)
            cur = []
        cur.append(i)
    layers.append(cur)
    lines = [f"#### {name}: bi-icosahedral Au23 kernel", "",
             f"* centre–centre {dist[centres[0], centres[1]]:.2f} Å "
             f"(centres at z = ±{dist[centres[0], centres[1]] / 2:.2f}); kernel layers along "
             "the centre–centre (3-fold) axis, z in Å: azimuths in degrees"]
    for lay in layers:
        z = np.mean([cyl(i)[0] for i in lay])
        lines.append(f"  * z = {z:+.2f} ({len(lay)} Au): "
                     + ", ".join(f"{cyl(i)[1]:.0f}" for i in sorted(lay, key=lambda i: cyl(i)[1])))
    for k in range(len(layers) // 2):
        lo, hi = layers[k], layers[-1 - k]
        a1 = np.sort([cyl(i)[1] % 120 for i in lo])
        a2 = np.sort([cyl(i)[1] % 120 for i in hi])
        d = (np.mean(a2) - np.mean(a1) + 60) % 120 - 60
        lines.append(f"  * layer pair z = {np.mean([cyl(i)[0] for i in lo]):+.2f} / "
                     f"{np.mean([cyl(i)[0] for i in hi]):+.2f}: azimuth offset {d:+.0f}° "
                     "(0 = eclipsed, mirror plane through the shared face; ±60 = staggered)")
    au_s = {j: [i for i in c["s_nb"] if j in c["s_nb"][i]] for j in c["s"]}
    layer_of = {i: k for k, lay in enumerate(layers) for i in lay}
    for mo in c["motifs"]:
        anchor = sorted({i for j in mo["s"] for i in au_s[j] if i in kernel})
        z = np.mean([cyl(i)[0] for i in mo["au"]])
        lines.append(f"  * {mo['name']}: staple Au at z = {z:+.2f}; anchors in layers "
                     f"{[layer_of.get(i, 'centre') for i in anchor]} (0 = lowest), anchor "
                     f"distance {dist[anchor[0], anchor[1]]:.2f} Å")
    return lines


def fcc_section(name, c):
    fit = c["fit"]
    frame = chain_frame(fit["sites"])
    frac = apply_frame(frame, lattice_coords(fit, c["pos"]))
    kernel = c["kernel"]
    site = {i: tuple(int(v) for v in _round_fcc(frac[[i]])[0]) for i in kernel}
    sites = np.array(sorted(site.values()))
    centres, nn = cuboctahedral_centres(sites)
    occ = set(map(tuple, sites))
    union = set()
    for cen in centres:
        union |= {tuple(cen)} | {tuple(cen + v) for v in nn}

    def fmt(v):
        return "(" + ",".join(str(int(x)) for x in v) + ")"

    def ffmt(v):
        return "(" + ",".join(f"{x:.2f}" for x in v) + ")"

    lines = [f"#### {name}: fcc kernel", "",
             f"* kernel Au{len(kernel)} fitted to fcc: a = {fit['a']:.3f} Å "
             f"(bulk Au 4.078), rms deviation {fit['rms']:.2f} Å, max {fit['resid'].max():.2f} Å",
             f"* sites (integer units of a/2, centres along +x): " + " ".join(fmt(v) for v in sites),
             f"* fully coordinated (cuboctahedron-centre) sites: {len(centres)} "
             + " ".join(fmt(v) for v in centres)
             + f"; union of their centred cuboctahedra = kernel: {union == occ} "
             f"({len(union)} vs {len(occ)} sites)"]
    au_s = {j: [i for i in c["s_nb"] if j in c["s_nb"][i]] for j in c["s"]}
    s_count = Counter()
    for i in kernel:
        s_count[len(c["s_nb"][i])] += 1
    lines.append("* S-bearing kernel sites (number of S): " + " ".join(
        f"{fmt(site[i])}×{len(c['s_nb'][i])}" for i in sorted(kernel, key=lambda i: site[i])
        if c["s_nb"][i]))
    for mo in c["motifs"]:
        anchors = sorted({i for j in mo["s"] for i in au_s[j] if i in kernel},
                         key=lambda i: site[i])
        atoms_ = " ".join(f"{c['sym'][i]}{ffmt(frac[i])}" for i in mo["s"] + mo["au"])
        lines.append(f"  * {mo['name']}: anchors {' '.join(fmt(site[i]) for i in anchors)}; "
                     f"atoms (a/2 units) {atoms_}")
    return lines


def anchor_vectors(c):
    """Per motif type: lattice vectors |Δ| (a/2 units, sorted) between its kernel anchors."""
    fit = c["fit"]
    kernel = set(c["kernel"])
    au_s = {j: [i for i in c["s_nb"] if j in c["s_nb"][i]] for j in c["s"]}
    out = {}
    for mo in c["motifs"]:
        anchors = sorted({i for j in mo["s"] for i in au_s[j] if i in kernel})
        if len(anchors) != 2:
            continue
        y = _round_fcc(lattice_coords(fit, c["pos"][anchors]))
        v = tuple(int(x) for x in sorted(np.abs(y[1] - y[0]), reverse=True))
        out.setdefault(mo["name"], Counter())[v] += 1
    return "; ".join(f"{k}: " + ", ".join(f"{n}×({a},{b},{c_})" for (a, b, c_), n in v.items())
                     for k, v in sorted(out.items()))


def main():
    names = sorted(p.stem for p in REF.glob("*.xyz"))
    names = [n for n in names if n != "au102_sr44_xtal"] + ["au102_sr44_xtal"]
    print("## Summary (framework Au+S only)\n")
    print("Kernel = non-linear Au (plus, for fcc clusters, Au of linear units sitting on fcc"
          " lattice sites). Values: mean (min–max, n).\n")
    print("| structure | kernel Au | motifs | kernel Au bearing S | kernel Au–Au | "
          "Au–S kernel | Au–S staple | S–Au–S staple |")
    print("|---|---|---|---|---|---|---|---|")
    results = {}
    for n in names:
        c = classify(framework(REF / f"{n}.xyz"), lattice=n in FCC)
        m = measure(c)
        results[n] = (c, m)
        print(summary_row(n, c, m))
    print("\n## Details\n")
    for n in names:
        c, m = results[n]
        print("\n".join(detail(n, c, m)))
        if n.startswith("au25"):
            print()
            print("\n".join(au25_section(n, c, m)))
        if n.startswith("au38") and not n.endswith("_b"):
            print()
            print("\n".join(au38_section(n, c, m)))
        if n in FCC:
            print()
            print("\n".join(fcc_section(n, c)))
            print(f"* anchor-pair lattice vectors |Δ| (a/2 units): {anchor_vectors(c)}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
