"""Read a finished DFT job back: energy, frontier orbitals, charges, SCF count, version.

Every parser returns a plain dict with the same keys (energies in eV, charges per atom in
input order) and never raises on a failed run: a job that stopped is a dict with
``status = "failed:<the program's own message>"``, one that ran out of SCF iterations
``status = "not-converged"``, so the store keeps a record of it.

Keys: status, energy, homo, lumo, gap, mulliken, hirshfeld, scf_iterations, version,
message.  CP2K is read from its output file (``ENERGY|`` line, ``SCF run converged in N
steps``, ``Mulliken Population Analysis``, ``Hirshfeld Charges``, the ``MO_CUBES``
eigenvalues); PySCF from the JSON the runner's epilogue writes.
"""

import json
import re

from ase.units import Hartree

FLOAT = r"-?\d+\.\d*(?:[EeDd][-+]?\d+)?"


def _empty():
    return {"status": None, "energy": None, "homo": None, "lumo": None, "gap": None,
            "mulliken": None, "hirshfeld": None, "scf_iterations": None, "version": None,
            "message": ""}


def _frontier(occupied, virtual):
    """HOMO, LUMO and gap (eV) from per-spin lists of orbital energies (Hartree)."""
    homo = max((max(e) for e in occupied if e), default=None)
    lumo = min((min(e) for e in virtual if e), default=None)
    homo = homo * Hartree if homo is not None else None
    lumo = lumo * Hartree if lumo is not None else None
    gap = lumo - homo if homo is not None and lumo is not None else None
    return homo, lumo, gap


def _cp2k_abort(text):
    """The message inside CP2K's ABORT/ERROR box, else the last non-empty line."""
    box = re.search(r"\[ABORT\]\s*\*(.*?)\n \*\s+\|", text, re.S)
    if box:
        lines = [ln.strip(" *") for ln in box.group(1).splitlines()]
        lines = [ln for ln in lines if ln and not set(ln) <= set("/\\|_O ")]
        msg = " ".join(ln.split("  ")[-1].strip() for ln in lines if ln)
        return " ".join(msg.split())
    tail = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not tail:
        return "no output"
    return f"CP2K stopped before the end (killed?); last line: {' '.join(tail[-1].split())}"


def cp2k_output(text, natoms=None):
    """Results from the text of a CP2K output (``cp2k.out``).

    >>> r = cp2k_output(SAMPLE_CP2K)
    >>> r["status"], round(r["energy"], 3), round(r["gap"], 3), r["scf_iterations"]
    ('converged', -1493.919, 5.264, 21)
    >>> r["mulliken"], r["version"]
    ([-0.42, 0.42], 'CP2K version 2023.1')
    >>> cp2k_output("")["status"]
    'failed:no output'
    """
    out = _empty()
    version = re.search(r"CP2K\| version string:\s+(.*)", text)
    out["version"] = version.group(1).strip() if version else None
    steps = [int(n) for n in re.findall(r"SCF run converged in\s+(\d+) steps", text)]
    energy = re.findall(rf"ENERGY\| Total FORCE_EVAL \( QS \) energy \[a\.u\.\]:\s+({FLOAT})",
                        text)
    if "SCF run NOT converged" in text:
        out["status"] = "not-converged"
        out["message"] = "SCF run NOT converged"
        out["scf_iterations"] = None
    elif energy and "PROGRAM ENDED AT" in text:
        out["status"] = "converged"
        out["scf_iterations"] = steps[-1] if steps else None
    else:
        out["status"] = f"failed:{_cp2k_abort(text)}"
        out["message"] = out["status"][7:]
        return out
    if energy:
        out["energy"] = float(energy[-1]) * Hartree
    out["mulliken"] = _charge_table(text, "Mulliken Population Analysis", natoms)
    out["hirshfeld"] = _charge_table(text, "Hirshfeld Charges", natoms)
    occupied = [[float(x) for x in block.split()] for block in re.findall(
        r"Eigenvalues of the occupied subspace spin\s+\d+\s*\n\s*-+\s*\n((?:\s+" + FLOAT
        + r")+)", text)]
    virtual = [[float(x) for x in block.split()] for block in re.findall(
        r"Lowest [Ee]igenvalues of the unoccupied subspace spin\s+\d+\s*\n\s*-+\s*\n"
        r"(?:.*Eigensolver.*\n)?((?:\s+" + FLOAT + r")+)", text)]
    out["homo"], out["lumo"], out["gap"] = _frontier(occupied, virtual)
    return out


def _charge_table(text, title, natoms):
    """Net charge per atom from the last table under ``title`` (its "Net charge" column)."""
    start = text.rfind(title)
    if start < 0:
        return None
    charges, column = [], -1
    for line in text[start:].splitlines()[1:]:
        parts = line.split()
        if "Net charge" in line and not charges:
            # open shells: Mulliken puts "Spin moment" after the net charge, Hirshfeld before
            column = -1 if line.rstrip().endswith("Net charge") else -2
        elif len(parts) >= 4 and parts[0].isdigit():
            charges.append(float(parts[column]))
        elif charges:  # the first non-atom line after the atoms ends the table
            break
    if not charges or (natoms is not None and len(charges) != natoms):
        return None
    return charges


def pyscf_result(data):
    """Results from the dict the PySCF epilogue writes (``result.json``).

    >>> r = pyscf_result({"e_tot": -1.0, "converged": True, "cycles": 9, "version": "2.14.0",
    ...                   "mo_energy": [[-0.3, -0.2, 0.1]], "mo_occ": [[2, 2, 0]],
    ...                   "mulliken": [0.1, -0.1]})
    >>> r["status"], round(r["energy"], 3), round(r["gap"], 3), r["scf_iterations"]
    ('converged', -27.211, 8.163, 9)
    """
    out = _empty()
    out["version"] = f"PySCF {data.get('version')}"
    if data.get("error"):
        out["status"] = f"failed:{data['error']}"
        out["message"] = data["error"]
        return out
    out["energy"] = float(data["e_tot"]) * Hartree
    out["scf_iterations"] = data.get("cycles")
    out["status"] = "converged" if data.get("converged") else "not-converged"
    if not data.get("converged"):
        out["message"] = f"SCF not converged in {data.get('cycles')} cycles"
    occupied = [[e for e, o in zip(es, os_) if o > 0.5]
                for es, os_ in zip(data["mo_energy"], data["mo_occ"])]
    virtual = [[e for e, o in zip(es, os_) if o <= 0.5]
               for es, os_ in zip(data["mo_energy"], data["mo_occ"])]
    out["homo"], out["lumo"], out["gap"] = _frontier(occupied, virtual)
    out["mulliken"] = data.get("mulliken")
    return out


def pyscf_output(directory):
    """Results of a PySCF job directory: ``result.json``, else the traceback's last line.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "stderr.txt").write_text("Traceback ...\\nRuntimeError: basis not found\\n")
    >>> pyscf_output(d)["status"]
    'failed:RuntimeError: basis not found'
    """
    result = directory / "result.json"
    if result.exists():
        try:
            return pyscf_result(json.loads(result.read_text()))
        except (ValueError, KeyError) as exc:
            out = _empty()
            out["status"] = out["message"] = f"failed:unreadable result.json ({exc})"
            return out
    out = _empty()
    text = ""
    for name in ("stderr.txt", "stdout.txt"):
        if (directory / name).exists():
            text = (directory / name).read_text(errors="replace")
            if text.strip():
                break
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[A-Za-z_.]*(Error|Exception|Killed)\b", ln)]
    out["message"] = (errors or lines or ["no output"])[-1]
    out["status"] = f"failed:{out['message']}"
    return out


SAMPLE_CP2K = """ CP2K| version string:                                       CP2K version 2023.1
  *** SCF run converged in    21 steps ***
                     Mulliken Population Analysis

 #  Atom  Element  Kind  Atomic population                           Net charge
       1     Au       1         11.420000                             -0.420000
       2     S        2          5.580000                              0.420000
 # Total charge                             17.000000                  0.000000

  Eigenvalues of the occupied subspace spin            1
 ---------------------------------------------
      -0.45430783     -0.00566165
 Fermi Energy [eV] :   -0.154061

  Lowest Eigenvalues of the unoccupied subspace spin            1
 -----------------------------------------------------
 OT| Eigensolver reached convergence in 163 iterations
       0.18780000

 ENERGY| Total FORCE_EVAL ( QS ) energy [a.u.]:              -54.900501520050021
  **** **** ******  **  PROGRAM ENDED AT                 2026-12-04 18:14:40.580
"""
