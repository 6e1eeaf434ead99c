"""Workflow pieces on their own: YAML guards, the escaped report, family-only builds."""

import json
import re

import numpy as np
import pytest

from clustergen.core.errors import ClusterGenError
from clustergen.generation import families, generate
from clustergen.workflow import config, load, write_report
from clustergen.workflow.runner import TABLE
from clustergen.workflow.state import RunState

BUILD = "build: {formulas: ['[Au25(SR)18]-'], ligand: SH}\n"


# ---------------------------------------------------------------- YAML guards

def test_duplicate_keys_refused_at_any_depth():
    with pytest.raises(ClusterGenError, match=r"duplicate key 'relax' \(line 3\)"):
        load(BUILD + "relax: {steps: 5}\nrelax: {steps: 50}")
    with pytest.raises(ClusterGenError, match="duplicate key 'steps'"):
        load(BUILD + "relax: {steps: 5, steps: 50}")


def test_nested_alias_bomb_refused_but_merge_keys_work():
    bomb = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else '1'}]\n"
                   for i in range(6))
    with pytest.raises(ClusterGenError, match="aliases expand"):
        config.parse_yaml(bomb)
    data = config.parse_yaml("base: &b {steps: 7, fmax: 0.2}\nrelax: {<<: *b, steps: 9}")
    assert data["relax"] == {"steps": 9, "fmax": 0.2}


def test_recursive_aliases_refused_and_file_checks_in_python_api(tmp_path):
    for text in ("a: &a [1, *a]", "relax: &r {<<: *r, steps: 2}", "a: &a {b: [{c: *a}]}"):
        with pytest.raises(ClusterGenError, match="alias inside its own anchor"):
            config.parse_yaml(text)
    with pytest.raises(ClusterGenError, match="nesting deeper than 20"):
        load(BUILD + "name: " + "[" * 25 + "]" * 25)
    # a harmless alias is a shorter way to write the same workflow
    shared = load("build: {formulas: &f ['[Au25(SR)18]-'], ligand: SH}\nname: w\n"
                  "description: &d first\nreport: {title: *d}")
    assert shared["build"]["formulas"] == ["[Au25(SR)18]-"]
    assert shared["report"]["title"] == "first"
    path = tmp_path / "w.yaml"
    path.write_bytes(b"build: {ligand: SH}\x00")
    with pytest.raises(ClusterGenError, match="binary"):
        load(path)
    path.write_bytes("build: {ligand: S\xe9}".encode("latin-1"))
    with pytest.raises(ClusterGenError, match="not UTF-8"):
        load(str(path))
    with pytest.raises(ClusterGenError, match="is a directory"):
        load(tmp_path)


def test_schema_types_and_defaults():
    wf = load(BUILD + "rank: {energy_window: 1}\nrelax: {fmax: 1}")
    assert wf["rank"]["energy_window"] == 1 and wf["relax"]["fmax"] == 1.0
    assert wf["build"]["isomers"] == "all" and wf["report"]["show"] == "lowest"
    with pytest.raises(ClusterGenError, match="rank.topology_kept: expected true/false, "
                                              "got 1"):
        load(BUILD + "rank: {topology_kept: 1}")
    with pytest.raises(ClusterGenError, match="build.dope: unknown key 'elements'"):
        load({"build": {"formulas": ["[Au25(SR)18]-"], "dope": {"elements": "Ag"}}})
    with pytest.raises(ClusterGenError, match="build.dope.count: expected integer"):
        load({"build": {"formulas": ["[Au25(SR)18]-"], "dope": {"element": "Ag",
                                                                "count": 1.5}}})


def test_stage_table_matches_stages_and_keys_depend_on_inputs(tmp_path):
    assert [s.name for s in TABLE] == ["build", "relax", "rank", "dft", "report"]
    state = RunState(tmp_path)
    state.record("relax", "k", "out-a", 1.0)
    a = state.key("rank", {"top": 1}, ("relax",))
    state.record("relax", "k", "out-b", 1.0)
    assert state.key("rank", {"top": 1}, ("relax",)) != a       # new input, new key
    assert state.key("rank", {"top": 1}, ("relax",)) == RunState(tmp_path).key(
        "rank", {"top": 1}, ("relax",))                          # read back from disk
    (tmp_path / "ranking.csv").write_text("x")
    state.record("rank", "r", "not-the-file-hash", 1.0)
    assert state.fresh("rank", "r", ("ranking.csv",))
    assert not state.fresh("rank", "r", ("ranking.csv",), check_file=True)  # edited file


# ---------------------------------------------------------------- report

def test_report_escapes_user_strings(tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    rows = [{"cid": "c1", "formula": evil, "family": "f", "member": "", "known": "",
             "isomer": "a", "n_metal": 25, "energy_eV": -1000.5, "rel_energy_eV": 0.0,
             "gap_eV": 1.3, "status": "converged", "steps": 4, "survivor": "yes",
             "reason": "</script><script>alert(2)</script>"}]
    path = write_report(rows, [], tmp_path / "r.html", title="A & B </title><b>",
                        notes=["note <i>"])
    page = path.read_text()
    assert "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "A &amp; B &lt;/title&gt;&lt;b&gt;" in page
    # exactly one script block, the JSON one, and the rows come back from it intact
    assert page.count("<script") == 1 and page.count("</script>") == 1
    data = re.search(r'<script type="application/json" id="ranking-data">(.*?)</script>',
                     page, re.S).group(1)
    assert json.loads(data) == rows
    assert page.count("<svg") == 2 and "No relaxed structure to show" in page


# ---------------------------------------------------------------- family builds

def test_match_one_family_and_its_error():
    assert [(m["family"], m["k"]) for m in families.match("Au28(SR)20",
                                                          family="double-helix")] == [
        ("double-helix", 3)]
    with pytest.raises(ClusterGenError, match=r"family au7-backbone does not build "
                                              r"\[Au25\(SR\)18\]- \(members are"):
        families.match("[Au25(SR)18]-", family="au7-backbone")
    with pytest.raises(ClusterGenError, match="unknown family 'helix'"):
        families.match("Au28(SR)20", family="helix")


def _same(own, everything, family):
    expect = [a for a in everything if a.info["family"] == family]
    assert own and [a.info["isomer"] for a in own] == [a.info["isomer"] for a in expect]
    for a, b in zip(own, expect):
        assert a.get_chemical_symbols() == b.get_chemical_symbols()
        assert np.allclose(a.positions, b.positions, atol=1e-10)
        assert a.info["member"] == b.info["member"] and a.info["score"] == b.info["score"]


@pytest.fixture
def member_calls(monkeypatch):
    calls = []
    real = families.member

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(families, "member", counted)
    monkeypatch.setattr(generate, "member", counted)
    return calls


def test_family_build_equals_build_with_one_member_call(member_calls):
    everything = generate.build("[Au25(SR)18]-", ligand="SH", isomers=2)
    assert len(member_calls) > 100     # every family's series scanned for the formula
    member_calls.clear()
    own = generate.build("[Au25(SR)18]-", ligand="SH", isomers=2,
                         family="face-sharing-icosahedra")
    assert member_calls == [1]         # k=1 found first, then handed down, not recomputed
    _same(own, everything, "face-sharing-icosahedra")


@pytest.mark.slow
def test_family_build_equals_filtered_two_family_build(member_calls):
    everything = generate.build("Au28(SR)20", ligand="SH", isomers=2)
    for name in ("double-helix", "double-au7-backbone"):
        member_calls.clear()
        own = generate.build("Au28(SR)20", ligand="SH", isomers=2, family=name)
        assert len(member_calls) <= 4
        _same(own, everything, name)


def test_build_stage_passes_sulfur_like_the_cli():
    """`sulfur: all` in a workflow asks the generator for every S-configuration pattern,
    as `clustergen build --sulfur all` does; absent, each staple type's default."""
    from clustergen.workflow.stages.build import build_candidates

    text = "build: {formulas: ['[Au25(SR)18]-'], ligand: SH, isomers: 1%s}"
    plain = build_candidates(load(text % "")["build"])
    every = build_candidates(load(text % ", sulfur: all")["build"])
    direct = generate.build("[Au25(SR)18]-", ligand="SH", isomers=1, sulfur="all")
    assert [a.info["sulfur"] for a in plain] == ["default"]
    assert len(every) > len(plain)
    assert [(a.info["isomer"], a.info["sulfur"]) for a in every] == \
        [(a.info["isomer"], a.info["sulfur"]) for a in direct]
    assert all(np.allclose(a.positions, b.positions) for a, b in zip(every, direct))
    assert load(text % ", sulfur: c2")["build"]["sulfur"] == "c2"
    assert load(text % "")["build"]["sulfur"] is None
