"""Typed, validated stack settings: the only place that reads `pulumi.Config`.

Every key is declared once, with its type, default and description, in Pulumi.yaml; the CLI
merges those defaults in, so this module never repeats a default. `load_settings` checks every
value before any resource is declared and stops the program with one message that names each
wrong key, the value given and what is allowed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

import pulumi

PROJECT = "todo-chatbot"

Platform = Literal["linux/amd64", "linux/arm64"]
ServiceType = Literal["NodePort", "ClusterIP", "LoadBalancer"]
AgentEngine = Literal["rules", "openai"]
DatabaseMode = Literal["inCluster", "external"]

PLATFORMS: tuple[Platform, ...] = ("linux/amd64", "linux/arm64")
SERVICE_TYPES: tuple[ServiceType, ...] = ("NodePort", "ClusterIP", "LoadBalancer")
AGENT_ENGINES: tuple[AgentEngine, ...] = ("rules", "openai")
DATABASE_MODES: tuple[DatabaseMode, ...] = ("inCluster", "external")
SERVICES = ("backend", "mcp", "frontend")

REPLICAS_MAX = 20
NODE_PORT_RANGE = (30000, 32767)
HELM_TIMEOUT_RANGE = (60, 3600)
DATABASE_URL_SCHEME = "postgresql+psycopg://"

# Plain keys (read with Config.get) and secret keys (read with Config.get_secret).
PLAIN_KEYS = (
    "kubeContext",
    "namespace",
    "releaseName",
    "helmTimeoutSeconds",
    "registry",
    "registryUsername",
    "platform",
    "buildOnPreview",
    "backendReplicas",
    "mcpReplicas",
    "frontendReplicas",
    "frontendServiceType",
    "nodePort",
    "agentEngine",
    "openaiModel",
    "openaiBaseUrl",
    "databaseMode",
    "postgresStorageSize",
    "postgresStorageClass",
    "ingressEnabled",
    "ingressHost",
    "ingressClassName",
    "ingressTlsSecret",
    "networkPolicy",
    "pythonBaseImage",
    "nodeBaseImage",
    "nginxBaseImage",
    "postgresImage",
)
SECRET_KEYS = ("registryPassword", "openaiApiKey", "databaseUrl")
ALL_KEYS = PLAIN_KEYS + SECRET_KEYS

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_REGISTRY_HOST = re.compile(
    r"^(localhost|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+)(:[0-9]{1,5})?$"
)
_REGISTRY_PATH = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")
# An image reference as Docker parses it: [host[:port]/]path[:tag][@sha256:digest].
_IMAGE_REF = re.compile(
    r"^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?/)?"
    r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?"
)
_IMAGE_REF_ALLOWED = (
    "must be empty (the pinned default) or an image reference, "
    "e.g. registry.example.com/python:3.13-slim or NAME@sha256:<64 hex digits>"
)


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; Pulumi prints a RunError's message alone, without a traceback."""


@dataclass(frozen=True)
class ClusterSettings:
    """Which cluster and namespace the stack deploys into."""

    kube_context: str
    namespace: str


@dataclass(frozen=True)
class BaseImages:
    """Overrides of the Dockerfiles' base-image ARGs ("" keeps the Dockerfile's pinned default)."""

    python: str
    node: str
    nginx: str

    def build_args(self) -> dict[str, str]:
        """The Dockerfiles' ARG names with the overrides that are set."""
        named = {"PYTHON_IMAGE": self.python, "NODE_IMAGE": self.node, "NGINX_IMAGE": self.nginx}
        return {arg: image for arg, image in named.items() if image}


@dataclass(frozen=True)
class ImageSettings:
    """Where and how the three images are built and pushed."""

    registry: str
    registry_username: str
    platform: Platform
    build_on_preview: bool
    base_images: BaseImages
    postgres_source: str

    @property
    def registry_server(self) -> str:
        """The registry host[:port], without a repository path."""
        return self.registry.split("/", 1)[0]

    def repository(self, service: str) -> str:
        """Repository of one service's image, e.g. localhost:5000/todo-backend."""
        return f"{self.registry}/todo-{service}"


@dataclass(frozen=True)
class Replicas:
    """Pod count of each Deployment."""

    backend: int
    mcp: int
    frontend: int


@dataclass(frozen=True)
class FrontendService:
    """How the frontend Service is exposed."""

    type: ServiceType
    node_port: int


@dataclass(frozen=True)
class AgentSettings:
    """Which chat engine the backend runs."""

    engine: AgentEngine
    openai_model: str
    openai_base_url: str


@dataclass(frozen=True)
class DatabaseSettings:
    """In-cluster PostgreSQL (StatefulSet + PVC) or an external URL."""

    mode: DatabaseMode
    storage_size: str
    storage_class: str


@dataclass(frozen=True)
class IngressSettings:
    """Optional Ingress in front of the frontend."""

    enabled: bool
    host: str
    class_name: str
    tls_secret: str

    @property
    def url(self) -> str:
        """The public URL the Ingress serves."""
        return f"{'https' if self.tls_secret else 'http'}://{self.host}/"


@dataclass(frozen=True)
class ReleaseSettings:
    """Everything the Helm release needs besides images and Secrets."""

    name: str
    timeout_seconds: int
    replicas: Replicas
    frontend_service: FrontendService
    agent: AgentSettings
    database: DatabaseSettings
    ingress: IngressSettings
    network_policy: bool


@dataclass(frozen=True)
class SecretConfig:
    """Secret values from stack config, each a Pulumi secret Output (None when not set)."""

    registry_password: pulumi.Output[str] | None
    openai_api_key: pulumi.Output[str] | None
    database_url: pulumi.Output[str] | None


@dataclass(frozen=True)
class StackSettings:
    """The whole validated configuration of one stack."""

    stack: str
    cluster: ClusterSettings
    images: ImageSettings
    release: ReleaseSettings
    secrets: SecretConfig


T = TypeVar("T")


class _Reader:
    """Reads raw config strings and collects every problem instead of stopping at the first."""

    def __init__(self, config: pulumi.Config, stack: str) -> None:
        self._config = config
        self._stack = stack
        self.problems: list[str] = []

    def fail(
        self, key: str, given: str | None, allowed: str, *, secret: bool = False, remove: bool = False
    ) -> None:
        shown = "(not set)" if given is None else ("(hidden: secret)" if secret else repr(given))
        flag = " --secret" if secret else ""
        fix = f"pulumi config rm {key}" if remove else f"pulumi config set{flag} {key} <value>"
        self.problems.append(f"{PROJECT}:{key} = {shown}: {allowed}. Fix: {fix} --stack {self._stack}")

    def raw(self, key: str) -> str | None:
        return self._config.get(key)

    def text(self, key: str) -> str:
        value = self.raw(key)
        if value is None:
            self.fail(key, None, "required; declare a default for it in Pulumi.yaml")
            return ""
        return value

    def choice(self, key: str, allowed: tuple[T, ...]) -> T:
        value = self.text(key)
        if value not in cast(tuple[str, ...], allowed):
            self.fail(key, value, f"must be one of {', '.join(map(str, allowed))}")
            return allowed[0]
        return cast(T, value)

    def boolean(self, key: str) -> bool:
        value = self.text(key)
        if value not in ("true", "false"):
            self.fail(key, value, "must be true or false")
        return value == "true"

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.text(key)
        try:
            number = int(value)
        except ValueError:
            self.fail(key, value, f"must be a whole number from {low} to {high}")
            return low
        if not low <= number <= high:
            self.fail(key, value, f"must be from {low} to {high}")
        return number

    def matching(
        self, key: str, check: Callable[[str], bool], allowed: str, *, optional: bool = False
    ) -> str:
        value = self.text(key)
        if optional and value == "":
            return value
        if not check(value):
            self.fail(key, value, allowed)
        return value


def _registry_ok(value: str) -> bool:
    host, _, path = value.partition("/")
    return bool(_REGISTRY_HOST.match(host)) and all(
        _REGISTRY_PATH.match(part) for part in path.split("/") if path
    )


def _registry_problem(value: str) -> str:
    if "://" in value:
        return "must be host[:port][/path] without a scheme, e.g. localhost:5000 or registry.example.com/team"
    return (
        "must start with a registry host (localhost, or a name with a dot, optionally :port), "
        "e.g. localhost:5000 or registry.example.com/team; a bare name would push to Docker Hub"
    )


def _project_keys(full_config: Mapping[str, object]) -> list[str]:
    return [key.split(":", 1)[1] for key in full_config if key.startswith(f"{PROJECT}:")]


def load_settings(config: pulumi.Config, stack: str, full_config: Mapping[str, object]) -> StackSettings:
    """Validate the stack's config and return it typed and frozen, or raise ConfigError naming each error."""
    read = _Reader(config, stack)

    for key in _project_keys(full_config):
        if key not in ALL_KEYS:
            close = difflib.get_close_matches(key, ALL_KEYS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            read.problems.append(
                f"{PROJECT}:{key} is not a setting of this project; {hint}"
                f"the settings are declared in Pulumi.yaml. Fix: pulumi config rm {key} --stack {stack}"
            )

    cluster = ClusterSettings(
        kube_context=read.matching("kubeContext", bool, "must name a context of your kubeconfig"),
        namespace=read.matching(
            "namespace",
            lambda v: len(v) <= 63 and bool(_DNS_LABEL.match(v)),
            "must be a DNS label: lowercase letters, digits and '-', at most 63 characters",
        ),
    )

    registry = read.text("registry")
    if not _registry_ok(registry):
        read.fail("registry", registry, _registry_problem(registry))
    registry_username = read.text("registryUsername")

    def image_ref(key: str) -> str:
        return read.matching(key, lambda v: bool(_IMAGE_REF.fullmatch(v)), _IMAGE_REF_ALLOWED, optional=True)

    images = ImageSettings(
        registry=registry,
        registry_username=registry_username,
        platform=read.choice("platform", PLATFORMS),
        build_on_preview=read.boolean("buildOnPreview"),
        base_images=BaseImages(
            python=image_ref("pythonBaseImage"),
            node=image_ref("nodeBaseImage"),
            nginx=image_ref("nginxBaseImage"),
        ),
        postgres_source=image_ref("postgresImage"),
    )

    replicas = Replicas(
        **{service: read.integer(f"{service}Replicas", 1, REPLICAS_MAX) for service in SERVICES},
    )
    service_type = read.choice("frontendServiceType", SERVICE_TYPES)
    frontend = FrontendService(type=service_type, node_port=read.integer("nodePort", *NODE_PORT_RANGE))

    agent = AgentSettings(
        engine=read.choice("agentEngine", AGENT_ENGINES),
        openai_model=read.matching("openaiModel", bool, "must name a model, e.g. gpt-4.1-mini"),
        openai_base_url=read.matching(
            "openaiBaseUrl",
            lambda v: v.startswith(("http://", "https://")),
            "must be empty (the OpenAI API) or an http(s):// URL of an OpenAI-compatible endpoint",
            optional=True,
        ),
    )
    database = DatabaseSettings(
        mode=read.choice("databaseMode", DATABASE_MODES),
        storage_size=read.matching(
            "postgresStorageSize",
            lambda v: bool(_QUANTITY.match(v)),
            "must be a Kubernetes quantity, e.g. 1Gi",
        ),
        storage_class=read.matching(
            "postgresStorageClass",
            lambda v: bool(_DNS_NAME.match(v)),
            "must be empty (the cluster's default) or a StorageClass name",
            optional=True,
        ),
    )
    ingress_enabled = read.boolean("ingressEnabled")
    ingress = IngressSettings(
        enabled=ingress_enabled,
        host=read.matching(
            "ingressHost",
            lambda v: bool(_DNS_NAME.match(v)),
            "must be a DNS name like todo.example.com (required when ingressEnabled is true)",
            optional=not ingress_enabled,
        ),
        class_name=read.matching(
            "ingressClassName",
            lambda v: bool(_DNS_NAME.match(v)),
            "must be an IngressClass name",
            optional=True,
        ),
        tls_secret=read.matching(
            "ingressTlsSecret", lambda v: bool(_DNS_NAME.match(v)), "must be a Secret name", optional=True
        ),
    )
    release = ReleaseSettings(
        name=read.matching(
            "releaseName",
            lambda v: len(v) <= 53 and bool(_DNS_LABEL.match(v)),
            "must be a DNS label of at most 53 characters (Helm's limit)",
        ),
        timeout_seconds=read.integer("helmTimeoutSeconds", *HELM_TIMEOUT_RANGE),
        replicas=replicas,
        frontend_service=frontend,
        agent=agent,
        database=database,
        ingress=ingress,
        network_policy=read.boolean("networkPolicy"),
    )

    # Secret values are checked here but never shown; only their presence and shape are reported.
    for key in SECRET_KEYS:
        if read.raw(key) and not pulumi.runtime.is_config_secret(f"{PROJECT}:{key}"):
            read.fail(
                key,
                read.raw(key),
                "is stored in plaintext in the stack file, and secrets must be encrypted"
                " (if that file was committed, purge the value from git history too)",
                secret=True,
            )
    registry_password = read.raw("registryPassword")
    if registry_username and not registry_password:
        read.fail(
            "registryPassword",
            None,
            f"required because registryUsername is {registry_username!r}",
            secret=True,
        )
    if registry_password and not registry_username:
        read.fail("registryUsername", "", "required because registryPassword is set")

    api_key = read.raw("openaiApiKey")
    if agent.engine == "openai" and not api_key:
        read.fail(
            "openaiApiKey",
            None,
            "required because agentEngine is openai (or set agentEngine rules)",
            secret=True,
        )

    database_url = read.raw("databaseUrl")
    if database.mode == "external" and not database_url:
        read.fail(
            "databaseUrl",
            None,
            f"required because databaseMode is external: a {DATABASE_URL_SCHEME}USER:PASSWORD@HOST/DB URL",
            secret=True,
        )
    elif database.mode == "external" and database_url and not database_url.startswith(DATABASE_URL_SCHEME):
        read.fail("databaseUrl", database_url, f"must start with {DATABASE_URL_SCHEME}", secret=True)
    elif database.mode == "inCluster" and database_url:
        read.fail(
            "databaseUrl",
            database_url,
            "is ignored while databaseMode is inCluster; set databaseMode external or remove databaseUrl",
            secret=True,
            remove=True,
        )

    if read.problems:
        listed = "\n".join(f"  - {problem}" for problem in read.problems)
        raise ConfigError(f"stack '{stack}' has {len(read.problems)} invalid setting(s):\n{listed}")

    return StackSettings(
        stack=stack,
        cluster=cluster,
        images=images,
        release=release,
        # Secret keys default to "" (Pulumi.yaml): empty means not set.
        secrets=SecretConfig(
            registry_password=config.get_secret("registryPassword") if registry_password else None,
            openai_api_key=config.get_secret("openaiApiKey") if api_key else None,
            database_url=config.get_secret("databaseUrl") if database_url else None,
        ),
    )
