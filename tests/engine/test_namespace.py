"""A namespace that exists before the stack, on the real API server under the real engine: what the
pinned kubernetes provider (4.25) does with it, and that the program declares it only when adopted
and then never deletes it."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from components.target import ADOPTED_ANNOTATION, POD_SECURITY_LABELS, STACK_ANNOTATION
from tests.support.pulumi_cli import Workspace

# The namespace, its provider and their component: everything `--target` needs, and no image build.
TARGETS = [
    "--target",
    "urn:pulumi:dev::todo-chatbot::todo:index:KubeTarget::cluster",
    "--target",
    "urn:pulumi:dev::todo-chatbot::todo:index:KubeTarget$pulumi:providers:kubernetes::cluster-k8s",
    "--target",
    "urn:pulumi:dev::todo-chatbot::todo:index:KubeTarget$kubernetes:core/v1:Namespace::cluster-namespace",
]
THEIRS = {"owner": "someone-else"}


@dataclass(frozen=True)
class Existing:
    """A namespace someone else made, holding a ConfigMap of theirs, and a dev stack pointed at it."""

    ws: Workspace
    name: str

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", "--context", "minikube", *args],
            env=self.ws.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def live(self) -> dict[str, Any] | None:
        out = self.kubectl("get", "namespace", self.name, "--ignore-not-found", "-o", "json").stdout
        return json.loads(out) if out.strip() else None

    def their_configmap_is_there(self) -> bool:
        found = self.kubectl(
            "-n", self.name, "get", "configmap", "theirs", "--ignore-not-found", "-o", "name"
        )
        return found.stdout.strip() == "configmap/theirs"


@pytest.fixture
def existing(workspace: Workspace, standins: dict[str, str]) -> Iterator[Existing]:
    name = f"engine-existing-{secrets.token_hex(3)}"
    ns = Existing(workspace, name)
    ns.kubectl("create", "namespace", name)
    ns.kubectl("label", "namespace", name, *(f"{k}={v}" for k, v in THEIRS.items()))
    ns.kubectl("-n", name, "create", "configmap", "theirs", "--from-literal=precious=yes")
    workspace.new_stack("dev")
    workspace.set("dev", "namespace", name)
    for key, image in standins.items():
        workspace.set("dev", key, image)
    try:
        yield ns
    finally:
        workspace.pulumi("destroy", "--yes", "--stack", "dev", check=False, timeout=600)
        ns.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false", check=False)


def _gone_or_terminating(live: dict[str, Any] | None) -> bool:
    return live is None or bool(live["metadata"].get("deletionTimestamp"))


def test_the_pinned_provider_takes_over_an_existing_namespace_and_destroy_deletes_it(
    existing: Existing,
) -> None:
    """The hazard, shown with the program's own check switched off: no AlreadyExists, the namespace is
    relabelled in place (server-side apply upserts on create), and destroy deletes it and its contents."""
    ws = existing.ws
    up = ws.pulumi("up", "--yes", "--stack", "dev", *TARGETS, check=False, TODO_PREFLIGHT="off")
    assert up.returncode == 0, up.output[-4000:]
    labels = (existing.live() or {})["metadata"]["labels"]
    assert POD_SECURITY_LABELS.items() <= labels.items() and THEIRS.items() <= labels.items(), labels
    ws.pulumi("destroy", "--yes", "--stack", "dev", timeout=600)
    assert _gone_or_terminating(existing.live()), "destroy left the taken-over namespace"


def test_the_program_refuses_a_namespace_it_did_not_create(existing: Existing) -> None:
    ws = existing.ws
    for command in (["preview"], ["up", "--yes", *TARGETS]):
        run = ws.pulumi(*command, "--stack", "dev", check=False)
        assert run.returncode != 0, run.output[-4000:]
        text = run.output
        assert (
            f"todo-chatbot:namespace = '{existing.name}': namespace '{existing.name}' already exists" in text
        )
        assert "pulumi config set adoptNamespace true --stack dev" in text, text[-3000:]
        assert "Traceback" not in text
    live = existing.live()
    assert live is not None and not POD_SECURITY_LABELS.items() & live["metadata"]["labels"].items()
    assert existing.their_configmap_is_there()


def test_an_adopted_namespace_is_labelled_and_outlives_the_stack(existing: Existing) -> None:
    ws = existing.ws
    ws.set("dev", "adoptNamespace", "true")
    ws.pulumi("up", "--yes", "--stack", "dev", *TARGETS)
    metadata = (existing.live() or {})["metadata"]
    assert (
        POD_SECURITY_LABELS.items() <= metadata["labels"].items()
        and THEIRS.items() <= metadata["labels"].items()
    )
    assert metadata["annotations"][STACK_ANNOTATION] == "todo-chatbot/dev"
    assert metadata["annotations"][ADOPTED_ANNOTATION] == "true"
    state = ws.pulumi("stack", "export", "--stack", "dev").json()["deployment"]["resources"]
    (namespace,) = [r for r in state if r["urn"].endswith("::cluster-namespace")]
    assert namespace.get("retainOnDelete") is True, namespace
    ws.pulumi("destroy", "--yes", "--stack", "dev", timeout=600)
    live = existing.live()
    assert live is not None and not live["metadata"].get("deletionTimestamp"), (
        "destroy deleted an adopted namespace"
    )
    assert existing.their_configmap_is_there()
    # Adopted once, it stays adopted: turning adoption off would make the next destroy delete it.
    ws.set("dev", "adoptNamespace", "false")
    preview = ws.pulumi("preview", "--stack", "dev", check=False)
    assert preview.returncode != 0 and "existed before this stack adopted it" in preview.output, (
        preview.output[-3000:]
    )
