"""The GitHub workflows (GitHub Actions cannot run here): valid against GitHub's workflow schema,
pinned, least-privilege, and in step with the tiers, the policy pack, the engine and the docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.release_preview import REPORT_ENV
from tests.program.harness import REPO

WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
PREVIEW = REPO / ".github/workflows/preview.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
# Tiers that start Docker or a cluster: the workflow's first job has neither.
NEEDS_DOCKER_OR_CLUSTER = {"images", "engine", "live", "minikube"}


def _load(path: Path) -> dict[str, Any]:
    raw: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean true.
    return {("on" if key is True else str(key)): value for key, value in raw.items()}


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _schema_check(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_each_workflow_is_valid_against_githubs_schema_and_sets_timeouts(path: Path) -> None:
    for schema in ("vendor.github-workflows", "github-workflows-require-timeout"):
        done = _schema_check(path, schema)
        assert done.returncode == 0, f"{schema}: {done.stdout}{done.stderr}"


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = PREVIEW.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1)
    (tmp_path / "broken.yml").write_text(broken)
    done = _schema_check(tmp_path / "broken.yml", "vendor.github-workflows")
    assert done.returncode == 1 and "runs_on" in done.stdout, done.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_sha_with_its_tag_named(path: Path) -> None:
    uses = [line.strip() for line in path.read_text().splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert uses
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_permissions_are_granted_per_job_and_no_secret_is_expanded_in_a_script(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job["permissions"]
        assert set(granted.values()) <= {"read", "write"}, name
        assert "write-all" not in str(granted) and "id-token" not in granted, name
    for step in _steps(workflow):
        # A secret reaches a script through env only, never pasted into its text (and so its log).
        assert "secrets." not in step.get("run", ""), step


def test_preview_runs_the_tiers_without_a_cluster_then_the_policy_preview() -> None:
    workflow = _load(PREVIEW)
    assert set(workflow["on"]) == {"pull_request", "workflow_dispatch"}
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]) == {"stack"}
    tiers, preview = workflow["jobs"]["tiers"], workflow["jobs"]["preview"]
    assert tiers["permissions"] == {"contents": "read"}
    assert preview["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert preview["needs"] == "tiers"

    all_tiers = re.search(r"^ALL_TIERS=\((.*)\)$", (REPO / "scripts/test").read_text(), re.MULTILINE)
    assert all_tiers
    expected = [tier for tier in all_tiers.group(1).split() if tier not in NEEDS_DOCKER_OR_CLUSTER]
    runs = [step["run"] for step in tiers["steps"] if "scripts/test" in step.get("run", "")]
    assert runs == [f"scripts/test {' '.join(expected)}"]

    pulumi = next(step for step in preview["steps"] if step.get("uses", "").startswith("pulumi/actions@"))
    inputs = pulumi["with"]
    assert inputs["command"] == "preview" and inputs["diff"] is True
    assert inputs["stack-name"] == "${{ env.STACK }}" and "inputs.stack" in workflow["env"]["STACK"]
    assert (REPO / inputs["policyPacks"] / "PulumiPolicy.yaml").is_file()
    # The comment is the workflow's own: the release's object diff (TODO_PREVIEW_REPORT) first.
    assert inputs["comment-on-pr"] is False
    report = pulumi["env"][REPORT_ENV]
    comment = next(step for step in preview["steps"] if "gh pr comment" in step.get("run", ""))
    assert report.rsplit("/", 1)[1] in comment["run"]
    assert "steps.preview.outputs.output" in comment["env"]["OUTPUT"]
    engine = (REPO / "scripts/toolchain/engine.sh").read_text()
    assert f'PULUMI_CLI_VERSION="v{inputs["pulumi-version"]}"' in engine


def test_every_secret_and_variable_the_workflows_read_is_documented() -> None:
    docs = (REPO / "docs/deploy.md").read_text()
    for path in WORKFLOWS:
        text = path.read_text()
        names = set(re.findall(r"\$\{\{ (?:secrets|vars)\.(\w+)", text)) - {"GITHUB_TOKEN"}
        assert names
        for name in sorted(names):
            assert f"| `{name}` |" in docs, f"{name} ({path.name}) is not in docs/deploy.md's table"
