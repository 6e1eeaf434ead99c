"""Configuration of each thiolate S (the side of the Au-S-Au plane its R sits on) in built
models, against the [Au25(SCH2CH2Ph)18]- crystal and against R placed by the same rules
on the public DFT framework of Au28(SR)20.  No GFN1: geometry only, seconds.

An S bound to Au a and Au b has configuration sign((C - S) . ((a - S) x (b - S))), a the
kernel Au for a terminal staple S (one kernel, one staple Au), else the lower index.  A
local optimiser cannot invert a thiolate S (the barrier is far above thermal), so two
starts that differ in configurations relax into different basins.  The built models use the default S-configuration pattern of each
staple type (templates/sulfur.yaml); the last block applies each pattern to the Au+S
framework of the references that keep their R groups.

    python benchmarks/sulfur_configurations.py
"""

import numpy as np
from ase.io import read

from relax_common import run
from relax_protocols import ROOT, built_model, on_dft_framework, reference


def _bonded(atoms, i, element, cutoff):
    sym = np.array(atoms.get_chemical_symbols())
    d = np.linalg.norm(atoms.positions - atoms.positions[i], axis=1)
    near = [j for j in np.argsort(d) if sym[j] == element and 0 < d[j] < cutoff]
    return near


def sulfur_sites(built):
    """(S, Au a, Au b, kind) for every S bound to two Au: a is the kernel Au of a
    terminal staple S; otherwise the lower index (same atoms in every compared model)."""
    roles = np.asarray(built.arrays["role"])
    out = []
    for s in np.flatnonzero(np.array(built.get_chemical_symbols()) == "S"):
        au = _bonded(built, s, "Au", 2.7)[:2]
        if len(au) < 2:
            continue
        kinds = sorted(roles[a] for a in au)
        kind = {("kernel", "staple"): "terminal", ("kernel", "kernel"): "bridging",
                ("staple", "staple"): "central"}.get(tuple(kinds), "other")
        a, b = sorted(au, key=lambda i: (roles[i] != "kernel", i))
        out.append((int(s), int(a), int(b), kind))
    return out


def configuration(positions, symbols, s, k, st):
    c = [j for j in range(len(symbols)) if symbols[j] == "C"
         and np.linalg.norm(positions[j] - positions[s]) < 2.0][0]
    p = positions
    return int(np.sign((p[c] - p[s]) @ np.cross(p[k] - p[s], p[st] - p[s])))


def compare(built, other, mapping):
    """(S, Au b, kind, built configuration, other configuration) per two-Au sulfur."""
    sym_b, sym_o = built.get_chemical_symbols(), other.get_chemical_symbols()
    return [(s, b, kind, configuration(built.positions, sym_b, s, a, b),
             configuration(other.positions, sym_o, mapping[s], mapping[a], mapping[b]))
            for s, a, b, kind in sulfur_sites(built)]


def staple_of(built, st):
    """The bridging (central) S of the staple that staple Au ``st`` belongs to."""
    roles = np.asarray(built.arrays["role"])
    for s in _bonded(built, st, "S", 2.7):
        if all(roles[a] == "staple" for a in _bonded(built, s, "Au", 2.7)[:2]):
            return int(s)
    return None


def report(title, built, rows):
    print(title)
    for kind in ("terminal", "central", "bridging"):
        sel = [r for r in rows if r[2] == kind]
        if sel:
            same = sum(r[3] == r[4] for r in sel)
            print(f"  {kind:8s} S: same configuration at {same} of {len(sel)}")
    by_staple = {}
    for s, st, kind, b, o in rows:
        if kind == "terminal":
            by_staple.setdefault(staple_of(built, st), []).append((b, o))
    pairs = [v for v in by_staple.values() if len(v) == 2]
    if pairs:
        equal_b = sum(v[0][0] == v[1][0] for v in pairs)
        equal_o = sum(v[0][1] == v[1][1] for v in pairs)
        print(f"  staples whose two terminal S share one configuration: built "
              f"{equal_b}/{len(pairs)}, other {equal_o}/{len(pairs)}")


def nearest_mapping(a, b):
    """Index in ``b`` of the same-element atom nearest to each Au/S of ``a``."""
    sym_a, sym_b = np.array(a.get_chemical_symbols()), np.array(b.get_chemical_symbols())
    out = {}
    for i in np.flatnonzero(np.isin(sym_a, ("Au", "S"))):
        d = np.linalg.norm(b.positions - a.positions[i], axis=1)
        d[sym_b != sym_a[i]] = np.inf
        out[int(i)] = int(np.argmin(d))
    return out


CRYSTALS = (("au25_sr18_xtal", -1), ("au38_sr24_xtal", 0), ("au102_sr44_xtal", 0),
            ("au30_sr18_dft_hcp", 0))


def rule_on_own_framework():
    """Each pattern of clustergen.generation.sulfur applied to the Au+S framework of a
    structure that has its R groups: configurations the rule gives vs those it has."""
    from clustergen.analysis.analyse import assign_roles
    from clustergen.generation.sulfur import assign, patterns, present

    print("Rule on the reference's own Au+S framework vs its own R (terminal / inner S)")
    for name, charge in CRYSTALS:
        ref = assign_roles(read(f"{ROOT}/structures/reference/{name}.xyz"), charge)
        keep = [i for i, r in enumerate(ref.arrays["role"]) if r != "ligand"]
        frame = ref[keep]
        real = present(ref)
        for pattern in patterns():
            agree = {"terminal": [0, 0], "inner": [0, 0]}
            for s, (a, b, sign) in assign(frame, pattern).items():
                kind = "terminal" if frame.arrays["role"][a] == "kernel" else "inner"
                agree[kind][0] += real[keep[s]][2] == sign
                agree[kind][1] += 1
            print(f"  {name:18s} {pattern:6s} " + "  ".join(
                f"{k} {v[0]}/{v[1]}" for k, v in agree.items()))


def main():
    from clustergen.analysis.compare import align_frameworks

    built = built_model("au25")
    xtal = read(f"{ROOT}/structures/reference/au25_sr18_xtal.xyz")
    al = align_frameworks(built, xtal)
    moved = xtal.copy()
    moved.positions = al.positions
    mapping = {int(i): int(j) for i, j in zip(al.index_a, al.index_b)}
    report("[Au25(SCH3)18]- built vs crystal [Au25(SCH2CH2Ph)18]-", built,
           compare(built, moved, mapping))
    built28 = built_model("au28")
    dft = on_dft_framework(built28, reference("au28"), carry_r=False)
    report("Au28(SCH3)20 built vs the same R rules on the DFT framework", built28,
           compare(built28, dft, nearest_mapping(built28, dft)))
    rule_on_own_framework()


if __name__ == "__main__":
    run(main)
