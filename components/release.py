"""The Helm release of charts/todo-chatbot, fed typed settings, image digests and Secret names only."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.images import ImageReference
from components.names import component_name
from components.release_preview import PreviewTarget, preview_diff, render_release
from components.settings import ReleaseSettings

CHART_PATH = "./charts/todo-chatbot"
# The ChatbotRelease component's input the policy pack reads (policy/todo_policy/rendered.py).
RENDERED_OBJECTS = "renderedObjects"


def chart_digest(chart_path: str) -> str:
    """A short hash of every file of the local chart: the Release's description carries it, because
    pulumi-kubernetes does not see a template change of a local chart by itself (seen with 4.25.0,
    pulumi-kubernetes#2118); a changed description makes it upgrade with the chart as it is now."""
    root = Path(chart_path)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# The port the open command forwards on loopback; the Service's end is its port named `http`, so the
# program needs no copy of the chart's port.
LOCAL_FRONTEND_PORT = 8080


@dataclass(frozen=True)
class SecretNames:
    """Names of the existing Secrets the chart reads, plus the revision that rolls pods when one changes."""

    app: pulumi.Input[str]
    database: pulumi.Input[str]
    llm: pulumi.Input[str]
    revision: pulumi.Input[str]


def _image_values(ref: ImageReference) -> dict[str, Any]:
    return {"repository": ref.repository, "tag": ref.tag, "digest": ref.digest}


def chart_values(
    settings: ReleaseSettings,
    images: Mapping[str, ImageReference],
    secrets: SecretNames,
    database_image: ImageReference | None = None,
) -> dict[str, Any]:
    """The values the program hands to the chart (docs/contracts.md); no secret value is among them."""
    release = settings
    postgresql: dict[str, Any] = {
        "mode": release.database.mode,
        "persistence": {
            "size": release.database.storage_size,
            "storageClass": release.database.storage_class,
        },
    }
    if database_image is not None:
        postgresql["image"] = _image_values(database_image)
    frontend_service: dict[str, Any] = {"type": release.frontend_service.type}
    if release.frontend_service.type == "NodePort":
        frontend_service["nodePort"] = release.frontend_service.node_port
    values: dict[str, Any] = {
        # Every object is `<releaseName>-<component>` (component_name), not Helm's `<release>-<chart>-...`.
        "fullnameOverride": release.name,
        "images": {
            "pullPolicy": "IfNotPresent",
            **{service: _image_values(ref) for service, ref in images.items()},
        },
        **{service: {"replicas": count} for service, count in release.replicas.items()},
        "agent": {
            "engine": release.agent.engine,
            "openai": {"model": release.agent.openai_model, "baseUrl": release.agent.openai_base_url},
        },
        "postgresql": postgresql,
        "secrets": {
            "create": False,
            "revision": secrets.revision,
            "app": {"existingSecret": secrets.app},
            "database": {"existingSecret": secrets.database},
            "llm": {"existingSecret": secrets.llm},
        },
        "ingress": {
            "enabled": release.ingress.enabled,
            "className": release.ingress.class_name,
            "host": release.ingress.host,
            "tlsSecret": release.ingress.tls_secret,
        },
        "networkPolicy": {"enabled": release.network_policy},
    }
    values["frontend"]["service"] = frontend_service
    return values


def _kubernetes(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The kubernetes provider the component is given (opts.providers, a list or a mapping)."""
    providers = opts.providers if opts else None
    if isinstance(providers, Mapping):
        found = providers.get("kubernetes")
        return found if isinstance(found, pulumi.ProviderResource) else None
    return next((p for p in providers or [] if getattr(p, "package", "") == "kubernetes"), None)


@dataclass(frozen=True)
class ChatbotReleaseArgs:
    """Inputs of the release: settings, where it goes, what it deploys."""

    settings: ReleaseSettings
    namespace: pulumi.Input[str]
    kube_context: str
    images: Mapping[str, ImageReference]
    secret_names: SecretNames
    chart_path: str = CHART_PATH
    database_image: ImageReference | None = None
    # Whether the context is a minikube profile (`minikube service` then opens the NodePort).
    minikube: bool = False
    # A preview whose cluster answered: log what the upgrade does to each object (release_preview.py).
    diff_objects: bool = False
    # The program's Secrets the release reads, name -> key -> value: the diff shows changed key names.
    secret_data: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)


class ChatbotRelease(pulumi.ComponentResource):
    """Installs or upgrades the chart atomically: a failed rollout rolls back, never leaves half a release.

    The kubernetes provider comes in `opts.providers`; what the release waits for, in `opts.depends_on`.
    """

    release_name: pulumi.Output[str]
    status: pulumi.Output[str]
    frontend_service: pulumi.Output[str]
    url: pulumi.Output[str]
    open_command: pulumi.Output[str]

    def __init__(
        self, name: str, args: ChatbotReleaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        settings = args.settings
        values = chart_values(settings, args.images, args.secret_names, args.database_image)
        description = f"chart {chart_digest(args.chart_path)}"
        target = PreviewTarget(
            release_name=settings.name,
            kube_context=args.kube_context,
            chart_path=args.chart_path,
            description=description,
            stack=pulumi.get_stack(),
        )
        # The chart rendered with these values (the provider's own Helm): the component's input, so
        # the policy pack checks the objects that will run, not only the values (policy/).
        provider = _kubernetes(opts)
        rendered = asyncio.ensure_future(render_release(target, args.namespace, values, provider))
        objects = pulumi.Output.from_input(cast(Any, rendered)).apply(
            lambda render: render.objects if render else []
        )
        super().__init__("todo:index:ChatbotRelease", name, {RENDERED_OBJECTS: objects}, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-chart",
            k8s.helm.v3.ReleaseArgs(
                name=settings.name,
                chart=args.chart_path,
                namespace=args.namespace,
                values=values,
                atomic=True,
                cleanup_on_fail=True,
                timeout=settings.timeout_seconds,
                wait_for_jobs=True,
                max_history=10,
                description=description,
            ),
            # Children do not inherit depends_on: the chart must wait for what the component waits for.
            # A new releaseName is a new release: the old one goes first, so the new one's objects
            # (a fixed nodePort, or the old names kept on purpose) do not collide (docs/deploy.md).
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=opts.depends_on if opts else None, delete_before_replace=True
            ),
        )
        if args.diff_objects and pulumi.runtime.is_dry_run():
            # What the upgrade does to each object, against the cluster (release_preview.py).
            diff = asyncio.ensure_future(preview_diff(self, target, rendered, args.secret_data, provider))
            # An Output is awaited before the program ends: the diff is logged within the preview.
            pulumi.Output.from_input(cast(Any, diff))
        service = component_name(settings.name, "frontend")
        self.release_name = self.release.name.apply(lambda value: value or settings.name)
        self.status = self.release.status.apply(lambda status: status.status if status else "unknown")
        self.frontend_service = pulumi.Output.from_input(service)
        if settings.ingress.enabled:
            self.url = pulumi.Output.from_input(settings.ingress.url)
            self.open_command = pulumi.Output.from_input(f"open {settings.ingress.url}")
        elif settings.frontend_service.type == "NodePort" and args.minikube:
            # The node IP is only known to minikube itself; `minikube service --url` prints the URL.
            self.url = pulumi.Output.from_input("")
            self.open_command = pulumi.Output.concat(
                "minikube -p ", args.kube_context, " service ", service, " -n ", args.namespace, " --url"
            )
        else:
            # Works on any cluster (kind, k3d, Docker Desktop, remote): a port-forward on loopback.
            self.url = pulumi.Output.from_input("")
            self.open_command = pulumi.Output.concat(
                "kubectl --context ",
                args.kube_context,
                " -n ",
                args.namespace,
                " port-forward service/",
                service,
                f" {LOCAL_FRONTEND_PORT}:http",
            )
        self.register_outputs(
            {
                "release_name": self.release_name,
                "status": self.status,
                "frontend_service": self.frontend_service,
                "url": self.url,
                "open_command": self.open_command,
            }
        )
