"""Candidate identity: charge and spin from the electron count, ids unchanged from the
stores already written, the results store giving back exactly what went in, relax()
aligned with its inputs, and one settings resolution per DFT deck."""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from clustergen.compute import relax as rx
from clustergen.compute import store
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import parse
from clustergen.core.identity import (
    candidate_id,
    candidate_ids,
    charge_multiplicity,
    electron_count,
    level_of_theory,
    lowest_multiplicity,
    scalar_info,
)
from clustergen.core.model import read_candidates, write_candidates
from relax_toys import au2_sh2, au4_sh4, au_sch3_2

LEVEL = level_of_theory("GFN1-xTB", 0.05, "FIRE")


# ------------------------------------------------------------------ charge and spin

def test_multiplicity_follows_the_electron_count():
    anion = au_sch3_2()        # [Au(SCH3)2]-: 79 + 2 x 25 + 1 = 130 electrons
    assert electron_count(anion, -1) == 130
    assert charge_multiplicity(anion) == (-1, 1)
    del anion.info["multiplicity"]
    assert charge_multiplicity(anion) == (-1, 1)               # lowest allowed: singlet
    assert charge_multiplicity(anion, charge=0) == (0, 2)      # the radical: doublet
    assert charge_multiplicity(anion, charge=0, multiplicity=4) == (0, 4)
    assert charge_multiplicity(Atoms("O2"), multiplicity=3) == (0, 3)  # triplet O2
    # the formula's N* has the parity of the total count, so both agree
    f = parse("[Au25(SCH3)18]-")
    assert f.nstar == 8 and f.multiplicity == lowest_multiplicity(79 * 25 + 25 * 18 + 1)


@pytest.mark.parametrize("atoms,kwargs,message", [
    (Atoms("H"), {"multiplicity": 1}, "multiplicity 1 impossible for 1 electrons"),
    (Atoms("H"), {"multiplicity": 4}, "multiplicity 4 impossible for 1 electrons"),
    (Atoms("H2"), {"multiplicity": 0}, "multiplicity 0 impossible"),
    (Atoms("H2"), {"multiplicity": 1.5}, "multiplicity 1.5 is not an integer"),
    (Atoms("H"), {"charge": 0.5}, "charge 0.5 is not an integer"),
    (Atoms("H"), {"charge": 2}, "charge \\+2 leaves -1 electrons"),
    (Atoms("H"), {"require_charge": True}, "has no charge"),
])
def test_impossible_charge_or_spin_is_a_one_line_error(atoms, kwargs, message):
    with pytest.raises(ClusterGenError, match=message):
        charge_multiplicity(atoms, **kwargs)


def test_every_stage_uses_the_same_rule():
    """Generator, DFT settings and relaxer agree, and reject the same impossible spin."""
    from clustergen.dft import resolve

    a = au4_sh4()                                   # 4 x 79 + 4 x 17 = 384 electrons
    assert resolve(a, code="orca", task="sp")["multiplicity"] == charge_multiplicity(a)[1]
    a.info["multiplicity"] = 387      # right parity, but 386 unpaired of 384 electrons
    for check in (rx.charge_multiplicity, lambda x: resolve(x, code="orca", task="sp")):
        with pytest.raises(ClusterGenError, match="multiplicity 387 impossible for 384"):
            check(a)


# ----------------------------------------------------------------------------- ids

def test_ids_are_those_of_existing_stores():
    """Values from the id function as it was before it moved here: stored rows match."""
    # the relax defaults before the FIRE+LBFGS protocol: GFN1-xTB, FIRE, fmax 0.05
    old = rx.method_settings("GFN1-xTB", 0.05, "FIRE")
    assert candidate_id(au_sch3_2(), -1, 1, old) == "269209d1dbd67eb8"
    level = level_of_theory("GFN2-xTB", 0.1, "BFGS",
                            {"mixer_damping": 0.2, "max_iterations": 500})
    assert candidate_id(au2_sh2(), 0, 1, level) == "e5f6765c9653f688"
    assert store.candidate_id is candidate_id


def test_candidate_ids_read_charge_and_spin_from_each_candidate():
    anion, radical = au_sch3_2(), au_sch3_2()
    radical.info.update(charge=0, multiplicity=2)
    ids = candidate_ids([anion, radical, anion.copy()], LEVEL)
    assert ids[0] == ids[2] != ids[1]
    assert ids[1] == candidate_id(radical, 0, 2, LEVEL)


# ------------------------------------------------------------------------ scalar info

def test_scalar_info_is_what_extxyz_carries(tmp_path):
    a = au_sch3_2()
    a.info.update(ladder=[{"rung": "as asked"}], problems=[], gap=np.float64(4.0))
    a.calc = SinglePointCalculator(a, energy=-1.0)
    out = scalar_info(a)
    assert out.calc is None and a.calc is not None               # the input is untouched
    assert set(out.info) == set(a.info) - {"ladder", "problems"}
    write_candidates(tmp_path / "c.extxyz", [out])
    [back] = read_candidates(tmp_path / "c.extxyz")
    assert back.info == out.info and list(back.arrays["role"]) == list(a.arrays["role"])


# --------------------------------------------------------------- store round trip

def _candidate():
    """A candidate carrying every kind of info the pipeline gives one."""
    a = au_sch3_2()
    a.info.update(family="toy", member="toy:k=1", isomer="1", score=0.125,
                  literature="known", dopant_sites="[3,17]", site_multiplicity=12,
                  converged_before=True, tags=["a", "b"])
    return a


def _relaxed(start, cid, energy=-512.5):
    out = start.copy()
    out.positions += 0.01
    forces = np.zeros((len(out), 3))
    forces[0] = [0.0, 0.0, 0.03]
    out.calc = SinglePointCalculator(out, energy=energy, forces=forces,
                                     charges=np.full(len(out), -1 / len(out)))
    record = {"cid": cid, "status": "converged", "steps": 12, "gap": 3.5, "homo": None,
              "method": "GFN1-xTB", "charge": -1, "multiplicity": 1, "ladder": [],
              "problems": [], "energy": energy, "fmax": 0.03}
    return out, record


def test_store_gives_back_exactly_what_went_in(tmp_path):
    db = str(tmp_path / "r.db")
    start = _candidate()
    cid = candidate_id(start, -1, 1, LEVEL)
    out, record = _relaxed(start, cid)
    assert store.write_result(db, out, record, start=start)
    [got] = store.read_relaxed(db, [cid])
    for key, value in start.info.items():                     # value and type kept
        assert got.info[key] == value and type(got.info[key]) is type(value), key
    assert list(got.arrays["role"]) == list(start.arrays["role"])
    assert "cluster" not in got.info                           # no ase.db renaming leaks
    assert got.info["cid"] == cid and got.info["status"] == "converged"
    assert got.info["energy"] == pytest.approx(-512.5)
    assert got.info["fmax"] == pytest.approx(0.03)
    assert "homo" not in got.info                              # None results stay absent
    assert np.allclose(got.positions, start.positions + 0.01)
    assert set(got.info) == set(start.info) | {"cid", "status", "steps", "gap", "method",
                                               "energy", "fmax"}
    # the results table shows the candidate's charge, not ase.db's sum of charges
    [row] = store.rows(db)
    assert row["charge"] == -1 and row["cluster"] == start.info["formula"]
    # read again and stored again: the same candidate, the same id
    assert candidate_ids([start], LEVEL) == [cid]


def test_rows_of_older_stores_keep_the_candidate_charge(tmp_path):
    """Rows written without data["results"]: results from key-value pairs, charge from
    the stored info (ase.db hands a "charge" key back as 0.0)."""
    import ase.db

    conn = ase.db.connect(str(tmp_path / "old.db"))
    a = Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]])
    a.calc = SinglePointCalculator(a, energy=-3.0)
    conn.write(a, key_value_pairs={"cid": "c0", "status": "converged", "cluster": "[Au2]-",
                                   "charge": -1, "gap": 1.5},
               data={"info": {"charge": -1, "multiplicity": 2}})
    [got] = store.read_relaxed(str(tmp_path / "old.db"))
    assert (got.info["charge"], got.info["multiplicity"]) == (-1, 2)
    assert got.info["formula"] == "[Au2]-" and got.info["gap"] == 1.5
    assert got.info["energy"] == -3.0


# --------------------------------------------------------------- relax alignment

def test_relax_returns_one_result_per_input_in_order(tmp_path, monkeypatch):
    """Duplicates and results the store never received keep their place."""
    from clustergen.compute import executor

    a, b = au_sch3_2(), au2_sh2()
    ids = candidate_ids([a, b], rx.method_settings())
    done, _ = _relaxed(a, ids[0])

    def only_first(func, tasks, on_result, **kw):   # b's worker vanished without a word
        # results travel as (state, value) under the store's claims
        on_result(ids[0], ("ok", _relaxed(a, ids[0])))

    monkeypatch.setattr(executor, "run", only_first)
    out = rx.relax([a, b, a.copy()], db=str(tmp_path / "r.db"), workers=0, progress=False)
    assert [o.info["cid"] for o in out] == [ids[0], ids[1], ids[0]]
    assert [o.info["status"] for o in out] == ["converged", "failed:no result", "converged"]
    assert [o.get_chemical_formula() for o in out] == [a.get_chemical_formula(),
                                                       b.get_chemical_formula(),
                                                       a.get_chemical_formula()]
    assert out[0].info["formula"] == a.info["formula"] and out[0].info["charge"] == -1
    assert out[0] is not out[2]
    assert np.allclose(out[0].positions, done.positions)


# ------------------------------------------------------------------------ DFT decks

def test_write_decks_resolves_each_candidate_once(tmp_path, monkeypatch):
    from clustergen.dft import batch, settings, writer

    calls = []

    def counting(atoms, **kw):
        calls.append(atoms.get_chemical_formula())
        return settings.resolve(atoms, **kw)

    monkeypatch.setattr(batch, "resolve", counting)
    monkeypatch.setattr(writer, "resolve", counting)
    cands = [au_sch3_2(), au2_sh2()]
    rows = batch.write_decks(cands, code="orca", task="sp", directory=tmp_path)
    assert len(calls) == 2
    assert [(r["charge"], r["multiplicity"]) for r in rows] == [(-1, 1), (0, 1)]
    assert (tmp_path / rows[0]["deck"]).read_text().count("*xyz -1 1") == 1
