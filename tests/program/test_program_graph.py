"""Resource graph, chart values and secrecy of the dev and staging stacks, under Pulumi's mocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.build_context import content_tag
from components.services import SERVICE_NAMES
from tests.program.conftest import STAGING_SECRETS
from tests.program.harness import (
    IMAGE,
    NAMESPACE,
    PASSWORD,
    PROVIDER,
    RELEASE,
    REPO,
    SECRET,
    ProgramRun,
    as_ints,
    fake_digest,
    run_program,
    secret_at,
    stack_config,
    unwrap,
)

SERVICES = SERVICE_NAMES


def _build_args(service: str, agent_engine: str = "rules") -> dict[str, str]:
    """Only the backend's content depends on the chat engine (it installs the LLM SDK for openai)."""
    return {"AGENT_ENGINE": agent_engine} if service == "backend" else {}


def _expected_images(context: Path, registry: str, platform: str = "linux/amd64") -> dict[str, Any]:
    images: dict[str, Any] = {"pullPolicy": "IfNotPresent"}
    for service in SERVICES:
        repository = f"{registry}/todo-{service}"
        tag = content_tag(
            context, f"dockerfiles/{service}.Dockerfile", platform=platform, build_args=_build_args(service)
        )
        images[service] = {"repository": repository, "tag": tag, "digest": fake_digest(f"{repository}:{tag}")}
    return images


def _expected_postgres_image(
    context: Path, registry: str, source: str = "docker.io/library/postgres:17.6-alpine"
) -> dict[str, Any]:
    repository = f"{registry}/todo-postgres"
    tag = content_tag(
        context,
        "dockerfiles/postgres.Dockerfile",
        platform="linux/amd64",
        build_args={"POSTGRES_IMAGE": source},
    )
    return {"repository": repository, "tag": tag, "digest": fake_digest(f"{repository}:{tag}")}


def test_dev_graph_has_every_resource_once_parented_and_on_the_pinned_provider(context: Path) -> None:
    run = run_program("dev", context=context)
    counts: dict[str, int] = {}
    for registration in run.registrations:
        counts[registration.type] = counts.get(registration.type, 0) + 1
    assert counts == {
        "todo:index:Images": 1,
        "todo:index:KubeTarget": 1,
        "todo:index:AppSecrets": 1,
        "todo:index:ChatbotRelease": 1,
        PROVIDER: 1,
        NAMESPACE: 1,
        IMAGE: 4,  # backend, mcp, frontend, and the database image copied into the registry
        PASSWORD: 3,  # JWT key, MCP token, in-cluster DB password
        SECRET: 2,  # todo-chatbot-app, todo-chatbot-database (no LLM key with the rules engine)
        RELEASE: 1,
    }
    provider = run.one(PROVIDER)
    assert unwrap(provider.inputs)["context"] == "minikube"
    for registration in run.registrations:
        if registration.type.startswith("todo:index:"):
            assert registration.parent.endswith("::todo-chatbot-dev"), registration.name
            continue
        parent = run.by_urn(registration.parent)
        assert parent.type.startswith("todo:index:"), f"{registration.name} is not inside a component"
        assert registration.name.startswith(f"{parent.name}-"), registration.name
        if registration.type.startswith("kubernetes:"):
            assert registration.provider.startswith(provider.urn + "::"), (
                f"{registration.name} skips the provider"
            )


def test_dev_values_handed_to_the_chart(context: Path) -> None:
    run = run_program("dev", context=context)
    values = as_ints(run.release_values())
    # Images exactly (content tags, the pushes' digests); every other value is pinned by the
    # generated charts/todo-chatbot/ci/dev-values.yaml (test_ci_values.py), not repeated here.
    assert values["images"] == _expected_images(context, "localhost:5000")
    assert values["postgresql"]["image"] == _expected_postgres_image(context, "localhost:5000")
    release = unwrap(run.one(RELEASE).inputs)
    assert release["chart"] == "./charts/todo-chatbot"
    assert (release["name"], release["namespace"]) == ("todo-chatbot", "todo")
    assert (release["atomic"], release["cleanupOnFail"], release["timeout"]) == (True, True, 600)


def test_staging_values_handed_to_the_chart(context: Path) -> None:
    run = run_program("staging", secret_config=STAGING_SECRETS, context=context)
    values = as_ints(run.release_values())
    assert values["images"] == _expected_images(context, "registry.example.com/todo")
    assert [values[s]["replicas"] for s in SERVICES] == [2, 2, 2]
    assert values["frontend"]["service"] == {"type": "ClusterIP"}
    assert values["postgresql"] == {"mode": "external", "persistence": {"size": "1Gi", "storageClass": ""}}
    assert values["ingress"] == {
        "enabled": True,
        "className": "nginx",
        "host": "todo.staging.example.com",
        "tlsSecret": "todo-staging-tls",
    }
    assert unwrap(run.one(RELEASE).inputs)["timeout"] == 900
    assert unwrap(run.one(PROVIDER).inputs)["context"] == "staging"
    assert run.stack_outputs["url"] == "https://todo.staging.example.com/"


def _secret_texts(run: ProgramRun) -> list[str]:
    """Every secret value the program handled: generated passwords and configured secrets."""
    texts = []
    for secret in run.of_type(SECRET):
        texts += list(unwrap(secret.inputs["stringData"]).values())
    return texts


def test_every_secret_value_is_a_secret_and_stays_out_of_values_and_outputs(context: Path) -> None:
    run = run_program(
        "staging",
        {"agentEngine": "openai"},
        secret_config={**STAGING_SECRETS, "openaiApiKey": "sk-fake-llm-key"},
        context=context,
    )
    names = {unwrap(s.inputs["metadata"])["name"]: s for s in run.of_type(SECRET)}
    assert set(names) == {"todo-chatbot-app", "todo-chatbot-database", "todo-chatbot-llm"}
    keys = {name: set(unwrap(secret.inputs["stringData"])) for name, secret in names.items()}
    assert keys == {
        "todo-chatbot-app": {"jwt-secret", "mcp-token"},
        "todo-chatbot-database": {"database-url"},
        "todo-chatbot-llm": {"api-key"},
    }
    for name, secret in names.items():
        for key in keys[name]:
            assert secret_at(secret.inputs, "stringData", key), (
                f"{key} of Secret {name} is not a Pulumi secret"
            )
    assert unwrap(names["todo-chatbot-llm"].inputs)["stringData"]["api-key"] == "sk-fake-llm-key"
    assert (
        unwrap(names["todo-chatbot-database"].inputs)["stringData"]["database-url"]
        == STAGING_SECRETS["databaseUrl"]
    )
    for image in run.of_type(IMAGE):
        assert secret_at(image.inputs, "registry", "password"), (
            "the registry password reaches docker.Image in plaintext"
        )
        assert unwrap(image.inputs["registry"]) == {
            "server": "registry.example.com",
            "username": "todo-deployer",
            "password": "fake-registry-token",
        }
    # Plain values keep the preview's diff readable: a secret anywhere in them would hide them all.
    assert not secret_at(run.one(RELEASE).inputs, "values"), "the Helm values became secret"
    plain_inputs = json.dumps(unwrap(run.one(RELEASE).inputs)) + json.dumps(unwrap(run.stack_outputs))
    for text in [*_secret_texts(run), *STAGING_SECRETS.values()]:
        assert text not in plain_inputs, "a secret value reached the Helm values or the stack outputs"


def test_in_cluster_database_secret_holds_only_a_generated_password(context: Path) -> None:
    run = run_program("dev", context=context)
    database = next(
        s for s in run.of_type(SECRET) if unwrap(s.inputs["metadata"])["name"] == "todo-chatbot-database"
    )
    data = unwrap(database.inputs["stringData"])
    assert all(secret_at(database.inputs, "stringData", key) for key in data)
    # The chart composes the URL from its own names (tests/chart); the program knows none of them.
    assert set(data) == {"password"} and data["password"].isalnum()
    passwords = {p.name: unwrap(p.inputs) for p in run.of_type(PASSWORD)}
    assert all(spec["special"] is False for spec in passwords.values())
    assert passwords["secrets-jwt-secret"]["length"] >= 32
    assert passwords["secrets-mcp-token"]["length"] >= 24


def test_release_waits_for_images_and_secrets(context: Path) -> None:
    run = run_program("dev", context=context)
    release = run.one(RELEASE)
    needed = {r.urn for r in run.of_type(IMAGE)} | {r.urn for r in run.of_type(SECRET)}
    assert needed <= set(release.dependencies), "the release may start before its images or Secrets exist"
    # Ordered through options (depends_on the two components), which the component hands to the chart.
    component = run.one("todo:index:ChatbotRelease")
    assert needed <= set(component.dependencies), "the ChatbotRelease component does not wait"
    namespace = run.one(NAMESPACE).urn
    for secret in run.of_type(SECRET):
        assert namespace in secret.dependencies


def _kubeconfig(path: Path, context: str, *, minikube: bool) -> Path:
    extensions = (
        [{"name": "context_info", "extension": {"provider": "minikube.sigs.k8s.io"}}] if minikube else []
    )
    path.write_text(
        yaml.safe_dump(
            {"contexts": [{"name": context, "context": {"cluster": context, "extensions": extensions}}]}
        )
    )
    return path


def test_dev_outputs_say_how_to_open_the_app(
    context: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "kubeconfig", "minikube", minikube=True)))
    outputs = run_program("dev", context=context).stack_outputs
    assert outputs["openCommand"] == "minikube -p minikube service todo-chatbot-frontend -n todo --url"
    assert int(outputs["nodePort"]) == 30080
    assert (outputs["namespace"], outputs["releaseName"], outputs["releaseStatus"]) == (
        "todo",
        "todo-chatbot",
        "deployed",
    )
    assert set(outputs["images"]) == {*SERVICES, "postgres"}
    assert all("@sha256:" in ref for ref in outputs["images"].values())


@pytest.mark.parametrize("kube_context", ["kind-todo", "minikube"])
def test_a_cluster_that_is_not_minikube_gets_a_port_forward_to_open_the_app(
    context: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kube_context: str
) -> None:
    # A context named "minikube" that minikube did not make (no context_info) is not one either.
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "kubeconfig", kube_context, minikube=False)))
    outputs = run_program("dev", {"kubeContext": kube_context}, context=context).stack_outputs
    assert outputs["openCommand"] == (
        f"kubectl --context {kube_context} -n todo port-forward service/todo-chatbot-frontend 8080:http"
    )


def test_platform_build_on_preview_and_cache_are_wired_to_every_image(context: Path) -> None:
    run = run_program("dev", {"platform": "linux/arm64", "buildOnPreview": True}, context=context)
    for image in run.of_type(IMAGE):
        inputs = unwrap(image.inputs)
        service = image.name.removeprefix("images-")
        assert inputs["buildOnPreview"] is True
        assert inputs["build"]["platform"] == "linux/arm64"
        assert inputs["build"]["context"] == "."
        assert inputs["build"]["dockerfile"] == f"dockerfiles/{service}.Dockerfile"
        # No cache source: naming the pushed tag itself only printed "not available" diagnostics.
        assert "cacheFrom" not in inputs["build"]
        if service == "postgres":
            assert set(inputs["build"]["args"]) == {"POSTGRES_IMAGE"}
            continue
        assert inputs["build"]["args"] == _build_args(service)
        assert "registry" not in inputs, "dev pushes to the local registry without credentials"
    laptop = {i.name: unwrap(i.inputs) for i in run_program("dev", context=context).of_type(IMAGE)}
    for image in run.of_type(IMAGE):
        assert laptop[image.name]["buildOnPreview"] is False
        assert laptop[image.name]["imageName"] != unwrap(image.inputs)["imageName"], (
            "platform must change the tag"
        )


def test_openai_engine_adds_the_llm_secret_and_rules_does_not(context: Path) -> None:
    run = run_program(
        "dev", {"agentEngine": "openai"}, secret_config={"openaiApiKey": "sk-fake"}, context=context
    )
    names = {unwrap(s.inputs["metadata"])["name"] for s in run.of_type(SECRET)}
    assert "todo-chatbot-llm" in names
    assert run.release_values()["agent"]["engine"] == "openai"
    llm = next(s for s in run.of_type(SECRET) if unwrap(s.inputs["metadata"])["name"] == "todo-chatbot-llm")
    assert llm.urn in run.one(RELEASE).dependencies


def test_agent_engine_is_a_backend_build_arg_and_retags_only_the_backend(context: Path) -> None:
    def images(run: ProgramRun) -> dict[str, dict[str, Any]]:
        return {i.name.removeprefix("images-"): unwrap(i.inputs) for i in run.of_type(IMAGE)}

    rules = images(run_program("dev", context=context))
    openai = images(
        run_program(
            "dev", {"agentEngine": "openai"}, secret_config={"openaiApiKey": "sk-fake"}, context=context
        )
    )
    assert rules["backend"]["build"]["args"]["AGENT_ENGINE"] == "rules"
    assert openai["backend"]["build"]["args"]["AGENT_ENGINE"] == "openai"
    assert rules["backend"]["imageName"] != openai["backend"]["imageName"], "the engine must change the tag"
    for service in ("mcp", "frontend"):
        assert "AGENT_ENGINE" not in openai[service]["build"]["args"]
        assert rules[service]["imageName"] == openai[service]["imageName"]


@pytest.mark.parametrize("stack_file", sorted(REPO.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_each_stack_file_produces_a_complete_graph(context: Path, stack_file: Path, preview: bool) -> None:
    stack = stack_file.name.split(".")[1]
    config = stack_config(stack)
    secrets = {}  # FAKE values for exactly the secret keys this stack's settings require
    if config.get("todo-chatbot:registryUsername"):
        secrets["registryPassword"] = "fake-registry-token"
    if config.get("todo-chatbot:databaseMode") == "external":
        secrets["databaseUrl"] = STAGING_SECRETS["databaseUrl"]
    if config.get("todo-chatbot:agentEngine") == "openai":
        secrets["openaiApiKey"] = "sk-fake"
    run = run_program(stack, secret_config=secrets, context=context, preview=preview)
    assert len(run.of_type(IMAGE)) == 3
    assert {unwrap(s.inputs["metadata"])["name"] for s in run.of_type(SECRET)} >= {
        "todo-chatbot-app",
        "todo-chatbot-database",
    }
    assert len(run.of_type(NAMESPACE)) == len(run.of_type(PROVIDER)) == len(run.of_type(RELEASE)) == 1
    assert unwrap(run.one(PROVIDER).inputs)["context"] == config["todo-chatbot:kubeContext"]
    assert set(run.stack_outputs) >= {"namespace", "releaseName", "releaseStatus", "openCommand", "images"}


def test_namespace_enforces_the_restricted_pod_security_standard(context: Path) -> None:
    labels = unwrap(run_program("dev", context=context).one(NAMESPACE).inputs)["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_base_image_overrides_reach_only_the_images_built_from_them(context: Path) -> None:
    plain = {i.name: unwrap(i.inputs) for i in run_program("dev", context=context).of_type(IMAGE)}
    run = run_program("dev", {"pythonBaseImage": "mirror.example.com/python:3.13-slim"}, context=context)
    mirrored = {i.name: unwrap(i.inputs) for i in run.of_type(IMAGE)}
    for name in ("images-backend", "images-mcp"):
        assert mirrored[name]["build"]["args"]["PYTHON_IMAGE"] == "mirror.example.com/python:3.13-slim"
        assert mirrored[name]["imageName"] != plain[name]["imageName"], (
            "a base image is part of the content tag"
        )
    for name in ("images-frontend", "images-postgres"):
        assert mirrored[name] == plain[name]


def test_database_image_goes_through_the_stack_registry_by_digest(context: Path) -> None:
    source = "mirror.example.com/library/postgres:17.6-alpine"
    values = run_program("dev", {"postgresImage": source}, context=context).release_values()
    assert as_ints(values["postgresql"]["image"]) == _expected_postgres_image(
        context, "localhost:5000", source
    )
    staging = run_program("staging", secret_config=STAGING_SECRETS, context=context)
    assert "images-postgres" not in {i.name for i in staging.of_type(IMAGE)}, (
        "external databases need no image"
    )


def test_a_chart_change_alone_changes_the_release(context: Path) -> None:
    # The provider misses template changes of a local chart (pulumi-kubernetes#2118, seen live).
    before = unwrap(run_program("dev", context=context).one(RELEASE).inputs)
    (context / "charts/todo-chatbot/templates").mkdir(parents=True, exist_ok=True)
    (context / "charts/todo-chatbot/templates/extra.yaml").write_text("# a template change\n")
    after = unwrap(run_program("dev", context=context).one(RELEASE).inputs)
    assert before["description"] != after["description"]
    assert {k: v for k, v in before.items() if k != "description"} == {
        k: v for k, v in after.items() if k != "description"
    }
