"""Growth families read from ``templates/*.yaml``: member series, predictions, matching.

A family file names a kernel growth operation (a function of :mod:`clustergen.generation.kernels`),
the member series as small arithmetic expressions of the growth index, the shell rule
and the literature members. Member formulas are derived, never typed twice:
metals = kernel + staple metals, SR = sum over motifs, charge = metals - SR - N*.
"""

import ast
import operator

from clustergen.core.data import load, template_files
from clustergen.core.errors import ClusterGenError
from clustergen.core.formula import Formula, parse
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
    return ev(ast.parse(str(expr), mode="eval"))


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
    table = families()
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
    charge = metals - thiolates - nstar
    formula = Formula({"Au": metals}, {"SR": thiolates}, charge)
    return {"family": fam["family"], "k": k, "formula": formula, "motifs": motifs,
            "kernel_atoms": kernel, "nstar": nstar,
            "status": known.get("status", "predicted"), "note": known.get("note", ""),
            "listed": bool(known), "built": known.get("built", True),
            "optical_gap_eV": known.get("optical_gap_eV"),
            # a listed member's own kernel arguments and shell rule, over the family's
            "kernel_args": known.get("kernel_args", {}), "shell": known.get("shell", {})}


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


def match(formula):
    """Members of every family whose composition equals ``formula`` (charge may differ).

    Raises a :class:`ClusterGenError` that says, family by family, why none fits.

    >>> [m["family"] for m in match("Au28(SR)20")]
    ['double-au7-backbone', 'double-helix']
    """
    f = parse(formula)
    if set(f.metals) != {"Au"}:
        dopants = ", ".join(m for m in f.metals if m != "Au")
        raise ClusterGenError(
            f"{f}: the growth families are Au-only; build the Au member, then place "
            f"{dopants} with `clustergen dopants`")
    other = [n for n in f.ligands if n != "SR" and parse(f"Au({n})").n_thiolate == 0]
    if other:
        raise ClusterGenError(
            f"{f}: only thiolate-protected families exist so far (found {', '.join(other)})")
    n, m = f.n_metal, f.n_thiolate
    found, why = [], []
    for name, fam in families().items():
        k_min = fam["series"]["k_min"]
        k_max = fam["series"].get("k_max", k_min + 199)
        sizes = [member(fam, k)["formula"] for k in range(k_min, k_max + 1)]
        hit = [k_min + i for i, s in enumerate(sizes) if s.n_metal == n and s.n_thiolate == m]
        if hit:
            found.append(member(fam, hit[0]))
            continue
        near = min(sizes, key=lambda s: abs(s.n_metal - n) + abs(s.n_thiolate - m))
        why.append(f"{name}: members are {_series_text(fam)}; nearest {near}")
    if not found:
        raise ClusterGenError(f"no template family builds {f} (tried {'; '.join(why)})")
    return found


def _series_text(fam):
    k_min = fam["series"]["k_min"]
    k_max = fam["series"].get("k_max", k_min + 3)
    ms = [member(fam, k)["formula"] for k in range(k_min, min(k_max, k_min + 2) + 1)]
    return ", ".join(str(m) for m in ms) + (", ..." if k_max > k_min + 2 else "")
