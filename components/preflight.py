"""What the program checks in the outside world before it declares anything.

- preview: a kube context that does not answer makes the provider skip its server-side dry runs
  silently; the preview says so instead.
- up: a registry that does not answer would fail each image's push after its build, followed by the
  SDK's traceback; the update stops first with one message.
- both: with `platform: auto`, the images follow the architecture the nodes report (a preview that
  cannot ask assumes linux/amd64 and says so).
- both: a namespace the stack would declare that exists without being the stack's (the pinned
  provider would take it over and destroy would delete it) stops the program, unless adopted.

The mock tests (no cluster, no registry) switch these off with TODO_PREFLIGHT=off.
"""

from __future__ import annotations

import os
import socket

import pulumi

from components.kubecontext import KubectlError, context_problem, live_namespace, node_architectures
from components.platform import FALLBACK, PlatformChoice, choose_platform
from components.settings import PROJECT, ConfigError, StackSettings
from components.target import ownership_problem, stack_id

PROBE_SECONDS = 3.0


def registry_problem(registry_server: str) -> str | None:
    """Why host[:port] takes no connection, in one sentence; None when it does (no port: 443)."""
    host, _, port = registry_server.partition(":")
    try:
        with socket.create_connection((host, int(port or 443)), timeout=PROBE_SECONDS):
            return None
    except OSError as error:
        return f"registry {registry_server} does not answer ({error.strerror or error})"


def check(settings: StackSettings) -> bool:
    """Warn (preview) or stop (up) when the cluster or the registry of the stack does not answer.
    True when a preview's cluster answered (the release's object diff can then ask it)."""
    if os.environ.get("TODO_PREFLIGHT", "on") == "off":
        return False
    fix_context = f"pulumi config set kubeContext <context> --stack {settings.stack}"
    if pulumi.runtime.is_dry_run():
        problem = context_problem(settings.cluster.kube_context)
        if problem:
            pulumi.log.warn(
                f"{problem}: this preview ran without the API server's dry run, so it cannot show"
                f" admission, schema or conflict errors. Start the cluster (minikube start) or fix"
                f" kubeContext ({fix_context})."
            )
            return False
        namespaces_check(settings)
        return True
    problem = registry_problem(settings.images.registry_server)
    if problem:
        raise ConfigError(
            f"{problem}: the images cannot be pushed. Start it (Minikube: minikube addons enable registry,"
            " then scripts/up forwards localhost:5000) or point the stack at one that answers"
            f" (pulumi config set registry HOST[:PORT] --stack {settings.stack})."
        )
    namespaces_check(settings)
    return False


def platform(settings: StackSettings) -> PlatformChoice:
    """The images' platform: the stack's, or with `auto` the one the context's nodes report."""
    if settings.images.platform == "auto" and os.environ.get("TODO_PREFLIGHT", "on") == "off":
        return PlatformChoice(FALLBACK, f"TODO_PREFLIGHT=off: the nodes were not asked; {FALLBACK} assumed")
    return choose_platform(
        settings.images.platform,
        settings.cluster.kube_context,
        stack=settings.stack,
        dry_run=pulumi.runtime.is_dry_run(),
        architectures=node_architectures,
    )


def namespaces_check(settings: StackSettings) -> None:
    """Stop unless each namespace the stack declares is absent, the stack's own, or adopted as asked."""
    context = settings.cluster.kube_context
    declared = [("namespace", settings.cluster.namespace, settings.cluster.adopt_namespace)]
    if settings.ai_ops.enabled:
        declared.append(("aiOpsNamespace", settings.ai_ops.namespace, False))
    where = f"kube context {context!r}"
    for setting, name, adopt in declared:
        try:
            live = live_namespace(context, name)
        except KubectlError as error:
            raise ConfigError(
                f"{error}: the program asks the API server whether namespace {name!r} exists and is this"
                " stack's before it declares it (the pinned provider would silently take over one that"
                f" exists, and destroy would delete it). Install kubectl or fix kubeContext ({where})."
            ) from error
        problem = ownership_problem(live, name, adopt=adopt, setting=setting, where=where, stack=stack_id())
        if problem:
            raise ConfigError(f"{PROJECT}:{setting} = {name!r}: {problem}.")
