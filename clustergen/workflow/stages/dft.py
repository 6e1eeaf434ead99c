"""DFT stage: decks for the survivors in ``dft/<code>/`` (decks, manifest, SLURM script)."""

import shutil
from pathlib import Path

from clustergen.workflow.stages import scalar_info
from clustergen.workflow.state import digest

FILE = "dft"


def write_dft(survivors, settings, directory):
    """For each code, decks + manifest + SLURM script in ``directory/<code>``
    (:func:`clustergen.dft.write_decks`).  Returns ``{code: manifest entries}``; an empty
    list of survivors writes nothing.

    >>> write_dft(survivors, {"codes": ["orca"], "task": "opt", "settings": {}}, "dft")
    ... # doctest: +SKIP
    """
    from clustergen.dft import write_decks

    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)  # decks of candidates that no longer survive must go
    directory.mkdir(parents=True)
    if not survivors:
        return {}
    survivors = [scalar_info(a) for a in survivors]
    return {code: write_decks(survivors, code=code, task=settings["task"],
                              directory=directory / code, **settings["settings"])
            for code in settings["codes"]}


def run(config, inputs, run_dir):
    by_cid = {a.info["cid"]: a for a in inputs["relaxed"]}
    survivors = [by_cid[r["cid"]] for r in inputs["rows"]
                 if r["survivor"] == "yes" and r["cid"] in by_cid]
    manifests = write_dft(survivors, config["dft"], run_dir / FILE)
    return {"digest": digest(manifests),
            "record": {"decks": {c: len(m) for c, m in manifests.items()}}}


def reuse(config, inputs, run_dir):
    return {}


def clear(run_dir):
    """Remove the decks of an earlier version of the study that had a dft stage."""
    shutil.rmtree(run_dir / FILE, ignore_errors=True)


def log(inputs, status):
    decks = inputs["state"]["dft"]["decks"]
    text = ", ".join(f"{n} {c}" for c, n in decks.items()) or "no"
    return [f"dft: {text} deck(s) in {inputs['run_dir'] / FILE} ({status})"]
