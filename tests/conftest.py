"""Test-session setup: the fast BLAS is loaded before any test module imports tblite
(``pytest.importorskip("tblite")``), and the header names the route in use."""

from clustergen.compute import blas

blas.load()


def pytest_report_header(config):
    return f"clustergen {blas.describe()}"
