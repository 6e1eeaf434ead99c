"""Adsorption sites by symmetry, adsorbate placement geometry, E_ads bookkeeping, CLI."""

import itertools

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.emt import EMT
from ase.cluster import Icosahedron, Octahedron
from ase.io import write

from clustergen.screen.adsorption import (adsorbate_spec, adsorption_sites, exposed_atoms,
                                   final_site, place, screen)
from clustergen.screen.dopants import substitute
from clustergen.core.errors import ClusterGenError
from clustergen.core.model import read_candidates, write_candidates
from dopant_structures import au13, au25_framework, run_cli


def au4():
    a = Atoms("Au4", positions=[[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    a.positions *= 2.9 / (2 * np.sqrt(2))
    return a


def au20():
    """Au20 tetrahedral pyramid (Td): 4 vertex, 12 edge and 4 face-centre atoms."""
    basis = 2.88 / np.sqrt(2) * np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]])
    pts = [p for p in itertools.product(range(4), repeat=3) if sum(p) <= 3]
    return Atoms("Au20", positions=[np.dot(p, basis) for p in pts])


def counts(sites):
    out = {}
    for s in sites:
        out.setdefault(s["kind"], []).append(s["multiplicity"])
    return {k: sorted(v) for k, v in out.items()}


@pytest.mark.parametrize("cluster, expected", [
    (au4(), {"top": [4], "bridge": [6], "hollow": [4]}),
    (Icosahedron("Au", 2), {"top": [12], "bridge": [30], "hollow": [20]}),
    # cuboctahedron: 24 equivalent edges; only the 8 triangles are 3-fold hollows
    (Octahedron("Au", 3, 1), {"top": [12], "bridge": [24], "hollow": [8]}),
])
def test_site_counts_on_bare_clusters(cluster, expected):
    assert counts(adsorption_sites(cluster)) == expected


def test_tetrahedral_au20_has_three_top_sites():
    sites = adsorption_sites(au20(), kinds=("top",))
    assert sorted(s["multiplicity"] for s in sites) == [4, 4, 12]
    # vertex, edge and face-centre atoms: 3, 6 and 9 nearest neighbours
    dist = au20().get_all_distances()
    cn = sorted(int(((dist[s["atoms"][0]] > 0.1) & (dist[s["atoms"][0]] < 3.2)).sum())
                for s in sites)
    assert cn == [3, 6, 9]
    # every surface bond and triangle, once per orbit: each Au10 face has 18 bonds and 9
    # triangles; the 6 tetrahedron edges (3 bonds each) are shared by two faces, and the
    # 6 bonds between face-centre atoms run under the surface
    all_sites = adsorption_sites(au20())
    total = {k: sum(s["multiplicity"] for s in all_sites if s["kind"] == k)
             for k in ("bridge", "hollow")}
    assert total == {"bridge": 4 * 18 - 6 * 3, "hollow": 4 * 9}
    assert int(((dist > 0.1) & (dist < 3.2)).sum() // 2) == 54 + 6


def test_centre_is_never_exposed():
    assert 0 not in exposed_atoms(Icosahedron("Au", 2))
    for s in adsorption_sites(au13()):
        assert 0 not in s["atoms"]
        assert s["site_class"] == "kernel-surface"


def test_protected_au25_exposes_staple_au_and_c3_faces():
    atoms = au25_framework()
    sites = adsorption_sites(atoms)
    kinds = {(s["kind"], s["site_class"], s["multiplicity"]) for s in sites}
    assert ("top", "staple", 12) in kinds
    # the 8 kernel faces on the C3 axes carry no staple: open hollow sites
    assert ("hollow", "kernel-surface", 8) in kinds
    # no site lets the probe touch S or H
    heavy = [i for i, r in enumerate(atoms.arrays["role"]) if r in ("S", "ligand")]
    for s in sites:
        assert np.linalg.norm(atoms.positions[heavy] - s["position"], axis=1).min() >= 2.2


def test_dopant_distance_and_elements():
    atoms = substitute(au25_framework(), [0], "Pt")  # Pt in the icosahedron centre
    for s in adsorption_sites(atoms):
        expected = np.linalg.norm(s["position"] - atoms.positions[0])
        assert s["dopant_distance"] == pytest.approx(expected)
        assert "Pt" not in s["elements"]  # the centre is covered by its shell
    assert all(s["dopant_distance"] is None for s in adsorption_sites(au25_framework()))


def test_co_on_top_is_linear_c_down():
    atoms = au13()
    site = next(s for s in adsorption_sites(atoms) if s["kind"] == "top")
    out = place(atoms, site, adsorbate_spec("CO"), "CO")
    au, c, o = site["atoms"][0], len(atoms), len(atoms) + 1
    assert out[c].symbol == "C" and out[o].symbol == "O"
    assert out.get_distance(au, c) == pytest.approx(1.98, abs=1e-6)
    assert out.get_distance(c, o) == pytest.approx(1.15, abs=1e-6)
    assert out.get_angle(au, c, o) == pytest.approx(180, abs=1)
    assert out.get_distance(0, o) > out.get_distance(0, c)  # O points away from the cluster
    assert out.info["adsorbate_atoms"] == "[13,14]" and out.info["site_kind"] == "top"
    assert list(out.arrays["role"][-2:]) == ["ligand", "ligand"]


@pytest.mark.parametrize("name, kind, bond", [("H", "bridge", 1.78), ("O", "hollow", 2.15)])
def test_multi_coordinated_sites_keep_the_bond_length(name, kind, bond):
    atoms = au13()
    site = next(s for s in adsorption_sites(atoms) if s["kind"] == kind)
    out = place(atoms, site, adsorbate_spec(name), name)
    for m in site["atoms"]:
        assert out.get_distance(m, len(atoms)) == pytest.approx(bond, abs=1e-6)
    assert final_site(out, len(atoms)) == kind


def test_oh_is_bent_and_electron_count_follows():
    atoms = au25_framework()  # [Au25(SH)18]-, 8e
    site = next(s for s in adsorption_sites(atoms) if s["kind"] == "top")
    out = place(atoms, site, adsorbate_spec("OH"), "OH")
    au, o, h = site["atoms"][0], len(atoms), len(atoms) + 1
    assert out.get_angle(au, o, h) == pytest.approx(110, abs=1)
    assert out.info["nstar"] == 7 and out.info["multiplicity"] == 2
    assert out.info["charge"] == -1
    # the H of OH stays clear of the cluster
    assert np.linalg.norm(atoms.positions - out.positions[h], axis=1).min() > 1.8


def test_user_molecule_binds_through_its_anchor(tmp_path):
    nh3 = Atoms("NH3", positions=[[0, 0, 0], [0.94, 0, 0.38], [-0.47, 0.81, 0.38],
                                  [-0.47, -0.81, 0.38]])
    path = tmp_path / "nh3.xyz"
    write(path, nh3)
    spec = adsorbate_spec(str(path), anchor=0)
    atoms = au13()
    site = next(s for s in adsorption_sites(atoms) if s["kind"] == "top")
    out = place(atoms, site, spec, spec["name"])
    au = site["atoms"][0]
    d = [out.get_distance(au, k) for k in range(13, 17)]
    assert d[0] == min(d)  # N nearest the gold, H further out
    assert d[0] == pytest.approx(0.71 + 1.36, abs=0.05)  # covalent radii sum
    # the molecule is not distorted
    assert np.allclose(np.sort(out[13:].get_all_distances().ravel()),
                       np.sort(nh3.get_all_distances().ravel()), atol=1e-6)
    with pytest.raises(ClusterGenError, match="unknown adsorbate"):
        adsorbate_spec("XYZ")
    with pytest.raises(ClusterGenError, match="anchor 9"):
        adsorbate_spec(str(path), anchor=9)


def test_eads_is_complex_minus_parts():
    """EMT single points as the engine: E_ads must be E(AB) - E(A) - E(B) per site."""
    seen = []

    def engine(structures):
        out = []
        for s in structures:
            a = s.copy()
            a.calc = EMT()
            a.info.update(energy=a.get_potential_energy(), status="converged", gap=None)
            seen.append(a.get_chemical_formula())
            out.append(a)
        return out

    rows, structures = screen(au4(), "H", relax=engine)
    assert seen[:2] == ["Au4", "H"]  # the clean cluster and the free adsorbate first
    e_cluster = engine([au4()])[0].info["energy"]
    e_h = engine([Atoms("H")])[0].info["energy"]
    assert len(rows) == 3
    for r in rows:
        assert r["e_ads"] == pytest.approx(r["energy"] - e_cluster - e_h)
    assert [r["e_ads"] for r in rows] == sorted(r["e_ads"] for r in rows)
    assert {r["final_site"] for r in rows} == {"top", "bridge", "hollow"}


def _run(argv, monkeypatch):
    return run_cli(argv, monkeypatch, "clustergen.screen.adsorption")


def test_cli_lists_sites(tmp_path, monkeypatch, capsys):
    path = tmp_path / "au25.extxyz"
    write_candidates(path, [au25_framework()])
    out = tmp_path / "co.csv"
    assert _run(["adsorb", str(path), "--adsorbate", "CO", "--format", "csv", "-o",
                 str(out), "--structures", str(tmp_path / "co.extxyz")], monkeypatch) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,adsorbate,site,atoms,site_class")
    assert len(lines) - 1 == len(adsorption_sites(au25_framework()))
    frames = read_candidates(tmp_path / "co.extxyz")
    assert all(f.get_chemical_symbols()[-2:] == ["C", "O"] for f in frames)
    assert _run(["adsorb", str(path), "--adsorbate", "XYZ"], monkeypatch) == 2
    assert _run(["adsorb", str(path), "--sites", "fourfold"], monkeypatch) == 2
    assert "unknown site kind" in capsys.readouterr().err


@pytest.mark.slow
def test_gfn1_co_on_gold_binds_moderately(tmp_path):
    """CO on an Au top site: DFT gives -0.5 to -1.2 eV on small Au clusters; GFN1-xTB
    must at least bind it, by less than a covalent bond, and keep it on the gold."""
    pytest.importorskip("tblite")
    atoms = au13()
    atoms.info.update(charge=0, multiplicity=2, formula="Au13")
    rows, structures = screen(atoms, "CO", kinds=("top",), relax=True,
                              db=str(tmp_path / "co.db"), workers=0, progress=False,
                              fmax=0.1)
    (row,) = rows
    assert row["status"] in ("converged", "not-converged")
    assert -2.5 < row["e_ads"] < -0.2
    assert row["final_site"] in ("top", "bridge")
    relaxed = structures[0]
    c = len(atoms)
    assert relaxed[c].symbol == "C"
    d_auc = min(relaxed.get_distance(i, c) for i in range(13))
    assert 1.8 < d_auc < 2.3


def test_desorbed_adsorbate_keeps_its_eads_but_a_broken_reference_voids_it():
    def engine(structures, moved=True, broken_reference=False):
        out = []
        for k, s in enumerate(structures):
            a = s.copy()
            if k >= 2 and moved:  # the complex: H pushed 3 A further out
                a.positions[-1] += 3.0 * (a.positions[-1] - a.positions[:4].mean(axis=0)) \
                    / np.linalg.norm(a.positions[-1] - a.positions[:4].mean(axis=0))
            a.calc = EMT()
            status = "topology-changed" if (k >= 2 or broken_reference and k == 0) \
                else "converged"
            a.info.update(energy=a.get_potential_energy(), status=status, gap=None)
            out.append(a)
        return out

    rows, _ = screen(au4(), "H", kinds=("top",), relax=engine)
    assert rows[0]["final_site"] == "desorbed" and rows[0]["e_ads"] is not None
    rows, _ = screen(au4(), "H", kinds=("top",),
                     relax=lambda s: engine(s, broken_reference=True))
    assert rows[0]["e_ads"] is None
