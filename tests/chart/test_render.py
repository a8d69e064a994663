"""helm lint --strict and helm template for every ci scenario; each object against the Kubernetes schemas."""

from __future__ import annotations

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from kubernetes_validate.utils import latest_version  # type: ignore[import-untyped]

from tests.chart.helm import CHART_DIR, CI_FILES, Manifest, run_helm

# The oldest Kubernetes the chart supports (preStop sleep needs 1.30) and the newest the validator knows.
KUBERNETES_VERSIONS = ["1.30.0", str(latest_version())]


@pytest.mark.parametrize("ci_file", [None, *CI_FILES], ids=lambda p: p.stem if p else "defaults")
def test_helm_lint_strict(helm: str, ci_file: object) -> None:
    args = ["lint", "--strict", str(CHART_DIR)]
    if ci_file is not None:
        args += ["--values", str(ci_file)]
    result = run_helm(helm, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_every_ci_scenario_renders(renders: dict[str, list[Manifest]], scenario: str) -> None:
    kinds = {m.kind for m in renders[scenario]}
    assert {"Deployment", "Service", "ConfigMap", "ServiceAccount"} <= kinds


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_match_kubernetes_schema(
    renders: dict[str, list[Manifest]], scenario: str, version: str
) -> None:
    errors: list[str] = []
    for manifest in renders[scenario]:
        try:
            # strict: unknown fields are errors too, which catches typos and mis-indented keys.
            kubernetes_validate.validate(manifest.body, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{manifest}: {error.message} at {'/'.join(map(str, error.path))}")
    assert not errors, "\n".join(errors)
