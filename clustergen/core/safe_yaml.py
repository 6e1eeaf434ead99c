"""Safe reading of YAML settings files (workflows): part of :mod:`clustergen.core.validate`.

``yaml.safe_load`` still expands aliases (a 600-byte file of nested aliases becomes
gigabytes), keeps the last of two duplicate keys without a word and recurses without
limit; these checks run on the composed node graph before any value is built.
"""

import os

from clustergen.core.errors import ClusterGenError

MAX_YAML_BYTES = 1 << 20   # a workflow file is a page of settings, not megabytes
MAX_YAML_DEPTH = 20


def _fail(message):
    raise ClusterGenError(message)


def load_yaml_file(path, max_bytes=MAX_YAML_BYTES, max_depth=MAX_YAML_DEPTH):
    """Parse a YAML settings file safely: UTF-8 text of at most ``max_bytes``, no
    anchors/aliases (a 600-byte alias bomb expands to gigabytes), no duplicate keys at
    any level, nesting at most ``max_depth``.  Returns the plain data.

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


def parse_yaml(text, where="<text>", max_depth=MAX_YAML_DEPTH):
    """The checks of :func:`load_yaml_file` on YAML text.

    >>> parse_yaml("a: &x [1]\\nb: *x\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: <text>: YAML anchors/aliases are not allowed...
    """
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        _fail(f"{where}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}")
    except RecursionError:
        _fail(f"{where}: nesting deeper than {max_depth}")
    if node is None:
        return None
    _check_node(node, where, max_depth, 0, set())
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        _fail(f"{where}: cannot read YAML: {str(exc).splitlines()[0] if str(exc) else exc}")


def _check_node(node, where, max_depth, depth, seen):
    import yaml

    if depth > max_depth:
        _fail(f"{where}: nesting deeper than {max_depth} (line {node.start_mark.line + 1})")
    if id(node) in seen or getattr(node, "anchor", None):
        _fail(f"{where}: YAML anchors/aliases are not allowed (line "
              f"{node.start_mark.line + 1})")
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    _fail(f"{where}: duplicate key '{key.value}' (line "
                          f"{key.start_mark.line + 1})")
                keys.add(key.value)
            _check_node(key, where, max_depth, depth + 1, seen)
            _check_node(value, where, max_depth, depth + 1, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_node(item, where, max_depth, depth + 1, seen)
