"""Typed, validated stack settings: the only place that reads the stack's config.

Every key is declared once, with its type, default and description, in Pulumi.yaml; the CLI
merges those defaults in, so this module never repeats a default. `load_settings` checks every
value before any resource is declared and stops the program with one message that names each
wrong key, the value given (escaped; a secret never) and the `pulumi config` command that fixes it.
Each check is a plain function of the value (`*_problem`), so the tests can try whole classes of
values on it.
"""

from __future__ import annotations

import decimal
import difflib
import functools
import ipaddress
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar, cast
from urllib.parse import urlsplit

import pulumi
import yaml

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
SERVICES = ("backend", "mcp", "frontend")

DATABASE_URL_SCHEME = "postgresql+psycopg://"


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
# Namespaces Kubernetes itself uses: `default` and the reserved `kube-` prefix (kube-system, kube-public,
# kube-node-lease). The stack would relabel one Pod Security 'restricted' and delete it on destroy.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SYSTEM_NAMESPACE_PREFIX = "kube-"
# Any plain value, free text (model names, the kube context) included; longer is a paste gone wrong.
TEXT_MAX_LENGTH = 256
# Query or fragment parameters whose name (separators dropped) holds one of these carry a credential.
CREDENTIAL_WORDS = ("key", "token", "secret", "passw", "pwd", "auth", "sig", "credential", "session", "jwt")

# The kagent release line the AiOps component is written for (its v1alpha2 Agent, its chart values).
_KAGENT_VERSION = re.compile(r"0\.10\.[0-9]+")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_NAME = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*"
)
# The Kubernetes quantity grammar (k8s.io/apimachinery resource.Quantity): a signed decimal number and
# at most one suffix, binary (Ki..Ei), decimal (n u m k M G T P E) or a decimal exponent (e3, E-2).
QUANTITY_PATTERN = (
    r"(?P<number>[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))(?P<suffix>[KMGTPE]i|[eE][+-]?[0-9]+|[numkMGTPE])?"
)
_QUANTITY = re.compile(QUANTITY_PATTERN)
_BINARY_SUFFIXES = {f"{prefix}i": 1024 ** (power + 1) for power, prefix in enumerate("KMGTPE")}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
# How Kubernetes' netutils.ParseIPSloppy reads IPv4: four dotted decimals, leading zeros allowed.
_IPV4_SLOPPY = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: \d and int() also take full-width and other digits
# Docker reads a first component as a registry host when it is localhost or has a dot or a port.
_REGISTRY_HOST = re.compile(r"localhost|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+")
# A repository path component as Docker's reference grammar has it.
_PATH_COMPONENT = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*")
# An image reference as Docker parses it: [host[:port]/]path[:tag][@sha256:digest].
_IMAGE_REF = re.compile(
    r"([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?/)?"
    r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?"
)


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; Pulumi prints a RunError's message alone, without a traceback."""


# --- The checks: each takes the value as given and returns what is wrong with it, or None. ---


def text_problem(value: str) -> str | None:
    """Control characters (a pasted newline) or surrounding whitespace, which no setting allows."""
    if any(not char.isprintable() for char in value):
        return "contains a control character (a pasted newline or tab?)"
    if value != value.strip():
        return "starts or ends with whitespace"
    if len(value) > TEXT_MAX_LENGTH:
        return f"is {len(value)} characters long; at most {TEXT_MAX_LENGTH}"
    return None


def integer_problem(value: str, low: int, high: int) -> str | None:
    """A whole number from low to high, in plain ASCII digits (no sign, '_', spaces or other scripts)."""
    if not _DIGITS.fullmatch(value):
        return f"must be a whole number from {low} to {high}, in ASCII digits only"
    if not low <= int(value) <= high:
        return f"must be from {low} to {high}"
    return None


def boolean_problem(value: str) -> str | None:
    return None if value in ("true", "false") else "must be true or false"


def choice_problem(value: str, allowed: Collection[str]) -> str | None:
    return None if value in allowed else f"must be one of {', '.join(allowed)}"


def required_problem(value: str, what: str) -> str | None:
    """Any value but an empty or blank one."""
    if not value.strip():
        return f"must not be empty or blank: {what}"
    return text_problem(value)


def dns_label_problem(value: str, max_length: int = 63) -> str | None:
    if len(value) <= max_length and _DNS_LABEL.fullmatch(value):
        return None
    return f"must be a DNS label: lowercase letters, digits and '-', at most {max_length} characters"


def namespace_problem(value: str) -> str | None:
    """A DNS label that is none of the namespaces Kubernetes itself uses."""
    if problem := dns_label_problem(value):
        return problem
    if value in SYSTEM_NAMESPACES or value.startswith(SYSTEM_NAMESPACE_PREFIX):
        return (
            f"is a namespace of Kubernetes itself ({', '.join(SYSTEM_NAMESPACES)} and every"
            f" {SYSTEM_NAMESPACE_PREFIX}* name): the stack would relabel it Pod Security 'restricted' and"
            " delete it on destroy; name a namespace of the app's own, e.g. todo"
        )
    return None


def dns_name_problem(value: str) -> str | None:
    if _DNS_NAME.fullmatch(value):
        return None
    return "must be a DNS name: lowercase labels of letters, digits and '-' joined by '.'"


def _is_ip(host: str) -> bool:
    """Whether Kubernetes reads `host` as an IP address (its sloppy IPv4 reading included)."""
    sloppy = _IPV4_SLOPPY.fullmatch(host)
    if sloppy:
        return all(int(part) <= 255 for part in sloppy.groups())
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def ingress_host_problem(value: str) -> str | None:
    """What Kubernetes takes as an Ingress rule's host: a DNS name, or `*.` and one, never an IP."""
    if _is_ip(value):
        return (
            "is an IP address, which Kubernetes refuses as an Ingress host (at apply, after the Helm"
            " timeout); give a DNS name such as todo.example.com, or serve an IP with"
            " frontendServiceType LoadBalancer or NodePort and ingressEnabled false"
        )
    name = value.removeprefix("*.")
    if len(value) <= 253 and _DNS_NAME.fullmatch(name):
        return None
    return "must be a DNS name such as todo.example.com, or a wildcard such as *.example.com"


def quantity_value(value: str) -> Decimal | None:
    """The number a Kubernetes quantity stands for, or None when the text is not one."""
    match = _QUANTITY.fullmatch(value)
    if not match:
        return None
    suffix = match["suffix"] or ""
    # Exponents may be as large as Kubernetes takes (int64): compute without overflow traps.
    with decimal.localcontext(decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)):
        number = Decimal(match["number"])
        if suffix in _BINARY_SUFFIXES:
            scaled: Decimal = number * _BINARY_SUFFIXES[suffix]
        else:
            scaled = number.scaleb(_DECIMAL_SUFFIXES[suffix] if len(suffix) < 2 else int(suffix[1:]))
    return scaled


def quantity_problem(value: str) -> str | None:
    if quantity_value(value) is None:
        return "must be a Kubernetes quantity, e.g. 1Gi, 500Mi or 1e9"
    return None


def storage_size_problem(value: str) -> str | None:
    """A quantity of bytes above 0 with a unit: a bare number is bytes, never what anyone means."""
    size = quantity_value(value)
    if size is None:
        return quantity_problem(value)
    if size <= 0:
        return "must be more than 0, e.g. 1Gi"
    if size >= 2**63:
        return "is more bytes than Kubernetes counts (2^63); e.g. 100Gi"
    if not _QUANTITY.fullmatch(value)["suffix"]:  # type: ignore[index]
        return f"has no unit, so it means {value} bytes; give a unit, e.g. {value}Gi or {value}Mi"
    if size != size.to_integral_value():
        return f"is {size} bytes, not a whole number of bytes (m means thousandths); e.g. 1Gi"
    return None


def registry_problem(value: str) -> str | None:
    """host[:port][/path]: the repositories are <value>/todo-<service>."""
    example = "e.g. localhost:5000 or registry.example.com/team"
    if not value.strip():
        return f"must name a registry as host[:port][/path], {example}"
    if "://" in value:
        return f"must be host[:port][/path] without a scheme, {example}"
    if value != value.lower():
        return f"must be lowercase (Docker refuses upper case in image names): {value.lower()!r}"
    host_port, _, path = value.partition("/")
    if "/" in value and "" in path.split("/"):
        return f"has an empty path segment (a '/' at the end or '//'), {example}"
    host, colon, port = host_port.partition(":")
    if colon and not (_DIGITS.fullmatch(port) and 1 <= int(port) <= 65535):
        return f"has port {port!r}; a port is a number from 1 to 65535"
    if not (_REGISTRY_HOST.fullmatch(host) or (colon and _DNS_LABEL.fullmatch(host))):
        return (
            "must start with a registry host: localhost, a name with a dot, or a name with a port"
            f" (myregistry:5000), {example}; Docker reads a first part {host!r} without either as a"
            " Docker Hub account, so the images would be pushed to Docker Hub"
        )
    if path and not all(_PATH_COMPONENT.fullmatch(part) for part in path.split("/")):
        return "has a path segment Docker refuses: lowercase letters and digits joined by '.', '_', '__', '-'"
    return None


def image_ref_problem(value: str) -> str | None:
    if _IMAGE_REF.fullmatch(value):
        return None
    return (
        "must be empty (the pinned default) or an image reference, "
        "e.g. registry.example.com/python:3.13-slim or NAME@sha256:<64 hex digits>"
    )


def _host_ok(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_DNS_NAME.fullmatch(host))
    return True


def kagent_version_problem(value: str) -> str | None:
    """A kagent 0.10.x chart version: 1.x serves no v1alpha2 Agent and needs Kubernetes 1.37 or later."""
    if _KAGENT_VERSION.fullmatch(value):
        return None
    return (
        "must be a kagent 0.10.x chart version such as 0.10.4 (the component declares kagent.dev/v1alpha2 "
        "resources, which kagent 1.x no longer serves; 1.x also needs Kubernetes 1.37 or later)"
    )


def _is_credential_name(name: str) -> bool:
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(word in compact for word in CREDENTIAL_WORDS)


# A URL's user:password@, and each query or fragment parameter, as the text has them.
_USERINFO = re.compile(r"(?<=://)[^/?#]*@")
_URL_PARAMETER = re.compile(r"(?P<lead>[?&;#])(?P<name>[^=&;#]*)=(?P<value>[^&;#]*)")


def redact_credentials(value: str) -> str:
    """The value with a URL's user:password@ and credential parameters' values shown as ***."""
    if "://" not in value:
        return value
    value = _USERINFO.sub("***@", value)
    return _URL_PARAMETER.sub(
        lambda m: f"{m['lead']}{m['name']}=***" if _is_credential_name(m["name"]) else m[0], value
    )


def url_problem(value: str, secret_key: str = "openaiApiKey") -> str | None:
    """A complete http(s) URL: scheme and host, a valid port if any, and no credential in it."""
    allowed = (
        "must be empty (the OpenAI API) or a complete http(s):// URL, e.g. http://llm.example.com:8000/v1"
    )
    where_secrets_go = (
        "plain config is written in plaintext to the ConfigMap and the state; give the URL without it and"
        f" the key as the secret {secret_key} (pulumi config set --secret {secret_key})"
    )
    if redact_credentials(value) != value:
        return f"carries a credential (user:password@, or a key=/token=/sig= parameter): {where_secrets_go}"
    try:
        url = urlsplit(value)
        port = url.port  # raises ValueError when out of range or not a number
    except ValueError:
        return allowed
    if any(c.isspace() or not c.isprintable() for c in value) or url.scheme not in ("http", "https"):
        return allowed
    if not url.hostname or not _host_ok(url.hostname) or port == 0:
        return allowed
    return None


def model_problem(value: str) -> str | None:
    if not value.strip():
        return "must name a model, e.g. gpt-4.1-mini"
    if any(c.isspace() for c in value):
        return "must name a model without spaces, e.g. gpt-4.1-mini"
    return None


def database_url_problem(value: str) -> str | None:
    """Shape of the external database URL; the wording never quotes the (secret) value."""
    if not value.startswith(DATABASE_URL_SCHEME):
        return f"must start with {DATABASE_URL_SCHEME}"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "contains whitespace or a control character (a pasted newline?)"
    try:
        url = urlsplit(value)
        complete = bool(url.hostname) and url.path not in ("", "/") and url.port != 0
    except ValueError:
        complete = False
    if not complete:
        return f"must be a complete URL: {DATABASE_URL_SCHEME}USER:PASSWORD@HOST[:PORT]/DB"
    return None


def username_problem(value: str) -> str | None:
    return "must be a user name without spaces" if any(c.isspace() for c in value) else None


def secret_text_problem(value: str) -> str | None:
    """A token or password: no whitespace and no control characters (a pasted newline)."""
    if any(c.isspace() or not c.isprintable() for c in value):
        return "contains whitespace or a control character (a pasted newline?)"
    return None


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
    replicas: Replicas
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
        elif _is_credential_name(key) or key == "kubeconfig":
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
        name=read.checked("releaseName", lambda v: dns_label_problem(v, 53)),
        timeout_seconds=read.integer("helmTimeoutSeconds"),
        replicas=Replicas(**{service: read.integer(f"{service}Replicas") for service in SERVICES}),
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
