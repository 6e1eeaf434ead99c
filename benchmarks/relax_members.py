"""Pipeline vs public structure, per known member, GFN1-xTB with the default protocol:
energy and gap of the built candidate the main job would relax (the lowest-score isomer
of the member's family) against the same composition and ligand on the public Au+S
framework (structures/reference/), R groups placed by clustergen's own rules
(:func:`clustergen.generation.ligate.ligate`).  Goal: dE <= 0.05 eV, dgap <= 0.05 eV.

The public framework is relaxed with its staples' R sets in both hands
(:func:`clustergen.generation.sulfur.assign`, ``hand="steric"`` and ``"other"``): the
reference is the lower of the two, the lowest minimum reached from the public structure
with clustergen's R rules.  With ``--ligand SCH3 --published`` the public SCH3 DFT model
itself, CH3 groups as published, is one more public start; ``--published-sides`` adds
the built framework with the published model's S configurations (a diagnosis, not the
pipeline's answer).  The pipeline's answer is what the main job builds (the
family's hand); with ``--hands`` it is the lower of both hands (``build(...,
sulfur="hands")``, the opt-in search).  With ``--sulfur-both`` the built framework is
also relaxed with the other S pattern (``mirror`` next to the default ``c2``) and the
lower of the two is the pipeline's answer; the public framework likewise gets both
patterns.  With ``--own-sides`` two more public starts join the reference: the public
full-ligand DFT model's framework with the S configurations its own published R groups
have (structures/reference/full_ligand/, where present), and the public framework with
the S configurations of the pipeline's relaxed answer (telling a framework difference
from an S-configuration difference); the table then also compares with the first alone.
Rows print as each relaxation finishes, the table at the end.

    nice env OMP_NUM_THREADS=1 python benchmarks/relax_members.py --ligand SH \\
        [--members au28 au36 ...] [--isomers 2] [--hands] [--sulfur-both] [--own-sides] \\
        [--db runs/au60/results.db]
"""

import argparse
import os
import sys

import numpy as np
from relax_common import load_line, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# key: (formula, family, public framework file)
MEMBERS = {
    "au28": ("Au28(SR)20", "double-helix", "au28_sr20_dft_a.xyz"),
    "au36": ("Au36(SR)24", "double-helix", "au36_sr24_dft.xyz"),
    "au44": ("Au44(SR)28", "double-helix", "au44_sr28_dft.xyz"),
    "au52": ("Au52(SR)32", "double-helix", "au52_sr32_dft_a.xyz"),
    "au25": ("[Au25(SR)18]-", "face-sharing-icosahedra", "au25_sr18_dft.xyz"),
    "au38": ("Au38(SR)24", "face-sharing-icosahedra", "au38_sr24_dft.xyz"),
    # the crystal frameworks (Au+S of the crystal-derived models; the DFT Au25 model is
    # the neutral, open-shell cluster)
    "au25-xtal": ("[Au25(SR)18]-", "face-sharing-icosahedra", "au25_sr18_xtal.xyz"),
    "au36-xtal": ("Au36(SR)24", "double-helix", "au36_sr24_xtal.xyz"),
    "au38-xtal": ("Au38(SR)24", "face-sharing-icosahedra", "au38_sr24_xtal.xyz"),
}


def reference(key):
    from ase.io import read

    return read(os.path.join(ROOT, "structures", "reference", MEMBERS[key][2]))


def framework(atoms):
    """Au and S only (a public model may carry C and H)."""
    keep = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s in ("Au", "S")]
    return atoms[keep]


def public_start(key, ligand, sulfur, charge, hand="steric"):
    """The public Au+S framework with ``ligand`` placed by clustergen's R rules, with the
    S-configuration pattern ``sulfur`` (None: each staple type's default, as ``build``)
    in the staple hand ``hand``."""
    from clustergen.generation.ligate import ligate
    from clustergen.generation.sulfur import assign

    bare = framework(reference(key))
    if sulfur is not None and hand == "steric":   # ligate's choice is the steric one
        return ligate(bare, ligand, charge=charge, sulfur=sulfur)
    return _with_sides(bare, ligand, charge, lambda frame: assign(frame, sulfur, hand))


# the public full-ligand DFT models (structures/reference/full_ligand/, not committed):
# their own R groups fix each S configuration as published
FULL_LIGAND = {"au25": "au25_pet18_-1_opt.xyz", "au28": "au28_tbbt20_opt.xyz",
               "au36": "au36_tbbt24_opt.xyz", "au38": "au38_pet24q_opt.xyz",
               "au44": "au44_tbbt28_opt.xyz", "au52": "au52_tbbt32_opt.xyz"}


# the public DFT models with their SCH3 as published (NC_Database sch3_protected/, CP2K
# optimised; structures/reference/sch3/, not committed): no R placed by clustergen at all
PUBLISHED_SCH3 = {"au25": "025_18_minus1_cp2k_opt.xyz", "au28": "028_20_cp2k_opt.xyz",
                  "au36": "036_24_cp2k_opt.xyz", "au38": "038_24q_cp2k_opt.xyz",
                  "au52": "052_32_cp2k_opt.xyz"}


def published_start(key, ligand, charge):
    """The public SCH3 model exactly as published (its own CH3 groups), or None where
    there is none here or the ligand is not SCH3."""
    from ase.io import read
    from clustergen.analysis.analyse import assign_roles
    from clustergen.generation.ligate import ligate

    path = os.path.join(ROOT, "structures", "reference", "sch3", PUBLISHED_SCH3.get(key, "-"))
    if ligand != "SCH3" or not os.path.exists(path):
        return None
    model = read(path)
    model.positions -= model.positions.mean(axis=0)
    assign_roles(model, charge)
    info = ligate(framework(model), ligand, charge=charge, sulfur="free").info
    model.info.update(info, sulfur="published")
    return model


def _with_sides(bare, ligand, charge, sides_of):
    """``bare`` (Au+S) with ``ligand`` placed on the S configurations ``sides_of(frame)``
    gives for its stripped framework (``{S: (a, b, configuration)}``)."""
    from clustergen.analysis.analyse import assign_roles
    from clustergen.generation.ligand_chem import resolve
    from clustergen.generation.ligate import ligate, place, strip

    info = ligate(bare, ligand, charge=charge, sulfur="free").info     # formula, charge
    work = bare.copy()
    assign_roles(work, charge)
    frame, _, _ = strip(work, {"thiolate"})
    out = place(frame, [resolve(ligand)], sides=sides_of(frame))
    out.info.update(info)
    return out


def public_own_start(key, ligand, charge):
    """The public full-ligand model's Au+S framework with ``ligand`` on the S
    configurations its own published R groups have (None if no such model is here)."""
    from ase.io import read
    from clustergen.analysis.analyse import assign_roles
    from clustergen.generation.sulfur import present

    path = os.path.join(ROOT, "structures", "reference", "full_ligand",
                        FULL_LIGAND.get(key, "-"))
    if not os.path.exists(path):
        return None
    full = read(path)
    assign_roles(full, charge)
    keep = [i for i, s in enumerate(full.get_chemical_symbols()) if s in ("Au", "S")]
    sides = present(full)          # Au and S come first in these files: same indices
    assert keep == list(range(len(keep))), "Au+S are not the model's first atoms"
    return _with_sides(framework(full), ligand, charge, lambda frame: sides)


def _mapped_sides(frame, donor_start, donor_relaxed):
    """``{S: (a, b, configuration)}`` on ``frame`` read from the R groups of
    ``donor_relaxed``, atoms matched through the framework alignment of ``donor_start``
    (same indices as ``donor_relaxed``; a mirror-image match flips each configuration)."""
    from clustergen.analysis.compare import align_frameworks
    from clustergen.generation.sulfur import present

    al = align_frameworks(frame, donor_start)
    index = dict(zip(al.index_b.tolist(), al.index_a.tolist()))
    sign = -1 if al.mirrored else 1
    return {index[s]: (index[a], index[b], g * sign)
            for s, (a, b, g) in present(donor_relaxed).items()}


def transplanted_start(key, ligand, charge, donor_start, donor_relaxed):
    """The public Au+S framework with the S configurations of another relaxed structure."""
    return _with_sides(framework(reference(key)), ligand, charge,
                       lambda frame: _mapped_sides(frame, donor_start, donor_relaxed))


def built_with_published_sides(built, published):
    """The built framework with the published model's own S configurations: does the
    framework or do the S configurations decide the basin?"""
    from clustergen.generation.ligand_chem import resolve
    from clustergen.generation.ligate import place, strip

    frame, _, _ = strip(built, {"thiolate"})
    out = place(frame, [resolve(built.info["ligand"])],
                sides=_mapped_sides(frame, published, published))
    out.info.update(built.info, sulfur="published-S")
    return out


def pipeline_starts(key, ligand, sulfur=None, isomers=1):
    """What the main job relaxes for this member: the ``isomers`` lowest-score isomers of
    its family (the main job: 1; ``sulfur="hands"``: each in both staple hands)."""
    from clustergen.generation.generate import build

    formula, family, _ = MEMBERS[key]
    return build(formula, ligand=ligand, isomers=isomers, family=family, sulfur=sulfur)


def relax_row(key, label, atoms, args, ref):
    """Relax ``atoms`` (or read its result: results are stored by candidate id in
    ``args.db``, so a main-job database already holds the built members)."""
    from clustergen.analysis.compare import framework_rmsd
    from clustergen.compute.relax import relax

    rmsd0 = framework_rmsd(atoms, ref)
    out = relax([atoms], db=args.db, workers=0, optimiser=args.optimiser, fmax=args.fmax,
                steps=args.steps, progress=False)[0]
    rec = out.info
    row = {"member": key, "start": label, "status": rec["status"],
           "calls": rec.get("force_calls", -1), "cpu": rec.get("cpu", np.nan),
           "energy": rec.get("energy", np.nan), "gap": rec.get("gap") or np.nan,
           "rmsd0": rmsd0, "rmsd": framework_rmsd(out, ref),
           "topology": rec.get("topology", ""), "structures": (atoms, out)}
    print(f"  {key:5s} {label:16s} {row['status']:16s} calls {row['calls']:4d} "
          f"cpu {row['cpu']:6.0f} s  E {row['energy']:.4f} eV gap {row['gap']:.3f}  "
          f"Au+S RMSD to public {rmsd0:.3f} -> {row['rmsd']:.3f} A  {row['topology']}",
          flush=True)
    return row


def member(key, args):
    ref = reference(key)
    patterns = ["c2", "mirror"] if args.sulfur_both else [None]
    rows = []
    for pattern in patterns:
        name = pattern or "default"
        asked = "hands" if args.hands and pattern is None else pattern
        for built in pipeline_starts(key, args.ligand, asked, args.isomers):
            rows.append(relax_row(key, f"built {built.info['isomer']} {name}", built, args,
                                  ref))
        charge = built.info.get("charge", 0)
        for hand in () if args.published_only else ("steric", "other"):
            pub = public_start(key, args.ligand, pattern, charge, hand)
            rows.append(relax_row(key, f"public {name} {hand}", pub, args, ref))
    published = (published_start(key, args.ligand, charge)
                 if args.published or args.published_only else None)
    if published is not None:
        rows.append(relax_row(key, "public published", published, args, ref))
        if args.published_sides:
            rows.append(relax_row(key, "built published-S",
                                  built_with_published_sides(built, published), args, ref))
    if args.own_sides:
        own = public_own_start(key, args.ligand, charge)
        if own is not None:
            rows.append(relax_row(key, "public own-S", own, args, ref))
        built_rows = [r for r in rows if r["start"].startswith("built")]
        best = min(built_rows, key=lambda r: r["energy"])
        start, relaxed = best["structures"]
        pub = transplanted_start(key, args.ligand, charge, start, relaxed)
        rows.append(relax_row(key, "public built-S", pub, args, ref))
    return rows


GOAL = 0.05  # eV: dE <= GOAL and |dgap| <= GOAL


def summary(rows):
    """The table: lowest relaxed start of each kind per member (a topology-changed
    relaxation counts, marked *: it is still the minimum that start reached)."""
    print(f"\n{'member':6s} {'E built':>12s} {'E public':>12s} {'dE/eV':>7s} "
          f"{'gap b':>6s} {'gap p':>6s} {'dgap':>6s} goal  calls b/p   "
          "(lowest start of each kind)")
    for key in dict.fromkeys(r["member"] for r in rows):
        best = {}
        for kind in ("built", "public"):
            ok = [r for r in rows if r["member"] == key and r["start"].startswith(kind)
                  and r["start"] != "built published-S"
                  and r["status"] in ("converged", "topology-changed")]
            best[kind] = min(ok, key=lambda r: r["energy"]) if ok else None
        b, p = best["built"], best["public"]
        if not (b and p):
            print(f"{key:6s} (a start did not converge)")
            continue
        de, dgap = b["energy"] - p["energy"], b["gap"] - p["gap"]
        mark = {r["start"]: "*" if r["status"] != "converged" else "" for r in (b, p)}
        print(f"{key:6s} {b['energy']:12.4f} {p['energy']:12.4f} {de:7.3f} "
              f"{b['gap']:6.2f} {p['gap']:6.2f} {dgap:6.2f} "
              f"{'yes' if de <= GOAL and abs(dgap) <= GOAL else 'no':4s}  "
              f"{b['calls']}/{p['calls']}  ({b['start']}{mark[b['start']]} vs "
              f"{p['start']}{mark[p['start']]})")
        own = [r for r in rows if r["member"] == key
               and r["start"] in ("public own-S", "public published")]
        if own:
            o = own[0]
            print(f"{'':6s} {'vs ' + o['start'].split()[1]:>12s} {o['energy']:12.4f} "
                  f"{b['energy'] - o['energy']:7.3f} {'':6s} {o['gap']:6.2f} "
                  f"{b['gap'] - o['gap']:6.2f} ({o['status']})")


def main():
    from clustergen.compute import blas
    from clustergen.compute.relax import DEFAULT_OPTIMISER, FMAX

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", nargs="+", default=list(MEMBERS), choices=MEMBERS)
    ap.add_argument("--ligand", default="SH")
    ap.add_argument("--optimiser", default=DEFAULT_OPTIMISER)
    ap.add_argument("--fmax", type=float, default=FMAX)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--db", default="relax_members.db",
                    help="results store (e.g. runs/au60/results.db of the main job: its "
                         "built members are read back, not relaxed again)")
    ap.add_argument("--isomers", type=int, default=1,
                    help="built isomers per member (lowest score first; the main job: 1)")
    ap.add_argument("--hands", action="store_true",
                    help="pipeline side: both staple hands of each isomer, keep the lower "
                         "(the opt-in search; default: the family's hand, as the main job)")
    ap.add_argument("--published", action="store_true",
                    help="with --ligand SCH3: one more public start, the public SCH3 DFT "
                         "model with its own CH3 groups as published (structures/reference/"
                         "sch3/); the table then also compares with it alone")
    ap.add_argument("--published-only", action="store_true",
                    help="as --published, without the public starts with R placed by "
                         "clustergen's rules (half the relaxations)")
    ap.add_argument("--published-sides", action="store_true",
                    help="with --published(-only): the built framework with the published "
                         "model's S configurations too (not counted as the pipeline's)")
    ap.add_argument("--own-sides", action="store_true",
                    help="two more public starts: the full-ligand public model's framework "
                         "with its own published S configurations, and the public framework "
                         "with the S configurations of the pipeline's relaxed answer")
    ap.add_argument("--sulfur-both", action="store_true",
                    help="relax both S patterns (c2, mirror) of each start, keep the lower")
    args = ap.parse_args()
    print(f"GFN1-xTB {args.optimiser} to {args.fmax} eV/A, ligand {args.ligand}, BLAS route "
          f"{blas.load()}; {load_line()}", flush=True)
    rows = []
    for key in args.members:
        rows += member(key, args)
    summary(rows)
    print(load_line())


if __name__ == "__main__":
    sys.exit(run(main))
