"""checkov's Kubernetes checks on every rendered scenario: zero failures, each skip justified in the chart."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import CACHE_DIR, Manifest

# A control sample with none of the chart's hardening, scanned in the same run.
CONTROL = "control-weak-pod"
WEAK_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "weak", "namespace": "todo"},
    "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
}
CHECKOV = Path(os.environ.get("TODO_CHECKOV", CACHE_DIR / "checkov-venv" / "bin" / "checkov"))


@pytest.fixture(scope="module")
def checkov_report(
    renders: dict[str, list[Manifest]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One checkov run over all scenarios (one file each), offline."""
    if not CHECKOV.exists():
        raise RuntimeError(f"checkov not found at {CHECKOV}; run `scripts/test chart`, which installs it")
    folder = tmp_path_factory.mktemp("rendered")
    for scenario, manifests in renders.items():
        (folder / f"{scenario}.yaml").write_text(yaml.safe_dump_all([m.body for m in manifests]))
    (folder / f"{CONTROL}.yaml").write_text(yaml.safe_dump(WEAK_POD))
    env = {
        **os.environ,
        # Offline: no policy metadata download, no version check; a stray request hits a closed loopback port.
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(folder),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        check=False,
        timeout=300,
    )
    # Exit code 1 means failed checks, which the tests below report one by one.
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(result.stdout)
    # With one framework checkov prints one report object (a list when several run).
    return dict(report[0] if isinstance(report, list) else report)


def _where(check: dict[str, Any]) -> str:
    return f"{check['check_id']} {check['check_name']!r} on {check['resource']} in {check['file_path']}"


def test_no_checkov_failures(checkov_report: dict[str, Any]) -> None:
    failed = [
        check
        for check in checkov_report["results"]["failed_checks"]
        if Path(check["file_path"]).stem != CONTROL
    ]
    assert not failed, "checkov failures:\n" + "\n".join(_where(check) for check in failed)


def test_every_scenario_was_scanned(
    checkov_report: dict[str, Any], renders: dict[str, list[Manifest]]
) -> None:
    scanned = {Path(check["file_path"]).stem for check in checkov_report["results"]["passed_checks"]}
    assert scanned == {*renders, CONTROL}
    # Hardening checks actually ran (not a vacuous pass): e.g. read-only root filesystem and non-root.
    ran = {check["check_id"] for check in checkov_report["results"]["passed_checks"]}
    assert {"CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_40", "CKV_K8S_38"} <= ran


def test_every_skip_is_justified(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    assert skipped, "the chart declares skips, so some must show up"
    # checkov records the text after "=" in a checkov.io/skipN annotation as the suppress comment.
    reasons = {_where(check): str(check["check_result"].get("suppress_comment", "")) for check in skipped}
    unjustified = [
        where for where, reason in reasons.items() if len(reason) < 30 or reason == "No comment provided"
    ]
    assert not unjustified, "skips without a reason:\n" + "\n".join(unjustified)


def test_checkov_catches_a_weak_pod(checkov_report: dict[str, Any]) -> None:
    """The scan is not a rubber stamp: the unhardened control pod scanned alongside the chart fails it."""
    failed = {
        check["check_id"]
        for check in checkov_report["results"]["failed_checks"]
        if Path(check["file_path"]).stem == CONTROL
    }
    assert {"CKV_K8S_22", "CKV_K8S_28", "CKV_K8S_40", "CKV_K8S_11", "CKV_K8S_8"} <= failed
