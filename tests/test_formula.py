"""Formula parsing and electron counting."""

import pytest

from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import parse


@pytest.mark.parametrize("text, metals, ligands, charge, nstar, mult", [
    ("[Au25(SR)18]-", {"Au": 25}, {"SR": 18}, -1, 8, 1),
    ("Au38(SR)24", {"Au": 38}, {"SR": 24}, 0, 14, 1),
    ("[PtAu24(SR)18]0", {"Pt": 1, "Au": 24}, {"SR": 18}, 0, 6, 1),
    ("Au25(SCH3)18", {"Au": 25}, {"SCH3": 18}, 0, 7, 2),
    ("[Au25(PPh3)10(SR)5Cl2]2+", {"Au": 25}, {"PPh3": 10, "SR": 5, "Cl": 2}, 2, 16, 1),
    ("[Au23(SR)16]\u2212", {"Au": 23}, {"SR": 16}, -1, 8, 1),
    ("[CdAu24(SR)18]-", {"Cd": 1, "Au": 24}, {"SR": 18}, -1, 9, 2),
    ("[Au13(dppe)5Cl2]3+", {"Au": 13}, {"dppe": 5, "Cl": 2}, 3, 8, 1),
])
def test_parse_and_count(text, metals, ligands, charge, nstar, mult):
    f = parse(text)
    assert f.metals == metals and f.ligands == ligands and f.charge == charge
    assert f.nstar == nstar and f.multiplicity == mult
    assert parse(str(f)) == f          # the canonical text parses back to the same


def test_nstar_is_n_minus_m_minus_q_for_gold_thiolates():
    for n, m, q in [(25, 18, -1), (38, 24, 0), (60, 36, 0), (102, 44, 0), (23, 16, -1)]:
        text = f"[Au{n}(SR){m}]{abs(q) if q else ''}{'-' if q < 0 else '+'}" if q else f"Au{n}(SR){m}"
        assert parse(text).nstar == n - m - q


@pytest.mark.parametrize("text, words", [
    ("Xx25(SR)18", "unknown element 'Xx'"),
    ("Au25(FOO)18", "unknown ligand 'FOO'"),
    ("Au0(SR)18", "must be positive"),
    ("Fe25(SR)18", "neither a supported metal"),
    ("[Au25(SR)18", "without ']'"),
    ("Au25(SR)18]", "malformed"),
    ("[Au25(SR)18]x", "malformed charge"),
    ("(SR)18", "no metal"),
    ("", "empty"),
])
def test_bad_formulas_name_the_problem(text, words):
    with pytest.raises(ClusterGenError, match=words.replace("(", r"\(").replace("]", r"\]")):
        parse(text)
