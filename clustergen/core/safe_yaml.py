"""Safe reading of YAML settings files (workflows): part of :mod:`clustergen.core.validate`.

``yaml.safe_load`` still expands aliases (a 600-byte file of nested aliases becomes
millions of values once walked), keeps the last of two duplicate keys without a word and
recurses without limit.  Here the composed node graph is checked before any value is
built: aliases and ``<<: *base`` merge keys are allowed (they keep a settings file short)
but the document they expand to may hold at most ``MAX_YAML_NODES`` values, an alias to
its own ancestor is refused, nesting is capped, and construction refuses a key given
twice in one mapping.
"""

import os

import yaml

from clustergen.core.errors import ClusterGenError

MAX_YAML_BYTES = 1 << 20   # a workflow file is a page of settings, not megabytes
MAX_YAML_DEPTH = 20
MAX_YAML_NODES = 10_000    # values after alias expansion; a real workflow has < 100
_MERGE = "tag:yaml.org,2002:merge"


def _fail(message):
    raise ClusterGenError(message)


def load_yaml_file(path, max_bytes=MAX_YAML_BYTES, max_depth=MAX_YAML_DEPTH):
    """Parse a YAML settings file safely: UTF-8 text of at most ``max_bytes``, then the
    checks of :func:`parse_yaml` (no duplicate keys, bounded aliases, nesting at most
    ``max_depth``).  Returns the plain data.

    >>> import tempfile, os; p = os.path.join(tempfile.mkdtemp(), "w.yaml")
    >>> _ = open(p, "w").write("build: {formula: Au25(SR)18}\\n")
    >>> load_yaml_file(p)
    {'build': {'formula': 'Au25(SR)18'}}
    >>> _ = open(p, "w").write("a: 1\\na: 2\\n")
    >>> load_yaml_file(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: ...: duplicate key 'a' (line 2)
    """
    path = os.fspath(path) if isinstance(path, os.PathLike) else path
    if isinstance(path, str) and path.strip() and not os.path.exists(path):
        _fail(f"no such workflow file '{path}'")
    from clustergen.core.validate import input_file
    path = input_file(path, "workflow file")
    size = os.path.getsize(path)
    if size > max_bytes:
        _fail(f"workflow file '{path}' is {size} bytes, more than {max_bytes}")
    with open(path, "rb") as fh:
        raw = fh.read(max_bytes + 1)
    if b"\x00" in raw:
        _fail(f"workflow file '{path}' is binary, not YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"workflow file '{path}' is not UTF-8 text (byte {exc.start})")
    return parse_yaml(text, path, max_depth)


def parse_yaml(text, where="<text>", max_depth=MAX_YAML_DEPTH, max_nodes=MAX_YAML_NODES):
    """YAML text to plain data, refusing (one-line :class:`ClusterGenError` prefixed
    ``where``) invalid YAML, a key given twice in one mapping, nesting deeper than
    ``max_depth``, and aliases that refer to themselves or expand to more than
    ``max_nodes`` values.  Harmless aliases and merge keys work as in YAML.

    >>> parse_yaml("base: &b {steps: 7, fmax: 0.2}\\nrelax: {<<: *b, steps: 9}")["relax"]
    {'steps': 9, 'fmax': 0.2}
    >>> parse_yaml("a: &x [1, 2]\\nb: &y [*x, *x]\\nc: [*y, *y]")["c"][1][0]
    [1, 2]
    >>> parse_yaml("a: &x [*x]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: <text>: YAML alias inside its own anchor (anchor at line 1)
    """
    loader = _Loader(text, where)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node, where, max_depth, max_nodes)
        return loader.construct_document(node)
    except ClusterGenError:   # a ValueError too: ours already names the problem
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
        _fail(f"{where}: not valid YAML{at}: {problem}")
    except RecursionError:   # the composer recurses once per level, before our check
        _fail(f"{where}: nesting deeper than {max_depth}")
    except (ValueError, OverflowError) as exc:   # e.g. a timestamp like 2020-13-45
        _fail(f"{where}: cannot read YAML: {str(exc).splitlines()[0] if str(exc) else exc}")
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping: YAML would keep
    the last one silently, so a second ``relax:`` block would quietly replace the first.
    Keys written beside a ``<<: *base`` merge still override it, as in YAML."""

    def __init__(self, text, where):
        super().__init__(text)
        self.where = where

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if duplicate:
                _fail(f"{self.where}: duplicate key '{key}' "
                      f"(line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _check_graph(root, where, max_depth, max_nodes):
    """Walk the node graph as ``safe_load`` would expand it (an alias visits its anchor's
    node again), without recursion: count the values, cap the depth and refuse an alias
    to an ancestor (it would expand forever)."""
    count, shared, path = 0, False, set()
    seen = set()
    stack = [(root, 0, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            path.discard(id(node))
            continue
        line = node.start_mark.line + 1
        if id(node) in path:
            _fail(f"{where}: YAML alias inside its own anchor (anchor at line {line})")
        if depth > max_depth:
            _fail(f"{where}: nesting deeper than {max_depth} (line {line})")
        count += 1
        shared = shared or id(node) in seen
        seen.add(id(node))
        if count > max_nodes:
            if shared:
                _fail(f"{where}: YAML aliases expand to more than {max_nodes} values; "
                      "write the settings out instead of nesting aliases")
            _fail(f"{where}: YAML document has more than {max_nodes} values")
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            continue
        path.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(children))
