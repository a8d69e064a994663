"""The checks of the stack settings: each takes a value as given and returns what is wrong with it,
or None, in words a user can act on. Plain functions of the value, so the tests can try whole classes
of values on each; components/settings.py decides which setting each applies to.
"""

from __future__ import annotations

import decimal
import ipaddress
import re
from collections.abc import Collection
from decimal import Decimal
from urllib.parse import urlsplit

DATABASE_URL_SCHEME = "postgresql+psycopg://"
# Namespaces Kubernetes itself uses: `default` and the reserved `kube-` prefix (kube-system, kube-public,
# kube-node-lease). The stack would relabel one Pod Security 'restricted' and delete it on destroy.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SYSTEM_NAMESPACE_PREFIX = "kube-"
# Any plain value, free text (model names, the kube context) included; longer is a paste gone wrong.
TEXT_MAX_LENGTH = 256
# Query or fragment parameters whose name (separators dropped) holds one of these carry a credential.
CREDENTIAL_WORDS = ("key", "token", "secret", "passw", "pwd", "auth", "sig", "credential", "session", "jwt")

# The kagent release line the AiOps component is written for (its v1alpha2 Agent, its chart values).
_KAGENT_VERSION = re.compile(r"0\.(?:9|10)\.[0-9]+")
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
    """A kagent 0.9.x or 0.10.x chart version: their CRDs serve the v1alpha2 kinds the component
    declares (read from kagent-dev/kagent's tags v0.9.0-v0.9.12 and v0.10.0-rc3)."""
    if _KAGENT_VERSION.fullmatch(value):
        return None
    return (
        "must be a kagent 0.9.x or 0.10.x chart version such as 0.9.12, kagent's newest release (the "
        "component declares kagent.dev/v1alpha2 Agent, ModelConfig and RemoteMCPServer, which those "
        "releases' CRDs serve)"
    )


def is_credential_name(name: str) -> bool:
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(word in compact for word in CREDENTIAL_WORDS)


# A URL's user:password@, and each query or fragment parameter, as the text has them.
_USERINFO = re.compile(r"(?<=://)[^/?#]+@")  # a non-empty user[:password]@ ("://@" hides nothing)
_URL_PARAMETER = re.compile(r"(?P<lead>[?&;#])(?P<name>[^=&;#]*)=(?P<value>[^&;#]*)")


def redact_credentials(value: str) -> str:
    """The value with a URL's user:password@ and credential parameters' values shown as ***."""
    if "://" not in value:
        return value
    value = _USERINFO.sub("***@", value)
    return _URL_PARAMETER.sub(
        lambda m: f"{m['lead']}{m['name']}=***" if is_credential_name(m["name"]) else m[0], value
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
