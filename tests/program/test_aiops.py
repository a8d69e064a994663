"""The optional kagent component (aiOps* settings), under Pulumi's mocks: absent unless enabled; when
enabled, pinned charts in a namespace of its own, the LLM key by Secret name only, and RBAC rule by rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.program.harness import (
    NAMESPACE,
    PROVIDER,
    RELEASE,
    SECRET,
    ProgramRun,
    run_program,
    secret_at,
    unwrap,
)
from tests.program.test_chart_contract import render_release

AGENT = "kubernetes:kagent.dev/v1alpha2:Agent"
MODEL_CONFIG = "kubernetes:kagent.dev/v1alpha2:ModelConfig"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_RBAC = (
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
FAKE_KEY = "sk-fake-aiops-key-123"
ENABLED = {"aiOpsEnabled": True}
# The default releaseName (todo-chatbot) names each object `<releaseName>-<component>`.
APP_DEPLOYMENTS = ["todo-chatbot-backend", "todo-chatbot-mcp", "todo-chatbot-frontend"]


def _enabled(context: Path, overrides: dict[str, object] | None = None) -> ProgramRun:
    return run_program(
        "dev", {**ENABLED, **(overrides or {})}, secret_config={"openaiApiKey": FAKE_KEY}, context=context
    )


def _release(run: ProgramRun, name: str) -> dict[str, Any]:
    inputs: dict[str, Any] = unwrap(run.named(name).inputs)
    return inputs


def test_off_by_default_declares_no_kagent_resource(context: Path) -> None:
    run = run_program("dev", context=context)
    assert not [r for r in run.registrations if r.name.startswith("aiops")]
    types = {r.type for r in run.registrations}
    assert not types & {AGENT, MODEL_CONFIG, ROLE, ROLE_BINDING, *CLUSTER_RBAC, "todo:index:AiOps"}
    assert len(run.of_type(RELEASE)) == len(run.of_type(NAMESPACE)) == 1
    assert "aiOpsAgent" not in run.stack_outputs
    # The openai engine's key alone does not turn it on either.
    openai = run_program(
        "dev", {"agentEngine": "openai"}, secret_config={"openaiApiKey": FAKE_KEY}, context=context
    )
    assert not [r for r in openai.registrations if r.name.startswith("aiops")]


def test_enabled_installs_both_pinned_charts_from_the_oci_registry_in_their_own_namespace(
    context: Path,
) -> None:
    run = _enabled(context)
    crds, kagent = _release(run, "aiops-crds"), _release(run, "aiops-kagent")
    assert (crds["chart"], crds["version"], crds["name"]) == (
        "oci://ghcr.io/kagent-dev/kagent/helm/kagent-crds",
        "0.9.12",
        "kagent-crds",
    )
    assert (kagent["chart"], kagent["version"], kagent["name"]) == (
        "oci://ghcr.io/kagent-dev/kagent/helm/kagent",
        "0.9.12",
        "kagent",
    )
    assert crds["namespace"] == kagent["namespace"] == "kagent"
    namespaces = {unwrap(n.inputs)["metadata"]["name"]: unwrap(n.inputs) for n in run.of_type(NAMESPACE)}
    assert set(namespaces) == {"todo", "kagent"}
    labels = namespaces["kagent"]["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    # The CRDs are in place before the controller, the custom resources after both.
    assert run.named("aiops-crds").urn in run.named("aiops-kagent").dependencies
    for resource in (run.one(MODEL_CONFIG), run.one(AGENT)):
        assert run.named("aiops-kagent").urn in resource.dependencies
    pinned = _release(
        _enabled(context, {"aiOpsKagentVersion": "0.10.1", "aiOpsNamespace": "ops"}), "aiops-kagent"
    )
    assert (pinned["version"], pinned["namespace"]) == ("0.10.1", "ops")


def test_every_kagent_resource_is_in_the_component_on_the_stack_provider_after_the_release(
    context: Path,
) -> None:
    run = _enabled(context)
    component = run.one("todo:index:AiOps")
    provider = run.one(PROVIDER)
    app_release = run.named("release-chart")
    assert app_release.urn in component.dependencies
    children = [r for r in run.registrations if r.parent == component.urn]
    assert {r.name for r in children} == {
        "aiops-namespace",
        "aiops-llm",
        "aiops-crds",
        "aiops-kagent",
        "aiops-model",
        "aiops-agent",
        "aiops-role",
        "aiops-role-binding",
    }
    for child in children:
        assert child.provider.startswith(provider.urn + "::"), f"{child.name} skips the provider"
    # Children do not inherit depends_on: the first ones wait for the app's release themselves.
    for name in ("aiops-namespace", "aiops-role"):
        assert app_release.urn in run.named(name).dependencies, name
    assert run.stack_outputs["aiOpsAgent"] == "kagent/todo-ops"


def test_the_api_key_reaches_kagent_by_secret_name_and_never_as_a_value(context: Path) -> None:
    run = _enabled(context, {"openaiBaseUrl": "http://llm.example.com/v1"})
    secrets = {
        (unwrap(s.inputs)["metadata"]["namespace"], unwrap(s.inputs)["metadata"]["name"]): s
        for s in run.of_type(SECRET)
    }
    copy = secrets[("kagent", "todo-chatbot-llm")]
    assert unwrap(copy.inputs)["stringData"] == {"api-key": FAKE_KEY}
    assert secret_at(copy.inputs, "stringData", "api-key"), "kagent's copy of the key is not a Pulumi secret"
    values = unwrap(run.named("aiops-kagent").inputs["values"])
    assert not secret_at(run.named("aiops-kagent").inputs, "values"), "kagent's Helm values became secret"
    assert values["providers"] == {
        "default": "openAI",
        "openAI": {
            "provider": "OpenAI",
            "model": "gpt-4.1-mini",
            "apiKeySecretRef": "todo-chatbot-llm",
            "apiKeySecretKey": "api-key",
            "config": {"baseUrl": "http://llm.example.com/v1"},
        },
    }
    model = unwrap(run.one(MODEL_CONFIG).inputs)
    assert model["metadata"] == {
        "name": "todo-ops-model",
        "namespace": "kagent",
        "labels": {"app.kubernetes.io/part-of": "todo-chatbot", "app.kubernetes.io/managed-by": "pulumi"},
    }
    assert model["spec"] == {
        "provider": "OpenAI",
        "model": "gpt-4.1-mini",
        "apiKeySecret": "todo-chatbot-llm",
        "apiKeySecretKey": "api-key",
        "openAI": {"baseUrl": "http://llm.example.com/v1"},
    }
    assert copy.urn in run.one(MODEL_CONFIG).dependencies
    plain = [
        unwrap(r.inputs) for r in run.registrations if r.type != SECRET and r.type != "todo:index:AppSecrets"
    ]
    assert FAKE_KEY not in json.dumps(plain) + json.dumps(unwrap(run.stack_outputs))


def test_kagent_creates_no_cluster_wide_rbac_no_sample_agents_and_a_tool_server_without_own_rbac(
    context: Path,
) -> None:
    run = _enabled(context)
    assert not [r for r in run.registrations if r.type in CLUSTER_RBAC]
    values = unwrap(run.named("aiops-kagent").inputs["values"])
    assert values["rbac"] == {"namespaces": ["kagent"]}
    assert values["controller"] == {"metrics": {"enabled": False}}
    assert values["kmcp"] == {"enabled": False}
    assert unwrap(run.named("aiops-crds").inputs["values"]) == {"kmcp": {"enabled": False}}
    assert values["kagent-tools"] == {
        "fullnameOverride": "kagent-tools",
        "rbac": {"create": False},
        "tools": {"enabledTools": ["k8s"]},
    }
    disabled = {key for key, value in values.items() if value == {"enabled": False}}
    assert disabled >= {"k8s-agent", "helm-agent", "istio-agent", "querydoc", "grafana-mcp", "kmcp"}
    assert "apiKey" not in values["providers"]["openAI"]


def test_the_agent_reads_and_restarts_only_through_the_tool_server(context: Path) -> None:
    run = _enabled(context)
    agent = unwrap(run.one(AGENT).inputs)
    assert agent["metadata"]["name"] == "todo-ops" and agent["metadata"]["namespace"] == "kagent"
    spec = agent["spec"]
    assert spec["type"] == "Declarative"
    declarative = spec["declarative"]
    assert declarative["modelConfig"] == "todo-ops-model"
    assert "namespace todo" in declarative["systemMessage"]
    assert all(name in declarative["systemMessage"] for name in APP_DEPLOYMENTS)
    assert declarative["tools"] == [
        {
            "type": "McpServer",
            "mcpServer": {
                "apiGroup": "kagent.dev",
                "kind": "RemoteMCPServer",
                "name": "kagent-tool-server",
                "toolNames": [
                    "k8s_get_resources",
                    "k8s_describe_resource",
                    "k8s_get_resource_yaml",
                    "k8s_get_pod_logs",
                    "k8s_get_events",
                    "k8s_rollout",
                ],
                "requireApproval": ["k8s_rollout"],
            },
        }
    ]
    # The agent's pod passes the restricted Pod Security Standard its namespace enforces.
    assert declarative["deployment"] == {
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }


def test_rbac_is_one_role_in_the_app_namespace_rule_by_rule(context: Path) -> None:
    run = _enabled(context)
    role = unwrap(run.one(ROLE).inputs)
    assert (role["metadata"]["name"], role["metadata"]["namespace"]) == ("todo-ops", "todo")
    rules = role["rules"]
    assert rules[0] == {
        "apiGroups": [""],
        "resources": ["pods", "pods/log", "events", "services"],
        "verbs": ["get", "list", "watch"],
    }
    assert rules[1] == {
        "apiGroups": ["apps"],
        "resources": ["deployments", "replicasets", "statefulsets"],
        "verbs": ["get", "list", "watch"],
    }
    assert rules[2] == {
        "apiGroups": ["apps"],
        "resources": ["deployments"],
        "resourceNames": APP_DEPLOYMENTS,
        "verbs": ["patch"],
    }
    assert len(rules) == 3
    # Nothing reads Secrets (helm.sh/release.v1 records hold the app's values), nothing wildcards.
    for rule in rules:
        assert "secrets" not in rule["resources"] and "*" not in json.dumps(rule)
        assert set(rule["verbs"]) <= {"get", "list", "watch", "patch"}
    binding = unwrap(run.one(ROLE_BINDING).inputs)
    assert binding["metadata"]["namespace"] == "todo"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "todo-ops"}
    # The tool server runs every tool call; its ServiceAccount is the one subject.
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kagent-tools", "namespace": "kagent"}]
    assert run.one(ROLE).urn in run.one(ROLE_BINDING).dependencies


def test_the_restart_rule_names_exactly_the_deployments_the_real_chart_renders(
    context: Path, tmp_path: Path
) -> None:
    run = _enabled(context, {"releaseName": "shop"})
    docs = render_release(unwrap(run.named("release-chart").inputs), tmp_path)
    deployments = sorted(doc["metadata"]["name"] for doc in docs if doc["kind"] == "Deployment")
    restart = unwrap(run.one(ROLE).inputs)["rules"][2]
    assert sorted(restart["resourceNames"]) == deployments and deployments
