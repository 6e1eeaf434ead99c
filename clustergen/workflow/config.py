"""Workflow files: safe YAML loading (:mod:`clustergen.core.safe_yaml`) and validation
against one small schema.

The schema is one dataclass per stage: a field's annotation says which YAML types it
takes, its default what an absent key means (None: not set).  :func:`_settings` is the
single type check; the ``_check_*`` functions then test meaning (known family, method,
code ...).  Every error is a :class:`ClusterGenError` naming the stage and key.

>>> load("build: {formulas: ['[Au25(SR)18]-'], ligand: SH}\\nrelax: {fmax: 1}")["relax"]["fmax"]
1.0
>>> load("build: {family: double-helix}\\nbuild: {family: double-helix}")
Traceback (most recent call last):
...
clustergen.core.errors.ClusterGenError: workflow: duplicate key 'build' (line 2)
"""

import copy
import dataclasses
import os
import typing

from clustergen.compute import relax as relax_defaults
from clustergen.core.errors import ClusterGenError
from clustergen.core.safe_yaml import load_yaml_file, parse_yaml
from clustergen.workflow import options

STAGES = ("build", "relax", "rank", "dft", "report")
SHOW = ("lowest", "survivors", "all")
DFT_SETTINGS = ("functional", "basis", "dispersion", "nstates", "solvent", "vacuum",
                "cutoff", "extra")


@dataclasses.dataclass
class Build:
    family: str | None = None
    upto: int | None = None
    formulas: list | str | None = None
    ligand: str = "SCH3"
    isomers: int | str = "all"
    dope: dict | None = None
    # S configurations (clustergen.generation.sulfur): None = each staple type's default
    # in its family's hand; "hands" = both hands (twice the relaxations; rank keeps the
    # lower), "all", "c2", "mirror", "free" as build(..., sulfur=...)
    sulfur: str | None = None


@dataclasses.dataclass
class Dope:
    element: str | None = None
    count: int | None = None
    classes: list | None = None
    charge: int | None = None


@dataclasses.dataclass
class Relax:
    # the relaxer's own defaults: one protocol whether run alone or in a workflow
    method: str = relax_defaults.DEFAULT_METHOD
    fmax: float = relax_defaults.FMAX
    steps: int = relax_defaults.STEPS
    optimiser: str = relax_defaults.DEFAULT_OPTIMISER
    workers: int | None = None
    scheduler: str | None = None


@dataclasses.dataclass
class Rank:
    top: int | None = 1
    gap: list | None = None
    energy_window: float | None = None
    topology_kept: bool = True
    converged_only: bool = True
    by: str = "energy"                # or surrogate (clustergen.workflow.options)
    target: str | None = None
    model: str | None = None


@dataclasses.dataclass
class Dft:
    codes: list | str | None = None
    task: str = "opt"
    settings: dict | None = None


@dataclasses.dataclass
class Report:
    title: str | None = None
    show: str = "lowest"


SCHEMA = {"build": Build, "relax": Relax, "rank": Rank, "dft": Dft, "report": Report}
_NAMES = {bool: "true/false", int: "integer", float: "number", str: "text", list: "list",
          dict: "mapping"}


def _accepted(hint):
    """The Python types a YAML value may have for a field annotated ``hint``."""
    types = tuple(t for t in (typing.get_args(hint) or (hint,)) if t is not type(None))
    return (int, float) if float in types else types  # YAML `1` is a fine number


def _check_type(where, value, types):
    # YAML booleans are ints to Python: never accept true/false for a number
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        names = " or ".join(_NAMES[t] for t in types)
        raise ClusterGenError(f"{where}: expected {names}, got {value!r}")


def _settings(where, schema, given, fill=True):
    """The one validator: ``given`` (a mapping) checked against dataclass ``schema``;
    returns a dict in field order with defaults filled in (``fill``) or only the given keys.

    >>> _settings("relax", Relax, {"steps": 10})["steps"], _settings("rank", Rank, None)["top"]
    (10, 1)
    >>> _settings("rank", Rank, {"top": "3"})
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: rank.top: expected integer, got '3'
    """
    fields = dataclasses.fields(schema)
    hints = typing.get_type_hints(schema)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ClusterGenError(f"{where}: expected a mapping of settings, got {given!r}")
    for key in given:
        if key not in hints:
            raise ClusterGenError(f"{where}: unknown key '{key}' "
                                  f"(known: {', '.join(f.name for f in fields)})")
    out = {}
    for f in fields:
        if not fill and f.name not in given:
            continue
        value = given.get(f.name, f.default)
        if value is not None:
            _check_type(f"{where}.{f.name}", value, _accepted(hints[f.name]))
        out[f.name] = value
    return out if fill else dict(given)


# ------------------------------------------------------------------------ YAML

def _read(source):
    """A dict from a dict (copied), a YAML file path (with the file checks of
    :func:`clustergen.core.safe_yaml.load_yaml_file`) or YAML text."""
    if isinstance(source, dict):
        return copy.deepcopy(source)
    text = str(os.fspath(source) if isinstance(source, os.PathLike) else source)
    if isinstance(source, os.PathLike) or ("\n" not in text and (
            os.path.exists(text) or text.endswith((".yaml", ".yml")))):
        return load_yaml_file(text)
    return parse_yaml(text, "workflow")


def load(source):
    """Read and validate a workflow: a YAML path, YAML text or a dict; returns a dict
    with every stage's settings filled in (``dft``, and the optional sections ``learn``
    and ``refine`` of :mod:`.options`, are None when the file has none).

    Errors name the stage and key: unknown stage or key, wrong type, unknown family,
    impossible formula, unknown ligand, method or DFT code.

    >>> load("build: {family: double-helix, upto: 36}")["build"]["formulas"]
    ['Au28(SR)20', 'Au36(SR)24']
    >>> load("build: {family: helix}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: unknown family 'helix' (known: ...double-helix...)
    """
    data = _read(source)
    if not isinstance(data, dict):
        raise ClusterGenError("workflow must be a mapping of stages (build, relax, ...)")
    for key in data:
        if key not in STAGES + options.SECTIONS and key not in ("name", "description"):
            raise ClusterGenError(f"unknown stage '{key}' (stages: {', '.join(STAGES)}; "
                                  f"also {', '.join(options.SECTIONS)}, name, description)")
    if "build" not in data:
        raise ClusterGenError("workflow has no 'build' stage")
    wf = {"name": str(data.get("name") or "workflow"),
          "description": str(data.get("description") or "")}
    for name in STAGES:
        wf[name] = _settings(name, SCHEMA[name], data.get(name))
    _check_build(wf["build"])
    _check_relax(wf["relax"])
    _check_rank(wf["rank"])
    _load_sections(wf, data)
    if data.get("dft") is None:
        wf["dft"] = None
    else:
        _check_dft(wf["dft"])
    if wf["report"]["show"] not in SHOW:
        raise ClusterGenError(f"report.show: expected one of {', '.join(SHOW)}, got "
                              f"{wf['report']['show']!r}")
    return wf


def _load_sections(wf, data):
    """The optional ``learn`` and ``refine`` sections (None when absent)."""
    options.check_rank(wf["rank"])
    for name in options.SECTIONS:
        wf[name] = None
        if name in data:  # `learn:` with nothing after it: the section with its defaults
            wf[name] = _settings(name, options.SCHEMA[name], data[name])
    if wf["learn"] is not None:
        options.check_learn(wf["learn"], wf["build"])
    if wf["refine"] is not None:
        options.check_refine(wf["refine"], "rank" in data)


# ------------------------------------------------------------------------ meaning

def _check_members(b):
    """Fill ``formulas`` from the family (up to ``upto``) or check the given ones."""
    from clustergen.generation import families

    if (b["family"] is None) == (b["formulas"] is None):
        raise ClusterGenError("build: give either 'family' (with 'upto') or 'formulas'")
    if b["family"] is not None:
        fam = families.family(b["family"])  # unknown family -> error listing the known ones
        members = families.members(fam, b["upto"])
        if not members:
            raise ClusterGenError(f"build.upto: {b['upto']} is below the first member of "
                                  f"{b['family']}")
        b["formulas"] = [str(m["formula"]) for m in members]
    elif b["upto"] is not None:
        raise ClusterGenError("build.upto: only with 'family'")
    else:
        if isinstance(b["formulas"], str):
            b["formulas"] = [b["formulas"]]
        if not b["formulas"]:
            raise ClusterGenError("build.formulas: empty list")
        for f in b["formulas"]:
            _check_type("build.formulas", f, (str,))
            families.match(f)  # impossible formula or no family -> one-line reason


def _check_build(b):
    from clustergen.core import formula
    from clustergen.generation.generate import MAX_EMBED

    _check_members(b)
    b["ligand"] = _ligand_name(b["ligand"])
    if isinstance(b["isomers"], str):
        if b["isomers"] != "all":
            raise ClusterGenError(f"build.isomers: expected an integer or 'all', got "
                                  f"{b['isomers']!r}")
    elif not 1 <= b["isomers"] <= MAX_EMBED:
        raise ClusterGenError(f"build.isomers: {b['isomers']} outside 1..{MAX_EMBED}")
    _check_sulfur(b["sulfur"])
    if b["dope"] is not None:
        d = _settings("build.dope", Dope, b["dope"], fill=False)
        if "element" not in d:
            raise ClusterGenError("build.dope: 'element' is required")
        if d["element"] not in formula.chemistry()["metals"]:
            raise ClusterGenError(f"build.dope.element: unknown metal '{d['element']}'")
        if d.get("count", 1) < 1:
            raise ClusterGenError(f"build.dope.count: must be >= 1, got {d['count']}")


def _check_sulfur(pattern):
    """``build.sulfur``: None (each staple type's default), a pattern of
    ``templates/sulfur.yaml``, "free", "all" or "hands" -- the choices of ``build --sulfur``.

    >>> _check_sulfur("all")
    >>> _check_sulfur("c3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: build.sulfur: unknown S-configuration pattern 'c3' ...
    """
    from clustergen.generation.sulfur import check_pattern

    try:
        check_pattern(pattern)
    except ClusterGenError as exc:
        raise ClusterGenError(f"build.sulfur: {exc}") from None


def _ligand_name(spec):
    """A library name (aliases accepted) or the canonical SMILES of any ligand
    :func:`clustergen.generation.ligand_chem.resolve` accepts; library names skip RDKit.

    >>> _ligand_name("SC2H4Ph"), _ligand_name("SCCCC")
    ('PET', 'CCCCS')
    """
    from clustergen.generation.ligand_chem import lookup, resolve

    hit = lookup(str(spec))
    if hit:
        return hit[0]
    try:
        return resolve(spec).name
    except ClusterGenError as exc:
        raise ClusterGenError(f"build.ligand: {exc}") from None


def _check_relax(r):
    from clustergen.compute.relax import METHODS, OPTIMISERS

    if r["method"] not in METHODS:
        raise ClusterGenError(f"relax.method: unknown '{r['method']}' "
                              f"(known: {', '.join(METHODS)})")
    if r["optimiser"] not in OPTIMISERS:
        raise ClusterGenError(f"relax.optimiser: unknown '{r['optimiser']}' "
                              f"(known: {', '.join(OPTIMISERS)})")
    if not r["fmax"] > 0:
        raise ClusterGenError(f"relax.fmax: must be positive, got {r['fmax']}")
    if r["steps"] < 0:
        raise ClusterGenError(f"relax.steps: must be >= 0, got {r['steps']}")
    if r["workers"] is not None and r["workers"] < 0:
        raise ClusterGenError(f"relax.workers: must be >= 0, got {r['workers']}")
    if r["workers"] is not None and r["scheduler"]:
        raise ClusterGenError("relax: give 'workers' or 'scheduler', not both")
    r["fmax"] = float(r["fmax"])


def _check_rank(r):
    if r["top"] is not None and r["top"] < 1:
        raise ClusterGenError(f"rank.top: must be >= 1, got {r['top']}")
    gap = r["gap"]
    if gap is not None:
        if len(gap) != 2:
            raise ClusterGenError(f"rank.gap: expected [min, max] in eV, got {gap!r}")
        for v in gap:
            if v is not None:
                _check_type("rank.gap", v, (int, float))
        if None not in gap and gap[0] > gap[1]:
            raise ClusterGenError(f"rank.gap: min {gap[0]} > max {gap[1]}")
        r["gap"] = [None if v is None else float(v) for v in gap]
    if r["energy_window"] is not None and r["energy_window"] < 0:
        raise ClusterGenError(f"rank.energy_window: must be >= 0, got {r['energy_window']}")


def _check_dft(d):
    from ase import Atoms

    from clustergen.dft import TASKS, codes, resolve

    if d["codes"] is None:
        raise ClusterGenError("dft.codes: required (e.g. [orca, cp2k])")
    if isinstance(d["codes"], str):
        d["codes"] = [d["codes"]]
    for code in d["codes"]:
        if code not in codes():
            raise ClusterGenError(f"dft.codes: unknown code {code!r} "
                                  f"(known: {', '.join(codes())})")
    if d["task"] not in TASKS:
        raise ClusterGenError(f"dft.task: unknown {d['task']!r} (known: {', '.join(TASKS)})")
    d["settings"] = dict(d["settings"] or {})
    for key in d["settings"]:
        if key not in DFT_SETTINGS:
            raise ClusterGenError(f"dft.settings: unknown key '{key}' "
                                  f"(known: {', '.join(DFT_SETTINGS)})")
    # resolve the level of theory on a stand-in now, not after an hour of relaxation
    probe = Atoms("AuSH", positions=[[0, 0, 0], [2.3, 0, 0], [2.6, 1.3, 0]],
                  info={"charge": 0})
    for code in d["codes"]:
        try:
            resolve(probe, code=code, task=d["task"], **d["settings"])
        except ClusterGenError as exc:
            raise ClusterGenError(f"dft ({code}): {exc}") from None
