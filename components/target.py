"""Where the stack deploys: a Kubernetes provider pinned to one kubeconfig context, and the app namespace."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

# The API server enforces the Pod Security Standard the chart's pods are written for; warn and
# audit at the same level so `kubectl apply` and the audit log show a violation before it lands.
POD_SECURITY_LEVEL = "restricted"
POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": POD_SECURITY_LEVEL for mode in ("enforce", "warn", "audit")
}


@dataclass(frozen=True)
class KubeTargetArgs:
    """Which kubeconfig context to use and which namespace to create there."""

    kube_context: pulumi.Input[str]
    namespace: pulumi.Input[str]


class KubeTarget(pulumi.ComponentResource):
    """Binds all Kubernetes resources to one kubeconfig context: a stack cannot deploy to a wrong cluster.

    It creates no cluster; the cluster is whatever the context points at.
    """

    provider: k8s.Provider
    namespace: pulumi.Output[str]
    kube_context: pulumi.Output[str]

    def __init__(self, name: str, args: KubeTargetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # Stacks deployed before the rename hold `todo:index:Cluster` URNs: adopt them, replace nothing.
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="todo:index:Cluster")])
        super().__init__("todo:index:KubeTarget", name, None, pulumi.ResourceOptions.merge(renamed, opts))
        # An explicit context: the provider ignores kubectl's current-context, which may point anywhere.
        self.provider = k8s.Provider(
            f"{name}-k8s", k8s.ProviderArgs(context=args.kube_context), pulumi.ResourceOptions(parent=self)
        )
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={
                    "app.kubernetes.io/part-of": "todo-chatbot",
                    "app.kubernetes.io/managed-by": "pulumi",
                    **POD_SECURITY_LABELS,
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.namespace = ns.metadata.apply(lambda meta: meta.name or "")
        self.kube_context = pulumi.Output.from_input(args.kube_context)
        self.register_outputs({"namespace": self.namespace, "kube_context": self.kube_context})
