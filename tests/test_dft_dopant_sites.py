"""Single Pt and Pd dopants in [Au25(SH)18]0, end to end: GFN1-xTB relaxation of every
symmetry-distinct site (centre, icosahedral shell = kernel-surface, staple), then a CP2K
PBE-D3(BJ)/DZVP-MOLOPT-SR single point on each, and the DFT-preferred site class compared
with the published preference (``templates/dopants.yaml``: Pt and Pd replace the central
atom of the icosahedron, Lyu et al., Nanoscale Horiz. 2025, 10, 2304,
doi:10.1039/d5nh00353a, sec. 3.3).

A real measurement, not a regression check: it can fail if GFN1 geometries or this DFT
level disagree with experiment.  Cost per dopant on one core: 3 GFN1 relaxations (~2
CPU-min each) and 3 CP2K single points of 2.1 GB each (950 basis functions, 21.8 A box,
200 Ry) at ~12 CPU-s per OT step; the SCF of PtAu24 (centre) converges slowly (OT
convergence 7.5e-5 after 42 steps, EPS_SCF 1e-6), so plan on ~100+ steps, i.e. 20-30
CPU-min per single point (docs/dft-handoff.md has the figures measured).  Not completed
on the shared 2-core development machine.  ``CLUSTERGEN_DOPANT_SITES_DIR`` keeps the
databases in a directory of your choice so an interrupted run resumes (relaxations and
converged DFT rows are reused).
"""

import os
import shutil

import numpy as np
import pytest

from clustergen.cli import main
from clustergen.compute import store
from clustergen.rank.levels import ranking
from clustergen.screen.dopants import prior

CP2K = shutil.which("cp2k.ssmp") or shutil.which("cp2k.psmp")
CLASSES = {"centre", "kernel-surface", "staple"}
# 200 Ry: 1.9x cheaper than the 300 Ry refine default and within 0.01 meV of it for the
# Au-S stretch energy of [Au(SH)2]- (convergence table in docs/dft-handoff.md)
CUTOFF = os.environ.get("CLUSTERGEN_DOPANT_SITES_CUTOFF", "200")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CP2K, reason="CP2K not installed (apt-get install cp2k)")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    where = os.environ.get("CLUSTERGEN_DOPANT_SITES_DIR")
    return where or str(tmp_path_factory.mktemp("dopant_sites"))


def _screen_and_refine(dopant, db):
    """The documented command: screen every site, DFT on all three configurations."""
    assert main(["dopants", "[Au25(SR)18]0", "--ligand", "SH", "--dopant", dopant,
                 "--count", "1", "--relax", "--db", db, "--workers", "1",
                 "--refine", "3", "--code", "cp2k", "--cutoff", CUTOFF,
                 "--no-progress"]) == 0


# the dopant's neighbours after the GFN1 relaxation, per site class: (at least this many
# metal atoms within 3.3 A, exactly this many S within 2.6 A).  Centre: the 12
# icosahedron atoms, no S; shell: 5 shell atoms + the centre (measured: 6 for Pt; 8 for
# Pd, two more metal atoms at 3.1-3.2 A) and 1 staple S; staple: 2 S (the S-M-S
# unit).  A site that changed class on relaxation would make the label, and the
# comparison, meaningless.
NEIGHBOURS = {"centre": (12, 0), "kernel-surface": (6, 1), "staple": (0, 2)}


def _neighbours(atoms, dopant):
    sym = np.array(atoms.get_chemical_symbols())
    i = int(np.flatnonzero(sym == dopant)[0])
    d = atoms.get_distances(i, range(len(atoms)))
    metal = (sym != "S") & (sym != "H")
    return int(((d < 3.3) & metal).sum()) - 1, int(((d < 2.6) & (sym == "S")).sum())


@pytest.mark.parametrize("dopant", ["Pt", "Pd"])
def test_dft_preferred_site_matches_published(dopant, runs):
    db = os.path.join(runs, f"{dopant.lower()}.db")
    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        _screen_and_refine(dopant, db)
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS")
        else:
            os.environ["OMP_NUM_THREADS"] = old
    rows = store.rows(db)
    for atoms in store.read_relaxed(db):
        metal, sulfur = _neighbours(atoms, dopant)
        want_metal, want_sulfur = NEIGHBOURS[atoms.info["site_class"]]
        assert sulfur == want_sulfur and metal >= want_metal, (atoms.info, metal, sulfur)
    # every site class was relaxed and has a converged DFT single point of the closed-shell
    # 24 Au + M(group 10) cluster: even electron count, singlet
    dft_rows = [r for r in rows if "level" in r]
    assert len(dft_rows) == 3 and all(r["status"] == "converged" for r in dft_rows), dft_rows
    assert {r["multiplicity"] for r in dft_rows} == {1}
    table = ranking(rows, "dft")
    assert {r["site_class"] for r in table} == CLASSES, table
    assert all(r["level"] == "PBE-D3(BJ)/DZVP-MOLOPT-SR (CP2K)" for r in table)
    best = min(table, key=lambda r: r["de"])
    spread = max(r["de"] for r in table)
    assert 0.0 < spread < 20.0, table  # distinct isomers, same composition and box
    gfn1 = min(table, key=lambda r: r["de_gfn1"])
    print(f"{dopant}: GFN1 prefers {gfn1['site_class']}, DFT prefers {best['site_class']}; "
          + ", ".join(f"{r['site_class']} dE(GFN1) {r['de_gfn1']:.3f} dE(DFT) {r['de']:.3f} eV"
                      for r in table))
    assert best["site_class"] == prior(dopant, "Au")["site"]
