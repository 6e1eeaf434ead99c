"""Access to the YAML data in ``templates/`` (installed as ``clustergen.templates``)."""

from functools import lru_cache
from importlib import resources

import yaml


def template_files():
    """Names of the YAML files shipped in ``templates/``.

    >>> "chemistry.yaml" in template_files()
    True
    """
    root = resources.files("clustergen.templates")
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=None)
def load(name):
    """Safe-load one file of ``templates/`` by name.

    >>> load("chemistry.yaml")["metals"]["Au"]["valence"]
    1
    """
    text = resources.files("clustergen.templates").joinpath(name).read_text()
    return yaml.safe_load(text)
