"""Every stack-config value is either exactly right or one clear error: a table of odd values, and
properties (hypothesis) over whole classes of them, through `load_settings` as the program calls it."""

from __future__ import annotations

import decimal
import functools
import re
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components import settings as config_settings
from components.config_checks import (
    CREDENTIAL_WORDS,
    DATABASE_URL_SCHEME,
    SYSTEM_NAMESPACES,
    TEXT_MAX_LENGTH,
    quantity_value,
)
from components.settings import (
    ALL_KEYS,
    INTEGER_RANGES,
    OVERRIDDEN_PROVIDER_KEYS,
    PLAIN_KEYS,
    PROJECT,
    SECRET_KEYS,
    USED_ONLY_WHEN,
    ConfigError,
    StackConfig,
    StackSettings,
    load_settings,
)
from tests.program.harness import project_config_declarations, stack_config

FAKE_DATABASE_URL = "postgresql+psycopg://todo:fake-db-password@db.example.com:5432/todo"


@functools.cache
def _stack_config(stack: str) -> dict[str, str]:
    return stack_config(stack)


def _config(stack: str, overrides: dict[str, object] | None = None) -> dict[str, str]:
    """stack_config(stack, overrides), with the files read once."""
    values = dict(_stack_config(stack))
    for key, value in (overrides or {}).items():
        values[key if ":" in key else f"{PROJECT}:{key}"] = str(value)
    return values


def _load(
    overrides: dict[str, object] | None = None, secrets: dict[str, str] | None = None, stack: str = "dev"
) -> StackSettings | str:
    """The settings, or the ConfigError's message; the config as the CLI would hand it to the program."""
    values = _config(stack, overrides)
    values.update({f"{PROJECT}:{key}": value for key, value in (secrets or {}).items()})
    config = StackConfig(values, {f"{PROJECT}:{key}" for key in secrets or {}})
    try:
        return load_settings(config, stack)
    except ConfigError as error:
        return str(error)


def _refused(overrides: dict[str, object], secrets: dict[str, str] | None = None) -> str:
    loaded = _load(overrides, secrets)
    assert isinstance(loaded, str), f"accepted {overrides}"
    return loaded


def _problem_lines(message: str) -> list[str]:
    return [line for line in message.splitlines() if line.startswith("  - ")]


# (key, value, fragment of the one problem it causes); every class of odd value the review found.
ODD_VALUES: list[tuple[str, object, str]] = [
    # A trailing newline ($ matches before it) or other control character, in every kind of value.
    ("namespace", "todo\n", "control character"),
    ("releaseName", "todo\n", "control character"),
    ("registry", "localhost:5000\n", "control character"),
    ("postgresStorageSize", "1Gi\n", "control character"),
    ("ingressHost", "todo.example.com\n", "control character"),
    ("ingressClassName", "nginx\n", "control character"),
    ("ingressTlsSecret", "tls\r\n", "control character"),
    ("postgresStorageClass", "standard\n", "control character"),
    ("kubeContext", "minikube\n", "control character"),
    ("openaiModel", "gpt-4.1-mini\n", "control character"),
    ("openaiBaseUrl", "http://llm.example.com/v1\n", "control character"),
    ("platform", "linux/amd64\n", "control character"),
    ("agentEngine", "rules\n", "control character"),
    ("frontendServiceType", "NodePort\t", "control character"),
    ("buildOnPreview", "true\n", "control character"),
    ("backendReplicas", "2\n", "control character"),
    ("pythonBaseImage", "python:3.13-slim\n", "control character"),
    ("namespace", "to\u200bdo", "control character"),  # a zero-width space
    # Integers: ASCII digits only, within range.
    ("backendReplicas", "2_0", "ASCII digits only"),
    ("mcpReplicas", "\uff12", "ASCII digits only"),  # full-width 2
    ("frontendReplicas", "\u0662", "ASCII digits only"),  # Arabic-Indic 2
    ("backendReplicas", " 2", "starts or ends with whitespace"),
    ("backendReplicas", "2 ", "starts or ends with whitespace"),
    ("backendReplicas", "+2", "ASCII digits only"),
    ("backendReplicas", "2.0", "ASCII digits only"),
    ("backendReplicas", "0x2", "ASCII digits only"),
    ("backendReplicas", "", "ASCII digits only"),
    ("backendReplicas", "0", "must be from 1 to 20"),
    ("backendReplicas", "21", "must be from 1 to 20"),
    ("nodePort", "29999", "must be from 30000 to 32767"),
    ("helmTimeoutSeconds", "3601", "must be from 60 to 3600"),
    ("helmTimeoutSeconds", "1e3", "ASCII digits only"),
    # Required values that are blank.
    ("kubeContext", "   ", "must not be empty or blank"),
    ("kubeContext", "", "must not be empty or blank"),
    ("openaiModel", " ", "must name a model"),
    ("openaiModel", "gpt 4", "without spaces"),
    ("namespace", "", "DNS label"),
    ("releaseName", " ", "DNS label"),
    ("postgresStorageSize", "", "Kubernetes quantity"),
    # The registry.
    ("registry", "localhost:5000/", "empty path segment"),
    ("registry", "localhost:5000//team", "empty path segment"),
    ("registry", "registry.example.com/team/", "empty path segment"),
    ("registry", "localhost:0", "port '0'"),
    ("registry", "localhost:65536", "port '65536'"),
    ("registry", "localhost:", "port ''"),
    ("registry", "localhost:50a0", "port '50a0'"),
    ("registry", "Registry.Example.com", "must be lowercase"),
    ("registry", "localhost:5000/Team", "'localhost:5000/team'"),
    ("registry", "todo", "would be pushed to Docker Hub"),
    ("registry", "myregistry/team", "'myregistry' without either as a Docker Hub account"),
    ("registry", "https://localhost:5000", "without a scheme"),
    ("registry", "localhost:5000/team_-x", "path segment Docker refuses"),
    ("registry", "", "must name a registry"),
    ("registry", "  ", "must name a registry"),
    # Names and sizes.
    ("namespace", "-todo", "DNS label"),
    ("namespace", "a" * 64, "at most 63"),
    ("releaseName", "a" * 51, "at most 50"),
    ("postgresStorageSize", "0", "more than 0"),
    ("postgresStorageSize", "0Gi", "more than 0"),
    ("postgresStorageSize", "0.0Mi", "more than 0"),
    ("postgresStorageSize", "1GB", "Kubernetes quantity"),
    ("postgresStorageSize", "-1Gi", "more than 0"),
    # Sizes: a bare number is bytes; fractions of a byte and impossible sizes are mistakes.
    ("postgresStorageSize", "10", "has no unit, so it means 10 bytes"),
    ("postgresStorageSize", "1.5", "has no unit"),
    ("postgresStorageSize", "1500m", "not a whole number of bytes"),
    ("postgresStorageSize", "1e-3", "not a whole number of bytes"),
    ("postgresStorageSize", "1e30", "more bytes than Kubernetes counts"),
    ("postgresStorageSize", "1e", "Kubernetes quantity"),
    ("postgresStorageSize", "1K", "Kubernetes quantity"),
    ("postgresStorageSize", "1Ki3", "Kubernetes quantity"),
    ("postgresStorageSize", "1 Gi", "Kubernetes quantity"),
    ("postgresStorageSize", ".", "Kubernetes quantity"),
    ("postgresStorageSize", "1e3.5", "Kubernetes quantity"),
    # Ingress hosts: Kubernetes refuses an IP (its sloppy reading: leading zeros too) and a bare '*'.
    ("ingressHost", "10.0.0.1", "is an IP address"),
    ("ingressHost", "010.000.0.1", "is an IP address"),
    ("ingressHost", "*", "or a wildcard such as *.example.com"),
    ("ingressHost", "*.*.example.com", "or a wildcard such as *.example.com"),
    ("ingressHost", "todo.*.example.com", "or a wildcard such as *.example.com"),
    # The namespaces of Kubernetes itself, for the app and for kagent.
    *[("namespace", name, "is a namespace of Kubernetes itself") for name in SYSTEM_NAMESPACES],
    ("namespace", "kube-flannel", "every kube-* name"),
    ("aiOpsNamespace", "kube-system", "is a namespace of Kubernetes itself"),
    ("aiOpsNamespace", "default", "is a namespace of Kubernetes itself"),
    # Free text is bounded.
    ("openaiModel", "m" * (TEXT_MAX_LENGTH + 1), f"at most {TEXT_MAX_LENGTH}"),
    ("aiOpsModel", "m" * 1000, f"at most {TEXT_MAX_LENGTH}"),
    ("kubeContext", "c" * (TEXT_MAX_LENGTH + 1), f"at most {TEXT_MAX_LENGTH}"),
    ("ingressClassName", "Nginx", "DNS name"),
    ("postgresStorageClass", "fast..ssd", "DNS name"),
    ("ingressTlsSecret", "a" * 64, "DNS name"),
    # URLs must be complete.
    ("openaiBaseUrl", "http://", "complete http(s):// URL"),
    ("openaiBaseUrl", "https://:8000/v1", "complete http(s):// URL"),
    ("openaiBaseUrl", "http://llm.example.com:99999", "complete http(s):// URL"),
    ("openaiBaseUrl", "http://llm.example.com:0", "complete http(s):// URL"),
    ("openaiBaseUrl", "ftp://llm.example.com", "complete http(s):// URL"),
    ("openaiBaseUrl", "llm.example.com", "complete http(s):// URL"),
    ("openaiBaseUrl", "http://llm example.com", "complete http(s):// URL"),
    ("openaiBaseUrl", "http://llm_host/v1", "complete http(s):// URL"),
    # Choices and booleans are exact.
    ("buildOnPreview", "True", "must be true or false"),
    ("buildOnPreview", "1", "must be true or false"),
    ("platform", "linux/AMD64", "must be one of auto, linux/amd64, linux/arm64"),
    ("agentEngine", "Rules", "must be one of rules, openai"),
    ("databaseMode", "incluster", "must be one of inCluster, external"),
    # Image references.
    ("nodeBaseImage", "Node:22", "image reference"),
    ("nginxBaseImage", "nginx:", "image reference"),
    # AI-assisted operations (kagent): its own namespace, a 0.9.x or 0.10.x chart, a model name.
    ("aiOpsEnabled", "yes", "must be true or false"),
    ("aiOpsEnabled", "True", "must be true or false"),
    ("aiOpsNamespace", "todo", "must differ from namespace ('todo')"),
    ("aiOpsNamespace", "Kagent", "DNS label"),
    ("aiOpsNamespace", "", "DNS label"),
    ("aiOpsNamespace", "kagent\n", "control character"),
    ("aiOpsKagentVersion", "1.0.1", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", "v0.10.4", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", "0.10", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", "0.8.1", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", "0.10.x", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", "latest", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", "", "kagent 0.9.x or 0.10.x chart version"),
    ("aiOpsKagentVersion", " 0.10.4", "starts or ends with whitespace"),
    ("aiOpsModel", "gpt 4", "without spaces"),
    ("aiOpsModel", "", "must name a model"),
]


@pytest.mark.parametrize(("key", "value", "fragment"), ODD_VALUES, ids=lambda v: repr(v)[:40])
def test_each_odd_value_is_one_clear_error(key: str, value: str, fragment: str) -> None:
    message = _refused({key: value})
    lines = _problem_lines(message)
    assert len(lines) == 1, message
    assert lines[0].startswith(f"  - {PROJECT}:{key} = {value!r}: "), message
    assert fragment in lines[0], message
    assert f"Fix: pulumi config set {key} <value> --stack dev" in lines[0], message


ACCEPTED: list[tuple[str, str, object]] = [
    # (key, value, what the settings hold), the legitimate neighbours of the odd values above
    ("registry", "127.0.0.1:5000", "127.0.0.1:5000"),
    ("registry", "registry.example.com:443/team/sub-team", "registry.example.com:443/team/sub-team"),
    ("registry", "localhost:65535/a__b/c.d", "localhost:65535/a__b/c.d"),
    ("backendReplicas", "20", 20),
    ("nodePort", "32767", 32767),
    ("postgresStorageSize", "512Mi", "512Mi"),
    ("postgresStorageSize", "1.5Gi", "1.5Gi"),
    ("openaiBaseUrl", "http://[::1]:8000/v1", "http://[::1]:8000/v1"),
    ("openaiBaseUrl", "https://llm.example.com", "https://llm.example.com"),
    ("openaiModel", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
    ("kubeContext", "arn:aws:eks:eu-west-1:1:cluster/x", "arn:aws:eks:eu-west-1:1:cluster/x"),
    ("namespace", "a" * 63, "a" * 63),
    ("aiOpsNamespace", "ops", "ops"),
    ("aiOpsKagentVersion", "0.10.1", "0.10.1"),
    ("aiOpsModel", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
    # A first component with a port is a registry host, as Docker reads it.
    ("registry", "myregistry:5000", "myregistry:5000"),
    ("registry", "myregistry:5000/team", "myregistry:5000/team"),
    # Quantities as Kubernetes writes them, exponents and signs included.
    ("postgresStorageSize", "1e3", "1e3"),
    ("postgresStorageSize", "1e9", "1e9"),
    ("postgresStorageSize", "1E9", "1E9"),
    ("postgresStorageSize", "+2Gi", "+2Gi"),
    ("postgresStorageSize", ".5Gi", ".5Gi"),
    ("postgresStorageSize", "5.Gi", "5.Gi"),
    ("postgresStorageSize", "2E", "2E"),
    ("ingressHost", "*.example.com", "*.example.com"),
    ("ingressHost", "1.2.3", "1.2.3"),
    (
        "openaiBaseUrl",
        "https://llm.example.com/v1?api-version=2024-06-01",
        "https://llm.example.com/v1?api-version=2024-06-01",
    ),
    ("openaiModel", "m" * TEXT_MAX_LENGTH, "m" * TEXT_MAX_LENGTH),
    ("namespace", "kubernetes-apps", "kubernetes-apps"),
    ("adoptNamespace", "true", True),
]


def _field(loaded: StackSettings, key: str) -> object:
    return {
        "registry": loaded.images.registry,
        "backendReplicas": loaded.release.replicas["backend"],
        "nodePort": loaded.release.frontend_service.node_port,
        "postgresStorageSize": loaded.release.database.storage_size,
        "openaiBaseUrl": loaded.release.agent.openai_base_url,
        "openaiModel": loaded.release.agent.openai_model,
        "kubeContext": loaded.cluster.kube_context,
        "namespace": loaded.cluster.namespace,
        "aiOpsNamespace": loaded.ai_ops.namespace,
        "aiOpsKagentVersion": loaded.ai_ops.kagent_version,
        "aiOpsModel": loaded.ai_ops.model,
        "ingressHost": loaded.release.ingress.host,
        "adoptNamespace": loaded.cluster.adopt_namespace,
    }[key]


@pytest.mark.parametrize(("key", "value", "expected"), ACCEPTED, ids=lambda v: repr(v)[:40])
def test_legitimate_values_are_accepted_as_given(key: str, value: str, expected: object) -> None:
    loaded = _load({key: value})
    assert isinstance(loaded, StackSettings), loaded
    assert _field(loaded, key) == expected


# --- Secrets: set exactly when used, encrypted, well formed, never echoed. ---

SECRET_CASES: list[tuple[dict[str, object], dict[str, str], str]] = [
    ({"agentEngine": "openai"}, {"openaiApiKey": "sk-key\n"}, "openaiApiKey = (hidden: secret): contains"),
    ({"databaseMode": "external"}, {"databaseUrl": DATABASE_URL_SCHEME}, "must be a complete URL"),
    ({"databaseMode": "external"}, {"databaseUrl": "postgresql+psycopg://u:p@db/"}, "must be a complete URL"),
    ({"databaseMode": "external"}, {"databaseUrl": FAKE_DATABASE_URL + "\n"}, "contains whitespace"),
    (
        {"registryUsername": "bot"},
        {"registryPassword": "tok en"},
        "registryPassword = (hidden: secret): contains",
    ),
    ({"aiOpsEnabled": "true"}, {"openaiApiKey": "sk-key\n"}, "openaiApiKey = (hidden: secret): contains"),
]


@pytest.mark.parametrize(("overrides", "secrets", "fragment"), SECRET_CASES)
def test_secret_problems_name_the_key_and_hide_the_value(
    overrides: dict[str, object], secrets: dict[str, str], fragment: str
) -> None:
    message = _refused(overrides, secrets)
    assert fragment in message and len(_problem_lines(message)) == 1, message
    for value in secrets.values():
        assert value == DATABASE_URL_SCHEME or value.strip() not in message
    key = next(iter(secrets))
    assert f"pulumi config rm {key} --stack dev" in message or f"config set --secret {key}" in message


def test_a_registry_user_name_is_checked_like_any_value() -> None:
    message = _refused({"registryUsername": "bot\n"}, {"registryPassword": "fake-token-77"})
    assert f"{PROJECT}:registryUsername = 'bot\\n': contains a control character" in message, message
    assert len(_problem_lines(message)) == 1, message


# --- Conditional settings: one table says when each is used; set but unused is one warning. ---

# A valid value other than the default, for every setting of the table.
SAMPLES: dict[str, str] = {
    "ingressHost": "todo.example.com",
    "ingressClassName": "nginx",
    "ingressTlsSecret": "todo-tls",
    "nodePort": "30090",
    "openaiModel": "gpt-4.1",
    "openaiBaseUrl": "http://llm.example.com/v1",
    "openaiApiKey": "sk-fake-unused-key",
    "databaseUrl": FAKE_DATABASE_URL,
    "postgresStorageSize": "5Gi",
    "postgresStorageClass": "fast",
    "postgresImage": "postgres:17",
    "registryPassword": "fake-token-77",
    "aiOpsNamespace": "ops",
    "aiOpsKagentVersion": "0.10.1",
    "aiOpsModel": "gpt-4.1",
}
# Settings that switch each condition off where the dev defaults leave it on.
SWITCHED_OFF: dict[str, tuple[dict[str, object], dict[str, str]]] = {
    "nodePort": ({"frontendServiceType": "ClusterIP"}, {}),
    **{
        key: ({"databaseMode": "external"}, {"databaseUrl": FAKE_DATABASE_URL})
        for key in ("postgresStorageSize", "postgresStorageClass", "postgresImage")
    },
}
CONDITIONAL_KEYS = [key for row in USED_ONLY_WHEN for key in row.keys]


def _split(values: dict[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """Plain overrides and secrets, as `pulumi config set [--secret]` would store them."""
    plain = {k: v for k, v in values.items() if k not in SECRET_KEYS}
    return plain, {k: str(v) for k, v in values.items() if k in SECRET_KEYS}


@pytest.mark.parametrize("key", CONDITIONAL_KEYS)
def test_every_unused_setting_is_one_warning_of_one_shape(key: str) -> None:
    off, off_secrets = SWITCHED_OFF.get(key, ({}, {}))
    plain, secrets = _split({**off, key: SAMPLES[key]})
    loaded = _load(plain, {**off_secrets, **secrets})
    assert isinstance(loaded, StackSettings), loaded
    assert len(loaded.warnings) == 1, loaded.warnings
    shown = "(hidden: secret)" if key in SECRET_KEYS else repr(SAMPLES[key])
    assert loaded.warnings[0].startswith(f"{PROJECT}:{key} = {shown}: is not used because "), loaded.warnings
    assert loaded.warnings[0].endswith(f"Fix: pulumi config rm {key} --stack dev"), loaded.warnings
    if key in SECRET_KEYS:
        assert SAMPLES[key] not in loaded.warnings[0]


def test_the_dev_and_staging_stacks_warn_about_nothing() -> None:
    for stack, secrets in (
        ("dev", {}),
        ("staging", {"registryPassword": "t0k", "databaseUrl": FAKE_DATABASE_URL}),
    ):
        loaded = _load(secrets=secrets, stack=stack)
        assert isinstance(loaded, StackSettings) and loaded.warnings == (), loaded


def test_a_used_setting_is_no_warning() -> None:
    loaded = _load(
        {"ingressEnabled": "true", "ingressHost": "todo.example.com", "agentEngine": "openai"},
        {"openaiApiKey": "sk-fake-key-2"},
    )
    assert isinstance(loaded, StackSettings) and loaded.warnings == (), loaded


# --- Keys: a misspelt key or project name is refused with the known keys suggested. ---


@pytest.mark.parametrize(
    ("key", "suggested"),
    [
        ("todo-chatbt:replicas", "todo-chatbot:backendReplicas"),
        ("todo-chatbot:replicas", "todo-chatbot:mcpReplicas"),
        ("todo:namespace", "todo-chatbot:namespace"),
        ("todo-chatbot:kubecontext", "todo-chatbot:kubeContext"),
        ("todochatbot:registry", "todo-chatbot:registry"),
    ],
)
def test_unknown_keys_are_refused_with_the_known_keys_suggested(key: str, suggested: str) -> None:
    message = _refused({key: "2"})
    assert f"{key} = '2' is not" in message and suggested in message, message
    assert f"Fix: pulumi config rm {key} --stack dev" in message


def test_a_key_nothing_resembles_lists_every_setting() -> None:
    message = _refused({"todo-chatbot:zzz": "1"})
    assert all(key in message for key in ALL_KEYS), message


def test_provider_config_is_left_to_the_providers() -> None:
    assert isinstance(
        _load({"docker:host": "unix:///var/run/docker.sock", "pulumi:tags": "x"}), StackSettings
    )


@pytest.mark.parametrize(
    "key", [*OVERRIDDEN_PROVIDER_KEYS, "kubernetes:enableServerSideApply", "kubernetes:renderYamlToDirectory"]
)
def test_provider_config_the_program_sets_itself_is_refused_with_the_right_key(key: str) -> None:
    message = _refused({key: "x"})
    assert len(_problem_lines(message)) == 1, message
    assert re.search(
        rf"{key} = ('x'|\(hidden: may hold a credential\)) is ignored: the program sets", message
    )
    assert f"Fix: pulumi config rm {key} --stack dev" in message
    if key in OVERRIDDEN_PROVIDER_KEYS:
        assert OVERRIDDEN_PROVIDER_KEYS[key].format(stack="dev") in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("kubernetes:kubeconfig", "apiVersion: v1\nusers:\n- user:\n    token: fake-kube-token-1\n"),
        ("docker:registryAuth", '[{"address": "r.example.com", "password": "fake-registry-pw-1"}]'),
        ("todo-chatbot:openaiApikey", "sk-fake-plaintext-1"),
    ],
)
def test_a_plaintext_value_under_a_credential_key_is_not_echoed(key: str, value: str) -> None:
    message = _refused({key: value})
    assert "fake-" not in message and f"{key} = (hidden: may hold a credential)" in message, message


def test_a_misspelt_secret_key_is_not_echoed() -> None:
    values = {**_config("dev"), f"{PROJECT}:openaiApikey": "sk-hidden-value-1"}
    with pytest.raises(ConfigError) as caught:
        load_settings(StackConfig(values, {f"{PROJECT}:openaiApikey"}), "dev")
    assert "sk-hidden-value-1" not in str(caught.value) and "(hidden: secret)" in str(caught.value)


# --- Properties over whole classes of values. ---

CONTROL = st.sampled_from(["\n", "\r", "\t", "\x00", "\x1b", "\u2028", "\u200b", "\x85"])
STRING_DEFAULTS = {
    key: str(spec["default"])
    for key, spec in project_config_declarations().items()
    if key in PLAIN_KEYS and spec["default"] != ""
}


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(STRING_DEFAULTS)), control=CONTROL, where=st.integers(0, 100))
def test_a_control_character_anywhere_in_any_value_is_refused(key: str, control: str, where: int) -> None:
    valid = STRING_DEFAULTS[key]
    at = where % (len(valid) + 1)
    value = valid[:at] + control + valid[at:]
    message = _refused({key: value})
    # The value is shown escaped (repr), so the stray character is visible, never raw in the message.
    assert f"{PROJECT}:{key} = {value!r}: " in message and "control character" in message
    assert control not in message.replace("\n  - ", "")


@settings(deadline=None)
@given(key=st.sampled_from(sorted(STRING_DEFAULTS)), pad=st.sampled_from([" ", "  ", "\u00a0", "\u3000"]))
def test_surrounding_whitespace_is_refused(key: str, pad: str) -> None:
    value = STRING_DEFAULTS[key] + pad
    assert "whitespace" in _refused({key: value}) or "control character" in _refused({key: value})


@settings(deadline=None)
@given(key=st.sampled_from(sorted(INTEGER_RANGES)), data=st.data())
def test_integers_in_range_are_read_exactly(key: str, data: st.DataObject) -> None:
    low, high = INTEGER_RANGES[key]
    number = data.draw(st.integers(low, high))
    overrides: dict[str, object] = {key: str(number)}
    if key == "nodePort":
        overrides["frontendServiceType"] = "NodePort"
    loaded = _load(overrides)
    assert isinstance(loaded, StackSettings), loaded
    read = {
        "helmTimeoutSeconds": loaded.release.timeout_seconds,
        "backendReplicas": loaded.release.replicas["backend"],
        "mcpReplicas": loaded.release.replicas["mcp"],
        "frontendReplicas": loaded.release.replicas["frontend"],
        "nodePort": loaded.release.frontend_service.node_port,
    }
    assert read[key] == number


@settings(deadline=None)
@given(key=st.sampled_from(sorted(INTEGER_RANGES)), data=st.data())
def test_integers_out_of_range_are_refused(key: str, data: st.DataObject) -> None:
    low, high = INTEGER_RANGES[key]
    number = data.draw(st.integers(max_value=low - 1) | st.integers(min_value=high + 1))
    assert f"from {low} to {high}" in _refused({key: str(number)})


@settings(deadline=None)
@given(key=st.sampled_from(sorted(INTEGER_RANGES)), text=st.text(min_size=1, max_size=8))
def test_anything_but_ascii_digits_is_refused_as_an_integer(key: str, text: str) -> None:
    if re.fullmatch(r"[0-9]+", text):
        return  # whole numbers are the properties above
    message = _refused({key: text})
    assert f"{PROJECT}:{key} = {text!r}: " in message


@settings(deadline=None)
@given(
    digits=st.text(
        alphabet=st.characters(categories=["Nd"]).filter(lambda c: not "0" <= c <= "9"),
        min_size=1,
        max_size=3,
    )
)
def test_digits_of_other_scripts_are_refused(digits: str) -> None:
    assert "ASCII digits only" in _refused({"backendReplicas": digits})


@settings(deadline=None)
@given(number=st.integers(1, 99), at=st.integers(0, 2))
def test_underscores_in_numbers_are_refused(number: int, at: int) -> None:
    text = str(number)
    value = text[:at] + "_" + text[at:]
    assert "ASCII digits only" in _refused({"helmTimeoutSeconds": value})


LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
PATH_SEGMENT = st.from_regex(r"[a-z0-9]{1,5}((\.|_|__|-+)[a-z0-9]{1,5}){0,2}", fullmatch=True)
HOST = st.just("localhost") | st.lists(LABEL, min_size=2, max_size=4).map(".".join)
PORT = st.none() | st.integers(1, 65535)
REGISTRY = st.builds(
    lambda host, port, path: host + (f":{port}" if port else "") + "".join(f"/{p}" for p in path),
    HOST,
    PORT,
    st.lists(PATH_SEGMENT, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(registry=REGISTRY)
def test_every_well_formed_registry_is_accepted(registry: str) -> None:
    loaded = _load({"registry": registry})
    assert isinstance(loaded, StackSettings), loaded
    assert loaded.images.registry == registry
    assert loaded.images.registry_server == registry.split("/")[0]


@settings(deadline=None)
@given(registry=REGISTRY, broken=st.sampled_from(["{}/", "{}//x", "{}/x//y", "{}/x/"]))
def test_empty_registry_path_segments_are_refused(registry: str, broken: str) -> None:
    assert "empty path segment" in _refused({"registry": broken.format(registry)})


@settings(deadline=None)
@given(host=HOST, port=st.integers(max_value=0) | st.integers(min_value=65536))
def test_registry_ports_out_of_range_are_refused(host: str, port: int) -> None:
    assert f"has port {str(port)!r}" in _refused({"registry": f"{host}:{port}"})


@settings(deadline=None)
@given(registry=REGISTRY, data=st.data())
def test_upper_case_in_a_registry_gets_the_lowercase_message(registry: str, data: st.DataObject) -> None:
    letters = [i for i, c in enumerate(registry) if c.isalpha()]
    assume(letters)
    at = data.draw(st.sampled_from(letters))
    value = registry[:at] + registry[at].upper() + registry[at + 1 :]
    message = _refused({"registry": value})
    assert "must be lowercase" in message and repr(registry) in message


@settings(deadline=None)
@given(label=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True))
def test_every_dns_label_is_a_namespace(label: str) -> None:
    loaded = _load({"namespace": label})
    assert isinstance(loaded, StackSettings) and loaded.cluster.namespace == label


@settings(deadline=None)
@given(
    value=st.text(min_size=1, max_size=20).filter(
        lambda v: not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", v)
    )
)
def test_anything_else_is_not_a_namespace_or_release_name(value: str) -> None:
    assert f"{PROJECT}:namespace = {value!r}: " in _refused({"namespace": value})
    assert f"{PROJECT}:releaseName = {value!r}: " in _refused({"releaseName": value})


@settings(deadline=None)
@given(
    zeros=st.from_regex(r"0+(\.0+)?", fullmatch=True),
    unit=st.sampled_from(["", "Ki", "Mi", "Gi", "Ti", "k", "M", "G"]),
)
def test_zero_storage_is_refused(zeros: str, unit: str) -> None:
    assert "more than 0" in _refused({"postgresStorageSize": zeros + unit})


@settings(deadline=None)
@given(
    host=HOST, port=PORT, scheme=st.sampled_from(["http", "https"]), path=st.sampled_from(["", "/", "/v1"])
)
def test_complete_urls_are_accepted_and_halves_are_not(
    host: str, port: int | None, scheme: str, path: str
) -> None:
    url = f"{scheme}://{host}{f':{port}' if port else ''}{path}"
    loaded = _load({"openaiBaseUrl": url})
    assert isinstance(loaded, StackSettings) and loaded.release.agent.openai_base_url == url
    for half in (f"{scheme}://", f"{scheme}://{f':{port}' if port else ''}{path}", f"{host}{path}"):
        assert "complete http(s):// URL" in _refused({"openaiBaseUrl": half})


SECRET_TEXT = st.from_regex(r"[A-Za-z0-9_+/=-]{12,40}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(SECRET_KEYS),
    secret=SECRET_TEXT,
    tail=st.sampled_from(["", "\n", " "]),
    plaintext=st.booleans(),
    used=st.booleans(),
)
def test_a_secret_value_is_never_echoed(
    key: str, secret: str, tail: str, plaintext: bool, used: bool
) -> None:
    overrides: dict[str, object] = {"agentEngine": "rules", "databaseMode": "inCluster"}
    if used:
        overrides |= {
            "openaiApiKey": {"agentEngine": "openai"},
            "databaseUrl": {"databaseMode": "external"},
            "registryPassword": {"registryUsername": "bot"},
        }[key]
    value = (f"postgresql+psycopg://u:{secret}@db/x" if key == "databaseUrl" else secret) + tail
    values = {**_config("dev", overrides), f"{PROJECT}:{key}": value}
    secret_keys = set() if plaintext else {f"{PROJECT}:{key}"}
    try:
        loaded = load_settings(StackConfig(values, secret_keys), "dev")
    except ConfigError as error:
        assert secret not in str(error)
        assert f"{PROJECT}:{key} = (hidden: secret): " in str(error)
    else:
        assert not plaintext and (not used or not tail), "a plaintext or untidy secret was accepted"
        assert all(secret not in warning for warning in loaded.warnings)
        assert used or loaded.warnings[0].startswith(f"{PROJECT}:{key} = (hidden: secret): is not used")


@settings(deadline=None)
@given(key=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=20))
def test_a_key_the_project_does_not_declare_is_refused(key: str) -> None:
    if key in ALL_KEYS:
        return
    message = _refused({f"{PROJECT}:{key}": "x"})
    # A name like a credential's (apiToken) hides even a plaintext value.
    shown = "(hidden: may hold a credential)" if any(w in key.lower() for w in CREDENTIAL_WORDS) else "'x'"
    assert f"{PROJECT}:{key} = {shown} is not a setting of this project" in message


@settings(deadline=None)
@given(at=st.integers(0, len(PROJECT) - 1), edit=st.sampled_from(["drop", "swap", "double"]))
def test_a_misspelt_project_name_is_refused(at: int, edit: str) -> None:
    namespace = {
        "drop": PROJECT[:at] + PROJECT[at + 1 :],
        "swap": PROJECT[:at] + PROJECT[at + 1 : at + 2] + PROJECT[at] + PROJECT[at + 2 :],
        "double": PROJECT[:at] + PROJECT[at] + PROJECT[at:],
    }[edit]
    if namespace == PROJECT:
        return
    message = _refused({f"{namespace}:namespace": "todo"})
    assert f"{namespace}:namespace = 'todo' is not a {PROJECT} key" in message
    assert f"did you mean {PROJECT}:namespace" in message


# --- One source: Pulumi.yaml declares the settings; the program derives its key lists from it. ---


def test_a_declared_setting_that_nothing_reads_is_a_developers_error(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"type": "string", "default": "", "description": "A setting no reader asks for."}
    monkeypatch.setattr(config_settings, "ALL_KEYS", (*ALL_KEYS, "forgottenKey"))
    monkeypatch.setitem(config_settings.declared(), "forgottenKey", extra)
    with pytest.raises(RuntimeError, match="declares forgottenKey, which components/settings.py never reads"):
        load_settings(StackConfig(_config("dev"), set()), "dev")


def test_an_integer_setting_must_state_its_range() -> None:
    spec = config_settings.declared()["nodePort"]
    description = spec["description"]
    try:
        spec["description"] = "Node port of the frontend Service."
        with pytest.raises(ValueError, match=r"nodePort states no range '\(LOW-HIGH\)'"):
            config_settings._declared_range("nodePort")
    finally:
        spec["description"] = description


# --- AI-assisted operations: off by default, and on only with the LLM API key. ---


def test_ai_ops_is_off_by_default_with_its_declared_defaults() -> None:
    loaded = _load()
    assert isinstance(loaded, StackSettings), loaded
    assert loaded.ai_ops == config_settings.AiOpsSettings(
        enabled=False, namespace="kagent", kagent_version="0.9.12", model="gpt-4.1-mini"
    )


def test_ai_ops_needs_the_llm_api_key_as_a_secret() -> None:
    message = _refused({"aiOpsEnabled": "true"})
    assert len(_problem_lines(message)) == 1, message
    assert f"{PROJECT}:openaiApiKey = (not set): required because aiOpsEnabled is true" in message
    assert "Fix: pulumi config set --secret openaiApiKey <value> --stack dev" in message
    plaintext = _refused({"aiOpsEnabled": "true", "openaiApiKey": "sk-in-plain-text"})
    assert "openaiApiKey = (hidden: secret): is stored in plaintext" in plaintext
    assert "sk-in-plain-text" not in plaintext


@pytest.mark.parametrize("engine", ["rules", "openai"])
def test_ai_ops_with_the_key_is_accepted_with_either_chat_engine(engine: str) -> None:
    loaded = _load({"aiOpsEnabled": "true", "agentEngine": engine}, {"openaiApiKey": "sk-fake-key-1"})
    assert isinstance(loaded, StackSettings), loaded
    assert loaded.ai_ops.enabled and loaded.secret_config.openai_api_key is not None


def test_an_unused_key_names_both_settings_that_would_use_it() -> None:
    loaded = _load({}, {"openaiApiKey": "sk-unused-key-123"})
    assert isinstance(loaded, StackSettings), loaded
    assert "is not used because agentEngine is rules and aiOpsEnabled is false" in loaded.warnings[0]


# --- Properties of the classes that would hurt later. ---

URL_HOST = HOST | st.ip_addresses(v=4).map(str)
# What a URL's user:password@ holds unencoded (no '/', '?', '#' or '@').
URL_SECRET = st.from_regex(r"[A-Za-z0-9_+=~.-]{12,40}", fullmatch=True)
CREDENTIAL_PARAMETER = st.builds(
    lambda word, before, after, upper: (before + word + after).upper() if upper else before + word + after,
    st.sampled_from(CREDENTIAL_WORDS),
    st.sampled_from(["", "api_", "api-", "x-api-", "access_", "client"]),
    st.sampled_from(["", "s", "_id", "en", "ature", "word"]),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    host=URL_HOST,
    port=PORT,
    user=st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True),
    secret=URL_SECRET,
    where=st.sampled_from(["userinfo", "password", "query", "second-query", "fragment"]),
    parameter=CREDENTIAL_PARAMETER,
)
def test_a_url_carrying_a_credential_is_refused_and_never_echoed(
    host: str, port: int | None, user: str, secret: str, where: str, parameter: str
) -> None:
    authority = f"{host}{f':{port}' if port else ''}"
    assume(secret not in authority and secret not in user)
    url = {
        "userinfo": f"https://{secret}@{authority}/v1",
        "password": f"https://{user}:{secret}@{authority}/v1",
        "query": f"https://{authority}/v1?{parameter}={secret}",
        "second-query": f"https://{authority}/v1?api-version=1&{parameter}={secret}",
        "fragment": f"https://{authority}/v1#{parameter}={secret}",
    }[where]
    message = _refused({"openaiBaseUrl": url})
    assert f"{PROJECT}:openaiBaseUrl = '" in message and "carries a credential" in message, message
    assert "pulumi config set --secret openaiApiKey" in message
    assert secret not in message and "***" in message


@settings(deadline=None)
@given(host=URL_HOST, port=PORT, version=st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True))
def test_a_url_with_harmless_parameters_is_accepted(host: str, port: int | None, version: str) -> None:
    url = f"https://{host}{f':{port}' if port else ''}/v1?api-version={version}"
    loaded = _load({"openaiBaseUrl": url})
    assert isinstance(loaded, StackSettings) and loaded.release.agent.openai_base_url == url


# The grammar of k8s.io/apimachinery's resource.Quantity, generated piece by piece.
DIGITS = st.from_regex(r"[0-9]{1,6}", fullmatch=True)
NUMBER = st.one_of(
    DIGITS,
    st.builds(lambda whole, fraction: f"{whole}.{fraction}", DIGITS, DIGITS | st.just("")),
    DIGITS.map(lambda fraction: f".{fraction}"),
)
BINARY = {f"{prefix}i": 1024 ** (power + 1) for power, prefix in enumerate("KMGTPE")}
DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
SUFFIX = st.one_of(
    st.just(""),
    st.sampled_from(sorted(BINARY)),
    st.sampled_from(sorted(DECIMAL)),
    st.builds(
        lambda e, sign, exponent: f"{e}{sign}{exponent}",
        st.sampled_from("eE"),
        st.sampled_from(["", "+", "-"]),
        st.integers(0, 30),
    ),
)


def _expected_value(number: str, suffix: str) -> Decimal:
    """The quantity's value, through Decimal's own exponent notation (not the code under test's path)."""
    with decimal.localcontext() as exact:
        exact.prec = 60  # 6 + 6 digits times 2^60 stay exact
        if suffix in BINARY:
            value: Decimal = Decimal(number) * BINARY[suffix]
        else:
            exponent = DECIMAL[suffix] if suffix in DECIMAL else int(suffix[1:] or 0)
            value = Decimal(f"{number}e{exponent}")
    return value


@settings(max_examples=300, deadline=None)
@given(sign=st.sampled_from(["", "+", "-"]), number=NUMBER, suffix=SUFFIX)
def test_every_kubernetes_quantity_is_read_at_its_value(sign: str, number: str, suffix: str) -> None:
    value = quantity_value(f"{sign}{number}{suffix}")
    assert value is not None, f"{sign}{number}{suffix}"
    expected = _expected_value(number, suffix)
    assert value == (expected.copy_negate() if sign == "-" else expected)


@settings(max_examples=200, deadline=None)
@given(number=NUMBER, suffix=SUFFIX.filter(bool))
def test_a_positive_whole_byte_size_with_a_unit_is_accepted(number: str, suffix: str) -> None:
    size = _expected_value(number, suffix)
    assume(0 < size < 2**63 and size == size.to_integral_value())
    loaded = _load({"postgresStorageSize": number + suffix})
    assert isinstance(loaded, StackSettings), loaded
    assert loaded.release.database.storage_size == number + suffix


@settings(deadline=None)
@given(number=NUMBER)
def test_a_size_without_a_unit_is_refused(number: str) -> None:
    assume(Decimal(number) > 0)
    assert "has no unit" in _refused({"postgresStorageSize": number})


@settings(deadline=None)
@given(
    number=NUMBER,
    suffix=SUFFIX.filter(bool),
    bad=st.sampled_from(["B", "b", "K", "g", "Mi", " ", "ki", "e"]),
)
def test_a_quantity_with_another_suffix_is_refused(number: str, suffix: str, bad: str) -> None:
    assert "Kubernetes quantity" in _refused({"postgresStorageSize": number + suffix + bad})


@settings(deadline=None)
@given(host=HOST.filter(lambda h: h != "localhost"))
def test_a_wildcard_ingress_host_is_accepted(host: str) -> None:
    loaded = _load({"ingressEnabled": "true", "ingressHost": f"*.{host}"})
    assert isinstance(loaded, StackSettings) and loaded.release.ingress.host == f"*.{host}"


@settings(deadline=None)
@given(address=st.ip_addresses(v=4), pad=st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_an_ip_address_is_never_an_ingress_host(address: object, pad: list[int]) -> None:
    # Kubernetes' sloppy reading takes leading zeros as the same address.
    host = ".".join("0" * zeros + part for zeros, part in zip(pad, str(address).split("."), strict=True))
    message = _refused({"ingressEnabled": "true", "ingressHost": host})
    assert f"{PROJECT}:ingressHost = {host!r}: is an IP address" in message


@settings(deadline=None)
@given(label=LABEL, port=st.integers(1, 65535), path=st.lists(PATH_SEGMENT, max_size=2))
def test_a_first_component_with_a_port_is_a_registry_host(label: str, port: int, path: list[str]) -> None:
    registry = f"{label}:{port}" + "".join(f"/{p}" for p in path)
    loaded = _load({"registry": registry})
    assert isinstance(loaded, StackSettings) and loaded.images.registry_server == f"{label}:{port}"


@settings(deadline=None)
@given(label=LABEL.filter(lambda v: v != "localhost"), path=st.lists(PATH_SEGMENT, max_size=2))
def test_a_first_component_without_a_dot_or_port_would_be_docker_hub(label: str, path: list[str]) -> None:
    message = _refused({"registry": label + "".join(f"/{p}" for p in path)})
    assert "would be pushed to Docker Hub" in message


@settings(deadline=None)
@given(
    name=st.sampled_from(SYSTEM_NAMESPACES) | LABEL.map(lambda label: f"kube-{label}"),
    key=st.sampled_from(["namespace", "aiOpsNamespace"]),
)
def test_no_system_namespace_is_ever_the_stacks(name: str, key: str) -> None:
    assert f"{PROJECT}:{key} = {name!r}: is a namespace of Kubernetes itself" in _refused({key: name})


FREE_TEXT_KEYS = ("openaiModel", "aiOpsModel", "kubeContext", "openaiBaseUrl")


@settings(deadline=None)
@given(key=st.sampled_from(FREE_TEXT_KEYS), extra=st.integers(1, 5000))
def test_free_text_is_bounded(key: str, extra: int) -> None:
    value = {"openaiBaseUrl": "http://llm.example.com/"}.get(key, "") + "m" * (TEXT_MAX_LENGTH + extra)
    message = _refused({key: value[: TEXT_MAX_LENGTH + extra]})
    assert f"at most {TEXT_MAX_LENGTH}" in message
