"""`pulumi up` for real of everything that needs no node: the docker provider builds the images with
the project's Dockerfiles and pushes them by digest, the Namespace and Secrets land in the API
server; then the secret values are searched for everywhere they must not be."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.services import SERVICE_NAMES
from tests.support.pulumi_cli import Result, Workspace, changes, planned, retagged
from tests.support.up_timings import UP_TIMINGS

RELEASE_URN = (
    "urn:pulumi:dev::todo-chatbot::todo:index:ChatbotRelease$kubernetes:helm.sh/v3:Release::release-chart"
)
SECRET_RESOURCES = ("secrets-jwt-secret", "secrets-mcp-token", "secrets-db-password")
TARGET_TYPE = "todo:index:KubeTarget"
# The type the component had before it was renamed; components/target.py aliases it.
FORMER_TARGET_TYPE = "todo:index:Cluster"


@dataclass(frozen=True)
class Deployed:
    ws: Workspace
    namespace: str
    outputs: dict[str, object]
    up: Result


def kubectl(ws: Workspace, *args: str) -> str:
    return subprocess.run(
        ["kubectl", "--context", "minikube", *args], env=ws.env, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def deployed(module_workspace: Workspace, standins: dict[str, str]) -> Iterator[Deployed]:
    ws = module_workspace
    namespace = f"engine-{secrets.token_hex(3)}"
    ws.new_stack("dev")
    ws.set("dev", "namespace", namespace)
    for key, image in standins.items():
        ws.set("dev", key, image)
    try:
        # Everything but the release, which needs a node to roll out (the live tier deploys it).
        up = ws.pulumi("up", "--yes", "--stack", "dev", "--exclude", RELEASE_URN, timeout=1800)
        outputs = ws.pulumi("stack", "output", "--json", "--stack", "dev").json()
        yield Deployed(ws, namespace, outputs, up)
    finally:
        ws.pulumi("destroy", "--yes", "--stack", "dev", timeout=600)
    assert namespace not in kubectl(ws, "get", "namespaces", "-o", "name")


def _generated_secrets(ws: Workspace) -> list[str]:
    state = ws.pulumi("stack", "export", "--show-secrets", "--stack", "dev").json()
    values = []
    for resource in state["deployment"]["resources"]:
        if resource["urn"].rsplit("::", 1)[1] in SECRET_RESOURCES:
            result = resource["outputs"]["result"]
            values.append(result["plaintext"].strip('"') if isinstance(result, dict) else result)
    assert len(values) == len(SECRET_RESOURCES)
    return values


def test_images_are_pushed_and_referenced_by_digest(deployed: Deployed) -> None:
    images = deployed.outputs["images"]
    assert isinstance(images, dict) and set(images) == {*SERVICE_NAMES, "postgres"}
    for ref in images.values():
        name, digest = ref.split("@")
        host, repository = name.split("/", 1)
        request = urllib.request.Request(
            f"http://127.0.0.1:{host.rsplit(':', 1)[1]}/v2/{repository}/manifests/{digest}",
            method="HEAD",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and response.headers["Docker-Content-Digest"] == digest


def test_the_up_timings_read_the_real_clis_lines(deployed: Deployed) -> None:
    # scripts/lib/up_timings.py, which the live and minikube tiers record phases with, on this CLI's
    # own output: every image step is found and counted as the images phase.
    timings = UP_TIMINGS
    found = timings.steps(deployed.up.output.splitlines())
    images = [step.name for step in found if step.name.startswith("images-")]
    assert sorted(images) == ["images-backend", "images-frontend", "images-mcp", "images-postgres"], found
    assert timings.phases(found)["images_build_and_push"] > 0, found


def test_namespace_and_secrets_are_in_the_api_server(deployed: Deployed) -> None:
    namespace = json.loads(kubectl(deployed.ws, "get", "namespace", deployed.namespace, "-o", "json"))
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    listed = json.loads(kubectl(deployed.ws, "-n", deployed.namespace, "get", "secrets", "-o", "json"))
    data = {s["metadata"]["name"]: s["data"] for s in listed["items"]}
    assert set(data["todo-chatbot-app"]) == {"jwt-secret", "mcp-token"}
    assert set(data["todo-chatbot-database"]) == {"password"}
    stored = {base64.b64decode(v).decode() for d in data.values() for v in d.values()}
    for value in _generated_secrets(deployed.ws):
        assert value in stored or any(value in s for s in stored)


def test_generated_secrets_appear_nowhere_else(deployed: Deployed) -> None:
    ws = deployed.ws
    values = _generated_secrets(ws)
    places = {
        "state export": ws.pulumi("stack", "export", "--stack", "dev").stdout,
        "stack outputs": ws.pulumi("stack", "output", "--json", "--show-secrets", "--stack", "dev").stdout,
        "CLI output": "\n".join(r.output for r in ws.log if "--show-secrets" not in r.args),
    }
    images = deployed.outputs["images"]
    assert isinstance(images, dict)
    for ref in images.values():
        layers = subprocess.run(["/usr/bin/docker", "save", ref], capture_output=True, check=True).stdout
        places[f"image {ref}"] = layers.decode("latin-1")
    for place, text in places.items():
        for value in values:
            assert value not in text, f"a generated secret appears in the {place}"


def test_a_second_preview_changes_nothing(deployed: Deployed) -> None:
    preview = deployed.ws.preview("dev", "--exclude", RELEASE_URN)
    assert set(changes(preview)) == {"same"}, changes(preview)


def test_a_change_in_one_service_retags_only_its_image(deployed: Deployed) -> None:
    ws = deployed.ws
    source = ws.root / "frontend/src/main.tsx"
    original = source.read_text()
    source.write_text(original + "\n// engine tier: a one-line change\n")
    try:
        steps = ws.preview("dev", "--exclude", RELEASE_URN).json()["steps"]
    finally:
        source.write_text(original)
    assert retagged(steps) == {"images-frontend"}, steps
    # pulumi-docker hashes the whole shared build context, so it also plans a (cached, byte-identical)
    # rebuild of the other images: their tags and digests stay, so the release changes one image only.


def _preview_with_target_type(ws: Workspace, original: Path, recorded_type: str) -> Result:
    """Preview against the exported state `original` with the target component (and so every URN
    under it, the provider references of the Secrets included) recorded as `recorded_type`."""
    rewritten = original.with_name(f"{recorded_type.rsplit(':', 1)[1]}.json")
    rewritten.write_text(original.read_text().replace(TARGET_TYPE, recorded_type))
    ws.pulumi("stack", "import", "--stack", "dev", "--file", str(rewritten))
    imported = ws.pulumi("stack", "export", "--stack", "dev").stdout
    assert TARGET_TYPE not in imported and f"{recorded_type}$kubernetes:core/v1:Namespace::" in imported
    return ws.preview("dev", "--exclude", RELEASE_URN, check=False)


def test_a_stack_deployed_as_cluster_is_adopted_by_the_renamed_component(
    deployed: Deployed, tmp_path: Path
) -> None:
    ws = deployed.ws
    original = tmp_path / "original.json"
    original.write_text(ws.pulumi("stack", "export", "--stack", "dev").stdout)
    assert f"{TARGET_TYPE}$kubernetes:core/v1:Namespace::cluster-namespace" in original.read_text()
    try:
        aliased = _preview_with_target_type(ws, original, FORMER_TARGET_TYPE)
        # Negative control: a type the component does not alias is a different resource to the engine.
        unaliased = _preview_with_target_type(ws, original, "todo:index:NotAnAlias")
    finally:
        ws.pulumi("stack", "import", "--stack", "dev", "--file", str(original))
    assert aliased.returncode == 0 and unaliased.returncode == 0, (aliased.output + unaliased.output)[-4000:]
    target = ["cluster", "cluster-k8s", "cluster-namespace"]
    # Deleting the old Namespace would delete the Secrets in it: the alias is what keeps them.
    assert planned(unaliased) == {"same": ["todo-chatbot-dev"], "create": target, "delete": target}
    # --json lists no unchanged steps but the stack's; the summary counts them all.
    assert changes(aliased) == {"same": changes(unaliased)["same"] + len(target)}, planned(aliased)
