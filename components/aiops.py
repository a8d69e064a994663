"""Optional AI-assisted operations: kagent in a namespace of its own, and one kagent agent for this app
that may read the app's namespace and restart the app's Deployments, and nothing else.

kagent runs every built-in tool call (read logs, list pods, restart) in its tool server, under the tool
server's ServiceAccount, not the agent pod's; so that ServiceAccount is the one identity this component
grants anything to, and the charts are told to create no RBAC of their own for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.secrets import LLM_SECRET_KEY
from components.settings import AiOpsSettings
from components.target import PART_OF_LABELS, namespace

# kagent publishes both charts here (kagent.dev installation docs); the version comes from stack config.
KAGENT_CHARTS = "oci://ghcr.io/kagent-dev/kagent/helm"
KAGENT_RELEASE = "kagent"
# The kagent chart names its RemoteMCPServer `<fullname>-tool-server`; fullname is the release name.
TOOL_SERVER = f"{KAGENT_RELEASE}-tool-server"
# Set as kagent-tools' fullnameOverride, which names its Deployment, Service and ServiceAccount.
TOOLS_SERVICE_ACCOUNT = "kagent-tools"
MODEL_CONFIG = "todo-ops-model"
AGENT = "todo-ops"
KAGENT_API = "kagent.dev/v1alpha2"
# The sample agents the kagent chart installs by default, each with tools over the whole cluster.
SAMPLE_AGENTS = (
    "k8s-agent",
    "kgateway-agent",
    "istio-agent",
    "promql-agent",
    "observability-agent",
    "argo-rollouts-agent",
    "helm-agent",
    "cilium-policy-agent",
    "cilium-manager-agent",
    "cilium-debug-agent",
)
READ_TOOLS = (
    "k8s_get_resources",
    "k8s_describe_resource",
    "k8s_get_resource_yaml",
    "k8s_get_pod_logs",
    "k8s_get_events",
)
# `kubectl rollout restart` is a patch of the Deployment's pod template; a person approves each one.
RESTART_TOOL = "k8s_rollout"
# The restricted Pod Security Standard, which the app's namespace enforces too, for the agent's pod.
AGENT_POD_SECURITY_CONTEXT = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
AGENT_CONTAINER_SECURITY_CONTEXT = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def role_rules(app_deployments: Sequence[str]) -> list[dict[str, Any]]:
    """What the tool server may do in the app's namespace: read the workloads, restart only the app's.

    Not Secrets: the Helm release records (Secrets of type helm.sh/release.v1) hold the app's values,
    and a Secret rule cannot be narrowed to a type, so the agent reads the release's objects instead.
    """
    return [
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "events", "services"],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "replicasets", "statefulsets"],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["deployments"],
            "resourceNames": list(app_deployments),
            "verbs": ["patch"],
        },
    ]


def kagent_values(settings: AiOpsSettings, openai_base_url: str, llm_secret: str) -> dict[str, Any]:
    """The kagent chart's values: namespaced RBAC, no sample agents, the API key by Secret name only."""
    openai: dict[str, Any] = {
        "provider": "OpenAI",
        "model": settings.model,
        "apiKeySecretRef": llm_secret,
        "apiKeySecretKey": LLM_SECRET_KEY,
    }
    if openai_base_url:
        openai["config"] = {"baseUrl": openai_base_url}
    return {
        # Roles in kagent's own namespace instead of the chart's default ClusterRoles.
        "rbac": {"namespaces": [settings.namespace]},
        # Its metrics endpoint would bring ClusterRoles for authenticated scrapes.
        "controller": {"metrics": {"enabled": False}},
        "providers": {"default": "openAI", "openAI": openai},
        # kmcp (MCPServer controller) brings cluster-wide RBAC and nothing this agent uses.
        "kmcp": {"enabled": False},
        "kagent-tools": {
            "fullnameOverride": TOOLS_SERVICE_ACCOUNT,
            # Its own RBAC would be cluster-admin (or cluster-wide read); it gets only the Role below.
            "rbac": {"create": False},
            "tools": {"enabledTools": ["k8s"]},
        },
        "grafana-mcp": {"enabled": False},
        "querydoc": {"enabled": False},
        **{agent: {"enabled": False} for agent in SAMPLE_AGENTS},
    }


def system_message(app_namespace: str, app_deployments: Sequence[str]) -> str:
    return (
        f"You help operate the Todo Chatbot, deployed in the Kubernetes namespace {app_namespace}. "
        "Always pass that namespace to your tools; you have no access anywhere else. "
        "Find out why a pod is not ready from its status, events and logs, and explain what you saw. "
        f"You may restart only these Deployments: {', '.join(app_deployments)}; propose a restart, "
        "say why, and wait for the person to approve it. You cannot read Secrets, scale, edit or delete "
        "anything, or touch the PostgreSQL StatefulSet; say which kubectl or pulumi command a person "
        "should run instead."
    )


@dataclass(frozen=True)
class AiOpsArgs:
    """The settings, where the app lives, and the LLM API key (a Pulumi secret)."""

    settings: AiOpsSettings
    app_namespace: pulumi.Input[str]
    app_deployments: Sequence[str]
    openai_api_key: pulumi.Output[str]
    # The app's LLM Secret name; kagent's namespace gets a copy of the same name (names.py).
    llm_secret: str
    openai_base_url: str = ""


class AiOps(pulumi.ComponentResource):
    """Installs kagent from its OCI charts at a pinned version and declares this app's agent.

    The kubernetes provider comes in `opts.providers`; what to wait for, in `opts.depends_on`.
    """

    namespace: pulumi.Output[str]
    agent_name: pulumi.Output[str]
    tools_service_account: pulumi.Output[str]

    def __init__(self, name: str, args: AiOpsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("todo:index:AiOps", name, None, opts)
        settings = args.settings
        # Children do not inherit depends_on: the first ones wait for what the component waits for.
        after = opts.depends_on if opts else None
        labels = PART_OF_LABELS

        # kagent's namespace is always the stack's own: the preflight refuses one that exists otherwise.
        created = namespace(
            f"{name}-namespace",
            settings.namespace,
            adopt=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        ns = created.metadata.apply(lambda meta: meta.name or "")
        # kagent's ModelConfig reads its key from a Secret in its own namespace: a copy of the app's.
        api_key: pulumi.Input[str] = args.openai_api_key
        llm = k8s.core.v1.Secret(
            f"{name}-llm",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.llm_secret, namespace=ns, labels=labels),
            type="Opaque",
            string_data={LLM_SECRET_KEY: pulumi.Output.secret(api_key)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        crds = k8s.helm.v3.Release(
            f"{name}-crds",
            k8s.helm.v3.ReleaseArgs(
                name=f"{KAGENT_RELEASE}-crds",
                chart=f"{KAGENT_CHARTS}/kagent-crds",
                version=settings.kagent_version,
                namespace=ns,
                values={"kmcp": {"enabled": False}},
                atomic=True,
                max_history=10,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        kagent = k8s.helm.v3.Release(
            f"{name}-kagent",
            k8s.helm.v3.ReleaseArgs(
                name=KAGENT_RELEASE,
                chart=f"{KAGENT_CHARTS}/kagent",
                version=settings.kagent_version,
                namespace=ns,
                values=kagent_values(settings, args.openai_base_url, args.llm_secret),
                atomic=True,
                cleanup_on_fail=True,
                timeout=600,
                max_history=10,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[crds, llm]),
        )
        model_spec: dict[str, Any] = {
            "provider": "OpenAI",
            "model": settings.model,
            "apiKeySecret": args.llm_secret,
            "apiKeySecretKey": LLM_SECRET_KEY,
        }
        if args.openai_base_url:
            model_spec["openAI"] = {"baseUrl": args.openai_base_url}
        model = k8s.apiextensions.CustomResource(
            f"{name}-model",
            api_version=KAGENT_API,
            kind="ModelConfig",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=MODEL_CONFIG, namespace=ns, labels=labels),
            spec=model_spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[kagent, llm]),
        )
        agent = k8s.apiextensions.CustomResource(
            f"{name}-agent",
            api_version=KAGENT_API,
            kind="Agent",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=AGENT, namespace=ns, labels=labels),
            spec={
                "type": "Declarative",
                "description": "Reads the Todo Chatbot's pods, logs and events; restarts its Deployments.",
                "declarative": {
                    "runtime": "go",
                    "modelConfig": MODEL_CONFIG,
                    "systemMessage": pulumi.Output.from_input(args.app_namespace).apply(
                        lambda app_ns: system_message(app_ns, args.app_deployments)
                    ),
                    "tools": [
                        {
                            "type": "McpServer",
                            "mcpServer": {
                                "apiGroup": "kagent.dev",
                                "kind": "RemoteMCPServer",
                                "name": TOOL_SERVER,
                                "toolNames": [*READ_TOOLS, RESTART_TOOL],
                                "requireApproval": [RESTART_TOOL],
                            },
                        }
                    ],
                    "deployment": {
                        "podSecurityContext": AGENT_POD_SECURITY_CONTEXT,
                        "securityContext": AGENT_CONTAINER_SECURITY_CONTEXT,
                    },
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[model, kagent]),
        )
        role = k8s.rbac.v1.Role(
            f"{name}-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=AGENT, namespace=args.app_namespace, labels=labels),
            rules=role_rules(args.app_deployments),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=AGENT, namespace=args.app_namespace, labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io",
                kind="Role",
                name=role.metadata.apply(lambda meta: meta.name or ""),
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=TOOLS_SERVICE_ACCOUNT, namespace=ns)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace = ns
        self.agent_name = agent.id.apply(lambda _: AGENT)
        self.tools_service_account = pulumi.Output.from_input(TOOLS_SERVICE_ACCOUNT)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "agent_name": self.agent_name,
                "tools_service_account": self.tools_service_account,
            }
        )
