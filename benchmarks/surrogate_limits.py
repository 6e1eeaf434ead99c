"""What limits the relaxed-gap surrogate of 3 Cu in [Au25(SH)18]- (see surrogate.py).

Reads the relaxed pool of ``benchmarks/surrogate_cu3.db`` (and its trajectories in
``surrogate_cu3.db.traj/``, written by the relaxations) and prints the test MAE at 36
training configurations (mean +- sd over 10 random draws, all other configurations
held out) of the gap and relative-energy GP models with different inputs:

* the start structures (what the surrogate uses), the relaxed structures (an upper
  bound: the best this descriptor and model can do if the relaxation were known),
  and the structures after k optimiser steps (k force calls each, a fraction of a
  relaxation);
* the topology-change flag of the relaxation given as an extra feature (an oracle);
* descriptor settings (SOAP r_cut, n_max/l_max, role-aware species) and kernels.

``--noise`` relaxes a few start structures again after a 0.01 A rattle (GFN1-xTB,
package defaults, stored in ``surrogate_cu3_noise.db``; a few CPU-minutes each): how
far the relaxed gap moves when the start barely changes.

    OMP_NUM_THREADS=1 nice python benchmarks/surrogate_limits.py [--noise]
"""

import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import surrogate as bench  # the pool readers of the main benchmark

NOISE_DB = os.path.join(HERE, "surrogate_cu3_noise.db")
N_TRAIN, DRAWS = 36, 10
SPECIES = ["Au", "Cu", "S"]


def mae_at(x, y, n=N_TRAIN, draws=DRAWS, extra_kernel=None):
    """Test MAE at ``n`` training rows, mean and sd over ``draws`` random draws;
    ``extra_kernel`` is added to the package's GP kernel."""
    from clustergen.rank import surrogate
    from clustergen.rank.evaluate import learning_curve

    rows = [{"y": float(v)} for v in y]
    original = surrogate._gp

    def patched(n_features, seed):
        gp = original(n_features, seed)
        gp.kernel = gp.kernel + extra_kernel
        return gp

    if extra_kernel is not None:
        surrogate._gp = patched
    try:
        return learning_curve(rows, "gap", [n], draws, x=x)[0][1:]
    finally:
        surrogate._gp = original


def frames_after(results, configs, k):
    """Each configuration after ``k`` optimiser steps (its stored trajectory)."""
    from ase.io.trajectory import Trajectory

    out = []
    for res, start in zip(results, configs):
        path = os.path.join(f"{bench.DB}.traj", f"{res.info['cid']}.traj")
        with Trajectory(path) as traj:
            frame = traj[min(k, len(traj) - 1)]
        a = start.copy()
        a.positions = frame.positions
        out.append(a)
    return out


def role_species(atoms_list, settings=None):
    """Descriptors with staple metals as separate SOAP species (Au -> Ag, Cu -> Zn as
    labels only), so the local environments tell kernel and staple metals apart."""
    from clustergen.rank import descriptors

    original = descriptors.framework

    def relabelled(atoms):
        frame, labels = original(atoms)
        frame = frame.copy()
        swap = {"Au": "Ag", "Cu": "Zn"}
        frame.set_chemical_symbols([swap.get(s, s) if str(r) == "staple" else s for s, r in
                                    zip(frame.get_chemical_symbols(), frame.arrays["role"])])
        return frame, labels

    descriptors.framework = relabelled
    try:
        return descriptors.describe(atoms_list, ["Ag", "Au", "Cu", "S", "Zn"], settings)
    finally:
        descriptors.framework = original


def topology_seen(starts, frames, changed):
    """How many of the relaxations that change topology already show it in ``frames``
    (and how many that do not change show a change there)."""
    from clustergen.compute.topology import check_topology

    shown = np.array([bool(check_topology(a, b)) for a, b in zip(starts, frames)])
    return int(np.sum(shown & (changed == 1))), int(np.sum(shown & (changed == 0)))


def line(name, x, gap, energy, cost="", extra_kernel=None):
    g, e = mae_at(x, gap, extra_kernel=extra_kernel), mae_at(x, energy, extra_kernel=extra_kernel)
    print(f"  {name:42s} {g[0]:.4f} +- {g[1]:.4f}   {e[0]:.4f} +- {e[1]:.4f}  {cost}",
          flush=True)


def main():
    from clustergen.rank import descriptors

    warnings.simplefilter("ignore")
    configs, results = bench.stored_pool(bench.DB)
    keep = bench.usable(results)
    configs, results = [configs[i] for i in keep], [results[i] for i in keep]
    gap = np.array([r.info["gap"] for r in results])
    energy = np.array([r.info["energy"] for r in results])
    energy = energy - energy.min()
    changed = np.array([r.info["status"] == "topology-changed" for r in results], float)
    calls = np.array([r.info.get("force_calls", np.nan) for r in results], float)
    print(f"{len(configs)} relaxed configurations; gap sd {gap.std():.3f} eV (MAE of the "
          f"median {np.mean(np.abs(gap - np.median(gap))):.3f}); {int(changed.sum())} changed "
          f"topology; {np.nanmean(calls):.0f} force calls per relaxation on average")
    if "--noise" in sys.argv:
        noise(configs, results)
    print(f"test MAE (eV) at {N_TRAIN} training configurations, mean +- sd over {DRAWS} draws")
    print(f"  {'input':42s} {'gap':16s}   {'rel. energy':16s}  extra cost")
    x0 = descriptors.describe(configs, SPECIES)
    line("start structures (the surrogate)", x0, gap, energy)
    xr = descriptors.describe(results, SPECIES)
    line("relaxed structures (upper bound)", xr, gap, energy, "a relaxation")
    g, e = mae_at(xr, gap, n=80), mae_at(xr, energy, n=80)
    print(f"  {'relaxed structures, 80 training':42s} {g[0]:.4f} +- {g[1]:.4f}   "
          f"{e[0]:.4f} +- {e[1]:.4f}  a relaxation", flush=True)
    seen = {}
    if os.path.isdir(f"{bench.DB}.traj"):
        for k in (5, 20, 40):
            frames = frames_after(results, configs, k)
            seen[k] = topology_seen(configs, frames, changed)
            line(f"after {k} optimiser steps", descriptors.describe(frames, SPECIES), gap,
                 energy, f"{k} force calls ({100 * k / np.nanmean(calls):.0f}% of a relaxation)")
    flag = np.repeat(changed[:, None], x0.shape[1], axis=1)  # as heavy as the descriptor
    line("start + topology-changed flag (oracle)", np.hstack([x0, flag]), gap, energy)
    for name, s in (("r_cut 4 A", {"r_cut": 4.0}), ("r_cut 6 A", {"r_cut": 6.0}),
                    ("n_max 6, l_max 4", {"n_max": 6, "l_max": 4}),
                    ("dopant average only (+ globals)", {"groups": ("dopant",)})):
        line(f"start, {name}", descriptors.describe(configs, SPECIES,
                                                    descriptors.settings(**s)), gap, energy)
    line("start, role-aware species", role_species(configs), gap, energy)
    from sklearn.gaussian_process.kernels import ConstantKernel, DotProduct
    line("start, kernel + linear term", x0, gap, energy,
         extra_kernel=ConstantKernel(1e-2, (1e-5, 1e2)) * DotProduct(1.0, (1e-3, 1e3)))
    for k, (hit, false) in seen.items():
        print(f"topology change already visible after {k} steps: {hit} of "
              f"{int(changed.sum())} that change (and {false} of {int(len(changed) - changed.sum())} "
              "that do not)")


def noise(configs, results, picks=(26, 46, 0, 111)):
    """Relax ``picks`` again from starts rattled by 0.01 A (stored in NOISE_DB)."""
    from clustergen.compute.relax import relax

    starts = []
    for i in picks:
        a = configs[i].copy()
        a.rattle(0.01, seed=1)
        starts.append(a)
    again = relax(starts, db=NOISE_DB, workers=0, progress=False)
    print("relaxed again from a 0.01 A rattle of the start (GFN1-xTB, package defaults)")
    for i, r in zip(picks, again):
        ref = results[i]
        print(f"  {configs[i].info['dopant_sites']:12s} gap {ref.info['gap']:.3f} -> "
              f"{r.info.get('gap', float('nan')):.3f} eV, energy "
              f"{1000 * (r.info.get('energy', np.nan) - ref.info['energy']):+.1f} meV, "
              f"{ref.info['status']} -> {r.info.get('status')}")


if __name__ == "__main__":
    from relax_common import load_line, run

    print(load_line())
    run(main)
