"""Run-directory state: which stage ran with which settings on which input.

``workflow-state.json`` keeps, per stage, a ``key`` (hash of the stage's settings and of
the outputs of the stages it reads), its ``output`` (a hash later stages' keys include),
wall time and finish time, plus stage extras.  A stage is reused when its key is
unchanged and its files are on disk (and, where the output hash is the file's hash,
the file is unchanged), so changing one stage's settings redoes it and the stages after
it only.  This is the only module that reads or writes the state.

>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> state = RunState(d)
>>> state.fresh("rank", "k1", ())
False
>>> state.record("rank", "k1", "out1", wall=0.5)
>>> RunState(d).fresh("rank", "k1", ()), RunState(d).output("rank")
(True, 'out1')
"""

import hashlib
import json
import os
import time
from pathlib import Path

STATE = "workflow-state.json"


def digest(*parts):
    """Short hash of JSON-serialisable parts (key order ignored).

    >>> digest("a", {"x": 1, "y": 2}) == digest("a", {"y": 2, "x": 1})
    True
    """
    h = hashlib.sha1()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"|")
    return h.hexdigest()[:16]


def file_digest(path):
    """Short hash of a file's bytes."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]


class RunState:
    """The stages' records of one run directory, written atomically after each change."""

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.stages = self._read()

    def _read(self):
        path = self.run_dir / STATE
        if not path.exists():
            return {}
        try:
            return json.loads(path.read_text()).get("stages", {})
        except (ValueError, AttributeError):
            return {}  # a state cut by a crash: redo the checks, the store keeps relaxations

    def _write(self):
        path = self.run_dir / STATE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"stages": self.stages}, indent=1) + "\n")
        os.replace(tmp, path)  # atomic: a kill never leaves half a state

    def key(self, name, settings, after=(), salt=()):
        """The stage's key: its name, ``salt`` (format constants), its settings and the
        recorded outputs of the stages in ``after`` (None for one not run)."""
        return digest(name, *salt, settings, *(self.output(a) for a in after))

    def output(self, name):
        """The recorded output hash of a stage, None if it has no record."""
        return self.stages.get(name, {}).get("output")

    def fresh(self, name, key, files, check_file=False):
        """True when the stage's record has this key, its ``files`` exist under the run
        directory, and (``check_file``) the first file still hashes to the output."""
        old = self.stages.get(name, {})
        if old.get("key") != key or not all((self.run_dir / f).exists() for f in files):
            return False
        return not check_file or file_digest(self.run_dir / files[0]) == old.get("output")

    def record(self, name, key, output, wall, **extra):
        """Store a finished stage and write the state file."""
        self.stages[name] = {"key": key, "output": output, "wall": round(wall, 1),
                             "finished": time.strftime("%Y-%m-%d %H:%M:%S"), **extra}
        self._write()

    def forget(self, name):
        """Drop a stage's record; True if there was one."""
        if self.stages.pop(name, None) is None:
            return False
        self._write()
        return True
