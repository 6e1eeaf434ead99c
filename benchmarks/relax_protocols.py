"""Relaxation protocols on built members, GFN1-xTB: force calls, wall time, the spread of
final energies over perturbed starts, topology kept.  Criterion for the default: the
starts of one candidate agree to <= 0.05 eV in the fewest force calls.

Starts per cluster: the built model rattled by ``--stdev`` A (seeds 1..``--starts``)
and, for Au28(SCH3)20, two starts on the public DFT framework (Au+S of
structures/reference/au28_sr20_dft_a.xyz, mapped onto the built model): with CH3
placed by clustergen's ligand rules ("dft+R placed") and with the built model's own CH3
carried along with each S ("dft+R built"); and the built framework with CH3 on the sides
(S configurations) of the "dft+R placed" start ("built+R dft").  Rows print as each
relaxation finishes.

    nice python benchmarks/relax_protocols.py --clusters au28 \\
        --protocols FIRE@0.1 FIRE+LBFGS@0.02 [--starts 3] [--dft] [--steps 800] \\
        [--ligand SH] [--sulfur c2|mirror] [--only 'built~1' 'dft+R placed']
"""

import argparse
import os
import sys

import numpy as np
from relax_common import load_line, rattled_copies, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMULAS = {"au25": ("[Au25(SR)18]-", "au25_sr18_dft.xyz"),
            "au28": ("Au28(SR)20", "au28_sr20_dft_a.xyz")}


def reference(name):
    from ase.io import read

    return read(os.path.join(ROOT, "structures", "reference", FORMULAS[name][1]))


def built_model(name, ligand="SCH3", sulfur=None):
    """The built isomer whose Au+S framework is closest to the public DFT model, R placed
    with the S-configuration pattern ``sulfur`` (None: the default of each staple type)."""
    from clustergen.analysis.compare import framework_rmsd
    from clustergen.generation.generate import build

    ref = reference(name)
    cands = build(FORMULAS[name][0], ligand=ligand, isomers=16, sulfur=sulfur)
    return min(cands, key=lambda a: framework_rmsd(a, ref))


def on_dft_framework(built, ref, carry_r, pattern=None):
    """``built`` with its Au+S moved onto the DFT framework ``ref``; CH3 re-placed by
    the ligand rules (S-configuration pattern ``pattern``), or (``carry_r``) translated
    with the S each is bound to."""
    from clustergen.analysis.compare import align_frameworks
    from clustergen.generation.ligands import add_ligands

    al = align_frameworks(built, ref)
    out = built.copy()
    new = out.positions.copy()
    new[al.index_a] = al.positions[al.index_b]
    roles = np.asarray(out.arrays["role"])
    lig = np.flatnonzero(roles == "ligand")
    sulfur = np.flatnonzero(roles == "S")
    if carry_r:
        d = built.get_all_distances()
        for i in lig:  # each R atom moves with its nearest S
            s = sulfur[np.argmin(d[i, sulfur])]
            new[i] = built.positions[i] + new[s] - built.positions[s]
        out.positions = new
        return out
    out.positions = new
    frame = out[[i for i in range(len(out)) if roles[i] != "ligand"]]
    dressed = add_ligands(frame, "SCH3", sulfur=pattern)
    dressed.info = dict(built.info)
    return dressed


def with_configurations(built, other):
    """``built``'s framework with CH3 placed on the sides (S configurations) that the R
    groups of ``other`` (same framework atom order, e.g. a DFT-framework start) have."""
    from clustergen.generation.ligands import add_ligands
    from clustergen.generation.sulfur import present

    roles = np.asarray(built.arrays["role"])
    frame = built[[i for i in range(len(built)) if roles[i] != "ligand"]]
    out = add_ligands(frame, "SCH3", sides=present(other))
    out.info = dict(built.info)
    return out


def starts(name, n, stdev, dft, ligand="SCH3", sulfur=None):
    built = built_model(name, ligand, sulfur)
    out = {f"built~{k + 1}": a for k, a in
           enumerate(rattled_copies(built, n, first_seed=1, stdev=stdev))}
    if dft:  # interleaved, so that a run cut short has both kinds of start
        ref = reference(name)
        dft_starts = {"dft+R placed": on_dft_framework(built, ref, carry_r=False,
                                                       pattern=sulfur),
                      "dft+R built": on_dft_framework(built, ref, carry_r=True)}
        dft_starts["built+R dft"] = with_configurations(built, dft_starts["dft+R placed"])
        keys = list(out)
        out = dict(list(zip(keys[:1], [out[keys[0]]]))
                   + list(dft_starts.items())[:1] + [(k, out[k]) for k in keys[1:]]
                   + list(dft_starts.items())[1:])
    return built, out


def main():
    from clustergen.analysis.compare import framework_rmsd
    from clustergen.compute import blas
    from clustergen.compute.relax import relax_one

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", nargs="+", default=["au25", "au28"], choices=FORMULAS)
    ap.add_argument("--protocols", nargs="+",
                    default=["FIRE@0.1", "FIRE@0.05", "FIRE+LBFGS@0.02"],
                    help="optimiser@fmax (optimisers of clustergen.compute.relax)")
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--stdev", type=float, default=0.03, help="rattle of each start, A")
    ap.add_argument("--dft", action="store_true",
                    help="also start Au28 from the DFT framework (basin question)")
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--ligand", default="SCH3", help="SCH3, or SH for a cheaper test")
    ap.add_argument("--only", nargs="+", help="run only these starts, e.g. 'dft+R built'")
    ap.add_argument("--sulfur", choices=["c2", "mirror", "free"],
                    help="S-configuration pattern of the R groups (default: each staple "
                         "type's default, templates/sulfur.yaml; free: the earlier "
                         "steric choice at every S)")
    args = ap.parse_args()
    print(f"GFN1-xTB, BLAS route {blas.load()}; {load_line()}", flush=True)
    table = []
    for name in args.clusters:
        built, todo = starts(name, args.starts, args.stdev, args.dft and name == "au28",
                             args.ligand, args.sulfur)
        ref = reference(name)
        print(f"{name}: built {built.info.get('formula')} isomer {built.info.get('isomer')} "
              f"S pattern {built.info.get('sulfur')} "
              f"({built.info.get('motifs')}), {len(built)} atoms, Au+S RMSD to DFT "
              f"{framework_rmsd(built, ref):.3f} A", flush=True)
        for proto in args.protocols:
            opt, fmax = proto.split("@")
            for label, atoms in todo.items():
                if args.only and label not in args.only:
                    continue
                out, rec = relax_one(atoms, optimiser=opt, fmax=float(fmax),
                                     steps=args.steps)
                row = {"cluster": name, "protocol": proto, "start": label,
                       "calls": rec["force_calls"], "steps": rec["steps"],
                       "wall": rec["wall"], "cpu": rec.get("cpu", np.nan),
                       "status": rec["status"],
                       "energy": rec.get("energy", np.nan), "gap": rec.get("gap") or np.nan,
                       "rmsd": framework_rmsd(out, ref), "topology": rec.get("topology", "")}
                table.append(row)
                print(f"  {proto:18s} {label:13s} {row['status']:16s} calls {row['calls']:4d} "
                      f"steps {row['steps']:4d} {row['wall']:7.0f} s (cpu {row['cpu']:.0f} s)  "
                      f"E {row['energy']:.4f} eV "
                      f"gap {row['gap']:.2f}  RMSD {row['rmsd']:.3f}  {row['topology']}",
                      flush=True)
    summary(table)
    print(load_line())


def summary(table):
    print(f"\n{'cluster':7s} {'protocol':18s} {'calls':>6s} {'wall/s':>7s} {'cpu/s':>6s} "
          f"{'spread/eV':>9s} {'E min/eV':>12s}  topology   (over built~ starts)")
    keys = sorted({(r["cluster"], r["protocol"]) for r in table}, key=str)
    for cluster, proto in keys:
        rows = [r for r in table if (r["cluster"], r["protocol"]) == (cluster, proto)
                and r["start"].startswith("built")]
        if not rows:
            continue
        e = np.array([r["energy"] for r in rows])
        kept = "kept" if all(r["topology"] == "ok" for r in rows) else "CHANGED"
        print(f"{cluster:7s} {proto:18s} {np.mean([r['calls'] for r in rows]):6.0f} "
              f"{np.mean([r['wall'] for r in rows]):7.0f} "
              f"{np.mean([r['cpu'] for r in rows]):6.0f} {np.ptp(e):9.3f} "
              f"{e.min():12.4f}  {kept} ({len(rows)} starts)")


if __name__ == "__main__":
    sys.exit(run(main))
