"""The images: the three services' built from the repository, plus the chart's PostgreSQL copied into
the stack's registry; each tagged by content and pushed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker as docker
import yaml

from components.build_context import content_tag
from components.services import SERVICES, ImageSpec
from components.settings import AgentEngineName, BaseImages

CHART_VALUES = Path("charts/todo-chatbot/values.yaml")


# The in-cluster database image, copied into the stack's registry so the cluster pulls it by digest
# from the same place as the app images (an offline cluster needs nothing from Docker Hub).
POSTGRES_SPEC = ImageSpec("postgres", "dockerfiles/postgres.Dockerfile", ())


def chart_postgres_image(context: Path) -> str:
    """The chart's pinned PostgreSQL image (values.yaml is its one home), as repository:tag."""
    image = yaml.safe_load((context / CHART_VALUES).read_text())["postgresql"]["image"]
    return f"{image['repository']}:{image['tag']}"


@dataclass(frozen=True)
class ImageReference:
    """Where one built image lives: repository and content tag (known at preview) and digest (after push)."""

    repository: str
    tag: str
    digest: pulumi.Output[str]
    repo_digest: pulumi.Output[str]


@dataclass(frozen=True)
class ImagesArgs:
    """Build context, registry and build switches for the three service images and the PostgreSQL copy."""

    context: str
    registry: str
    registry_server: str
    platform: str
    build_on_preview: bool
    agent_engine: AgentEngineName = "rules"
    base_images: BaseImages = BaseImages(python="", node="", nginx="")
    # The in-cluster database's source image ("" = the chart's pin); None: no in-cluster database.
    postgres_source: str | None = None
    registry_username: str = ""
    registry_password: pulumi.Output[str] | None = None


class Images(pulumi.ComponentResource):
    """Builds and pushes the backend, MCP and frontend images; a tag changes only with its own inputs."""

    repo_digests: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: ImagesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        needed = [*SERVICES, *([POSTGRES_SPEC] if args.postgres_source is not None else [])]
        missing = [spec.dockerfile for spec in needed if not (Path(args.context) / spec.dockerfile).is_file()]
        if missing:
            raise pulumi.RunError(
                f"{', '.join(missing)} not found under {Path(args.context).resolve()}: run pulumi from the "
                "repository root (the directory with Pulumi.yaml), which is the images' build context"
            )
        super().__init__("todo:index:Images", name, None, opts)
        registry = None
        if args.registry_username:
            registry = docker.RegistryArgs(
                server=args.registry_server,
                username=args.registry_username,
                password=pulumi.Output.secret(args.registry_password)
                if args.registry_password is not None
                else None,
            )
        self._args = args
        self._registry = registry
        self.references: dict[str, ImageReference] = {}
        for spec in SERVICES:
            self.references[spec.service] = self._image(
                name, spec, spec.build_args(args.agent_engine, args.base_images)
            )
        self.database: ImageReference | None = None
        if args.postgres_source is not None:
            source = args.postgres_source or chart_postgres_image(Path(args.context))
            self.database = self._image(name, POSTGRES_SPEC, {"POSTGRES_IMAGE": source})
        every = {**self.references, **({"postgres": self.database} if self.database else {})}
        self.repo_digests = pulumi.Output.all(
            **{service: ref.repo_digest for service, ref in every.items()}
        ).apply(dict)
        self.register_outputs({"repo_digests": self.repo_digests})

    def _image(self, name: str, spec: ImageSpec, build_args: dict[str, str]) -> ImageReference:
        args = self._args
        repository = f"{args.registry}/todo-{spec.service}"
        tag = content_tag(Path(args.context), spec.dockerfile, platform=args.platform, build_args=build_args)
        # No cache_from: the daemon's own build cache serves rebuilds, and naming the tag being
        # pushed only printed a "cacheFrom ... not available" diagnostic on every first deploy.
        image = docker.Image(
            f"{name}-{spec.service}",
            image_name=f"{repository}:{tag}",
            build=docker.DockerBuildArgs(
                context=args.context,
                dockerfile=spec.dockerfile,
                platform=args.platform,
                args=build_args,
                builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
            ),
            build_on_preview=args.build_on_preview,
            registry=self._registry,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return ImageReference(
            repository=repository,
            tag=tag,
            # No digest (e.g. skip_push) leaves "" so the chart falls back to repository:tag.
            digest=image.repo_digest.apply(lambda ref: ref.split("@", 1)[1] if "@" in ref else ""),
            repo_digest=image.repo_digest,
        )
