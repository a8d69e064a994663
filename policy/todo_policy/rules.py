"""The review rules, each a function from one resource (or the whole stack) to its findings.

Every rule states its enforcement level and the reason for it next to it. A value that preview does
not know yet (UNKNOWN) passes: it is computed by another resource that the same rules check, and
`pulumi up` runs the rules again on the known values.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any, Final

from pulumi_policy import EnforcementLevel

from todo_policy.values import (
    CREDENTIAL_KEY,
    MISSING,
    UNKNOWN,
    URL_WITH_PASSWORD,
    Finding,
    get,
    shown,
    walk,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"
K8S_SECRET = "kubernetes:core/v1:Secret"
K8S_CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
DOCKER_IMAGE = "docker:index/image:Image"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
STACK = "pulumi:pulumi:Stack"

# The chart whose values schema the chart-specific rules know (charts/todo-chatbot).
CHART_NAME = "todo-chatbot"
# Stacks that may keep PostgreSQL on whatever volume the cluster hands out (a laptop's Minikube).
DEV_STACKS = re.compile(r"^dev(-.*)?$")


@dataclass(frozen=True)
class Resource:
    """What a rule sees of one resource: its type, name, URN, properties (plain) and provider."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    provider: Resource | None = None
    # `pulumi preview`: the kubernetes provider drops values not known yet from a release's values.
    dry_run: bool = False

    @property
    def stack(self) -> str:
        """The stack name, from the URN (`urn:pulumi:<stack>::<project>::...`)."""
        return self.urn.split("::", 1)[0].rsplit(":", 1)[-1]

    @property
    def label(self) -> str:
        return f"{self.type} '{self.name}'"


@dataclass(frozen=True)
class Rule:
    """One resource rule: name, level, what it asks (the description) and why (the reason)."""

    name: str
    level: EnforcementLevel
    description: str
    reason: str
    check: Callable[[Resource], list[Finding]]


@dataclass(frozen=True)
class StackRule:
    """One rule over all resources of the stack at once; findings are (resource, finding) pairs."""

    name: str
    level: EnforcementLevel
    description: str
    reason: str
    check: Callable[[list[Resource]], list[tuple[Resource, Finding]]]


def is_chart_release(resource: Resource) -> bool:
    """A Helm release of this project's chart (by path or OCI reference ending in the chart's name)."""
    chart = resource.props.get("chart")
    return resource.type == RELEASE and isinstance(chart, str) and PurePosixPath(chart).name == CHART_NAME


def _values(resource: Resource) -> Any:
    return resource.props.get("values", {})


def _sections(values: Any, wanted: Callable[[dict[str, Any]], bool]) -> list[str]:
    """The keys of `values` whose section (a mapping) `wanted` accepts, in order: the components
    and services a rule checks come from the release itself, not from a list copied here."""
    if not isinstance(values, dict):
        return []
    return [key for key, section in values.items() if isinstance(section, dict) and wanted(section)]


# --- images by digest -------------------------------------------------------------------------

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _image_finding(values: Any, path: str, default: str, dry_run: bool) -> list[Finding]:
    digest = get(values, f"{path}.digest")
    if digest is UNKNOWN or (isinstance(digest, str) and DIGEST.match(digest)):
        return []
    # In preview a digest the push has not made yet is absent, not unknown (the provider drops it);
    # `pulumi up` checks the release again, with every digest known, before creating it.
    if digest is MISSING and dry_run:
        return []
    repository = get(values, f"{path}.repository")
    tag = get(values, f"{path}.tag")
    named = repository if isinstance(repository, str) else default
    image = f"{named}:{tag if isinstance(tag, str) and tag else '<the chart appVersion>'}"
    if digest is MISSING or digest == "" or digest is None:
        problem = f"is {shown(digest)}, so the chart pulls {image} by its tag."
    else:
        problem = f"is {shown(digest)}, not a digest of the form sha256:<64 hex digits>."
    return [
        Finding(
            f"values.{path}.digest",
            problem,
            "pass the pushed image's digest (the docker.Image's repo_digest, as components/release.py "
            "does); an image that was not pushed has none.",
        )
    ]


def images_by_digest(resource: Resource) -> list[Finding]:
    if not is_chart_release(resource):
        return []
    values = _values(resource)
    if values is UNKNOWN:
        return []
    findings = []
    # The services the release names images for (the program's one list, components/services.py,
    # reaches the pack only through the values; a missing image is rendered-images-by-digest's).
    for service in _sections(get(values, "images"), lambda section: True):
        findings += _image_finding(
            values, f"images.{service}", f"localhost:5000/todo-{service}", resource.dry_run
        )
    if get(values, "postgresql.mode") != "external":
        findings += _image_finding(values, "postgresql.image", "docker.io/library/postgres", resource.dry_run)
    return findings


IMAGES_BY_DIGEST = Rule(
    "images-by-digest",
    EnforcementLevel.MANDATORY,
    "Images reach the release by digest, never by tag.",
    "A tag can be pushed again with other content; a digest names exactly the bytes that were built "
    "and tested, and a changed digest is what rolls exactly the pods whose image changed.",
    images_by_digest,
)


# --- no secret in Helm values ----------------------------------------------------------------


def _secret_slots(values: Any) -> list[Finding]:
    findings = []
    if get(values, "secrets.create") is True:
        findings.append(
            Finding(
                "values.secrets.create",
                "is true, so the chart builds the Secrets from values and Helm keeps those values in "
                "every release record.",
                "leave secrets.create false and hand the chart the names of the Secrets the program "
                "creates (secrets.*.existingSecret).",
            )
        )
    return findings


def _credential_values(values: Any, prefix: str) -> list[Finding]:
    findings = []
    for path, key, value in walk(values, prefix):
        holds = value is UNKNOWN or (isinstance(value, str) and value != "")
        if holds and CREDENTIAL_KEY.search(key):
            findings.append(
                Finding(
                    path,
                    "holds a credential (value not shown): Helm values are stored in plaintext in the "
                    "Pulumi state and in every Helm release record.",
                    "put the value in a Kubernetes Secret (components/secrets.py) and pass the chart "
                    "the Secret's name.",
                )
            )
        elif isinstance(value, str) and URL_WITH_PASSWORD.search(value):
            findings.append(
                Finding(
                    path,
                    "is a URL with a password in it (value not shown).",
                    "keep the URL in a Kubernetes Secret (as the database-url of the release's database "
                    "Secret) and pass the chart the Secret's name.",
                )
            )
    return findings


def no_secrets_in_helm_values(resource: Resource) -> list[Finding]:
    if resource.type != RELEASE:
        return []
    values = _values(resource)
    if values is UNKNOWN:
        return []
    findings = _secret_slots(values) if is_chart_release(resource) else []
    return findings + _credential_values(values, "values")


NO_SECRETS_IN_HELM_VALUES = Rule(
    "no-secrets-in-helm-values",
    EnforcementLevel.MANDATORY,
    "No secret value in Helm values: the chart gets the names of Kubernetes Secrets.",
    "Helm values land in plaintext in the Pulumi state, in `helm get values` and in every release "
    "record Helm keeps; a Secret referenced by name keeps the value in one place, readable under RBAC.",
    no_secrets_in_helm_values,
)


# --- secret values outside their Secrets (the whole stack) ------------------------------------

# Shorter values are too likely to occur by chance (a port, a name) to be reported as a leak.
MIN_SECRET_LENGTH = 8


def _decoded(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _secret_values(resource: Resource) -> list[tuple[str, str]]:
    """(description, value) of every secret value this resource holds by design."""
    props = resource.props
    found: list[tuple[str, Any]] = []
    if resource.type == K8S_SECRET:
        name = get(props, "metadata.name")
        label = f"Secret {name if isinstance(name, str) else resource.name!r}"
        string_data = props.get("stringData")
        if isinstance(string_data, dict):
            found += [(f"{label} key {key!r}", value) for key, value in sorted(string_data.items())]
        data = props.get("data")
        if isinstance(data, dict):
            found += [
                (f"{label} key {key!r}", _decoded(value))
                for key, value in sorted(data.items())
                if isinstance(value, str)
            ]
    elif resource.type == RANDOM_PASSWORD:
        found.append((f"RandomPassword {resource.name!r}", props.get("result")))
    elif resource.type == DOCKER_IMAGE:
        found.append((f"the registry password of image {resource.name!r}", get(props, "registry.password")))
    return [
        (label, value) for label, value in found if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH
    ]


def _holders(resource: Resource) -> bool:
    return resource.type in (K8S_SECRET, RANDOM_PASSWORD, DOCKER_IMAGE)


def no_secret_values_outside_secrets(resources: list[Resource]) -> list[tuple[Resource, Finding]]:
    secrets = [pair for resource in resources for pair in _secret_values(resource)]
    if not secrets:
        return []
    findings = []
    for resource in resources:
        if _holders(resource):
            continue
        stack = resource.type == STACK
        for path, _key, value in walk(resource.props, ""):
            if not isinstance(value, str):
                continue
            for label, secret in secrets:
                if secret in value:
                    where = f"stack output {path!r}" if stack else path
                    fix = (
                        "export the Secret's name instead of its value."
                        if stack
                        else "reference the Secret by name (existingSecret, secretKeyRef) instead of "
                        "copying its value."
                    )
                    findings.append(
                        (resource, Finding(where, f"holds the value of {label} (value not shown).", fix))
                    )
    return findings


NO_SECRET_VALUES_OUTSIDE_SECRETS = StackRule(
    "no-secret-values-outside-secrets",
    EnforcementLevel.MANDATORY,
    "No secret value in Helm values, other resources or stack outputs: only Secrets hold secrets.",
    "A copied secret is stored and shown wherever it lands (release records, `pulumi stack output`, "
    "CI logs); the policy analyzer cannot see Pulumi's secret flag, so any copy counts.",
    no_secret_values_outside_secrets,
)


# --- an explicit kube context -----------------------------------------------------------------


def _context_finding(provider: Resource, where: str) -> list[Finding]:
    context = provider.props.get("context")
    if context is UNKNOWN or (isinstance(context, str) and context):
        return []
    return [
        Finding(
            where,
            f"is {shown(context if context is not None else MISSING)}, so the provider deploys to "
            "whatever kubeconfig's current-context points at.",
            "create the provider with context=<the stack's kubeContext> (components/target.py).",
        )
    ]


def explicit_kube_context(resource: Resource) -> list[Finding]:
    if resource.type == K8S_PROVIDER:
        return _context_finding(resource, "context")
    if not resource.type.startswith("kubernetes:"):
        return []
    provider = resource.provider
    if provider is None or provider.name.startswith("default"):
        return [
            Finding(
                "provider",
                "is the default kubernetes provider, which follows kubeconfig's current-context.",
                "pass opts=ResourceOptions(provider=target.provider), the stack's provider bound to "
                "its kubeContext (components/target.py).",
            )
        ]
    return _context_finding(provider, f"provider {provider.name!r} context")


EXPLICIT_KUBE_CONTEXT = Rule(
    "explicit-kube-context",
    EnforcementLevel.MANDATORY,
    "Every Kubernetes resource goes through a provider bound to an explicit kube context.",
    "kubeconfig's current-context changes with any `kubectl config use-context` in any shell; a stack "
    "that follows it deploys to whichever cluster the reviewer's or CI's shell last pointed at.",
    explicit_kube_context,
)


# --- replicas and resources within bounds -----------------------------------------------------

# The program's own ceiling (Pulumi.yaml's range for the *Replicas keys; tests/policy checks they agree:
# the pack runs where the project's files may not be, so it cannot read them).
REPLICAS_MAX = 20
# Per-container ceilings: above them a reviewer should see a deliberate change of this rule.
CPU_LIMIT_MAX = Decimal("2")
MEMORY_LIMIT_MAX = Decimal(2 * 1024**3)

_SUFFIXES: Final = {
    "m": Decimal("0.001"),
    "k": Decimal(1000),
    "M": Decimal(1000**2),
    "G": Decimal(1000**3),
    "T": Decimal(1000**4),
    "Ki": Decimal(1024),
    "Mi": Decimal(1024**2),
    "Gi": Decimal(1024**3),
    "Ti": Decimal(1024**4),
}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity ("500m", "384Mi", 2) as a number; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if not match:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIXES.get(match.group(2) or "", Decimal(1))
    except InvalidOperation:
        return None


def _replica_findings(values: Any) -> list[Finding]:
    findings = []
    allowed = f"an integer from 1 to {REPLICAS_MAX}"
    for service in _sections(values, lambda section: "replicas" in section or "autoscaling" in section):
        for path in (
            f"{service}.replicas",
            f"{service}.autoscaling.minReplicas",
            f"{service}.autoscaling.maxReplicas",
        ):
            value = get(values, path)
            if value is MISSING or value is UNKNOWN:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or value != int(value)
                or not (1 <= value <= REPLICAS_MAX)
            ):
                findings.append(
                    Finding(
                        f"values.{path}",
                        f"is {shown(value)}; allowed: {allowed} (0 takes the service down).",
                        f"set {service}Replicas in the stack config to 1-{REPLICAS_MAX}.",
                    )
                )
    return findings


def _resource_findings(values: Any) -> list[Finding]:
    findings = []
    ceilings = {"cpu": CPU_LIMIT_MAX, "memory": MEMORY_LIMIT_MAX}
    shown_ceiling = {"cpu": "2", "memory": "2Gi"}
    for component in _sections(values, lambda section: "resources" in section):
        resources = get(values, f"{component}.resources")
        if resources is MISSING or resources is UNKNOWN:
            continue
        where = f"values.{component}.resources"
        for kind in ("cpu", "memory"):
            limit_value = get(resources, f"limits.{kind}")
            request_value = get(resources, f"requests.{kind}")
            if limit_value is UNKNOWN or request_value is UNKNOWN:
                continue
            limit = quantity(limit_value)
            request = quantity(request_value)
            if limit is None:
                findings.append(
                    Finding(
                        f"{where}.limits.{kind}",
                        f"is {shown(limit_value)}, not a quantity: the container could take the whole node.",
                        f"give {component} a {kind} limit (the chart's values.yaml has one).",
                    )
                )
                continue
            if limit > ceilings[kind]:
                findings.append(
                    Finding(
                        f"{where}.limits.{kind}",
                        f"is {shown(limit_value)}, above this policy's ceiling of "
                        f"{shown_ceiling[kind]} per container.",
                        "lower it, or raise the ceiling in policy/todo_policy/rules.py in the same review.",
                    )
                )
            if request_value is not MISSING and (request is None or request > limit):
                findings.append(
                    Finding(
                        f"{where}.requests.{kind}",
                        f"is {shown(request_value)}, which is not a quantity at or below the limit "
                        f"{shown(limit_value)}: the API server refuses the pod at rollout.",
                        f"set the {kind} request at or below the limit.",
                    )
                )
    return findings


def replicas_and_resources_within_bounds(resource: Resource) -> list[Finding]:
    if not is_chart_release(resource):
        return []
    values = _values(resource)
    if values is UNKNOWN:
        return []
    return _replica_findings(values) + _resource_findings(values)


REPLICAS_AND_RESOURCES = Rule(
    "replicas-and-resources-within-bounds",
    EnforcementLevel.MANDATORY,
    f"Replicas from 1 to {REPLICAS_MAX}; every container keeps cpu and memory limits within the "
    "ceilings, with requests at or below them.",
    "0 replicas is an outage and more than the program's maximum is a typo until proven otherwise; a "
    "container without limits can starve its node, and a request above its limit fails only at rollout.",
    replicas_and_resources_within_bounds,
)


# --- registry credentials only as secrets -----------------------------------------------------

DOCKER_CONFIG_KEYS = frozenset({".dockerconfigjson", ".dockercfg", "config.json", "auths"})
DOCKER_CONFIG_SECRET_TYPES = frozenset({"kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"})
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def _docker_config_in(tree: Any, prefix: str) -> Iterable[str]:
    if isinstance(tree, dict):
        for key, value in sorted(tree.items()):
            path = f"{prefix}.{key}" if prefix else key
            if key in DOCKER_CONFIG_KEYS or (isinstance(value, str) and '"auths"' in value):
                yield path
            else:
                yield from _docker_config_in(value, path)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _docker_config_in(value, f"{prefix}[{index}]")


def registry_credentials_only_in_secrets(resource: Resource) -> list[Finding]:
    props = resource.props
    findings = []
    to_secret = (
        "put it in a Secret of type kubernetes.io/dockerconfigjson and reference it by name "
        "(images.pullSecrets, imagePullSecrets)."
    )
    if resource.type == RELEASE:
        values = _values(resource)
        findings += [
            Finding(path, "holds a registry credential (value not shown).", to_secret)
            for path in _docker_config_in(values, "values")
        ]
        if is_chart_release(resource):
            pull_secrets = get(values, "images.pullSecrets")
            for index, entry in enumerate(pull_secrets if isinstance(pull_secrets, list) else []):
                if entry is UNKNOWN or (isinstance(entry, str) and DNS_SUBDOMAIN.match(entry)):
                    continue
                findings.append(
                    Finding(
                        f"values.images.pullSecrets[{index}]",
                        "is not the name of a Secret (value not shown): the chart takes names only.",
                        to_secret,
                    )
                )
    elif resource.type == K8S_CONFIG_MAP:
        for field in ("data", "binaryData"):
            findings += [
                Finding(
                    path,
                    "holds a registry credential in a ConfigMap, readable without Secret RBAC.",
                    to_secret,
                )
                for path in _docker_config_in(props.get(field), field)
            ]
    elif resource.type == K8S_SECRET:
        kind = props.get("type")
        # Either map is UNKNOWN during preview when its values come from other resources.
        keys = [
            key
            for field in ("data", "stringData")
            if isinstance(props.get(field), dict)
            for key in props[field]
        ]
        holds_config = any(key in (".dockerconfigjson", ".dockercfg") for key in keys)
        if holds_config and kind is not UNKNOWN and kind not in DOCKER_CONFIG_SECRET_TYPES:
            findings.append(
                Finding(
                    "type",
                    f"is {shown(kind if kind is not None else MISSING)} for a Secret holding a registry "
                    "credential: the kubelet uses only kubernetes.io/dockerconfigjson Secrets for pulls.",
                    "set type: kubernetes.io/dockerconfigjson.",
                )
            )
    elif resource.type == DOCKER_IMAGE:
        args = get(props, "build.args")
        for key, value in sorted(args.items()) if isinstance(args, dict) else []:
            if CREDENTIAL_KEY.search(key) and value not in ("", None):
                findings.append(
                    Finding(
                        f"build.args.{key}",
                        "is a credential passed as a build arg (value not shown): build args are kept "
                        "in the image's history, readable by anyone who can pull it.",
                        "pass it as a BuildKit secret (RUN --mount=type=secret) or leave it out.",
                    )
                )
    return findings


REGISTRY_CREDENTIALS = Rule(
    "registry-credentials-only-in-secrets",
    EnforcementLevel.MANDATORY,
    "Registry credentials live only in Secrets (and the docker provider's registry block, wrapped "
    "with Output.secret); Helm values, ConfigMaps and build args name them at most.",
    "A registry token pushes or pulls every image of the project; in a ConfigMap, a Helm value or an "
    "image's build history it is readable by far more people than the Secret's RBAC allows.",
    registry_credentials_only_in_secrets,
)


# --- durable data outside dev -----------------------------------------------------------------


def durable_database(resource: Resource) -> list[Finding]:
    if not is_chart_release(resource) or DEV_STACKS.match(resource.stack):
        return []
    values = _values(resource)
    if values is UNKNOWN:
        return []
    mode = get(values, "postgresql.mode")
    storage_class = get(values, "postgresql.persistence.storageClass")
    if mode in ("external", UNKNOWN) or storage_class is UNKNOWN:
        return []
    if isinstance(storage_class, str) and storage_class:
        return []
    return [
        Finding(
            "values.postgresql.persistence.storageClass",
            f"is {shown(storage_class)} on stack {resource.stack!r} with the in-cluster database, so its "
            "data lives on the cluster's default StorageClass, whatever that is (Minikube's is a "
            "directory on the node).",
            "use an external database (pulumi config set databaseMode external; pulumi config set "
            "--secret databaseUrl ...) or name a StorageClass with durable volumes (pulumi config set "
            "postgresStorageClass NAME).",
        )
    ]


DURABLE_DATABASE = Rule(
    "durable-database-outside-dev",
    EnforcementLevel.MANDATORY,
    "A stack other than dev uses an external database or a StorageClass it names for PostgreSQL.",
    "Tasks and conversations live only in PostgreSQL; on a volume the cluster picks by default they "
    "may be lost with a node, which is acceptable on a laptop and nowhere else.",
    durable_database,
)


RESOURCE_RULES: Final = (
    IMAGES_BY_DIGEST,
    NO_SECRETS_IN_HELM_VALUES,
    EXPLICIT_KUBE_CONTEXT,
    REPLICAS_AND_RESOURCES,
    REGISTRY_CREDENTIALS,
    DURABLE_DATABASE,
)
STACK_RULES: Final = (NO_SECRET_VALUES_OUTSIDE_SECRETS,)
