"""Build stage: candidates from a growth family or a list of formulas, optionally doped,
written to ``candidates.extxyz``."""

from clustergen.workflow.stages import scalar_info
from clustergen.workflow.state import file_digest

FILE = "candidates.extxyz"


def build_candidates(settings):
    """Candidates for every formula (only the named family's, if one is given), optionally
    doped; ``settings`` as in ``load(...)["build"]``.

    >>> from clustergen.workflow.config import load
    >>> cands = build_candidates(load("build: {formulas: ['[Au25(SR)18]-'], ligand: SH, "
    ...                               "isomers: 1}")["build"])
    >>> [(c.info["formula"], c.info["isomer"], len(c)) for c in cands]
    [('[Au25(SH)18]-', 'a', 61)]
    """
    from clustergen.generation.generate import MAX_EMBED, build

    isomers = MAX_EMBED if settings["isomers"] == "all" else settings["isomers"]
    out = []
    for formula in settings["formulas"]:
        # a family study asks the generator for that family's isomers only
        out += build(formula, ligand=settings["ligand"], isomers=isomers,
                     family=settings["family"], sulfur=settings.get("sulfur"))
    dope = settings.get("dope")
    if dope:
        from clustergen.screen.dopants import enumerate_dopings

        out = [d for c in out
               for d in enumerate_dopings(c, dope["element"], dope.get("count", 1),
                                          classes=dope.get("classes"),
                                          charge=dope.get("charge"))]
    return out


def run(config, inputs, run_dir):
    from clustergen.core.model import read_candidates, write_candidates

    path = run_dir / FILE
    cands = build_candidates(config["build"])
    write_candidates(path, [scalar_info(a) for a in cands])
    # what is relaxed is exactly what the file holds, so ids agree run after run
    return {"candidates": read_candidates(path), "digest": file_digest(path),
            "record": {"candidates": len(cands)}}


def reuse(config, inputs, run_dir):
    from clustergen.core.model import read_candidates

    return {"candidates": read_candidates(run_dir / FILE)}


def log(inputs, status):
    return [f"build: {len(inputs['candidates'])} candidates ({status})"]
