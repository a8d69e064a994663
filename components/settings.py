"""Typed, validated stack settings: the only place that reads the stack's config.

Every key is declared once, with its type, default and description, in Pulumi.yaml; the CLI
merges those defaults in, so this module never repeats a default. `load_settings` checks every
value before any resource is declared and stops the program with one message that names each
wrong key, the value given (escaped; a secret never) and the `pulumi config` command that fixes it.
The checks themselves, plain functions of a value, are components/config_checks.py.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal, NamedTuple, TypeVar, cast

import pulumi
import yaml

from components.config_checks import (
    DATABASE_URL_SCHEME,
    boolean_problem,
    choice_problem,
    database_url_problem,
    dns_label_problem,
    dns_name_problem,
    image_ref_problem,
    ingress_host_problem,
    integer_problem,
    is_credential_name,
    kagent_version_problem,
    model_problem,
    namespace_problem,
    redact_credentials,
    registry_problem,
    required_problem,
    secret_text_problem,
    storage_size_problem,
    text_problem,
    url_problem,
    username_problem,
)
from components.services import SERVICES

PROJECT = "todo-chatbot"

Platform = Literal["linux/amd64", "linux/arm64"]
# `auto`: the architecture the target nodes report (components/platform.py).
PlatformSetting = Literal["auto", "linux/amd64", "linux/arm64"]
ServiceType = Literal["NodePort", "ClusterIP", "LoadBalancer"]
# The chat engines by name, as stack config and the chart spell them. The app's enum
# todo.core.settings.AgentEngine is the same set: the program imports nothing from the app, so
# tests/program/test_chart_contract.py checks the two, the chart's schema and the backend Dockerfile.
AgentEngineName = Literal["rules", "openai"]
DatabaseMode = Literal["inCluster", "external"]

PLATFORMS: tuple[Platform, ...] = ("linux/amd64", "linux/arm64")
PLATFORM_SETTINGS: tuple[PlatformSetting, ...] = ("auto", *PLATFORMS)
SERVICE_TYPES: tuple[ServiceType, ...] = ("NodePort", "ClusterIP", "LoadBalancer")
AGENT_ENGINE_NAMES: tuple[AgentEngineName, ...] = ("rules", "openai")
DATABASE_MODES: tuple[DatabaseMode, ...] = ("inCluster", "external")


@functools.cache
def declared() -> dict[str, dict[str, object]]:
    """Pulumi.yaml's `config:` block: every setting's type, default and description, in one home."""
    project = yaml.safe_load((Path(__file__).resolve().parents[1] / "Pulumi.yaml").read_text())
    config: dict[str, dict[str, object]] = project["config"]
    return config


def _keys_of_type(kind: str) -> tuple[str, ...]:
    return tuple(key for key, spec in declared().items() if spec["type"] == kind)


# An integer setting's range is the "(LOW-HIGH)" its description states to the user.
_RANGE = re.compile(r"\((?P<low>[0-9]+)-(?P<high>[0-9]+)\)")


def _declared_range(key: str) -> tuple[int, int]:
    match = _RANGE.search(str(declared()[key]["description"]))
    if not match:
        raise ValueError(
            f"Pulumi.yaml: integer setting {key} states no range '(LOW-HIGH)' in its description"
        )
    return int(match["low"]), int(match["high"])


INTEGER_RANGES: dict[str, tuple[int, int]] = {key: _declared_range(key) for key in _keys_of_type("integer")}
BOOLEAN_KEYS = _keys_of_type("boolean")
# Read as Pulumi secrets; their values never appear in a message. Pulumi.yaml marks them "SECRET."
# (not `secret: true`, with which the CLI rejects its own plaintext default).
SECRET_KEYS = tuple(key for key, spec in declared().items() if str(spec["description"]).startswith("SECRET."))
ALL_KEYS = tuple(declared())
PLAIN_KEYS = tuple(key for key in ALL_KEYS if key not in SECRET_KEYS)
# Config namespaces of the providers the program uses; any other namespace but PROJECT is a mistake.
PROVIDER_NAMESPACES = ("pulumi", "kubernetes", "docker", "random")
# Provider config the program sets itself, each with the setting to use instead. Its Kubernetes
# provider is explicit (components/target.py), and an explicit provider reads no `kubernetes:` stack
# config at all, so every `kubernetes:` key would be silently ignored.
OVERRIDDEN_PROVIDER_KEYS: dict[str, str] = {
    "kubernetes:context": "pulumi config set kubeContext <context> --stack {stack}",
    "kubernetes:cluster": "pulumi config set kubeContext <context> --stack {stack} (it names the cluster)",
    "kubernetes:namespace": "pulumi config set namespace <namespace> --stack {stack}",
    "kubernetes:kubeconfig": "point the KUBECONFIG environment variable at the file (default ~/.kube/config)",
    "docker:registryAuth": (
        "pulumi config set registryUsername <user> --stack {stack}"
        " and pulumi config set --secret registryPassword --stack {stack}"
    ),
}
OVERRIDDEN_PROVIDER_NAMESPACES = {
    "kubernetes": "its provider takes only kubeContext from config, and PULUMI_K8S_* environment variables"
}


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; Pulumi prints a RunError's message alone, without a traceback."""


# --- The settings ---


@dataclass(frozen=True)
class ClusterSettings:
    """Which cluster and namespace the stack deploys into, and whether that namespace existed before."""

    kube_context: str
    namespace: str
    adopt_namespace: bool


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
    """Where and how the images (three services, plus the PostgreSQL copy) are built and pushed."""

    registry: str
    registry_username: str
    platform: PlatformSetting
    build_on_preview: bool
    base_images: BaseImages
    postgres_source: str

    @property
    def registry_server(self) -> str:
        """The registry host[:port], without a repository path."""
        return self.registry.split("/", 1)[0]


@dataclass(frozen=True)
class FrontendService:
    """How the frontend Service is exposed."""

    type: ServiceType
    node_port: int


@dataclass(frozen=True)
class AgentSettings:
    """Which chat engine the backend runs."""

    engine: AgentEngineName
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
    # Pod count of each Deployment, by service name (components/services.py).
    replicas: Mapping[str, int]
    frontend_service: FrontendService
    agent: AgentSettings
    database: DatabaseSettings
    ingress: IngressSettings
    network_policy: bool


@dataclass(frozen=True)
class AiOpsSettings:
    """Optional kagent install: its namespace, pinned chart version and the model its agent asks."""

    enabled: bool
    namespace: str
    kagent_version: str
    model: str


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
    ai_ops: AiOpsSettings
    secret_config: SecretConfig
    # Settings that are set but not used, one message each, for the program to print as warnings.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackConfig:
    """The stack's config as the CLI hands it over: fully qualified keys, string values."""

    values: Mapping[str, str]
    secret_keys: Collection[str]


def current_stack_config() -> StackConfig:
    """The running program's config."""
    # The language host hands the program the whole config map in PULUMI_CONFIG; get_config_env() is
    # the SDK's public reader of it and, unlike pulumi.Config, lists every key (a typo gets reported).
    values = {key: str(value) for key, value in pulumi.runtime.get_config_env().items()}
    return StackConfig(values, set(pulumi.runtime.get_config_secret_keys_env()))


T = TypeVar("T")


class _Reader:
    """Reads raw config strings and collects every problem instead of stopping at the first."""

    def __init__(self, config: StackConfig, stack: str) -> None:
        self._config = config
        self.stack = stack
        self.problems: list[str] = []
        self.asked: set[str] = set()

    def message(self, key: str, given: str | None, problem: str, *, fix: str | None = None) -> str:
        secret = key in SECRET_KEYS
        shown = "(not set)" if given is None else repr(redact_credentials(given))
        if secret:
            shown = "(hidden: secret)" if given else "(not set)"
        command = fix or f"pulumi config set{' --secret' if secret else ''} {key} <value>"
        return f"{PROJECT}:{key} = {shown}: {problem}. Fix: {command} --stack {self.stack}"

    def fail(self, key: str, given: str | None, problem: str, *, fix: str | None = None) -> None:
        self.problems.append(self.message(key, given, problem, fix=fix))

    def raw(self, key: str) -> str | None:
        """The value as set (None: missing, though Pulumi.yaml gives every key a default)."""
        self.asked.add(key)
        return self._config.values.get(f"{PROJECT}:{key}")

    def is_secret(self, key: str) -> bool:
        return f"{PROJECT}:{key}" in self._config.secret_keys

    def checked(self, key: str, check: Callable[[str], str | None], *, optional: bool = False) -> str:
        """The value if it passes the text rules and `check` (an empty value passes when optional)."""
        value = self.raw(key)
        if value is None:
            self.fail(key, value, "is missing: declare it with a default in Pulumi.yaml")
            return ""
        if optional and value == "":
            return value
        # A blank value gets the check's own words; otherwise a stray newline is named, then what is allowed.
        problems = [check(value)] if not value.strip() else [text_problem(value), check(value)]
        problem = "; ".join(p for p in problems if p)
        if problem:
            self.fail(key, value, problem)
        return value

    def choice(self, key: str, allowed: tuple[T, ...]) -> T:
        value = self.checked(key, lambda v: choice_problem(v, cast(tuple[str, ...], allowed)))
        return cast(T, value) if value in cast(tuple[str, ...], allowed) else allowed[0]

    def boolean(self, key: str) -> bool:
        return self.checked(key, boolean_problem) == "true"

    def integer(self, key: str) -> int:
        low, high = INTEGER_RANGES[key]
        value = self.checked(key, lambda v: integer_problem(v, low, high))
        return int(value) if integer_problem(value, low, high) is None else low


def _unknown_keys(read: _Reader, config: StackConfig) -> None:
    """A key this project does not declare, one under a misspelt project name, or provider config
    the program sets itself (which the provider would never read), is refused."""
    for full_key in sorted(config.values):
        namespace, _, key = full_key.rpartition(":")
        shown = repr(redact_credentials(config.values[full_key]))
        if full_key in config.secret_keys:
            shown = "(hidden: secret)"
        elif is_credential_name(key) or key == "kubeconfig":
            # A kubeconfig's client keys, a registry token: not echoed even when set in plaintext.
            shown = "(hidden: may hold a credential)"
        remove = f"pulumi config rm {full_key} --stack {read.stack}"
        if full_key in OVERRIDDEN_PROVIDER_KEYS or namespace in OVERRIDDEN_PROVIDER_NAMESPACES:
            why = (
                OVERRIDDEN_PROVIDER_NAMESPACES[namespace]
                if namespace in OVERRIDDEN_PROVIDER_NAMESPACES
                else ""
            )
            instead = (
                OVERRIDDEN_PROVIDER_KEYS[full_key].format(stack=read.stack)
                if full_key in OVERRIDDEN_PROVIDER_KEYS
                else ""
            )
            read.problems.append(
                f"{full_key} = {shown} is ignored: the program sets {namespace} provider config itself"
                f"{f' ({why})' if why else ''}. Fix: {remove}" + (f", then {instead}" if instead else "")
            )
            continue
        if namespace in PROVIDER_NAMESPACES or (namespace == PROJECT and key in ALL_KEYS):
            continue
        close = difflib.get_close_matches(key, ALL_KEYS, n=3, cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(f'{PROJECT}:{c}' for c in close)}?"
            if close
            else f"its settings are {PROJECT}:<key> with <key> one of {', '.join(ALL_KEYS)}"
        )
        where = "is not a setting of this project" if namespace == PROJECT else f"is not a {PROJECT} key"
        read.problems.append(
            f"{full_key} = {shown} {where}; {hint} (Pulumi.yaml declares them). "
            f"Fix: {remove}, then set the right key"
        )


def _cluster(read: _Reader) -> ClusterSettings:
    return ClusterSettings(
        kube_context=read.checked(
            "kubeContext", lambda v: required_problem(v, "the name of a context of your kubeconfig")
        ),
        namespace=read.checked("namespace", namespace_problem),
        adopt_namespace=read.boolean("adoptNamespace"),
    )


def _images(read: _Reader) -> ImageSettings:
    return ImageSettings(
        registry=read.checked("registry", registry_problem),
        registry_username=read.checked("registryUsername", username_problem, optional=True),
        platform=read.choice("platform", PLATFORM_SETTINGS),
        build_on_preview=read.boolean("buildOnPreview"),
        base_images=BaseImages(
            python=read.checked("pythonBaseImage", image_ref_problem, optional=True),
            node=read.checked("nodeBaseImage", image_ref_problem, optional=True),
            nginx=read.checked("nginxBaseImage", image_ref_problem, optional=True),
        ),
        postgres_source=read.checked("postgresImage", image_ref_problem, optional=True),
    )


def _agent(read: _Reader) -> AgentSettings:
    return AgentSettings(
        engine=read.choice("agentEngine", AGENT_ENGINE_NAMES),
        openai_model=read.checked("openaiModel", model_problem),
        openai_base_url=read.checked("openaiBaseUrl", url_problem, optional=True),
    )


def _database(read: _Reader) -> DatabaseSettings:
    return DatabaseSettings(
        mode=read.choice("databaseMode", DATABASE_MODES),
        storage_size=read.checked("postgresStorageSize", storage_size_problem),
        storage_class=read.checked("postgresStorageClass", dns_name_problem, optional=True),
    )


def _ingress(read: _Reader) -> IngressSettings:
    enabled = read.boolean("ingressEnabled")
    host = read.checked("ingressHost", ingress_host_problem, optional=True)
    if enabled and not host:
        read.fail(
            "ingressHost", host, "required when ingressEnabled is true: a DNS name like todo.example.com"
        )
    return IngressSettings(
        enabled=enabled,
        host=host,
        class_name=read.checked("ingressClassName", dns_name_problem, optional=True),
        tls_secret=read.checked("ingressTlsSecret", dns_name_problem, optional=True),
    )


def _release(read: _Reader) -> ReleaseSettings:
    return ReleaseSettings(
        # 50: `<releaseName>-postgresql` and the chart's other object names must stay DNS labels.
        name=read.checked("releaseName", lambda v: dns_label_problem(v, 50)),
        timeout_seconds=read.integer("helmTimeoutSeconds"),
        replicas=MappingProxyType({spec.service: read.integer(spec.replicas_key) for spec in SERVICES}),
        frontend_service=FrontendService(
            type=read.choice("frontendServiceType", SERVICE_TYPES), node_port=read.integer("nodePort")
        ),
        agent=_agent(read),
        database=_database(read),
        ingress=_ingress(read),
        network_policy=read.boolean("networkPolicy"),
    )


def _ai_ops(read: _Reader, cluster: ClusterSettings) -> AiOpsSettings:
    namespace = read.checked("aiOpsNamespace", namespace_problem)
    if namespace == cluster.namespace and not namespace_problem(namespace):
        read.fail(
            "aiOpsNamespace",
            namespace,
            f"must differ from namespace ({cluster.namespace!r}): kagent runs in a namespace of its own,"
            " so the app's namespace holds only the app",
        )
    return AiOpsSettings(
        enabled=read.boolean("aiOpsEnabled"),
        namespace=namespace,
        kagent_version=read.checked("aiOpsKagentVersion", kagent_version_problem),
        model=read.checked("aiOpsModel", model_problem),
    )


class _Read(NamedTuple):
    """The settings read so far, which decide whether the conditional settings are used."""

    images: ImageSettings
    release: ReleaseSettings
    ai_ops: AiOpsSettings


def _llm_used_because(read: _Read) -> str:
    if read.ai_ops.enabled and read.release.agent.engine != "openai":
        return "aiOpsEnabled is true: kagent's agent calls the LLM API with it (or set aiOpsEnabled false)"
    return "agentEngine is openai (or set agentEngine rules)"


@dataclass(frozen=True)
class UsedOnlyWhen:
    """Settings the program reads only when other settings say so: one row of USED_ONLY_WHEN."""

    keys: tuple[str, ...]
    holds: Callable[[_Read], bool]
    # Why the settings are read (a secret that is used is required), and why they are not.
    used_because: Callable[[_Read], str]
    unused_because: Callable[[_Read], str]


# The one table of conditional settings. A setting set (to other than its Pulumi.yaml default) while
# its condition is false is read by nothing: a warning, for secrets and plain values alike, since
# switching a feature off and back on should not mean deleting and re-entering its settings.
USED_ONLY_WHEN: tuple[UsedOnlyWhen, ...] = (
    UsedOnlyWhen(
        ("ingressHost", "ingressClassName", "ingressTlsSecret"),
        lambda r: r.release.ingress.enabled,
        lambda r: "ingressEnabled is true",
        lambda r: "ingressEnabled is false",
    ),
    UsedOnlyWhen(
        ("nodePort",),
        lambda r: r.release.frontend_service.type == "NodePort",
        lambda r: "frontendServiceType is NodePort",
        lambda r: f"frontendServiceType is {r.release.frontend_service.type}",
    ),
    UsedOnlyWhen(
        ("openaiModel",),
        lambda r: r.release.agent.engine == "openai",
        lambda r: "agentEngine is openai",
        lambda r: "agentEngine is rules (kagent's agent asks aiOpsModel)",
    ),
    UsedOnlyWhen(
        ("openaiApiKey", "openaiBaseUrl"),
        lambda r: r.release.agent.engine == "openai" or r.ai_ops.enabled,
        _llm_used_because,
        lambda r: "agentEngine is rules and aiOpsEnabled is false",
    ),
    UsedOnlyWhen(
        ("databaseUrl",),
        lambda r: r.release.database.mode == "external",
        lambda r: f"databaseMode is external: a {DATABASE_URL_SCHEME}USER:PASSWORD@HOST/DB URL",
        lambda r: "databaseMode is inCluster",
    ),
    UsedOnlyWhen(
        ("postgresStorageSize", "postgresStorageClass", "postgresImage"),
        lambda r: r.release.database.mode == "inCluster",
        lambda r: "databaseMode is inCluster",
        lambda r: "databaseMode is external (the database is the one at databaseUrl)",
    ),
    UsedOnlyWhen(
        ("registryPassword",),
        lambda r: bool(r.images.registry_username),
        lambda r: f"registryUsername is {r.images.registry_username!r}",
        lambda r: "registryUsername is empty (set registryUsername too, or use your docker login)",
    ),
    UsedOnlyWhen(
        ("aiOpsNamespace", "aiOpsKagentVersion", "aiOpsModel"),
        lambda r: r.ai_ops.enabled,
        lambda r: "aiOpsEnabled is true",
        lambda r: "aiOpsEnabled is false",
    ),
)
_CONDITION_OF = {key: row for row in USED_ONLY_WHEN for key in row.keys}


def declared_defaults() -> dict[str, str]:
    """Each setting's default as the CLI hands it over (a string; booleans as true/false)."""
    return {
        key: ("true" if spec["default"] else "false")
        if isinstance(spec["default"], bool)
        else str(spec["default"])
        for key, spec in declared().items()
    }


def _unused_settings(read: _Reader, settings: _Read) -> list[str]:
    """A warning for each setting given a value that nothing reads (USED_ONLY_WHEN)."""
    defaults = declared_defaults()
    return [
        read.message(
            key, value, f"is not used because {row.unused_because(settings)}", fix=f"pulumi config rm {key}"
        )
        for key, row in _CONDITION_OF.items()
        if (value := read.raw(key)) not in (None, defaults[key]) and not row.holds(settings)
    ]


def _secret_config(read: _Reader, settings: _Read) -> SecretConfig:
    """Each secret: encrypted, well formed, and set when the settings use it (never shown)."""
    shape = {
        "registryPassword": secret_text_problem,
        "openaiApiKey": secret_text_problem,
        "databaseUrl": database_url_problem,
    }
    values: dict[str, pulumi.Output[str] | None] = {}
    for key, check in shape.items():
        row = _CONDITION_OF[key]
        value = read.raw(key) or ""  # secrets default to "": not set
        used = row.holds(settings)
        values[key] = None
        if value and not read.is_secret(key):
            read.fail(
                key,
                value,
                "is stored in plaintext in the stack file, and secrets must be encrypted"
                " (if that file was committed, purge the value from git history too)",
            )
        elif used and not value:
            read.fail(key, value, f"required because {row.used_because(settings)}")
        elif used and (problem := check(value)):
            read.fail(key, value, problem)
        elif used:
            values[key] = pulumi.Output.secret(value)
    return SecretConfig(
        registry_password=values["registryPassword"],
        openai_api_key=values["openaiApiKey"],
        database_url=values["databaseUrl"],
    )


def load_settings(config: StackConfig, stack: str) -> StackSettings:
    """Validate the stack's config and return it typed and frozen, or raise ConfigError naming each error."""
    read = _Reader(config, stack)
    _unknown_keys(read, config)
    cluster = _cluster(read)
    images = _images(read)
    release = _release(read)
    ai_ops = _ai_ops(read, cluster)
    used = _Read(images, release, ai_ops)
    secret_config = _secret_config(read, used)
    if unread := [key for key in ALL_KEYS if key not in read.asked]:
        # A developer's slip, not a user's: Pulumi.yaml declares a setting that nothing here reads.
        raise RuntimeError(
            f"Pulumi.yaml declares {', '.join(unread)}, which components/settings.py never reads"
        )
    if read.problems:
        listed = "\n".join(f"  - {problem}" for problem in read.problems)
        raise ConfigError(f"stack '{stack}' has {len(read.problems)} invalid setting(s):\n{listed}")
    return StackSettings(
        stack=stack,
        cluster=cluster,
        images=images,
        release=release,
        ai_ops=ai_ops,
        secret_config=secret_config,
        warnings=tuple(_unused_settings(read, used)),
    )
