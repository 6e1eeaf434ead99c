"""Rebuild the shipped dft-gap model from a local copy of NC_Database.

    python structures/nc_database/build_model.py /path/to/NC_Database [--cv]

The GFN1-xTB gaps of the CH3-capped frameworks are cached in ``gfn1_gaps_sch3.csv``
beside this script (computed only for clusters missing there).  ``--cv`` prints the
leave-one-family-out errors that go into the model's metadata; ``--cached-only`` uses
only the clusters already in the cache (no GFN1 runs).
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from clustergen.rank import dft_gap
from clustergen.rank.surrogate import fit

CACHE = os.path.join(HERE, "gfn1_gaps_sch3.csv")


def main(folder, cv=True, cached_only=False):
    clusters = dft_gap.read_nc_database(folder)
    if cached_only:  # build from the clusters whose GFN1 gap is already computed
        done = dft_gap.cached_gaps(CACHE)
        clusters = [c for c in clusters if c.info["path"] in done]
    rows = dft_gap.training_rows(clusters, CACHE)
    y = np.array([r["y"] for r in rows])
    base = np.array([r["base"] for r in rows])
    print(f"{len(rows)} clusters; DFT vs GFN1(SCH3) gap r = {np.corrcoef(y, base)[0, 1]:.3f}")
    meta = {}
    if cv:
        yy, m, s, groups = dft_gap.group_cv(rows)
        err = np.abs(m - yy)
        # the plain calibration a*GFN1+b under the same split, for comparison
        lin = np.zeros(len(rows))
        for g in set(groups):
            te = groups == g
            a, b = np.polyfit(base[~te], y[~te], 1)
            lin[te] = a * base[te] + b
        meta = {"group_cv_mae": float(err.mean()), "group_cv_max": float(err.max()),
                "group_cv_linear_mae": float(np.abs(lin - y).mean()),
                "group_cv_z_rms": float(np.sqrt(np.mean(((m - yy) / s) ** 2))),
                "group_cv": "leave one cluster family (same Au count) out",
                "n_groups": len(set(groups))}
        for r, mm, ss in zip(rows, m, s):
            print(f"  {r['id']:24s} DFT {r['y']:.3f}  GFN1 {r['base']:.3f}  "
                  f"pred {mm:.3f} +- {ss:.3f}")
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in meta.items()})
    model = fit(rows, "gap", seed=0, note="trained on NC_Database fully protected "
                "clusters (GPL-3.0, Mpourmpakis group); see structures/nc_database")
    model.meta.update(meta, base="sch3-single-point", training_data="NC_Database "
                      f"fully_protected ({len(rows)} of the 24 clusters with DFT gaps), "
                      "commit d9656e3", training_clusters=[r["id"] for r in rows],
                      licence="GPL-3.0 (derived from GPL-3.0 data)")
    model.save(dft_gap.MODEL_PATH)
    print(f"wrote {dft_gap.MODEL_PATH}")


if __name__ == "__main__":
    main(sys.argv[1], cv="--cv" in sys.argv, cached_only="--cached-only" in sys.argv)
