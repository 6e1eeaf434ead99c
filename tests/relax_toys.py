"""Small gold thiolates for fast tblite tests (built here, not read from references)."""
import numpy as np
from clustergen.core.model import make_cluster

AU_S, S_C, C_H, S_H = 2.30, 1.82, 1.09, 1.35


def _methyl(s, direction):
    d = np.asarray(direction, float)
    d /= np.linalg.norm(d)
    c = s + S_C * d
    a = np.cross(d, [0.0, 0.0, 1.0])
    if np.linalg.norm(a) < 1e-3:
        a = np.cross(d, [1.0, 0.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    tet = np.radians(180 - 109.47)
    hs = [c + C_H * (np.cos(tet) * d + np.sin(tet) * (np.cos(p) * a + np.sin(p) * b))
          for p in 2 * np.pi * np.arange(3) / 3]
    return [c] + hs


def au_sch3_2():
    """[Au(SCH3)2]-: linear S-Au-S, Au-S-C 104 deg, methyls anti."""
    th = np.radians(104)
    s1, s2 = np.array([AU_S, 0, 0]), np.array([-AU_S, 0, 0])
    pos = [np.zeros(3), s1, s2] + _methyl(s1, [-np.cos(th), np.sin(th), 0]) \
        + _methyl(s2, [np.cos(th), -np.sin(th), 0])
    sym = ["Au", "S", "S"] + ["C", "H", "H", "H"] * 2
    roles = ["staple", "S", "S"] + ["ligand"] * 8
    return make_cluster(sym, pos, roles, formula="[Au(SCH3)2]-", charge=-1,
                        multiplicity=1, nstar=0, host="Au", motifs="monomer:1")


def au2_sh2():
    """Au2(SH)2 four-membered ring, Au-Au 3.0 A."""
    a, b = 1.5, np.sqrt(AU_S**2 - 1.5**2)
    pos = [[a, 0, 0], [-a, 0, 0], [0, b, 0], [0, -b, 0],
           [0, b + S_H * 0.5, S_H * 0.866], [0, -b - S_H * 0.5, S_H * 0.866]]
    return make_cluster(["Au", "Au", "S", "S", "H", "H"], pos,
                        ["staple", "staple", "S", "S", "ligand", "ligand"],
                        formula="Au2(SH)2", charge=0, multiplicity=1, nstar=0, host="Au")


def au4_sh4():
    """Au4(SH)4 eight-membered ring: Au square (3.1 A) with S over each edge."""
    h, out = 1.55, np.sqrt(AU_S**2 - 1.55**2)
    au = [[h, h, 0], [-h, h, 0], [-h, -h, 0], [h, -h, 0]]
    s = [[h + out, 0, 0], [0, h + out, 0], [-h - out, 0, 0], [0, -h - out, 0]]
    hh = [np.add(p, S_H * np.array([0.3 * np.sign(p[0]), 0.3 * np.sign(p[1]), 0.95]))
          for p in s]
    return make_cluster(["Au"] * 4 + ["S"] * 4 + ["H"] * 4, au + s + hh,
                        ["staple"] * 4 + ["S"] * 4 + ["ligand"] * 4,
                        formula="Au4(SH)4", charge=0, multiplicity=1, nstar=0, host="Au")


def hs_pair(gap=2.7):
    """Two SH radicals with S...S = ``gap``: relaxing makes a disulfide HS-SH."""
    pos = [[0, 0, 0], [gap, 0, 0], [-0.4, 1.29, 0], [gap + 0.4, 0, 1.29]]
    return make_cluster(["S", "S", "H", "H"], pos, ["S", "S", "ligand", "ligand"],
                        formula="(SH)2", charge=0, multiplicity=1, nstar=0, host="Au")


def rattled(atoms, seed, stdev=0.05):
    """A copy with positions displaced by Gaussian noise (a distinct candidate id)."""
    out = atoms.copy()
    out.rattle(stdev=stdev, seed=seed)
    out.info["isomer"] = f"rattled-{seed}"
    return out
