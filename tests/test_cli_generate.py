"""Command line of the generator: outputs and one-line errors with exit status 2."""

import subprocess
import sys

import pytest

from clustergen.cli import main
from clustergen.core.model import read_candidates


def run(*args):
    return subprocess.run([sys.executable, "-m", "clustergen", *args],
                          capture_output=True, text=True, timeout=600)


def test_build_writes_candidates_best_first(tmp_path):
    out = tmp_path / "au25.extxyz"
    assert main(["build", "[Au25(SR)18]-", "--ligand", "SCH3", "--isomers", "8",
                 "-o", str(out)]) == 0
    cands = read_candidates(out)
    assert 1 <= len(cands) <= 8
    assert cands[0].info["isomer"] == "a" and cands[0].info["charge"] == -1
    scores = [c.info["score"] for c in cands]
    assert scores == sorted(scores)


def test_grow_and_families(tmp_path, capsys):
    assert main(["grow", "double-helix", "--upto", "44", "--ligand", "SH",
                 "-o", str(tmp_path / "series")]) == 0
    files = sorted(p.name for p in (tmp_path / "series").glob("*.extxyz"))
    assert files == ["Au28_SH_20.extxyz", "Au36_SH_24.extxyz", "Au44_SH_28.extxyz"]
    assert main(["families"]) == 0
    text = capsys.readouterr().out
    assert "Au60(SR)36" in text and "predicted" in text and "[Au25(SR)18]-" in text


@pytest.mark.parametrize("args, words", [
    (["build", "Xx25(SR)18"], "unknown element 'Xx'"),
    (["build", "Au25(BAD)18"], "unknown ligand 'BAD'"),
    (["build", "Au25(SR)18", "--ligand", "XYZ"], "unknown ligand 'XYZ'"),
    (["build", "Au25(SR)18", "--ligand", "PPh3"], "is a phosphine, not a thiolate"),
    (["build", "Au25((SR)18"], "malformed"),
    (["build", "Au0(SR)18"], "must be positive"),
    (["build", "Au26(SR)18"], "no template family builds Au26(SR)18 (tried"),
    (["build", "Au25(SR)18", "--multiplicity", "1"], "impossible"),
    (["build", "Au25(SR)18", "--isomers", "0"], "at least 1"),
    (["grow", "no-such-family"], "unknown family"),
])
def test_bad_input_exits_2_with_one_line(args, words):
    res = run(*args)
    assert res.returncode == 2
    assert words in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_public_functions_survive_submodule_imports():
    """`clustergen.analyse` / `.relax` stay the functions after their modules load."""
    import importlib

    import clustergen
    importlib.import_module("clustergen.analysis.analyse")
    importlib.import_module("clustergen.compute.relax")
    assert callable(clustergen.analyse) and callable(clustergen.relax)
    assert clustergen.relax is clustergen.compute.relax.relax  # module and function apart
    cand = clustergen.build("[Au25(SR)18]-", ligand="SH", isomers=1)[0]
    assert clustergen.analyse(cand).inventory == {"dimer": 6}
