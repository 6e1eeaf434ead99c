"""S configuration of built thiolates: read from the built coordinates, never from a flag."""

import numpy as np
import pytest

import clustergen
from clustergen.analysis.analyse import analyse
from clustergen.core.errors import ClusterGenError
from clustergen.generation.ligand_chem import resolve
from clustergen.generation.ligand_fit import clashes
from clustergen.generation.ligate import ligate, place

METALS = ("kernel", "staple")


@pytest.fixture(scope="module")
def au25():
    """[Au25(SCH3)18]- with each pattern, from one build call ('all')."""
    cands = clustergen.build("[Au25(SR)18]-", ligand="SCH3", isomers=1, sulfur="all")
    return {a.info["sulfur"]: a for a in cands}


def _side(atoms, s, a, b):
    """Side of the a-S-b plane that the R atom bonded to S ``s`` lies on (+1/-1)."""
    pos = atoms.positions
    d = np.linalg.norm(pos - pos[s], axis=1)
    r = [j for j in np.argsort(d) if atoms.arrays["role"][j] == "ligand" and d[j] < 2.0][0]
    return int(np.sign((pos[r] - pos[s]) @ np.cross(pos[a] - pos[s], pos[b] - pos[s])))


def _staples(atoms):
    """Per dimeric staple: (terminal configurations, central R outward component)."""
    res = analyse(atoms)
    pos, roles = atoms.positions, atoms.arrays["role"]
    centre = pos[np.isin(roles, METALS)].mean(axis=0)
    out = []
    for m in res.motifs:
        if m["type"] != "dimer":
            continue
        s0, sc, s1 = m["sulfur"]
        m0, m1 = m["metal"]
        ends = []
        for s, st in ((s0, m0), (s1, m1)):
            k = [j for j in res.kernel if np.linalg.norm(pos[j] - pos[s]) < 2.7]
            assert len(k) == 1, f"terminal S{s} on {len(k)} kernel atoms"
            ends.append(_side(atoms, s, k[0], st))
        r = [j for j in np.flatnonzero(roles == "ligand")
             if atoms.get_chemical_symbols()[j] == "C" and np.linalg.norm(pos[j] - pos[sc]) < 2]
        out.append((ends, float((pos[r[0]] - pos[sc]) @ (pos[sc] - centre))))
    return out


def test_au25_default_is_c2_like(au25):
    staples = _staples(au25["default"])
    assert len(staples) == 6
    for ends, outward in staples:
        assert ends[0] == ends[1]             # C2-like: one configuration for both ends
        assert outward > 0                    # central R on the outer side
    assert au25["default"].info["isomer"] == "a"


def test_au25_mirror_on_request(au25):
    staples = _staples(au25["mirror"])
    assert len(staples) == 6
    assert all(ends[0] == -ends[1] for ends, _ in staples)
    assert au25["mirror"].info["isomer"] == "a-mirror"
    only = clustergen.build("[Au25(SR)18]-", ligand="SCH3", isomers=1, sulfur="mirror")[0]
    assert all(ends[0] == -ends[1] for ends, _ in _staples(only))


def test_patterns_share_the_framework_and_are_sound(au25):
    a, b = au25["default"], au25["mirror"]
    frame = np.isin(a.arrays["role"], METALS + ("S",))
    assert a.get_chemical_symbols() == b.get_chemical_symbols()
    assert np.array_equal(a.positions[frame], b.positions[frame])
    assert not np.allclose(a.positions[~frame], b.positions[~frame])
    for atoms in (a, b):
        assert atoms.get_chemical_formula() == "C18H54Au25S18"
        assert int(atoms.arrays["ligand_index"].max()) + 1 == 18
        n = int(frame.sum())
        owner = atoms.arrays["ligand_index"].copy()
        donor_of = np.full(len(atoms), -1)
        donor_of[:n] = owner[:n]
        owner[:n] = -1
        assert clashes(atoms.positions, atoms.numbers == 1, owner, donor_of) == []
        # every R at a sane M-S-C angle (the fixed rule tilts up to 30 deg off the ideal
        # 106) and clearly on one side of its M-S-M plane, not squeezed into it
        d = atoms.get_all_distances()
        pos = atoms.positions
        for s in np.flatnonzero(atoms.arrays["role"] == "S"):
            c = np.flatnonzero((atoms.numbers == 6) & (d[s] < 2.0))
            assert len(c) == 1
            m = np.flatnonzero(np.isin(atoms.arrays["role"], METALS) & (d[s] < 2.7))
            assert len(m) == 2
            assert all(90 < atoms.get_angle(j, s, c[0]) < 130 for j in m)
            normal = np.cross(pos[m[0]] - pos[s], pos[m[1]] - pos[s])
            assert abs((pos[c[0]] - pos[s]) @ normal) / np.linalg.norm(normal) > 0.6


def test_real_ligand_follows_the_pattern(au25):
    """RDKit poses (ligand_fit) keep the configuration of the pattern asked for."""
    frame = au25["default"][[i for i, r in enumerate(au25["default"].arrays["role"])
                             if r != "ligand"]]
    for pattern, relation in (("c2", 1), ("mirror", -1)):
        out = place(frame, [resolve("SCH3")], sulfur=pattern)
        assert all(ends[0] == relation * ends[1] for ends, _ in _staples(out))


def test_ligand_exchange_takes_the_pattern_asked_for(au25):
    pet = ligate(au25["default"], "PET", sulfur="mirror")
    assert all(ends[0] == -ends[1] for ends, _ in _staples(pet))
    assert pet.info.get("sulfur") != "free"


def test_unknown_pattern_is_an_input_error():
    with pytest.raises(ClusterGenError, match="S-configuration pattern 'helical'"):
        clustergen.build("[Au25(SR)18]-", ligand="SH", isomers=1, sulfur="helical")


@pytest.fixture(scope="module")
def au28_hands():
    """Au28(SCH3)20 double helix in both staple hands, from one build call ('hands')."""
    return clustergen.build("Au28(SR)20", ligand="SCH3", isomers=1, family="double-helix",
                            sulfur="hands")


def _central_sides(atoms):
    res = analyse(atoms)
    out = []
    for m in res.motifs:
        if m["type"] == "dimer":
            (m0, m1), sc = m["metal"], m["sulfur"][1]
            out.append(_side(atoms, sc, min(m0, m1), max(m0, m1)))
    return out


def test_hands_are_local_mirror_images_on_one_framework(au28_hands):
    a, h = au28_hands
    assert (a.info["isomer"], h.info["isomer"]) == ("a", "a-hand")
    frame = np.isin(a.arrays["role"], METALS + ("S",))
    assert np.array_equal(a.positions[frame], h.positions[frame])
    sa, sh = _staples(a), _staples(h)
    assert len(sa) == len(sh) == 4
    for (ends_a, _), (ends_h, _) in zip(sa, sh):
        assert ends_a[0] == ends_a[1] and ends_h[0] == ends_h[1]   # both C2-like
        assert ends_h == [-e for e in ends_a]                      # other realisation
    assert _central_sides(h) == [-x for x in _central_sides(a)]   # other side inside
    # the default build is the family's hand (double helix: "other"), the same atoms
    default = clustergen.build("Au28(SR)20", ligand="SCH3", isomers=1,
                               family="double-helix")[0]
    assert np.array_equal(default.positions, a.positions)


def test_other_hand_is_sound(au28_hands):
    """The reversed sides still give every R a sane M-S-C angle and no clash."""
    h = au28_hands[1]
    n = int(np.isin(h.arrays["role"], METALS + ("S",)).sum())
    owner = h.arrays["ligand_index"].copy()
    donor_of = np.full(len(h), -1)
    donor_of[:n] = owner[:n]
    owner[:n] = -1
    assert clashes(h.positions, h.numbers == 1, owner, donor_of) == []
    d = h.get_all_distances()
    for s in np.flatnonzero(h.arrays["role"] == "S"):
        c = np.flatnonzero((h.numbers == 6) & (d[s] < 2.0))
        m = np.flatnonzero(np.isin(h.arrays["role"], METALS) & (d[s] < 2.7))
        assert len(c) == 1 and len(m) == 2
        assert all(90 < h.get_angle(j, s, c[0]) < 130 for j in m)


def test_family_hand_and_unknown_hand():
    from clustergen.generation.generate import frameworks
    from clustergen.generation.sulfur import assign, family_hand
    au25 = frameworks("face-sharing-icosahedra", 1, limit=1)[0]
    assert family_hand(au25) == "steric"      # the [Au25(SR)18]- crystal's choice
    assert assign(au25, None) == assign(au25, None, "steric")
    with pytest.raises(ClusterGenError, match="staple hand 'left'"):
        assign(au25, None, "left")


def test_workflow_build_takes_the_sulfur_option():
    from clustergen.workflow.config import load
    from clustergen.workflow.stages.build import build_candidates
    cfg = load("build: {formulas: ['Au28(SR)20'], ligand: SH, isomers: 1, sulfur: hands}")
    cands = [c for c in build_candidates(cfg["build"]) if c.info["family"] == "double-helix"]
    assert [c.info["isomer"] for c in cands] == ["a", "a-hand"]
    with pytest.raises(ClusterGenError, match="S-configuration pattern 'left'"):
        load("build: {formulas: ['Au28(SR)20'], ligand: SH, sulfur: left}")
