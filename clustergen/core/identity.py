"""What a candidate is: charge and spin, the level of theory it is computed at, its id,
and the scalar ``info`` that travels with it from formula to DFT deck.

Every stage asks this module rather than re-deriving: the relaxer and the results store
(:func:`candidate_id` over :func:`level_of_theory`), the generator, dopant and adsorbate
screens and the DFT settings (:func:`charge_multiplicity`, :func:`lowest_multiplicity`),
and every writer of extended XYZ (:func:`scalar_info`).

>>> from ase import Atoms
>>> au2 = Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]], info={"charge": -1})
>>> charge_multiplicity(au2)
(-1, 2)
>>> level = level_of_theory("GFN1-xTB", 0.05, "FIRE")
>>> candidate_ids([au2, au2], level)[0] == candidate_id(au2, -1, 2, level)
True
"""

import hashlib
import json

import numpy as np

from clustergen.core import validate
from clustergen.core.errors import ClusterGenError

# Types an extended XYZ comment line (and an ase.db key-value pair) can hold.
SCALARS = (str, int, float, bool, np.generic)


def _name(atoms):
    return atoms.info.get("formula") or atoms.get_chemical_formula()


def _integer(value, what, atoms):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not number.is_integer():
        raise ClusterGenError(f"{what} {value} is not an integer ({_name(atoms)})")
    return int(number)


def lowest_multiplicity(electrons):
    """Lowest spin multiplicity 2S+1 an electron count allows: 1 if even, 2 if odd.

    >>> lowest_multiplicity(158), lowest_multiplicity(8), lowest_multiplicity(7)
    (1, 1, 2)
    """
    return 1 + int(electrons) % 2


def electron_count(atoms, charge):
    """Electrons of ``atoms`` at total ``charge`` (all electrons: sum of Z minus charge).

    >>> from ase import Atoms
    >>> electron_count(Atoms("AuS"), -1)
    96
    """
    return int(atoms.numbers.sum()) - int(charge)


def charge_multiplicity(atoms, charge=None, multiplicity=None, require_charge=False):
    """Charge and spin multiplicity of a candidate, checked against its electron count.

    ``charge``/``multiplicity`` override ``atoms.info``.  A missing charge is 0, or an
    error with ``require_charge`` (a DFT deck never assumes one: a wrong charge silently
    changes the chemistry).  A missing multiplicity is the lowest the electron count
    allows; a given one must be >= 1, have the parity of the electron count and need no
    more unpaired electrons than there are.

    >>> from ase import Atoms
    >>> charge_multiplicity(Atoms("Au", info={"charge": -1}))
    (-1, 1)
    >>> charge_multiplicity(Atoms("Au"))
    (0, 2)
    >>> charge_multiplicity(Atoms("H"), multiplicity=4)
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: multiplicity 4 impossible for 1 electrons (H, charge +0)
    """
    if charge is None:
        charge = atoms.info.get("charge")
    if charge is None:
        if require_charge:
            raise ClusterGenError(f"candidate {_name(atoms)} has no charge (set "
                                  "atoms.info['charge'] or pass charge=); it is never assumed")
        charge = 0
    charge = _integer(charge, "charge", atoms)
    if abs(charge) > validate.MAX_CHARGE:
        raise ClusterGenError(f"charge {charge:+d} is beyond +-{validate.MAX_CHARGE}: no "
                              f"cluster ion carries that ({_name(atoms)})")
    electrons = electron_count(atoms, charge)
    if electrons < 0:
        raise ClusterGenError(f"charge {charge:+d} leaves {electrons} electrons "
                              f"({_name(atoms)})")
    if multiplicity is None:
        multiplicity = atoms.info.get("multiplicity")
    if multiplicity is None:
        return charge, lowest_multiplicity(electrons)
    mult = _integer(multiplicity, "multiplicity", atoms)
    if mult < 1 or mult > electrons + 1 or (electrons - (mult - 1)) % 2:
        raise ClusterGenError(f"multiplicity {multiplicity} impossible for {electrons} "
                              f"electrons ({_name(atoms)}, charge {charge:+d})")
    return charge, mult


def level_of_theory(method, fmax, optimiser, settings=None):
    """The settings that define a relaxation result, hashed into the candidate id.

    ``settings`` are the calculator's own (tblite) keywords; order does not matter.

    >>> level_of_theory("GFN1-xTB", 0.05, "FIRE", {"max_iterations": 500})
    {'method': 'GFN1-xTB', 'fmax': 0.05, 'optimiser': 'FIRE', 'tblite': {'max_iterations': 500}}
    """
    return {"method": method, "fmax": float(fmax), "optimiser": optimiser,
            "tblite": dict(sorted((settings or {}).items()))}


def candidate_id(atoms, charge, multiplicity, level):
    """Stable 16-hex-digit id of a candidate and the level of theory it is computed at.

    Hashes the element symbols, the positions rounded to 0.001 A, charge, multiplicity
    and ``level`` (a JSON-able dict, :func:`level_of_theory`); roles and info do not
    enter, so the same structure read back from any file gets the same id.

    >>> from ase import Atoms
    >>> a = Atoms("AuS", positions=[[0, 0, 0], [2.3, 0, 0]])
    >>> b = Atoms("AuS", positions=[[0, 0, 0], [2.3000001, 0, 0]])
    >>> s = {"method": "GFN1-xTB"}
    >>> candidate_id(a, -1, 1, s) == candidate_id(b, -1, 1, s) != candidate_id(a, 0, 2, s)
    True
    """
    h = hashlib.sha1()
    h.update(" ".join(atoms.get_chemical_symbols()).encode())
    # integers in mA: no -0.0 / repr noise from files written with other precisions
    h.update(np.rint(np.asarray(atoms.positions) * 1000).astype("<i8").tobytes())
    h.update(f"|q={int(charge)}|m={int(multiplicity)}|".encode())
    h.update(json.dumps(level, sort_keys=True, default=str).encode())
    digest = h.hexdigest()
    # ase.db refuses a string that reads as a number ("85786365e4695490"): such an id
    # could never be stored, so take the next 16 digits instead (no stored id changes)
    for start in range(0, len(digest) - 15, 16):
        cid = digest[start:start + 16]
        if not _number_like(cid):
            return cid
    return "c" + digest[:15]


def _number_like(text):
    """True when ``text`` parses as a float (ase.db would refuse it as a string).

    >>> _number_like("85786365e4695490"), _number_like("8578a365e4695490")
    (True, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


def candidate_ids(candidates, level):
    """:func:`candidate_id` of each candidate, charge and spin from its own info.

    >>> from ase import Atoms
    >>> a = Atoms("Au2", positions=[[0, 0, 0], [2.5, 0, 0]], info={"charge": 0})
    >>> ids = candidate_ids([a, a.copy()], {"method": "GFN1-xTB"})
    >>> len(ids), ids[0] == ids[1]
    (2, True)
    """
    return [candidate_id(a, *charge_multiplicity(a), level) for a in candidates]


def scalar_info(atoms):
    """A copy without calculator whose ``info`` keeps scalars only: what an extended XYZ
    frame (and so a candidate between stages) can carry.

    >>> from ase import Atoms
    >>> sorted(scalar_info(Atoms("Au", info={"a": 1, "b": [1, 2], "c": None})).info)
    ['a']
    """
    out = atoms.copy()
    out.calc = None
    out.info = {k: v for k, v in atoms.info.items() if isinstance(v, SCALARS)}
    return out
