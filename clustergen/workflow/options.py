"""Schema and checks of the surrogate and DFT-in-the-loop parts of a workflow: the
optional sections ``learn`` (active learning instead of relaxing every candidate) and
``refine`` (DFT single points on the survivors), and the ``by``/``target``/``model``
keys of ``rank``.  :mod:`clustergen.workflow.config` loads them with its one validator.

>>> from clustergen.workflow.config import load
>>> wf = load({"build": {"formulas": ["[Au25(SR)18]-"], "ligand": "SH"},
...            "learn": {"budget": 12}})
>>> wf["learn"]["acquisition"], wf["refine"], wf["rank"]["by"]
('lcb', None, 'energy')
>>> load({"build": {"formulas": ["[Au25(SR)18]-"]}, "learn": {"budget": 0}})
Traceback (most recent call last):
...
clustergen.core.errors.ClusterGenError: learn.budget: must be >= 1, got 0
"""

import dataclasses
import os

from clustergen.core.errors import ClusterGenError

SECTIONS = ("learn", "refine")        # optional, run inside the relax and rank stages
LEARN_TARGETS = ("energy", "gap")
RANK_BY = ("energy", "surrogate")
RANK_TARGETS = ("gap", "rel_energy")
SHIPPED_MODELS = ("dft-gap",)
# how a refine job runs, not what it computes: not part of the rank stage's key
REFINE_RUN_ONLY = ("workers", "scheduler", "threads", "memory_gb", "timeout")


@dataclasses.dataclass
class Learn:
    budget: int = 24
    target: str = "energy"
    acquisition: str | None = None    # lcb for energies, ucb for gaps
    batch: int = 1
    seed: int = 0
    settle: bool = True


@dataclasses.dataclass
class Refine:
    top: int | None = None            # per formula, of the rank survivors (None: all)
    code: str = "cp2k"
    task: str = "sp"
    functional: str | None = None
    basis: str | None = None
    dispersion: str | None = None
    cutoff: float | None = None
    vacuum: float | None = None
    density_fit: bool = False
    threads: int = 1
    memory_gb: float | None = None
    timeout: float | None = None
    workers: int | None = None
    scheduler: str | None = None


SCHEMA = {"learn": Learn, "refine": Refine}


def check_learn(learn, build):
    """Meaning of the ``learn`` settings (``build``: the checked build settings)."""
    from clustergen.rank.active import ACQUISITIONS

    if learn["budget"] < 1:
        raise ClusterGenError(f"learn.budget: must be >= 1, got {learn['budget']}")
    if learn["batch"] < 1:
        raise ClusterGenError(f"learn.batch: must be >= 1, got {learn['batch']}")
    if learn["target"] not in LEARN_TARGETS:
        raise ClusterGenError(f"learn.target: unknown '{learn['target']}' "
                              f"(known: {', '.join(LEARN_TARGETS)})")
    if learn["acquisition"] is None:
        learn["acquisition"] = "ucb" if learn["target"] == "gap" else "lcb"
    if learn["acquisition"] not in ACQUISITIONS:
        raise ClusterGenError(f"learn.acquisition: unknown '{learn['acquisition']}' "
                              f"(known: {', '.join(ACQUISITIONS)})")
    if learn["target"] == "energy" and len(build["formulas"]) > 1:
        # total energies of different compositions are not comparable
        raise ClusterGenError(f"learn.target: energy needs candidates of one formula; "
                              f"build has {len(build['formulas'])} (use target: gap)")


def check_rank(rank):
    """Meaning of the surrogate keys of ``rank`` (``by``, ``target``, ``model``)."""
    if rank["by"] not in RANK_BY:
        raise ClusterGenError(f"rank.by: unknown '{rank['by']}' (known: {', '.join(RANK_BY)})")
    if rank["by"] == "energy":
        for key in ("target", "model"):
            if rank[key] is not None:
                raise ClusterGenError(f"rank.{key}: only with by: surrogate")
        return
    if rank["target"] is None:
        rank["target"] = "gap"
    if rank["target"] not in RANK_TARGETS:
        raise ClusterGenError(f"rank.target: unknown '{rank['target']}' "
                              f"(known: {', '.join(RANK_TARGETS)})")
    model = rank["model"]
    if model in SHIPPED_MODELS:
        if rank["target"] != "gap":
            raise ClusterGenError(f"rank.model: {model} predicts gaps (use target: gap)")
    elif model is not None and not os.path.isfile(model):
        raise ClusterGenError(f"rank.model: no model file '{model}' "
                              f"(or a shipped model: {', '.join(SHIPPED_MODELS)})")


def check_refine(refine, rank_given):
    """Meaning of the ``refine`` settings; a probe resolves the level of theory now
    (unknown functional or basis, missing program), not after the relaxations."""
    from ase import Atoms

    from clustergen.dft.run import executable, refine_settings

    if not rank_given:
        raise ClusterGenError("refine: needs a rank stage (it refines the rank survivors)")
    if refine["top"] is not None and refine["top"] < 1:
        raise ClusterGenError(f"refine.top: must be >= 1, got {refine['top']}")
    if refine["threads"] < 1:
        raise ClusterGenError(f"refine.threads: must be >= 1, got {refine['threads']}")
    if refine["workers"] is not None and refine["scheduler"]:
        raise ClusterGenError("refine: give 'workers' or 'scheduler', not both")
    if refine["density_fit"] and refine["code"] != "pyscf":
        raise ClusterGenError("refine.density_fit: applies to code pyscf only")
    probe = Atoms("AuSH", positions=[[0, 0, 0], [2.3, 0, 0], [2.6, 1.3, 0]],
                  info={"charge": 0})
    try:
        refine_settings(probe, refine["code"], refine["task"], **dft_overrides(refine))
        executable(refine["code"])
    except ClusterGenError as exc:
        raise ClusterGenError(f"refine: {exc}") from None


def dft_overrides(refine):
    """The level-of-theory overrides of the ``refine`` settings (unset ones left out).

    >>> dft_overrides({"functional": None, "basis": "def2-SVP", "cutoff": None,
    ...                "dispersion": None, "vacuum": None, "density_fit": False})
    {'basis': 'def2-SVP'}
    """
    out = {k: refine[k] for k in ("functional", "basis", "dispersion", "cutoff", "vacuum")
           if refine[k] is not None}
    if refine["density_fit"]:
        out["density_fit"] = True
    return out


def refine_options(refine):
    """Keyword arguments of :func:`clustergen.dft.refine.refine` from the settings."""
    return {"code": refine["code"], "task": refine["task"], "threads": refine["threads"],
            "memory_gb": refine["memory_gb"], "timeout": refine["timeout"],
            "workers": refine["workers"], "scheduler": refine["scheduler"],
            **dft_overrides(refine)}


def section_key(name, settings):
    """What of an optional section enters its stage's key (run-only keys left out)."""
    drop = REFINE_RUN_ONLY if name == "refine" else ()
    return {k: v for k, v in settings.items() if k not in drop}
