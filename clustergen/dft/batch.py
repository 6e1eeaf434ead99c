"""Batch hand-off: one deck directory per candidate, a manifest and a SLURM array script.

``DIR/<id>/`` holds the deck and ``candidate.extxyz`` (the structure with roles and info);
``DIR/manifest.json`` and ``DIR/manifest.csv`` list deck path, candidate id, formula,
charge, multiplicity, code, task and settings; ``DIR/run_<code>_<task>.slurm`` runs deck
``$SLURM_ARRAY_TASK_ID`` of the manifest.
"""

import csv
import json
from pathlib import Path

from clustergen.core.errors import ClusterGenError
from clustergen.core.model import write_candidates

from .settings import resolve
from .writer import SUPPLY, deck_name, write_resolved

# How each deck is run inside the array job (cwd = the deck's directory).
RUN = {
    "orca": '"${ORCA:-$(command -v orca)}" orca.inp > orca.out',
    "gaussian": '${G16:-g16} < gaussian.gjf > gaussian.log',
    "qchem": 'qchem -nt "$SLURM_CPUS_PER_TASK" qchem.in qchem.out',
    "nwchem": 'srun nwchem nwchem.nw > nwchem.out',
    "pyscf": 'OMP_NUM_THREADS="$SLURM_CPUS_PER_TASK" python pyscf_run.py > pyscf.out',
    "cp2k": 'srun cp2k.psmp -i cp2k.inp -o cp2k.out',
    "vasp": ('rm -f POTCAR\n'
             'grep -v "^#" POTCAR.spec | while read el setup zval; do\n'
             '  pot="$VASP_PP_PATH/potpaw_PBE/$setup/POTCAR"\n'
             '  [ -f "$pot" ] || { echo "missing $pot" >&2; exit 3; }\n'
             '  got=$(awk \'/ZVAL/ {print $6; exit}\' "$pot")\n'
             '  awk -v a="$got" -v b="$zval" \'BEGIN {exit (a + 0 != b + 0)}\' || '
             '{ echo "$setup ZVAL $got != $zval (NELECT assumes $zval)" >&2; exit 3; }\n'
             '  cat "$pot" >> POTCAR\n'
             'done || exit 3\n'
             'srun ${VASP:-vasp_gam} > vasp.out'),
    "gpaw": 'srun gpaw python gpaw_run.py > gpaw.out',
    "espresso": 'srun pw.x -in espresso.pwi > espresso.pwo',
}

SLURM = """#!/bin/bash
#SBATCH --job-name=cg-{code}-{task}
#SBATCH --array=0-{last}
#SBATCH --nodes=1
#SBATCH --ntasks={ntasks}
#SBATCH --cpus-per-task={cpus}
#SBATCH --time={time}
#SBATCH --output=slurm-%A_%a.out
# clustergen: {n} {code} {task} deck(s); one array task per deck (manifest.csv order).
# Site specifics (partition, account, modules) go here or on the sbatch command line.
# User supplies: {supply}
set -euo pipefail
cd "$SLURM_SUBMIT_DIR"
DECK_DIR=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" decks.txt)
cd "$DECK_DIR"
{run}
"""


def slurm_script(code, task, n, ntasks=1, cpus=16, time="24:00:00"):
    """Text of the SLURM array script for ``n`` decks of one code.

    Molecular codes are threaded (one task, many CPUs); MPI codes get ``ntasks`` ranks.

    >>> print(slurm_script("orca", "opt", 3).splitlines()[2])
    #SBATCH --array=0-2
    """
    mpi = code in ("nwchem", "cp2k", "vasp", "gpaw", "espresso")
    return SLURM.format(code=code, task=task, last=n - 1, n=n,
                        ntasks=cpus if mpi else ntasks, cpus=1 if mpi else cpus, time=time,
                        supply=SUPPLY[code], run=RUN[code])


def write_decks(candidates, code="orca", task="opt", directory="dft", **overrides):
    """Decks for many candidates plus manifest.json/.csv and the SLURM array script.

    Every candidate is checked first (charge, elements, code/task/functional), so a bad
    one stops the batch before any file is written.  Returns the manifest entries.

    >>> import tempfile
    >>> from ase import Atoms
    >>> c = [Atoms("AuH", positions=[[0, 0, 0], [0, 0, 1.52]], info={"charge": 0}),
    ...      Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]], info={"charge": -1})]
    >>> rows = write_decks(c, code="nwchem", task="sp", directory=tempfile.mkdtemp())
    >>> [(r["id"], r["multiplicity"]) for r in rows]
    [('000_HAu', 1), ('001_Au2', 2)]
    """
    candidates = list(candidates)
    if not candidates:
        raise ClusterGenError("no candidates to write decks for")
    checked = [resolve(atoms, code=code, task=task, **overrides) for atoms in candidates]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (atoms, settings) in enumerate(zip(candidates, checked)):
        name = deck_name(atoms, i)
        deck_dir = directory / name
        deck = write_resolved(atoms, settings, deck_dir)
        write_candidates(deck_dir / "candidate.extxyz", [atoms.copy()])  # without calc
        entries.append({
            "deck": str(deck.relative_to(directory)), "id": name,
            "cid": atoms.info.get("cid", ""),
            "formula": str(atoms.info.get("formula", atoms.get_chemical_formula())),
            "natoms": len(atoms), "charge": settings["charge"],
            "multiplicity": settings["multiplicity"], "code": code, "task": task,
            "functional": settings["functional"], "basis": settings["basis"] or "",
            "dispersion": settings["dispersion"], "solvent": settings["solvent"] or "",
            "nstates": settings["nstates"] or "",
            "cores": {el: e["core"] for el, e in settings["elements"].items()},
            "basis_per_element": {el: e["basis"] for el, e in settings["elements"].items()},
            "reason": settings["reason"],
        })
    (directory / "manifest.json").write_text(json.dumps(entries, indent=1) + "\n")
    with open(directory / "manifest.csv", "w", newline="") as fd:
        writer = csv.DictWriter(fd, fieldnames=list(entries[0]))
        writer.writeheader()
        for entry in entries:
            writer.writerow({k: json.dumps(v) if isinstance(v, dict) else v
                             for k, v in entry.items()})
    (directory / "decks.txt").write_text("".join(f"{e['id']}\n" for e in entries))
    script = directory / f"run_{code}_{task}.slurm"
    script.write_text(slurm_script(code, task, len(entries)))
    script.chmod(0o755)
    return entries


def read_top(db, top=None):
    """Converged candidates from a results database, lowest energy first per formula.

    Reads the rows written by :mod:`clustergen.compute.store` as candidates
    (:func:`clustergen.compute.store.candidate_from_row`): status must be
    ``converged``; total energies are only comparable within one composition, so ``top``
    keeps the N lowest of each formula.

    >>> read_top("missing.db")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    clustergen.core.errors.ClusterGenError: no results database 'missing.db'
    """
    from clustergen.compute import store

    conn = store.connect(db, create=False)
    groups = {}
    for row in conn.select("status=converged", sort="energy"):
        if store.is_level_row(row):  # a DFT row of clustergen refine, not a candidate
            continue
        atoms = store.candidate_from_row(row)
        atoms.calc = None  # the energy is in info; a calculator would clash on extxyz
        formula = atoms.info.setdefault("formula", atoms.get_chemical_formula())
        groups.setdefault(formula, []).append(atoms)
    chosen = [a for group in groups.values() for a in group[:top]]
    if not chosen:
        raise ClusterGenError(f"no converged candidates in '{db}'")
    return chosen
