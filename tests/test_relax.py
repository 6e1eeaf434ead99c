"""GFN-xTB relaxation: SCF ladder, topology check, trajectories, CLI (small tblite systems)."""

import os

import numpy as np
import pytest

pytest.importorskip("tblite")

from clustergen.compute import relax as rx  # noqa: E402
from clustergen.compute import store  # noqa: E402
from clustergen.cli import main  # noqa: E402
from clustergen.core.errors import ClusterGenError  # noqa: E402
from clustergen.core.model import read_candidates, write_candidates  # noqa: E402
from relax_toys import au2_sh2, au4_sh4, au_sch3_2, hs_pair, rattled  # noqa: E402


def _angle(atoms, i, j, k):
    return atoms.get_angle(i, j, k)


def test_relaxed_complex_is_linear_goldI_with_a_gap():
    out, rec = rx.relax_one(au_sch3_2())
    assert rec["status"] == "converged" and rec["converged"]
    assert 0 < rec["steps"] < rx.STEPS
    assert rec["fmax"] < rx.FMAX
    d = out.get_distance(0, 1), out.get_distance(0, 2)
    assert all(2.2 < x < 2.45 for x in d)            # Au(I)-S
    assert _angle(out, 1, 0, 2) > 170                # linear S-Au-S
    assert rec["homo"] < rec["lumo"] and rec["gap"] == pytest.approx(rec["lumo"] - rec["homo"])
    assert 1.0 < rec["gap"] < 8.0                    # closed-shell Au(I) complex
    assert out.get_charges().sum() == pytest.approx(-1, abs=1e-6)
    assert out.get_potential_energy() == pytest.approx(rec["energy"])
    assert rec["ladder"] == [{"rung": "as asked", "settings": {}, "method": "GFN1-xTB",
                              "result": "ok", "at_step": rec["steps"]}]


def test_ladder_climbs_when_scf_is_starved():
    """One SCF cycle cannot converge: the first rung fails, damping 0.2 (500 cycles) works."""
    ref, ref_rec = rx.relax_one(au4_sh4())
    out, rec = rx.relax_one(au4_sh4(), settings={"max_iterations": 1})
    first, second = rec["ladder"]
    assert first["rung"] == "as asked" and "SCF not converged in 1 cycles" in first["result"]
    assert first["at_step"] == 0
    assert second["rung"] == "damping 0.2" and second["result"] == "ok"
    assert rec["status"] == "converged" and rec["rung"] == "damping 0.2"
    # same minimum, whatever mixing got there
    assert rec["energy"] == pytest.approx(ref_rec["energy"], abs=2e-3)


def test_ladder_ends_with_gfn1_when_gfn2_fails(monkeypatch):
    _, gfn1 = rx.relax_one(au2_sh2())
    starved = tuple((name, {**s, "max_iterations": 1}) for name, s in rx.LADDER)
    monkeypatch.setattr(rx, "LADDER", starved)
    out, rec = rx.relax_one(au2_sh2(), method="GFN2-xTB", settings={"max_iterations": 1})
    names = [r["rung"] for r in rec["ladder"]]
    assert names == [n for n, _ in starved] + ["GFN1-xTB"]
    assert all("SCF not converged" in r["result"] for r in rec["ladder"][:-1])
    assert rec["ladder"][-1]["result"] == "ok"
    assert rec["method"] == "GFN1-xTB" and rec["status"] == "converged"
    assert rec["energy"] == pytest.approx(gfn1["energy"], abs=2e-3)


def test_every_rung_failing_is_a_recorded_failure(monkeypatch, tmp_path):
    starved = tuple((name, {**s, "max_iterations": 1}) for name, s in rx.LADDER)
    monkeypatch.setattr(rx, "LADDER", starved)
    db = tmp_path / "r.db"
    [out] = rx.relax(au2_sh2(), db=db, workers=0, progress=False,
                     settings={"max_iterations": 1})
    assert out.info["status"] == f"failed:SCF not converged on {len(starved)} rungs"
    [row] = store.rows(db)
    assert row["status"] == out.info["status"] and row["energy"] is None


def test_topology_change_is_flagged_and_stored(tmp_path):
    """Two SH radicals 2.7 A apart bond into HS-SH: a disulfide must not pass silently."""
    db = tmp_path / "r.db"
    [out] = rx.relax(hs_pair(), db=db, workers=0, progress=False)
    assert out.get_distance(0, 1) < 2.2
    assert out.info["status"] == "topology-changed"
    assert "S-S bond" in out.info["topology"]
    [row] = store.rows(db)
    assert row["status"] == "topology-changed" and "S-S bond" in row["topology"]


def test_check_topology_sees_broken_bonds_and_lost_fragments():
    start = au_sch3_2()
    assert rx.check_topology(start, start.copy()) == []
    broken = start.copy()
    broken.positions[[1, 3, 4, 5, 6]] += [2.0, 0, 0]   # one SCH3 leaves the gold
    problems = rx.check_topology(start, broken)
    assert any("Au0-S1 bond broken" in p for p in problems)
    assert any(p.startswith("fragment lost: 2") for p in problems)
    assert any(p.startswith("motif inventory monomer:1 ->") for p in problems)


def test_inventory_change_is_reported(monkeypatch):
    """The motif inventory comes from clustergen.analysis.analyse; a different one is a problem."""
    import types

    calls = iter([{"dimer": 6}, {"dimer": 5, "monomer": 1}])
    fake = types.SimpleNamespace(analyse=lambda atoms, **kw: types.SimpleNamespace(roles=None,
        inventory=next(calls)))
    monkeypatch.setitem(__import__("sys").modules, "clustergen.analysis.analyse", fake)
    a = au_sch3_2()
    assert rx.check_topology(a, a.copy()) == ["motif inventory dimer:6 -> monomer:1,dimer:5"]


def test_trajectory_is_kept_and_restarted_from_its_last_frame(tmp_path):
    traj = str(tmp_path / "t" / "c.traj")
    _, cut = rx.relax_one(au2_sh2(), steps=4, traj=traj)
    assert cut["status"] == "not-converged" and cut["steps"] == 4
    from ase.io import read

    frames = read(traj, index=":")
    assert len(frames) == 5                      # start + 4 steps
    out, rec = rx.relax_one(au2_sh2(), traj=traj)
    assert rec["restarted_from_frame"] == 4
    assert rec["status"] == "converged" and rec["steps"] > 4
    assert len(read(traj, index=":")) == rec["steps"] + 1   # no duplicated restart frame
    _, fresh = rx.relax_one(au2_sh2())
    assert rec["energy"] == pytest.approx(fresh["energy"], abs=2e-3)


def test_charge_and_multiplicity_come_from_the_candidate():
    a = au_sch3_2()
    assert rx.charge_multiplicity(a) == (-1, 1)
    a.info["multiplicity"] = 2                   # 2 unpaired with an even count: impossible
    with pytest.raises(ClusterGenError, match="multiplicity 2 impossible"):
        rx.charge_multiplicity(a)
    radical = au_sch3_2()
    radical.info.update(charge=0, multiplicity=2)
    _, rec = rx.relax_one(radical, steps=0)
    assert (rec["charge"], rec["multiplicity"]) == (0, 2)
    # the neutral radical lost the electron from the anion's HOMO: levels move down
    _, anion = rx.relax_one(au_sch3_2(), steps=0)
    assert rec["homo"] < anion["homo"]


def test_cli_relax_then_results(tmp_path, capsys):
    src, db, out = tmp_path / "c.extxyz", tmp_path / "r.db", tmp_path / "relaxed.extxyz"
    write_candidates(src, [au_sch3_2(), au2_sh2()])
    assert main(["relax", str(src), "--db", str(db), "--workers", "0", "-o", str(out),
                 "--no-progress"]) == 0
    relaxed = read_candidates(out)
    assert [a.info["status"] for a in relaxed] == ["converged", "converged"]
    assert list(relaxed[0].arrays["role"][:3]) == ["staple", "S", "S"]
    assert relaxed[0].info["formula"] == "[Au(SCH3)2]-"
    from clustergen.compute import blas

    # the summary names the BLAS the relaxations ran on
    assert f"(BLAS: {blas.load()} {blas.info()['kind']})" in capsys.readouterr().err
    assert main(["results", "--db", str(db), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[0].split(",")
    assert header[0] == "cid" and "status" in header and len(lines) == 3
    ids = {line.split(",")[0] for line in lines[1:]}
    assert ids == {a.info["cid"] for a in relaxed}
    # a rerun finds both done and leaves their rows alone
    before = {r.id: r.mtime for r in store.connect(db).select()}
    assert main(["relax", str(src), "--db", str(db), "--workers", "0", "--no-progress"]) == 0
    assert {r.id: r.mtime for r in store.connect(db).select()} == before


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    assert main(["relax", str(tmp_path / "missing.extxyz"), "--db",
                 str(tmp_path / "r.db")]) == 2
    assert "no such file" in capsys.readouterr().err
    src = tmp_path / "c.extxyz"
    write_candidates(src, [au2_sh2()])
    assert main(["relax", str(src), "--db", str(tmp_path / "r.db"), "--fmax", "0"]) == 2
    assert "fmax must be positive" in capsys.readouterr().err
    assert main(["results", "--db", str(tmp_path / "none.db")]) == 2
    assert "no results database" in capsys.readouterr().err


def test_default_trajectory_directory_sits_beside_the_db(tmp_path):
    import clustergen

    db = tmp_path / "r.db"
    # the module is callable: clustergen.relax(...) is clustergen.compute.relax.relax(...)
    [out] = clustergen.relax(au_sch3_2(), db=db, workers=0, progress=False)
    traj = f"{db}.traj/{out.info['cid']}.traj"
    assert os.path.exists(traj)
    from ase.io import read

    last = read(traj, index=-1)
    assert np.allclose(last.positions, out.positions, atol=1e-6)


@pytest.mark.slow
def test_built_au25_relaxes_with_staples_intact(tmp_path):
    """The built [Au25(SCH3)18]- relaxes (GFN1, FIRE, OpenBLAS worker) to fmax 0.05 with
    its six dimeric staples and stays the same framework as the public DFT model.

    The Au+S RMSD is printed for the closing note (issue goal <= 0.30 A).  GFN1 has its
    own minimum: it expands the Au13 icosahedron by ~1.5 % (centre-shell 2.93 vs 2.88 A)
    so relaxation need not bring a good start closer to DFT; 0.40 A bounds a framework
    that is still the same structure."""
    import time

    from ase.io import read

    generate = pytest.importorskip("clustergen.generation.generate")
    from clustergen.analysis.analyse import analyse
    from clustergen.analysis.compare import framework_rmsd

    [au25] = generate.build("[Au25(SR)18]-", ligand="SCH3", isomers=1)
    t = time.perf_counter()
    # the earlier default (FIRE to 0.05 eV/A), which this test describes; the default
    # protocol goes on to the deeper GFN1 minimum, further from DFT (docs/relaxation.md)
    fmax = 0.05
    [out] = rx.relax(au25, db=tmp_path / "r.db", workers=1, progress=False,
                     optimiser="FIRE", fmax=fmax, steps=300)
    wall = time.perf_counter() - t
    assert out.info["status"] == "converged", out.info.get("topology")
    assert out.info["fmax"] < fmax
    assert analyse(out).inventory == {"dimer": 6}
    staple = np.flatnonzero(out.arrays["role"] == "staple")
    sulfur = np.flatnonzero(out.get_chemical_symbols() == np.array("S"))
    d = out.get_all_distances()[np.ix_(staple, sulfur)]
    assert np.all(np.sort(d, axis=1)[:, :2] < 2.5)        # two S on each staple Au(I)
    assert 0.3 < out.info["gap"] < 2.0                     # superatom 1P-1D gap, eV
    path = os.path.join(os.path.dirname(__file__), "..", "structures", "reference",
                        "au25_sr18_dft.xyz")
    if os.path.exists(path):
        ref = read(path)
        before, after = framework_rmsd(au25, ref), framework_rmsd(out, ref)
        print(f"\nAu25: {out.info['steps']} steps, {wall:.0f} s, blas {out.info['blas']}, "
              f"Au+S RMSD to DFT {before:.3f} -> {after:.3f} A")
        assert after < 0.40


def test_retry_redoes_not_converged_from_its_trajectory(tmp_path):
    db = tmp_path / "r.db"
    [cut] = rx.relax(au2_sh2(), db=db, workers=0, steps=3, progress=False)
    assert cut.info["status"] == "not-converged" and cut.info["steps"] == 3
    [same] = rx.relax(au2_sh2(), db=db, workers=0, progress=False)     # no retry: skipped
    assert same.info["status"] == "not-converged"
    [done] = rx.relax(au2_sh2(), db=db, workers=0, retry=True, progress=False)
    assert done.info["status"] == "converged" and done.info["cid"] == cut.info["cid"]
    assert done.info["restarted_from_frame"] == 3 and done.info["steps"] > 3
    assert len(store.rows(db)) == 1


def test_relaxed_double_helix_member_keeps_its_topology_label():
    """A built Au36 moved slightly (as a relaxation moves it) is not a topology change:
    the comparison uses the local analyser convention, not Au-Au contact counts."""
    import numpy as np
    from clustergen.generation.generate import build

    a = build("Au36(SR)24", ligand="SH", isomers=1)[0]
    b = a.copy()
    rng = np.random.default_rng(0)
    b.positions += rng.normal(scale=0.08, size=b.positions.shape)
    b.positions[b.arrays["role"] == "kernel"] *= 1.03     # kernel breathes by 3 %
    assert rx.check_topology(a, b) == []


def test_two_stage_protocol_hands_over_and_agrees_across_starts(tmp_path):
    """FIRE+LBFGS: FIRE to PRE_FMAX, then LBFGS to fmax, counted in one step budget; the
    starts of one candidate meet in one minimum (the default's criterion, on a toy)."""
    from ase.io import read

    starts = [rattled(au4_sh4(), seed) for seed in (1, 2, 3)]
    recs = []
    for k, atoms in enumerate(starts):
        traj = str(tmp_path / f"{k}.traj")
        out, rec = rx.relax_one(atoms, optimiser="FIRE+LBFGS", fmax=0.01, traj=traj)
        assert rec["status"] == "converged" and rec["fmax"] < 0.01
        assert rec["force_calls"] >= rec["steps"] > 0
        fire, lbfgs = rec["stages"]
        assert (fire["optimiser"], lbfgs["optimiser"]) == ("FIRE", "LBFGS")
        assert fire["steps"] > 0 and lbfgs["steps"] > 0
        assert fire["steps"] + lbfgs["steps"] == rec["steps"]
        frames = read(traj, index=":")
        big = [np.linalg.norm(f.get_forces(), axis=1).max() for f in frames]
        # FIRE handed over at the first frame below PRE_FMAX, LBFGS went on from there
        assert big[fire["steps"] - 1] > rx.PRE_FMAX > big[fire["steps"]]
        recs.append(rec)
    energies = [r["energy"] for r in recs]
    assert max(energies) - min(energies) < 0.005
    legacy, rec = rx.relax_one(starts[0], optimiser="FIRE", fmax=0.05)  # still selectable
    assert rec["status"] == "converged" and rec["optimiser"] == "FIRE"


def test_unknown_protocol_is_an_input_error():
    with pytest.raises(ClusterGenError, match="unknown optimiser 'FIRE\\+BFGSX'"):
        rx.relax([au2_sh2()], db=":memory:", optimiser="FIRE+BFGSX")


def test_precon_lbfgs_runs_on_a_cluster_without_cell():
    """ASE's own PreconLBFGS set-up fails on a cell-less cluster of >= 100 atoms (it
    estimates the bond scale from the cell); the protocol's stage must not."""
    from ase.calculators.emt import EMT
    from ase.cluster import Icosahedron

    from clustergen.compute.relax import _optimiser_class

    atoms = Icosahedron("Au", 4)  # 147 atoms, no cell
    atoms.rattle(0.05, seed=3)
    atoms.calc = EMT()
    opt = _optimiser_class("PreconLBFGS")(atoms, logfile=None)
    assert opt.run(fmax=0.05, steps=200)
    assert np.abs(atoms.get_forces()).max() < 0.05


def test_centre_dopant_leaving_the_icosahedron_is_a_topology_change():
    """Cd at the centre of [CdAu24(SH)18] that ends 3.2 A off-centre (as GFN1 took it)
    breaks no metal-S bond and keeps the staples, but is no longer a centre dopant; the
    same cluster rattled by 0.08 A with the kernel breathing 3 % is still intact."""
    from clustergen.generation.generate import build
    from clustergen.screen.dopants import enumerate_dopings

    host = build("[Au25(SR)18]0", ligand="SH", isomers=1)[0]
    centre = next(a for a in enumerate_dopings(host, "Cd", 1)
                  if a.info["site_class"] == "centre")
    i = centre.get_chemical_symbols().index("Cd")
    kernel = centre.positions[centre.arrays["role"] == "kernel"]
    assert np.linalg.norm(centre.positions[i] - kernel.mean(0)) < 0.1  # at the centre
    shell = [j for j in np.flatnonzero(centre.arrays["role"] == "kernel") if j != i]
    moved = centre.copy()
    toward = centre.positions[shell[0]] - centre.positions[i]  # through a shell vertex
    moved.positions[i] += 3.2 * toward / np.linalg.norm(toward)
    moved.positions[shell[0]] += 1.0 * toward / np.linalg.norm(toward)  # the vertex gives way
    problems = rx.check_topology(centre, moved)
    assert any(p.startswith(f"kernel atom Cd{i} left its site") for p in problems), problems
    rng = np.random.default_rng(1)
    kept = centre.copy()
    kept.positions += rng.normal(scale=0.08, size=kept.positions.shape)
    kept.positions[kept.arrays["role"] == "kernel"] *= 1.03
    assert rx.check_topology(centre, kept) == []
