"""The three application images: built from the repository, tagged by content, pushed to the registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker as docker

from components.build_context import content_tag
from components.settings import AgentEngine

# Pushed images carry their layer cache, so a later build elsewhere can reuse them via cache_from.
BUILD_ARGS = {"BUILDKIT_INLINE_CACHE": "1"}


@dataclass(frozen=True)
class ImageSpec:
    """One service's image: its name, its Dockerfile (relative to the build context) and whether the
    chat engine is a build input (the backend installs the OpenAI Agents SDK only for agentEngine=openai)."""

    service: str
    dockerfile: str
    takes_agent_engine: bool = False

    def build_args(self, agent_engine: AgentEngine) -> dict[str, str]:
        """The build args, which are also inputs of the image's content tag."""
        return {**BUILD_ARGS, "AGENT_ENGINE": agent_engine} if self.takes_agent_engine else dict(BUILD_ARGS)


SPECS = (
    ImageSpec("backend", "dockerfiles/backend.Dockerfile", takes_agent_engine=True),
    ImageSpec("mcp", "dockerfiles/mcp.Dockerfile"),
    ImageSpec("frontend", "dockerfiles/frontend.Dockerfile"),
)


@dataclass(frozen=True)
class ImageReference:
    """Where one built image lives: repository and content tag (known at preview) and digest (after push)."""

    repository: str
    tag: str
    digest: pulumi.Output[str]
    repo_digest: pulumi.Output[str]


@dataclass(frozen=True)
class ImagesArgs:
    """Build context, registry and build switches for the three images."""

    context: str
    registry: str
    registry_server: str
    platform: str
    build_on_preview: bool
    agent_engine: AgentEngine = "rules"
    registry_username: str = ""
    registry_password: pulumi.Output[str] | None = None


class Images(pulumi.ComponentResource):
    """Builds and pushes the backend, MCP and frontend images; a tag changes only with its own inputs."""

    repo_digests: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: ImagesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        missing = [spec.dockerfile for spec in SPECS if not (Path(args.context) / spec.dockerfile).is_file()]
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
        self.references: dict[str, ImageReference] = {}
        self.resources: dict[str, docker.Image] = {}
        for spec in SPECS:
            repository = f"{args.registry}/todo-{spec.service}"
            build_args = spec.build_args(args.agent_engine)
            tag = content_tag(
                Path(args.context), spec.dockerfile, platform=args.platform, build_args=build_args
            )
            image = docker.Image(
                f"{name}-{spec.service}",
                image_name=f"{repository}:{tag}",
                build=docker.DockerBuildArgs(
                    context=args.context,
                    dockerfile=spec.dockerfile,
                    platform=args.platform,
                    args=build_args,
                    builder_version=docker.BuilderVersion.BUILDER_BUILD_KIT,
                    # The same content tag pushed from another machine is a complete cache hit.
                    cache_from=docker.CacheFromArgs(images=[f"{repository}:{tag}"]),
                ),
                build_on_preview=args.build_on_preview,
                registry=registry,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.resources[spec.service] = image
            self.references[spec.service] = ImageReference(
                repository=repository,
                tag=tag,
                # No digest (e.g. skip_push) leaves "" so the chart falls back to repository:tag.
                digest=image.repo_digest.apply(lambda ref: ref.split("@", 1)[1] if "@" in ref else ""),
                repo_digest=image.repo_digest,
            )
        self.repo_digests = pulumi.Output.all(
            **{service: ref.repo_digest for service, ref in self.references.items()}
        ).apply(dict)
        self.register_outputs({"repo_digests": self.repo_digests})
