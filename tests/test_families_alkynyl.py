"""Au22(C≡CR)18, the alkynyl first member of the tetrahedral-ring family: counts, N* (each
alkynyl one electron), analyser round trip, Au-C(alkynyl) windows, the rule's symmetry,
bad inputs. No coordinates of the cluster are public here (nor was its structure paper
found), so the checks are physics and counting, not an RMSD."""

import subprocess
import sys

import numpy as np
import pytest
from ase import Atoms

from clustergen.analysis.analyse import analyse
from clustergen.analysis.checks import geometry_report
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import parse
from clustergen.core.symmetry import point_group
from clustergen.generation.alkynyl import alkynyl_report
from clustergen.generation.families import match, member
from clustergen.generation.generate import build

INVENTORY = {"trimer": 3, "hexamer-ring": 1}


@pytest.fixture(scope="module")
def au22():
    return build("Au22(C≡CR)18", isomers=2)


def _alpha(atoms):
    """C alpha: C within 2.45 A of Au with at most one non-metal partner."""
    sym = np.array(atoms.get_chemical_symbols())
    d = atoms.get_all_distances()
    np.fill_diagonal(d, np.inf)
    au = sym == "Au"
    return [i for i in np.flatnonzero(sym == "C")
            if d[i, au].min() < 2.45 and ((d[i] < 1.7) & ~au).sum() <= 1]


def test_member_formula_and_match():
    m = member("tetrahedral-ring", 1)
    assert str(m["formula"]) == "Au22(C2R)18" and m["staple_ligand"] == "C2R"
    # N*: 22 Au - 18 one-electron alkynyls = 4, the Au7 backbone's two tetrahedra
    assert m["nstar"] == 4 == parse("Au22(C≡CR)18").nstar
    # any alkynyl R matches the member; a thiolate formula of that size does not
    assert [(x["family"], x["k"]) for x in match("Au22(C≡CPh)18")] == [("tetrahedral-ring", 1)]
    with pytest.raises(ClusterGenError):
        match("Au22(SR)18", family="tetrahedral-ring")


def test_counts_nstar_and_round_trip(au22):
    a = au22[0]
    sym = a.get_chemical_symbols()
    assert sym.count("Au") == 22 and len(_alpha(a)) == 18
    # MeC2 (C≡CCH3) by default: 3 C and 3 H per alkynyl
    assert (sym.count("C"), sym.count("H")) == (54, 54)
    assert a.info["formula"] == "Au22(MeC2)18" and a.info["nstar"] == 4
    result = analyse(a)
    assert result.inventory == INVENTORY and len(result.kernel) == 7
    assert result.formula.ligands == {"C2R": 18} and result.nstar == 4
    assert list(result.roles) == list(a.arrays["role"])
    assert not result.warnings


def test_alkynyl_windows_and_pi_contacts(au22):
    a = au22[0]
    rep = alkynyl_report(a)
    assert rep["ok"], rep["problems"]
    assert 1.95 <= rep["au_c"][0] and rep["au_c"][1] <= 2.10
    assert 1.20 <= rep["c_c"][0] and rep["c_c"][1] <= 1.22
    assert rep["c_au_c"] >= 160
    # each chain end's C alpha touches its kernel Au side-on (2.25 A); some C beta lie
    # within 2.7 A of an Au (pi contacts of the C≡C)
    result = analyse(a)
    pos = a.positions
    for m in result.motifs:
        if m["type"] == "trimer":
            for c in (m["sulfur"][0], m["sulfur"][-1]):
                d = np.linalg.norm(pos[result.kernel] - pos[c], axis=1).min()
                assert 2.15 < d < 2.35
    assert rep["au_cbeta"] < 2.7
    assert geometry_report(a)["ok"]


def test_ring_lies_round_the_waist(au22):
    """The six ring Au on the empty waist sites: in the plane at right angles to the
    backbone's axis, 3.3-3.7 A from the centre, 3.0-3.5 A from their nearest kernel Au."""
    a = au22[0]
    result = analyse(a)
    ring = next(m for m in result.motifs if m["type"] == "hexamer-ring")
    pos = a.positions
    centre = pos[result.kernel].mean(axis=0)
    r = np.linalg.norm(pos[ring["metal"]] - centre, axis=1)
    assert ((r > 3.2) & (r < 3.8)).all()
    d = np.linalg.norm(pos[ring["metal"]][:, None] - pos[result.kernel][None], axis=-1)
    assert ((d.min(axis=1) > 3.0) & (d.min(axis=1) < 3.6)).all()


def test_framework_symmetry(au22):
    # Au + C alpha keep the rule's D3 (the R groups, placed one by one, do not)
    a = au22[0]
    frame = a[[i for i, s in enumerate(a.get_chemical_symbols()) if s == "Au"] + _alpha(a)]
    assert point_group(frame, elements=("Au", "C"), tolerance=0.3) == "D3"


def test_analyser_reads_an_alkynyl_dimer():
    # RC≡C-Au-C≡C(R)-Au-C≡CR, the C alpha of the middle alkynyl between the two Au
    a = Atoms("CAuCAuC", positions=[[-3.9, 0.6, 0], [-2.0, 0.2, 0], [0, -0.7, 0],
                                    [2.0, 0.2, 0], [3.9, 0.6, 0]])
    result = analyse(a, charge=-1)
    assert result.inventory == {"dimer": 1} and result.nstar == 0
    assert str(result.formula) == "[Au2(C2R)3]-"


def test_bad_inputs_exit_2():
    with pytest.raises(ClusterGenError, match="not an alkynyl"):
        build("Au22(C≡CR)18", ligand="SCH3")
    run = subprocess.run([sys.executable, "-m", "clustergen", "build", "Au22(C≡CR)17"],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "-m", "clustergen", "build", "Au22(C≡CR)18",
                          "--ligand", "SCH3"], check=False, capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr


@pytest.mark.slow
def test_phenylacetylide_build():
    a = build("Au22(C≡CPh)18", isomers=1)[0]
    assert a.info["formula"] == "Au22(PhC2)18"
    assert analyse(a).inventory == INVENTORY
    assert alkynyl_report(a)["ok"] and geometry_report(a)["ok"]


def test_review_facts_au7_bitetrahedral_core_and_six_equivalent_motif_sites(au22):
    """What the review states of Au22(tBuPhC≡C)18 (Lyu, Qian, Yang, Xie, Nanoscale Horiz.
    2025, 10, 2304, doi:10.1039/d5nh00353a): an Au7 bitetrahedral core, and an
    isostructural Au16Cu6(tBuPhC≡C)18 with all six Cu in the surface motifs. The structure
    paper itself was not found with the search tools used here, so these are the only
    published facts checked: the kernel is two Au4 tetrahedra sharing one vertex, and
    the motif metals hold one set of six symmetry-equivalent sites (where six Cu can sit
    without breaking the framework's symmetry or touching the kernel)."""
    from clustergen.core.orbits import distinct_substitutions
    a = au22[0]
    result = analyse(a)
    kernel = a.positions[result.kernel]
    d = np.linalg.norm(kernel[:, None] - kernel[None], axis=-1)
    bonded = (d > 0.1) & (d < 3.1)
    centre = int(np.argmax(bonded.sum(axis=1)))
    assert len(kernel) == 7 and bonded[centre].sum() == 6
    rest = [i for i in range(7) if i != centre]
    # the six others form two closed triangles (each + the centre = a tetrahedron) with
    # no bond between them: the shared vertex is the only common atom
    sub = bonded[np.ix_(rest, rest)]
    assert (sub.sum(axis=1) == 2).all()
    tri = [i for i in rest if bonded[rest[0], i]] + [rest[0]]
    assert sorted(tri) == sorted(set(tri)) and len(tri) == 3
    assert all(bonded[i, j] for i in tri for j in tri if i != j)
    metals = sorted(m for mo in result.motifs for m in mo["metal"])
    assert len(metals) == 22 - 7
    au = [i for i, s in enumerate(a.get_chemical_symbols()) if s == "Au"]
    where = {j: i for i, j in enumerate(au)}
    orbits = [mult for _, mult in distinct_substitutions(a[au], [where[m] for m in metals], 1)]
    assert sum(orbits) == 15 and orbits.count(6) == 1
