"""Adsorption sites on exposed metal atoms, adsorbate placement and E_ads screening.

A metal atom is *exposed* when a probe at bonding distance (2 A) fits beside it in some
direction without coming closer than ~2.2 A to any other atom: staple Au between its two
S, kernel Au in gaps of the ligand shell, every surface atom of a bare cluster.  Sites are
the exposed atoms (top), bonded pairs (bridge) and mutually bonded triples (hollow)
whose own probe position is clear; they are grouped by the framework symmetry
(:mod:`clustergen.core.orbits`) and each group is placed once, with its orbit size as
``multiplicity``.  The adsorbate's anchor atom sits on the outward normal at a typical
bond length (``templates/adsorbates.yaml``); E_ads = E(cluster+ads) - E(cluster) - E(ads)
with every energy from the same relaxation engine (:func:`clustergen.compute.relax.relax`).

>>> from ase.cluster import Icosahedron
>>> sites = adsorption_sites(Icosahedron("Au", 2))
>>> [(s["kind"], s["multiplicity"]) for s in sites]
[('top', 12), ('bridge', 30), ('hollow', 20)]
"""

import itertools
import os

import numpy as np
from ase import Atoms
from ase.data import covalent_radii

from clustergen.analysis.sites import kernel_indices, metal_indices, site_classes
from clustergen.core.bonds import bond_matrix, pair_cutoff
from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError
from clustergen.core.identity import electron_count, lowest_multiplicity
from clustergen.core.orbits import framework_permutations, tuple_orbits
from clustergen.core.rotations import fibonacci_sphere, rotation_onto

KINDS = ("top", "bridge", "hollow")
PROBE = 2.0          # A: anchor-metal distance used to test whether a site is open
CLEARANCE = 2.2      # A: the probe must stay this far from every non-site atom...
CLEARANCE_SCALE = 1.1  # ...and 1.1 x (covalent radii of the atom and C) from heavy ones
MIN_OPEN = 0.03      # fraction of directions that must be open for an atom to be exposed


def _clearance(atoms):
    """Per-atom distance a probe anchor must keep (carbon-sized probe)."""
    return np.maximum(CLEARANCE,
                      CLEARANCE_SCALE * (covalent_radii[atoms.numbers] + covalent_radii[6]))


def _is_clear(atoms, point, exclude, clearance):
    d = np.linalg.norm(atoms.positions - point, axis=1)
    d[list(exclude)] = np.inf
    return bool(np.all(d >= clearance))


def _openness(atoms, i, probe=PROBE, directions=256):
    """Open fraction of the directions around atom ``i`` and its most open direction.

    A direction is open when a probe ``probe`` A away keeps its clearance from every
    other atom; the most open direction averages the directions within 0.1 A of the
    largest margin, so it does not jump between sample points."""
    dirs = fibonacci_sphere(directions)
    probes = atoms.positions[i] + probe * dirs
    d = np.linalg.norm(probes[:, None, :] - atoms.positions[None, :, :], axis=2)
    margin = d - _clearance(atoms)[None, :]
    margin[:, i] = np.inf
    margin = margin.min(axis=1)
    best = dirs[margin >= margin.max() - 0.1].sum(axis=0)
    return float((margin >= 0).mean()), best / np.linalg.norm(best)


def exposed_atoms(atoms, probe=PROBE, min_open=MIN_OPEN, indices=None):
    """Exposed metal atoms and their most open directions: ``{index: unit vector}``.

    >>> from ase.cluster import Icosahedron
    >>> sorted(exposed_atoms(Icosahedron("Au", 2)))[:3]
    [1, 2, 3]
    """
    out = {}
    for i in metal_indices(atoms) if indices is None else indices:
        fraction, normal = _openness(atoms, int(i), probe)
        if fraction >= min_open:
            out[int(i)] = normal
    return out


def _site_geometry(atoms, members, normals, distance):
    """Anchor position and outward normal of a site, the anchor ``distance`` from each
    member atom: top along the atom's most open direction; bridge on the circle around
    the bond where the anchor is farthest from other atoms; hollow on the side of the
    triangle where it is.  (None, None) when nothing is open."""
    pos = atoms.positions[list(members)]
    if len(members) == 1:
        n = normals[members[0]]
        return pos[0] + distance * n, n
    if len(members) == 2:
        bond = pos[1] - pos[0]
        centre, radius = pos.mean(axis=0), np.linalg.norm(bond) / 2
        u = np.cross(bond, np.eye(3)[np.argmin(np.abs(bond))])
        u /= np.linalg.norm(u)
        v = np.cross(bond / np.linalg.norm(bond), u)
        phi = np.linspace(0, 2 * np.pi, 72, endpoint=False)
        options = np.outer(np.cos(phi), u) + np.outer(np.sin(phi), v)
    else:
        a, b, c = pos
        centre = _circumcentre(a, b, c)
        radius = np.linalg.norm(a - centre)
        n = np.cross(b - a, c - a)
        options = np.array([n, -n]) / np.linalg.norm(n)
    if radius >= distance:
        return None, None
    height = np.sqrt(distance ** 2 - radius ** 2)
    points = centre + height * options
    others = np.delete(np.arange(len(atoms)), list(members))
    if not len(others):  # the site's atoms are the whole cluster: every side is open
        return centre + height * options[0], options[0]
    d = np.linalg.norm(points[:, None] - atoms.positions[others][None], axis=2)
    margin = (d - _clearance(atoms)[others][None]).min(axis=1)
    if margin.max() < 0:
        return None, None
    n = options[margin >= margin.max() - 0.05].sum(axis=0)  # middle of the opening
    if np.linalg.norm(n) < 1e-6:  # open on opposite sides (a flat cluster): take one
        n = options[int(np.argmax(margin))]
    n /= np.linalg.norm(n)
    return centre + height * n, n


def _circumcentre(a, b, c):
    ab, ac = b - a, c - a
    w = np.cross(ab, ac)
    return a + (np.cross(w, ab) * (ac @ ac) + np.cross(ac, w) * (ab @ ab)) / (2 * (w @ w))


def adsorption_sites(atoms, kinds=KINDS, tolerance=0.3, probe=PROBE, method="geometry"):
    """Symmetry-distinct open adsorption sites.

    Returns dicts (top sites first, then bridge, hollow): ``kind``, ``atoms`` (metal
    indices), ``position`` (probe anchor), ``normal``, ``multiplicity`` (size of its
    symmetry orbit), ``site_class`` (classes of its metal atoms joined by ``+``),
    ``elements`` (e.g. ``"Au-Pt"``) and ``dopant_distance`` (anchor to the nearest
    dopant atom, None without dopants).

    >>> from ase import Atoms
    >>> au4 = Atoms("Au4", positions=[[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    >>> au4.positions *= 2.9 / (2 * 2 ** 0.5)
    >>> [(s["kind"], s["multiplicity"]) for s in adsorption_sites(au4)]
    [('top', 4), ('bridge', 6), ('hollow', 4)]
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ClusterGenError(f"unknown site kind(s) {sorted(unknown)}; known: "
                              f"{', '.join(KINDS)}")
    metals = [int(i) for i in metal_indices(atoms)]
    if not metals:
        raise ClusterGenError("structure has no metal atoms")
    bonded = bond_matrix(atoms, "covalent")  # bridge and hollow atoms bond each other
    candidates = {"top": [(i,) for i in metals],
                  "bridge": [p for p in itertools.combinations(metals, 2) if bonded[p]],
                  "hollow": [t for t in itertools.combinations(metals, 3)
                             if all(bonded[a, b] for a, b in itertools.combinations(t, 2))]}
    clearance = _clearance(atoms)
    classes = _classes_or_none(atoms)
    host = atoms.info.get("host", "Au")
    symbols = np.array(atoms.get_chemical_symbols())
    dopants = [i for i in metals if symbols[i] != host]
    kernel = kernel_indices(atoms) if method == "graph" else None
    images = framework_permutations(atoms, tolerance=tolerance, method=method, kernel=kernel)
    normals = {}  # exposed atom -> most open direction, filled as needed

    def normal(i):
        if i not in normals:
            normals[i] = exposed_atoms(atoms, probe, indices=[i]).get(i)
        return normals[i]

    out = []
    for kind in KINDS:
        if kind not in kinds:
            continue
        # the representative of each symmetry orbit decides for the whole orbit, so
        # equivalent sites never split over sampling noise
        for orbit in tuple_orbits(images, candidates[kind]):
            members = orbit[0]
            if any(normal(m) is None for m in members):
                continue
            point, n = _site_geometry(atoms, members, normals, probe)
            if point is None or not _is_clear(atoms, point, members, clearance):
                continue
            site_class = "+".join(sorted({classes[m] for m in members},
                                         key=("centre", "kernel-surface",
                                              "staple").index)) if classes else ""
            out.append({
                "kind": kind, "atoms": tuple(int(m) for m in members), "position": point,
                "normal": n, "multiplicity": len(orbit), "site_class": site_class,
                "elements": "-".join(sorted(symbols[list(members)])),
                "dopant_distance": float(min(np.linalg.norm(atoms.positions[dopants]
                                                            - point, axis=1)))
                if dopants else None})
    if not out:
        raise ClusterGenError("no open adsorption site: every metal is covered by the "
                              "ligand shell")
    return out


def _classes_or_none(atoms):
    try:
        return site_classes(atoms)
    except ClusterGenError:
        return None


# ---------------------------------------------------------------------- adsorbates

def adsorbates():
    """Built-in adsorbates from ``templates/adsorbates.yaml``.

    >>> sorted(adsorbates())
    ['CO', 'H', 'O', 'OH']
    """
    return dict(load("adsorbates.yaml")["adsorbates"])


def adsorbate_spec(name, anchor=0):
    """Adsorbate spec (atoms in its own frame, distances, tilt, electrons, multiplicity)
    for a built-in name or an xyz file, whose atom ``anchor`` binds the metal and whose
    other atoms are turned to point away (along +z) from it.

    >>> adsorbate_spec("CO")["distance"]["top"]
    1.98
    """
    table = adsorbates()
    if name in table:
        if anchor:
            raise ClusterGenError(f"anchor {anchor} given, but built-in {name} has its own "
                                  "(an anchor applies to an xyz adsorbate)")
        return table[name]
    if not os.path.exists(name):
        raise ClusterGenError(f"unknown adsorbate '{name}' (built in: "
                              f"{', '.join(sorted(table))}; or give an xyz file)")
    from clustergen.core.validate import read_structures
    mol = read_structures(name, "adsorbate file")[0]
    if not 0 <= anchor < len(mol):
        raise ClusterGenError(f"anchor {anchor} out of range for the {len(mol)} atoms "
                              f"of '{name}'")
    pos = mol.positions - mol.positions[anchor]
    rest = np.delete(pos, anchor, axis=0)
    axis = rest.mean(axis=0) if len(rest) else np.array([0.0, 0.0, 1.0])
    if np.linalg.norm(axis) < 1e-6:
        axis = np.array([0.0, 0.0, 1.0])
    pos = pos @ rotation_onto(axis / np.linalg.norm(axis), np.array([0.0, 0.0, 1.0])).T
    # bond length from covalent radii, with a gold-sized partner
    bond = covalent_radii[mol.numbers[anchor]] + covalent_radii[79]
    electrons = int(mol.numbers.sum()) % 2  # a radical binds one electron
    return {"atoms": [[s, *p] for s, p in zip(mol.get_chemical_symbols(), pos.tolist())],
            "distance": {"top": bond, "bridge": bond + 0.1, "hollow": bond + 0.2},
            "tilt": 0, "electrons": electrons,
            "multiplicity": lowest_multiplicity(electron_count(mol, 0)),
            "name": os.path.splitext(os.path.basename(name))[0]}


def free_adsorbate(spec, name):
    """The isolated adsorbate as a candidate (its energy is the E_ads reference).

    >>> o = free_adsorbate(adsorbate_spec("O"), "O")
    >>> o.get_chemical_formula(), o.info["multiplicity"]
    ('O', 3)
    """
    symbols = [a[0] for a in spec["atoms"]]
    mol = Atoms(symbols, positions=[a[1:] for a in spec["atoms"]])
    mol.set_array("role", np.array(["ligand"] * len(mol), dtype="U8"))
    mol.info.update(formula=name, charge=0, multiplicity=int(spec["multiplicity"]),
                    isomer=f"free:{name}", adsorbate=name)
    return mol


def place(atoms, site, spec, name="ads"):
    """``atoms`` + the adsorbate on ``site`` (from :func:`adsorption_sites`).

    The anchor goes on the site normal at the spec's distance for the site kind; the
    molecule points along the normal, tilted by ``spec["tilt"]`` at top sites toward the
    most open side.  Charge is kept, N* drops by the electrons the adsorbate binds, and
    the spin multiplicity is the lowest allowed.

    >>> from ase.cluster import Icosahedron
    >>> au13 = Icosahedron("Au", 2)
    >>> top = adsorption_sites(au13, kinds=("top",))[0]
    >>> co = place(au13, top, adsorbate_spec("CO"), "CO")
    >>> co.get_chemical_formula(), round(float(co.get_distance(top["atoms"][0], 13)), 2)
    ('CAu13O', 1.98)
    """
    kind = site["kind"]
    members = atoms.positions[list(site["atoms"])]
    n = np.asarray(site["normal"])
    pos = np.array([a[1:] for a in spec["atoms"]], dtype=float)
    symbols = [a[0] for a in spec["atoms"]]
    distance = float(spec["distance"][kind])
    if kind == "top":
        anchor = members[0] + distance * n
    else:  # same construction as the site, at this adsorbate's distance
        centre = members.mean(axis=0) if kind == "bridge" else _circumcentre(*members)
        radius = np.linalg.norm(members[0] - centre)
        anchor = centre + np.sqrt(max(distance ** 2 - radius ** 2, 0.25)) * n
    best = None
    tilt = np.radians(spec.get("tilt", 0) if kind == "top" else 0)
    perp = np.cross(n, np.eye(3)[np.argmin(np.abs(n))])
    perp /= np.linalg.norm(perp)
    for phi in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        side = np.cos(phi) * perp + np.sin(phi) * np.cross(n, perp)
        axis = np.cos(tilt) * n + np.sin(tilt) * side
        placed = anchor + pos @ rotation_onto(np.array([0.0, 0.0, 1.0]), axis).T
        gap = np.linalg.norm(placed[:, None] - atoms.positions[None], axis=2).min()
        if best is None or gap > best[0] + 1e-6:
            best = (gap, placed)
        if tilt == 0 and len(pos) <= 2:
            break  # linear or atomic adsorbate on the normal: azimuth does not matter
    out = atoms.copy()
    ads = Atoms(symbols, positions=best[1])
    n_old = len(out)
    out += ads
    roles = list(atoms.arrays.get("role", ["kernel"] * n_old)) + ["ligand"] * len(ads)
    out.set_array("role", np.array(roles, dtype="U8"))
    charge = int(atoms.info.get("charge", 0))
    label = "[" + ",".join(str(m) for m in site["atoms"]) + "]"
    out.info.update(
        charge=charge, multiplicity=lowest_multiplicity(electron_count(out, charge)),
        formula=f"{atoms.info.get('formula', atoms.get_chemical_formula())}+{name}",
        adsorbate=name, site_kind=kind, site_atoms=label,
        adsorbate_atoms="[" + ",".join(str(k) for k in range(n_old, len(out))) + "]",
        site_class=site["site_class"], site_multiplicity=int(site["multiplicity"]),
        isomer=f"{atoms.info.get('isomer', 'x')}:{name}@{kind}{label}")
    if "nstar" in atoms.info:
        out.info["nstar"] = int(atoms.info["nstar"]) - int(spec.get("electrons", 0))
    return out


def final_site(atoms, anchor, metals=None):
    """``top``, ``bridge`` or ``hollow`` by how many metal atoms bond to the anchor
    (bond rule ``loose``: within 1.25 x covalent radii); ``desorbed`` for none.

    >>> from ase import Atoms
    >>> final_site(Atoms("Au2H", positions=[[0, 0, 0], [2.9, 0, 0], [1.45, 1.0, 0]]), 2)
    'bridge'
    """
    metals = metal_indices(atoms) if metals is None else metals
    symbols = atoms.get_chemical_symbols()
    reach = [pair_cutoff("loose", symbols[m], symbols[anchor]) for m in metals]
    d = np.linalg.norm(atoms.positions[metals] - atoms.positions[anchor], axis=1)
    bonded = int((d < np.array(reach)).sum())
    return {0: "desorbed", 1: "top", 2: "bridge"}.get(bonded, "hollow")


# ------------------------------------------------------------------------ screening

def screen(atoms, adsorbate="CO", kinds=KINDS, relax=None, anchor=0, tolerance=0.3,
           method="geometry", **relax_options):
    """Place ``adsorbate`` on every distinct site of ``atoms``; with ``relax`` (a
    callable like :func:`clustergen.screen.dopants.relax_configurations`, or True for it)
    relax cluster, free adsorbate and every complex and report E_ads.

    Returns ``(rows, structures)``: one row per site (id, adsorbate, site, atoms,
    site_class, elements, multiplicity, dopant_distance, final_site, energy, e_ads, gap,
    status) sorted by E_ads when relaxed, and the placed (relaxed) complexes.

    >>> from ase.cluster import Icosahedron
    >>> rows, placed = screen(Icosahedron("Au", 2), "OH")
    >>> [(r["site"], r["multiplicity"]) for r in rows]
    [('top', 12), ('bridge', 30), ('hollow', 20)]
    >>> rows, placed = screen(cluster, "CO", relax=True, db="co.db")  # doctest: +SKIP
    """
    spec = adsorbate_spec(adsorbate, anchor)
    name = spec.get("name", adsorbate)
    sites = adsorption_sites(atoms, kinds, tolerance=tolerance, method=method)
    placed = [place(atoms, s, spec, name) for s in sites]
    rows = []
    results = [None] * len(placed)
    e_ref = None
    if relax:
        if relax is True:
            from clustergen.screen.dopants import relax_configurations
            engine = lambda cs: relax_configurations(cs, **relax_options)  # noqa: E731
        else:
            engine = relax
        clean = atoms.copy()
        done = engine([clean, free_adsorbate(spec, name)] + placed)
        (cluster, free), results = done[:2], done[2:]
        e_ref = _energy(cluster), _energy(free)
    for k, (site, start, res) in enumerate(zip(sites, placed, results)):
        row = {"id": f"s{k + 1}", "adsorbate": name, "site": site["kind"],
               "atoms": start.info["site_atoms"], "site_class": site["site_class"],
               "elements": site["elements"], "multiplicity": site["multiplicity"],
               "dopant_distance": site["dopant_distance"], "final_site": None,
               "energy": None, "e_ads": None, "gap": None,
               "status": "not-relaxed" if not relax else "failed"}
        if res is not None:
            # a complex whose adsorbate moved off (topology-changed, final_site tells
            # where it went) still has a meaningful E_ads; only the references must be
            # intact
            e = _energy(res, accept=("converged", "not-converged", "topology-changed"))
            first = len(atoms)
            row.update(id=res.info.get("cid") or row["id"], energy=e,
                       gap=res.info.get("gap"), status=res.info.get("status", "unknown"),
                       final_site=final_site(res, first))
            if e is not None and None not in e_ref:
                row["e_ads"] = e - e_ref[0] - e_ref[1]
        rows.append(row)
    if relax:
        rows.sort(key=lambda r: (r["e_ads"] is None, r["e_ads"] or 0.0))
    return rows, [r if r is not None else p for r, p in zip(results, placed)]


def _energy(atoms, accept=("converged", "not-converged")):
    """Energy of a relaxed result, None when missing or its status is not accepted."""
    if atoms is None or atoms.info.get("energy") is None:
        return None
    if atoms.info.get("status", "converged") not in accept:
        return None
    return float(atoms.info["energy"])


COLUMNS = ("id", "adsorbate", "site", "atoms", "site_class", "elements", "multiplicity",
           "dopant_distance", "final_site", "energy", "e_ads", "gap", "status")
