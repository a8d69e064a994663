"""Where the stack deploys: a Kubernetes provider pinned to one kubeconfig context, and the app namespace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

# The API server enforces the Pod Security Standard the chart's pods are written for; warn and
# audit at the same level so `kubectl apply` and the audit log show a violation before it lands.
POD_SECURITY_LEVEL = "restricted"
POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}": POD_SECURITY_LEVEL for mode in ("enforce", "warn", "audit")
}
PART_OF_LABELS = {"app.kubernetes.io/part-of": "todo-chatbot", "app.kubernetes.io/managed-by": "pulumi"}
# Which stack declared a namespace, and whether it existed before (adopted: never deleted). The
# preflight reads both from the live namespace before the stack may declare it (`ownership_problem`).
STACK_ANNOTATION = "todo-chatbot/stack"
ADOPTED_ANNOTATION = "todo-chatbot/adopted"


def stack_id() -> str:
    """The running stack as the namespace annotation names it."""
    return f"{pulumi.get_project()}/{pulumi.get_stack()}"


def namespace(
    name: str, namespace_name: pulumi.Input[str], *, adopt: bool, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """A namespace of this stack, restricted Pod Security; an adopted one is retained on delete."""
    annotations = {STACK_ANNOTATION: stack_id(), **({ADOPTED_ANNOTATION: "true"} if adopt else {})}
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace_name, labels={**PART_OF_LABELS, **POD_SECURITY_LABELS}, annotations=annotations
        ),
        # The pinned provider (4.25) upserts on create: an adopted namespace is taken over in place,
        # and `retain_on_delete` keeps destroy (or a replacement) from deleting what was there before.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(retain_on_delete=adopt)),
    )


def ownership_problem(
    live: Mapping[str, Any] | None, name: str, *, adopt: bool, setting: str, where: str, stack: str
) -> str | None:
    """Why stack `stack` (as `stack_id` names it) must not declare namespace `name` as it stands
    (`live`: the API server's object, None when absent), with the fix; None when it may."""
    short = stack.rpartition("/")[2]
    fix_other = f"name another one (pulumi config set {setting} <name> --stack {short})"
    if live is None:
        if adopt:
            return (
                f"namespace {name!r} does not exist in {where}, but adoptNamespace is true (adopt one that"
                f" exists): create it first (kubectl create namespace {name}), or set adoptNamespace false"
                " so the stack creates it and deletes it on destroy"
            )
        return None
    metadata = live.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    labels = metadata.get("labels") or {}
    owner = annotations.get(STACK_ANNOTATION)
    if owner is not None and owner != stack:
        return (
            f"namespace {name!r} in {where} belongs to stack {owner!r} (annotation {STACK_ANNOTATION}):"
            f" two stacks in one namespace delete each other's resources; {fix_other}"
        )
    if annotations.get(ADOPTED_ANNOTATION) == "true" and not adopt:
        return (
            f"namespace {name!r} in {where} existed before this stack adopted it (annotation"
            f" {ADOPTED_ANNOTATION}); with adoptNamespace false the stack would delete it on destroy:"
            f" keep it adopted (pulumi config set adoptNamespace true --stack {short})"
        )
    # Made by this program before it annotated the stack: the labels alone say so.
    made_here = owner == stack or all(labels.get(key) == value for key, value in PART_OF_LABELS.items())
    if made_here or adopt:
        return None
    adopt_fix = (
        f", or adopt it (pulumi config set adoptNamespace true --stack {short}): the stack"
        " then labels it Pod Security 'restricted', uses it and never deletes it"
        if setting == "namespace"
        else ""
    )
    return (
        f"namespace {name!r} already exists in {where} and this stack did not create it: the pinned"
        " Kubernetes provider (4.25) would take it over without a word, relabel it, and `pulumi destroy`"
        f" would delete it with everything in it; {fix_other}{adopt_fix}"
    )


@dataclass(frozen=True)
class KubeTargetArgs:
    """Which kubeconfig context to use, which namespace to declare there, and whether it existed before."""

    kube_context: pulumi.Input[str]
    namespace: pulumi.Input[str]
    adopt_namespace: bool = False


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
        ns = namespace(
            f"{name}-namespace",
            args.namespace,
            adopt=args.adopt_namespace,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.namespace = ns.metadata.apply(lambda meta: meta.name or "")
        self.kube_context = pulumi.Output.from_input(args.kube_context)
        self.register_outputs({"namespace": self.namespace, "kube_context": self.kube_context})
