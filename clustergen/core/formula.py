"""Parse cluster formulas such as ``[Au25(SR)18]-`` and count valence electrons.

N* = sum(metal valence electrons) - (one-electron ligands) - q   (Lyu et al. 2025, sec. 2.1);
for Au-only thiolates this is the familiar N* = n - m - q.
"""

import re
from dataclasses import dataclass, field

from ase.data import atomic_numbers

from clustergen.core.data import load
from clustergen.core.errors import ClusterGenError
from clustergen.core.identity import lowest_multiplicity

_CHARGE = re.compile(r"^(?:(\d*)([+\-])|([+\-])(\d+)|(0))$")
_TOKEN = re.compile(r"\(([^()]+)\)(\d*)|([A-Z][a-z]?)(\d*)")


def chemistry():
    """Metal valences and the ligand table from ``templates/chemistry.yaml``."""
    return load("chemistry.yaml")


def ligand_table():
    """Every ligand name the formulas know: the generic ones (SR, PR3, C2R) and the named
    library of ``templates/ligands.yaml``, as ``{name: {class, electrons, aliases, ...}}``.

    >>> t = ligand_table(); t["SR"]["class"], t["PPh3"]["electrons"], t["Cl"]["class"]
    ('thiolate', 0, 'halide')
    """
    data = load("ligands.yaml")
    return {**data["generic"], **data["ligands"]}


def ligand_info(name):
    """Canonical name and data of a ligand, accepting aliases.

    >>> ligand_info("SMe")[0], ligand_info("SC2H4Ph")[0]
    ('SCH3', 'PET')
    """
    table = ligand_table()
    if name in table:
        return name, table[name]
    for key, data in table.items():
        if name in data.get("aliases", ()):
            return key, data
    known = ", ".join(sorted(table))
    raise ClusterGenError(f"unknown ligand '{name}' (known: {known})")


@dataclass(frozen=True)
class Formula:
    """A parsed cluster formula [M_n(L)_m]^q.

    >>> f = parse("[Au25(SR)18]-")
    >>> f.metals, f.ligands, f.charge, f.nstar
    ({'Au': 25}, {'SR': 18}, -1, 8)
    """

    metals: dict
    ligands: dict
    charge: int = 0
    text: str = field(default="", compare=False)

    @property
    def n_metal(self):
        return sum(self.metals.values())

    @property
    def n_thiolate(self):
        return sum(n for name, n in self.ligands.items()
                   if ligand_info(name)[1]["class"] == "thiolate")

    @property
    def nstar(self):
        """Superatom valence electron count N*."""
        valence = chemistry()["metals"]
        given = sum(valence[m]["valence"] * n for m, n in self.metals.items())
        taken = sum(ligand_info(name)[1]["electrons"] * n for name, n in self.ligands.items())
        return given - taken - self.charge

    @property
    def multiplicity(self):
        """Lowest spin multiplicity allowed by the electron-count parity."""
        return lowest_multiplicity(self.nstar)

    def with_ligand(self, ligand):
        """The same formula with every ligand of ``ligand``'s class written as ``ligand``
        (thiolates, phosphines, alkynyls or halides).

        >>> str(parse("[Au25(SR)18]-").with_ligand("PET"))
        '[Au25(PET)18]-'
        >>> str(parse("[Au25(PPh3)10(SR)5Cl2]2+").with_ligand("Br"))
        '[Au25(PPh3)10(SR)5Br2]2+'
        """
        name, data = ligand_info(ligand)
        kind = data["class"]
        ligands = {}
        for key, n in self.ligands.items():
            key = name if ligand_info(key)[1]["class"] == kind else key
            ligands[key] = ligands.get(key, 0) + n
        return Formula(dict(self.metals), ligands, self.charge)

    def __str__(self):
        core = "".join(m + (str(n) if n > 1 else "") for m, n in self.metals.items())
        for name, n in self.ligands.items():
            bare = ligand_info(name)[1]["class"] == "halide"
            core += (name if bare else f"({name})") + (str(n) if n > 1 else "")
        if self.charge == 0:
            return core
        sign = "+" if self.charge > 0 else "-"
        mag = "" if abs(self.charge) == 1 else str(abs(self.charge))
        return f"[{core}]{mag}{sign}"


def _parse_charge(text, formula):
    m = _CHARGE.match(text.replace("\u2212", "-"))
    if not m:
        raise ClusterGenError(f"malformed charge '{text}' in formula '{formula}'")
    if m.group(5):
        return 0
    digits, sign = (m.group(1), m.group(2)) if m.group(2) else (m.group(4), m.group(3))
    value = int(digits) if digits else 1
    return value if sign == "+" else -value


def parse(text):
    """Parse a formula; raise :class:`ClusterGenError` naming the problem.

    Accepts ``Au38(SR)24``, ``[Au25(SR)18]-``, ``[PtAu24(SR)18]0``, ``Au25(SCH3)18``,
    ``[Au25(PPh3)10(SR)5Cl2]2+``.

    >>> parse("[PtAu24(SR)18]0").nstar
    6
    >>> parse("[Au25(PPh3)10(SR)5Cl2]2+").nstar
    16
    """
    if isinstance(text, Formula):
        return text
    raw = text
    text = text.strip().replace(" ", "")
    if not text:
        raise ClusterGenError("empty formula")
    charge = 0
    if text.startswith("["):
        close = text.rfind("]")
        if close < 0:
            raise ClusterGenError(f"malformed formula '{raw}': '[' without ']'")
        charge = _parse_charge(text[close + 1:] or "0", raw)
        text = text[1:close]
    pos, metals, ligands = 0, {}, {}
    valence = chemistry()["metals"]
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ClusterGenError(f"malformed formula '{raw}' at '{text[pos:]}'")
        group, gcount, elem, ecount = m.groups()
        count = gcount if group else ecount
        n = int(count) if count else 1
        what = group or elem
        if n <= 0:
            raise ClusterGenError(f"count of {what} must be positive in '{raw}'")
        if group:
            name, _ = ligand_info(group)
            ligands[name] = ligands.get(name, 0) + n
        elif elem in valence:
            if ligands:
                raise ClusterGenError(f"malformed formula '{raw}': metal {elem} after ligands")
            metals[elem] = metals.get(elem, 0) + n
        elif elem in atomic_numbers:
            try:
                name, data = ligand_info(elem)
            except ClusterGenError:
                raise ClusterGenError(
                    f"element {elem} in '{raw}' is neither a supported metal "
                    f"({', '.join(valence)}) nor a bare ligand (Cl, Br, I)") from None
            ligands[name] = ligands.get(name, 0) + n
        else:
            raise ClusterGenError(f"unknown element '{elem}' in formula '{raw}'")
        pos = m.end()
    if not metals:
        raise ClusterGenError(f"formula '{raw}' has no metal atoms")
    return Formula(metals, ligands, charge, text=raw)
