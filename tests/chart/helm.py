"""Helpers that run the real Helm CLI on charts/todo-chatbot and parse what it renders."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "todo-chatbot"
CI_FILES = sorted((CHART_DIR / "ci").glob("*.yaml"))
RELEASE = "todo"
NAMESPACE = "todo"
# Helm's own `<release>-<chart>` prefix of every object, for a release installed without the program.
DEFAULT_FULLNAME = f"{RELEASE}-todo-chatbot"
# scripts/toolchain/common.sh keeps tool caches here (TODO_CACHE_DIR overrides it).
CACHE_DIR = Path(os.environ.get("TODO_CACHE_DIR", REPO_ROOT / ".cache"))


@dataclass(frozen=True)
class Manifest:
    """One rendered Kubernetes object and the template it came from."""

    source: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.body["metadata"].get("annotations") or {})

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} ({self.source})"


def find_helm() -> str:
    """The helm on PATH; scripts/test chart builds the pinned one into .cache/bin."""
    cached = CACHE_DIR / "bin" / "helm"
    found = shutil.which("helm") or (str(cached) if cached.exists() else None)
    if found is None:
        raise RuntimeError("helm is not on PATH; run `scripts/test chart`, which builds the pinned helm")
    return found


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run helm with a clean, offline configuration (no repositories, no plugins, no cluster)."""
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(CACHE_DIR / "helm" / "cache"),
        "HELM_CONFIG_HOME": str(CACHE_DIR / "helm" / "config"),
        "HELM_DATA_HOME": str(CACHE_DIR / "helm" / "data"),
        "KUBECONFIG": os.devnull,
    }
    return subprocess.run([helm, *args], capture_output=True, text=True, env=env, check=False, timeout=120)


def template_args(values_files: list[Path] | None = None, sets: list[str] | None = None) -> list[str]:
    args = ["template", RELEASE, str(CHART_DIR), "--namespace", NAMESPACE]
    for path in values_files or []:
        args += ["--values", str(path)]
    for assignment in sets or []:
        args += ["--set", assignment]
    return args


def chart_catalogue(helm: str) -> list[str]:
    """The chart's workload catalogue (`todo-chatbot.workloads` in _workloads.tpl), as Helm renders it.

    A named template cannot be rendered on its own, so a copy of the chart gets a template that
    prints it; tests read the list from there instead of keeping a copy of it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        chart = Path(tmp) / CHART_DIR.name
        shutil.copytree(CHART_DIR, chart)
        (chart / "templates" / "catalogue-probe.yaml").write_text(
            'workloads: {{ include "todo-chatbot.workloads" . }}\n'
        )
        result = run_helm(
            helm, "template", RELEASE, str(chart), "--show-only", "templates/catalogue-probe.yaml"
        )
    if result.returncode != 0:
        raise AssertionError(f"rendering the workload catalogue failed:\n{result.stderr}")
    return [str(name) for name in yaml.safe_load(result.stdout)["workloads"]]


def render(
    helm: str, values_files: list[Path] | None = None, sets: list[str] | None = None
) -> list[Manifest]:
    """`helm template` the chart; every document, hooks and the test pod included."""
    result = run_helm(helm, *template_args(values_files, sets))
    if result.returncode != 0:
        raise AssertionError(f"helm template failed for {values_files} {sets}:\n{result.stderr}")
    return parse(result.stdout)


def parse(stream: str) -> list[Manifest]:
    manifests: list[Manifest] = []
    for chunk in stream.split("\n---\n"):
        source = ""
        for line in chunk.splitlines():
            if line.startswith("# Source: "):
                source = line.removeprefix("# Source: ")
                break
        body = yaml.safe_load(chunk)
        if body:
            manifests.append(Manifest(source=source, body=body))
    return manifests


def of_kind(manifests: list[Manifest], *kinds: str) -> list[Manifest]:
    return [m for m in manifests if m.kind in kinds]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    for manifest in manifests:
        if manifest.kind == kind and manifest.name == name:
            return manifest
    raise AssertionError(f"{kind}/{name} is not rendered; have: {[str(m) for m in manifests]}")


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod spec of a workload or Pod, else None."""
    body = manifest.body
    if manifest.kind == "Pod":
        return dict(body["spec"])
    if manifest.kind in {"Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"}:
        return dict(body["spec"]["template"]["spec"])
    return None


def pod_labels(manifest: Manifest) -> dict[str, str]:
    if manifest.kind == "Pod":
        return dict(manifest.body["metadata"].get("labels") or {})
    return dict(manifest.body["spec"]["template"]["metadata"].get("labels") or {})


def workloads(manifests: list[Manifest]) -> list[Manifest]:
    """Everything that makes pods: Deployments, the StatefulSet, the hook Job and the test Pod."""
    return [m for m in manifests if pod_spec(m) is not None]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def fullname(scenario: str) -> str:
    """The objects' name prefix in a ci scenario: its fullnameOverride (the program sets the release
    name there, as ci/dev-values.yaml shows), else Helm's own `<release>-<chart>`."""
    path = CHART_DIR / "ci" / f"{scenario}.yaml"  # "defaults": the chart's own values only
    values = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    return str(values.get("fullnameOverride") or DEFAULT_FULLNAME)
