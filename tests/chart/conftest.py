"""Fixtures of the chart tests: the Helm CLI and the chart's ci scenarios rendered once per session.

`scripts/test chart` puts the pinned helm on PATH (scripts/toolchain/helm.sh) and checkov in its own venv.
"""

from __future__ import annotations

import pytest

from tests.chart.helm import CI_FILES, Manifest, chart_catalogue, find_helm, render

SCENARIOS = ["defaults", *(path.stem for path in CI_FILES)]


@pytest.fixture(scope="session")
def helm() -> str:
    """Path of the helm binary the tests drive."""
    return find_helm()


@pytest.fixture(scope="session")
def catalogue(helm: str) -> list[str]:
    """The names of the chart's workloads (its Deployments), from the chart's own list."""
    return chart_catalogue(helm)


@pytest.fixture(scope="session")
def renders(helm: str) -> dict[str, list[Manifest]]:
    """Every ci scenario, and the chart defaults, rendered once: scenario name -> manifests."""
    rendered = {"defaults": render(helm)}
    for ci_file in CI_FILES:
        rendered[ci_file.stem] = render(helm, values_files=[ci_file])
    return rendered


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests that take `scenario` run once per ci file plus the defaults.
    if "scenario" in metafunc.fixturenames:
        metafunc.parametrize("scenario", SCENARIOS)
