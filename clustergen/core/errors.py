"""One exception type for every input problem the user can fix.

The CLI turns a :class:`ClusterGenError` into a one-line message and exit status 2;
anything else is a bug and keeps its traceback.
"""


class ClusterGenError(ValueError):
    """Bad input: an impossible formula, unknown element or ligand, overlapping atoms...

    >>> raise ClusterGenError("unknown ligand 'XYZ'")
    Traceback (most recent call last):
    ...
    clustergen.core.errors.ClusterGenError: unknown ligand 'XYZ'
    """
