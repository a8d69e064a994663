"""kube-score on every rendered scenario: no critical finding; each check it ignores is named, with why.

`scripts/test chart` builds the pinned kube-score (scripts/toolchain/kube-score.sh) and puts it on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import Manifest
from tests.chart.test_render import KUBERNETES_VERSIONS

# kube-score grades (scorecard.Grade): 1 critical, 5 warning, 7 almost OK, 10 OK.
CRITICAL = 1
# Checks ignored by kube-score test ID, each for the one reason it does not apply to this chart.
IGNORED = {
    "container-image-pull-policy": (
        "the program pins the app images by digest and PostgreSQL is pinned by version (or digest), so "
        "IfNotPresent starts the exact image and keeps pods starting while the registry is down"
    ),
}
# Checks ignored in one ci scenario only, because that scenario turns the feature off on purpose.
IGNORED_IN = {
    "minimal-values": {
        "pod-networkpolicy": (
            "this scenario sets networkPolicy.enabled=false, the documented choice for a cluster whose "
            "CNI does not enforce NetworkPolicy; every other scenario proves each pod is selected"
        ),
    },
}
# The oldest Kubernetes the chart supports, in kube-score's vN.NN form.
KUBERNETES_VERSION = "v" + ".".join(KUBERNETES_VERSIONS[0].split(".")[:2])
# A control sample without the chart's care: no resources, the same probe for liveness and readiness.
CONTROL = "control-careless-deployment"
_CARELESS_PROBE = {"httpGet": {"path": "/", "port": 8080}}
CARELESS = [
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "careless", "namespace": "todo"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "careless"}},
            "template": {
                "metadata": {"labels": {"app": "careless"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "registry.example/app:1.0",
                            "ports": [{"containerPort": 8080}],
                            "livenessProbe": _CARELESS_PROBE,
                            "readinessProbe": _CARELESS_PROBE,
                        }
                    ]
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "careless", "namespace": "todo"},
        "spec": {"selector": {"app": "careless"}, "ports": [{"port": 80, "targetPort": 8080}]},
    },
]


def _kube_score() -> str:
    found = os.environ.get("TODO_KUBE_SCORE") or shutil.which("kube-score")
    if found is None:
        raise RuntimeError("kube-score is not on PATH; run `scripts/test chart`, which builds the pinned one")
    return found


def _score(path: Path, ignored: list[str]) -> list[dict[str, Any]]:
    """kube-score's JSON report of one file (one scenario: its Services must only see its own pods)."""
    args = [_kube_score(), "score", "--output-format", "json", "--kubernetes-version", KUBERNETES_VERSION]
    for check in ignored:
        args += ["--ignore-test", check]
    result = subprocess.run([*args, str(path)], capture_output=True, text=True, check=False, timeout=120)
    # Exit code 1 means criticals, which the tests below report one by one.
    assert result.returncode in (0, 1), result.stderr
    return list(json.loads(result.stdout))


def _criticals(report: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(object, check id, what kube-score says) of every critical finding."""
    return [
        (
            obj["object_name"],
            check["check"]["id"],
            "; ".join(f"{c['path']} {c['summary']}".strip() for c in check["comments"] or []),
        )
        for obj in report
        for check in obj["checks"]
        if check["grade"] == CRITICAL and not check["skipped"]
    ]


def _ignored(scenario: str) -> dict[str, str]:
    return {**IGNORED, **IGNORED_IN.get(scenario, {})}


@pytest.fixture(scope="module")
def reports(
    renders: dict[str, list[Manifest]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per scenario (and the control): the report with the chart's ignores and the one without."""
    folder = tmp_path_factory.mktemp("kube-score")
    bodies = {scenario: [m.body for m in manifests] for scenario, manifests in renders.items()}
    bodies[CONTROL] = CARELESS
    scored: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for scenario, documents in bodies.items():
        path = folder / f"{scenario}.yaml"
        path.write_text(yaml.safe_dump_all(documents))
        scored[scenario] = {"ignoring": _score(path, list(_ignored(scenario))), "all": _score(path, [])}
    return scored


def test_no_critical_findings(reports: dict[str, dict[str, list[dict[str, Any]]]], scenario: str) -> None:
    criticals = _criticals(reports[scenario]["ignoring"])
    assert not criticals, f"kube-score criticals in scenario {scenario}:\n" + "\n".join(
        f"{obj}: {check}: {says}" for obj, check, says in criticals
    )


def test_every_ignore_is_needed_and_explained(reports: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """An ignore whose check no longer fires is stale; one without a real reason is a silencer."""
    for scenario, ignored in [("any", IGNORED), *IGNORED_IN.items()]:
        scanned = [name for name in reports if name != CONTROL and scenario in {"any", name}]
        assert scanned, f"IGNORED_IN names a scenario that is not rendered: {scenario}"
        fired = {check for name in scanned for _, check, _ in _criticals(reports[name]["all"])}
        stale = set(ignored) - fired
        assert not stale, f"{scenario}: ignored checks that no longer fire: {stale}"
        assert all(len(reason) >= 40 for reason in ignored.values()), ignored


def test_kube_score_catches_a_careless_deployment(
    reports: dict[str, dict[str, list[dict[str, Any]]]],
) -> None:
    """The scan is not a rubber stamp: the control sample fails the very checks the chart passes."""
    failed = {check for _, check, _ in _criticals(reports[CONTROL]["ignoring"])}
    assert {
        "container-resources",
        "container-ephemeral-storage-request-and-limit",
        "pod-probes-identical",
        "container-security-context-readonlyrootfilesystem",
        "pod-networkpolicy",
    } <= failed, failed
