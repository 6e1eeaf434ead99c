"""The optimisers a relaxation can use: single ASE optimisers and two-stage protocols
(a robust first stage to a loose fmax, then a quasi-Newton one to the target), with the
settings that make them work on a bare cluster; :func:`stages` spells a name out."""

from clustergen.core.errors import ClusterGenError

# Single ASE optimisers, and two-stage protocols "A+B": A (FIRE) to the loose
# PRE_FMAX, where FIRE is robust on the rough built geometry, then B (quasi-Newton)
# to fmax, where FIRE crawls on the flat GFN1 surface (docs/relaxation.md).
SINGLE = ("FIRE", "BFGS", "LBFGS", "BFGSLineSearch", "LBFGSLineSearch", "MDMin",
          "PreconLBFGS", "Sella")
PROTOCOLS = ("FIRE+LBFGS", "FIRE+PreconLBFGS", "FIRE+Sella")
# A protocol with "+flips" goes on with S-inversion hops (clustergen.compute.flips): one
# single point per thiolate S, then the second stage again, while that lowers the energy.
HOPS = "+flips"
OPTIMISERS = SINGLE + PROTOCOLS + tuple(p + HOPS for p in PROTOCOLS)
# Preconditioned LBFGS (Packwood et al., J. Chem. Phys. 144, 164109, 2016,
# doi:10.1063/1.4947024): ~100 force calls to 0.02 eV/A on the built SH members
# against ~330 for plain LBFGS, same spread over starts (docs/relaxation.md).
DEFAULT_OPTIMISER = "FIRE+PreconLBFGS"
PRECON_R_NN = 2.4  # A: bond scale of the PreconLBFGS preconditioner (see _optimiser_class)
PRE_FMAX = 0.2  # eV/A: where a protocol's first stage hands over


def _optimiser_class(name):
    import ase.optimize

    if name not in SINGLE:
        raise ClusterGenError(f"unknown optimiser '{name}' (known: {', '.join(OPTIMISERS)})")
    if name == "PreconLBFGS":
        import functools

        from ase.optimize.precon import Exp, PreconLBFGS

        # ASE estimates the nearest-neighbour distance by growing a cutoff up to twice
        # the cell, which fails for a cluster without a cell; give the scale directly:
        # Au-Au (2.8-3.0 A) and Au-S (2.3-2.4 A) bonds, Exp's usual A and 2 r_NN cutoff.
        return functools.partial(PreconLBFGS, precon=Exp(A=3.0, r_NN=PRECON_R_NN,
                                                         r_cut=2 * PRECON_R_NN))
    if name == "Sella":
        import functools

        try:
            from sella import Sella
        except ImportError:
            raise ClusterGenError("optimiser 'Sella' needs the sella package "
                                  "(pip install sella)") from None
        # Minimisation (order 0) in internal coordinates (Hermes et al., J. Chem. Theory
        # Comput. 18, 6974, 2022, doi:10.1021/acs.jctc.2c00395); one BLAS thread.
        return functools.partial(Sella, order=0, internal=True, max_cpu_threads=1)
    return getattr(ase.optimize, name)


def stages(optimiser, fmax):
    """``[(optimiser class name, fmax), ...]`` run in turn for ``optimiser``.

    >>> stages("FIRE+LBFGS", 0.02)
    [('FIRE', 0.2), ('LBFGS', 0.02)]
    >>> stages("BFGS", 0.05)
    [('BFGS', 0.05)]
    >>> stages("FIRE+PreconLBFGS+flips", 0.02)     # the hops follow the last stage
    [('FIRE', 0.2), ('PreconLBFGS', 0.02)]
    """
    if optimiser not in OPTIMISERS:
        raise ClusterGenError(f"unknown optimiser '{optimiser}' "
                              f"(known: {', '.join(OPTIMISERS)})")
    optimiser = optimiser.removesuffix(HOPS)
    if "+" not in optimiser:
        return [(optimiser, fmax)]
    first, second = optimiser.split("+")
    return [(first, max(PRE_FMAX, fmax)), (second, fmax)]
