"""Growth families read from ``templates/*.yaml``: member series, predictions, matching.

A family file names a kernel growth operation (a function of :mod:`clustergen.generation.kernels`),
the member series as small arithmetic expressions of the growth index, the shell rule
and the literature members. Member formulas are derived, never typed twice:
metals = kernel + staple metals, SR = sum over motifs, charge = metals - SR - N*.
"""

import ast
import operator
from functools import lru_cache

from clustergen.core.data import load, template_files
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import Formula, ligand_info, parse
from clustergen.core.model import motif_size, motif_thiolates

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.FloorDiv: operator.floordiv, ast.Div: operator.truediv, ast.USub: operator.neg}


def evaluate(expr, **names):
    """Evaluate an arithmetic expression such as ``"8*k - 4"`` (no other syntax allowed).

    >>> evaluate("3*(k - 1)", k=2)
    3
    """
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        raise ValueError(f"unsupported expression {expr!r}")
    return ev(_parsed(str(expr)))


@lru_cache(maxsize=None)
def _parsed(text):
    # a family scan evaluates the same few expressions for hundreds of k: parse each once
    # (the tree is only read, never changed, so sharing it is safe)
    return ast.parse(text, mode="eval")


def families():
    """All growth families, keyed by name, in file order.

    >>> "double-helix" in families()
    True
    """
    out = {}
    for name in template_files():
        data = load(name)
        if isinstance(data, dict) and "family" in data:
            out[data["family"]] = data
    return out


def family(name):
    """One family by name; a clear error lists the known ones."""
    return _named(families(), name)


def _named(table, name):
    if name not in table:
        raise ClusterGenError(f"unknown family '{name}' (known: {', '.join(table)})")
    return table[name]


def member(fam, k):
    """Derived data of member ``k`` of a family: formula, motifs, kernel size, N*.

    The series expressions give every member; a listed member may instead state its own
    ``kernel_atoms``, ``motifs`` and ``nstar`` (families whose known members differ in
    their shells, e.g. au7-backbone), and ``kernel_args`` and ``shell`` keys that replace
    the family's for that member (see :func:`clustergen.generation.generate.shell_rule`).
    ``series.k_max`` ends a family.

    >>> m = member(family("double-helix"), 7)
    >>> str(m["formula"]), m["motifs"], m["nstar"]
    ('Au60(SR)36', {'dimer': 4, 'bridging': 24}, 24)
    """
    if isinstance(fam, str):
        fam = family(fam)
    series = fam["series"]
    if not series["k_min"] <= k <= series.get("k_max", k):
        raise ClusterGenError(f"family {fam['family']} has members k={series['k_min']}.."
                              f"{series.get('k_max', '')}, not k={k}")
    known = {m["k"]: m for m in fam.get("members", [])}.get(k, {})

    def rule(key):
        if key in known:
            return known[key]
        if key not in series:
            raise ClusterGenError(f"family {fam['family']}: member k={k} has no {key}")
        return series[key]

    motifs = {t: evaluate(e, k=k) for t, e in rule("motifs").items()}
    if any(n < 0 for n in motifs.values()):
        raise ClusterGenError(f"family {fam['family']}: the series gives negative motif "
                              f"counts at k={k} ({motifs})")
    motifs = {t: n for t, n in motifs.items() if n}
    kernel = evaluate(rule("kernel_atoms"), k=k)
    nstar = evaluate(rule("nstar"), k=k)
    metals = kernel + sum(motif_size(t) * n for t, n in motifs.items())
    thiolates = sum(motif_thiolates(t) * n for t, n in motifs.items())
    others = _other_ligands(known.get("ligands", series.get("ligands", {})), k)
    # the staples' donor: SR, or C2R for -C≡C-Au-C≡C- staples (one electron each too)
    staple = ligand_info(known.get("staple_ligand", "SR"))[0]
    # one-electron ligands (halides, alkynyls) withdraw an electron each, phosphines none
    charge = metals - thiolates - nstar - sum(
        ligand_info(name)[1]["electrons"] * n for name, n in others.items())
    formula = Formula({"Au": metals}, _literature_order(others, thiolates, staple), charge)
    return {"family": fam["family"], "k": k, "formula": formula, "motifs": motifs,
            "staple_ligand": staple,
            "kernel_atoms": kernel, "nstar": nstar,
            "status": known.get("status", "predicted"), "note": known.get("note", ""),
            "listed": bool(known), "built": known.get("built", True),
            "optical_gap_eV": known.get("optical_gap_eV"),
            # a listed member's own kernel arguments and shell rule, over the family's
            "kernel_args": known.get("kernel_args", {}), "shell": known.get("shell", {})}


def _other_ligands(spec, k):
    """Non-thiolate ligands of a member (``ligands: {PPh3: "10", Cl: "2"}``), counted.

    >>> _other_ligands({"PPh3": "10", "Cl": "2"}, 2)
    {'PPh3': 10, 'Cl': 2}
    """
    out = {}
    for name, expr in (spec or {}).items():
        canon, data = ligand_info(name)
        if data["class"] == "thiolate":
            raise ClusterGenError(f"ligand '{name}' is a thiolate: thiolates come from the "
                                  "motifs, not from 'ligands'")
        n = evaluate(expr, k=k)
        if n:
            out[canon] = n
    return out


def _literature_order(others, thiolates, staple="SR"):
    """Ligands as written in the literature: phosphines, SR, then the rest
    ([Au25(PPh3)10(SR)5Cl2]2+); thiolate-only members keep ``{"SR": m}``; ``staple``
    names the staples' donor (C2R: alkynyl staples, Au22(C2R)18).

    >>> _literature_order({}, 18, "C2R")
    {'C2R': 18}
    """
    first = {n: c for n, c in others.items() if ligand_info(n)[1]["class"] == "phosphine"}
    rest = {n: c for n, c in others.items() if n not in first}
    return {**first, **({staple: thiolates} if thiolates or not others else {}), **rest}


def _non_thiolates(formula):
    """Non-thiolate ligands by name; alkynyls by their generic name (any R matches).

    >>> _non_thiolates(parse("Au22(PhC2)18"))
    {'C2R': 18}
    """
    out = {}
    for n, c in formula.ligands.items():
        name, data = ligand_info(n)
        if data["class"] == "thiolate":
            continue
        name = "C2R" if data["class"] == "alkynyl" else name
        out[name] = out.get(name, 0) + c
    return out


def members(fam, upto=None):
    """Members of a family: the listed ones, or every k while metals <= ``upto``."""
    fam = family(fam) if isinstance(fam, str) else fam
    if upto is None:
        return [member(fam, m["k"]) for m in fam.get("members", [])]
    from clustergen.core.validate import MAX_METALS, bounded_int
    upto = bounded_int(1, MAX_METALS, "upto")(upto)
    out, k = [], fam["series"]["k_min"]
    while k <= fam["series"].get("k_max", k):
        m = member(fam, k)
        if m["formula"].n_metal > upto:
            return out
        out.append(m)
        k += 1
        if k > 1000:
            raise ClusterGenError(f"family {fam['family']} does not grow")
    return out


def match(formula, family=None):
    """Members of every family (or of the one named ``family``) whose composition equals
    ``formula`` (charge may differ).

    Raises a :class:`ClusterGenError` that says, family by family, why none fits.

    >>> [m["family"] for m in match("Au28(SR)20")]
    ['double-au7-backbone', 'double-helix', 'tetrahedral-ring']
    >>> [(m["family"], m["k"]) for m in match("Au28(SR)20", family="double-helix")]
    [('double-helix', 3)]
    """
    f = parse(formula)
    if set(f.metals) != {"Au"}:
        dopants = ", ".join(m for m in f.metals if m != "Au")
        raise ClusterGenError(
            f"{f}: the growth families are Au-only; build the Au member, then place "
            f"{dopants} with `clustergen dopants`")
    other = _non_thiolates(f)
    table = families()
    if family is not None:
        table = {family: _named(table, family)}
    found, why = [], []
    for name, fam in table.items():
        hit, sizes = _first_member(fam, f.n_metal, f.n_thiolate, other)
        if hit is not None:
            found.append(hit)
            continue
        # phosphines, halides, alkynyls must match too: [Au25(PPh3)10(SR)5Cl2]2+
        near = min(sizes, key=lambda s: abs(s.n_metal - f.n_metal)
                   + abs(s.n_thiolate - f.n_thiolate) + 1000 * (_non_thiolates(s) != other))
        why.append((name, f"members are {_series_text(fam)}; nearest {near}"))
    if not found and family is not None:
        raise ClusterGenError(f"family {family} does not build {f} ({why[0][1]})")
    if not found:
        tried = "; ".join(f"{name}: {text}" for name, text in why)
        raise ClusterGenError(f"no template family builds {f} (tried {tried})")
    return found


def _first_member(fam, n_metal, n_thiolate, other=None):
    """The first member (lowest k) with this composition (``other``: its non-thiolate
    ligands, e.g. {"PPh3": 10, "Cl": 2}), else None and every member's formula (for the
    "nearest" hint); an open series is searched over 200 members."""
    k_min = fam["series"]["k_min"]
    k_max = fam["series"].get("k_max", k_min + 199)
    sizes = []
    for k in range(k_min, k_max + 1):
        m = member(fam, k)
        s = m["formula"]
        if (s.n_metal == n_metal and s.n_thiolate == n_thiolate
                and _non_thiolates(s) == (other or {})):
            return m, sizes
        sizes.append(m["formula"])
    return None, sizes


def _series_text(fam):
    k_min = fam["series"]["k_min"]
    k_max = fam["series"].get("k_max", k_min + 3)
    ms = [member(fam, k)["formula"] for k in range(k_min, min(k_max, k_min + 2) + 1)]
    return ", ".join(str(m) for m in ms) + (", ..." if k_max > k_min + 2 else "")
