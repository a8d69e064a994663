"""Invalid stack config stops the program before any resource exists, with a message a user can act on."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from components.settings import ConfigError
from tests.program.conftest import STAGING_SECRETS
from tests.program.harness import ProgramRun, run_program

CASES = [
    # (stack, overrides, secrets, expected fragments of the message)
    (
        "dev",
        {"backendReplicas": -1},
        {},
        ["todo-chatbot:backendReplicas = '-1'", "whole number from 1 to 20"],
    ),
    ("dev", {"frontendReplicas": "two"}, {}, ["frontendReplicas = 'two'", "whole number from 1 to 20"]),
    ("dev", {"agentEngine": "gpt"}, {}, ["agentEngine = 'gpt'", "must be one of rules, openai"]),
    (
        "dev",
        {"agentEngine": "openai"},
        {},
        [
            "openaiApiKey = (not set)",
            "required because agentEngine is openai",
            "config set --secret openaiApiKey",
        ],
    ),
    ("dev", {"registry": "todo"}, {}, ["registry = 'todo'", "must start with a registry host"]),
    (
        "dev",
        {"registry": "https://localhost:5000"},
        {},
        ["registry = 'https://localhost:5000'", "without a scheme"],
    ),
    ("dev", {"nodePort": 8080}, {}, ["nodePort = '8080'", "must be from 30000 to 32767"]),
    ("dev", {"platform": "windows/amd64"}, {}, ["platform = 'windows/amd64'", "linux/amd64, linux/arm64"]),
    ("dev", {"buildOnPreview": "yes"}, {}, ["buildOnPreview = 'yes'", "must be true or false"]),
    (
        "dev",
        {"frontendServiceType": "Ingress"},
        {},
        ["frontendServiceType = 'Ingress'", "NodePort, ClusterIP"],
    ),
    ("dev", {"namespace": "Todo_App"}, {}, ["namespace = 'Todo_App'", "DNS label"]),
    ("dev", {"helmTimeoutSeconds": 5}, {}, ["helmTimeoutSeconds = '5'", "from 60 to 3600"]),
    ("dev", {"postgresStorageSize": "lots"}, {}, ["postgresStorageSize = 'lots'", "Kubernetes quantity"]),
    ("dev", {"ingressEnabled": True}, {}, ["ingressHost = ''", "required when ingressEnabled is true"]),
    ("dev", {"openaiBaseUrl": "api.openai.com"}, {}, ["openaiBaseUrl = 'api.openai.com'", "http(s)://"]),
    ("dev", {"databaseMode": "neon"}, {}, ["databaseMode = 'neon'", "inCluster, external"]),
    (
        "dev",
        {"databaseMode": "external"},
        {},
        [
            "databaseUrl = (not set)",
            "required because databaseMode is external",
            "config set --secret databaseUrl",
        ],
    ),
    (
        "dev",
        {"databaseMode": "external"},
        {"databaseUrl": "mysql://u:p@h/db"},
        ["databaseUrl = (hidden: secret)", "must start with postgresql+psycopg://"],
    ),
    ("dev", {"replica": 2}, {}, ["todo-chatbot:replica = '2' is not a setting", "did you mean"]),
    ("dev", {"registryUsername": "bot"}, {}, ["registryPassword = (not set)", "registryUsername is 'bot'"]),
    # The committed staging stack without its secrets: names both missing keys and how to set them.
    (
        "staging",
        {},
        {},
        [
            "stack 'staging' has 2 invalid setting(s)",
            "registryPassword = (not set)",
            "databaseUrl = (not set)",
            "pulumi config set --secret databaseUrl <value> --stack staging",
        ],
    ),
    (
        "staging",
        {},
        {"registryPassword": "fake-token-x1"},
        ["has 1 invalid setting(s)", "databaseUrl = (not set)"],
    ),
    (
        "dev",
        {"agentEngine": "openai", "openaiApiKey": "sk-in-plain-text"},
        {},
        [
            "openaiApiKey = (hidden: secret): is stored in plaintext",
            "pulumi config set --secret openaiApiKey",
        ],
    ),
    (
        "dev",
        {"pythonBaseImage": "http://mirror/python"},
        {},
        ["pythonBaseImage = 'http://mirror/python'", "image reference"],
    ),
    ("dev", {"postgresImage": "postgres:17\n"}, {}, ["postgresImage = 'postgres:17\\n'", "image reference"]),
    # Whole values only: a pasted newline, digits of another kind, half a URL, an empty path segment.
    ("dev", {"namespace": "todo\n"}, {}, ["namespace = 'todo\\n'", "control character", "DNS label"]),
    ("dev", {"backendReplicas": "2_0"}, {}, ["backendReplicas = '2_0'", "ASCII digits only"]),
    ("dev", {"openaiBaseUrl": "http://"}, {}, ["openaiBaseUrl = 'http://'", "complete http(s):// URL"]),
    ("dev", {"registry": "localhost:5000/"}, {}, ["registry = 'localhost:5000/'", "empty path segment"]),
    ("dev", {"postgresStorageSize": "0Gi"}, {}, ["postgresStorageSize = '0Gi'", "more than 0"]),
    (
        "dev",
        {"todo-chatbt:replicas": 2},
        {},
        ["todo-chatbt:replicas = '2' is not a todo-chatbot key", "did you mean todo-chatbot:"],
    ),
    (
        "dev",
        {"aiOpsEnabled": True},
        {},
        [
            "openaiApiKey = (not set)",
            "required because aiOpsEnabled is true",
            "pulumi config set --secret openaiApiKey <value> --stack dev",
        ],
    ),
    (
        "dev",
        {"aiOpsEnabled": True, "aiOpsKagentVersion": "1.0.1"},
        {"openaiApiKey": "sk-fake-aiops"},
        ["aiOpsKagentVersion = '1.0.1'", "kagent 0.9.x or 0.10.x chart version", "v1alpha2"],
    ),
    (
        "dev",
        # Both set: the case must not lean on whatever namespace a stack (or the engine fixture) has.
        {"aiOpsEnabled": True, "namespace": "todo-shared", "aiOpsNamespace": "todo-shared"},
        {"openaiApiKey": "sk-fake-aiops"},
        ["aiOpsNamespace = 'todo-shared'", "must differ from namespace ('todo-shared')"],
    ),
    (
        "dev",
        {"nginxBaseImage": "nginx@sha256:abc"},
        {},
        ["nginxBaseImage = 'nginx@sha256:abc'", "64 hex digits"],
    ),
    # Values that would hurt later: a credential in plain config, a system namespace, provider config
    # the program overrides, what Kubernetes refuses only at apply, a size of a few bytes.
    (
        "dev",
        {"agentEngine": "openai", "openaiBaseUrl": "https://bot:hunter2@llm.example.com/v1"},
        {"openaiApiKey": "sk-fake-key-9"},
        [
            "openaiBaseUrl = 'https://***@llm.example.com/v1': carries a credential",
            "pulumi config set --secret openaiApiKey",
            "Fix: pulumi config set openaiBaseUrl <value> --stack dev",
        ],
    ),
    (
        "dev",
        {"namespace": "default"},
        {},
        ["namespace = 'default': is a namespace of Kubernetes itself", "pulumi config set namespace"],
    ),
    (
        "dev",
        {"aiOpsEnabled": True, "aiOpsNamespace": "kube-system"},
        {"openaiApiKey": "sk-fake-aiops"},
        ["aiOpsNamespace = 'kube-system': is a namespace of Kubernetes itself"],
    ),
    (
        "dev",
        {"kubernetes:context": "other"},
        {},
        [
            "kubernetes:context = 'other' is ignored",
            "pulumi config rm kubernetes:context --stack dev, then pulumi config set kubeContext <context>",
        ],
    ),
    (
        "dev",
        {"ingressEnabled": True, "ingressHost": "192.168.49.2"},
        {},
        ["ingressHost = '192.168.49.2': is an IP address", "pulumi config set ingressHost"],
    ),
    ("dev", {"postgresStorageSize": "10"}, {}, ["postgresStorageSize = '10': has no unit", "10Gi"]),
]

# Settings that are set but unused: the program goes on, and warns once per setting, secrets hidden.
WARNING_CASES = [
    # (stack, overrides, secrets, expected fragments of the warning)
    (
        "dev",
        {},
        {"databaseUrl": "postgresql+psycopg://u:p@h/db"},
        [
            "todo-chatbot:databaseUrl = (hidden: secret): is not used because databaseMode is inCluster",
            "Fix: pulumi config rm databaseUrl --stack dev",
        ],
    ),
    (
        "dev",
        {"ingressHost": "todo.example.com"},
        {},
        [
            "todo-chatbot:ingressHost = 'todo.example.com': is not used because ingressEnabled is false",
            "Fix: pulumi config rm ingressHost --stack dev",
        ],
    ),
    (
        "dev",
        {"openaiBaseUrl": "http://llm.example.com/v1"},
        {},
        ["openaiBaseUrl = 'http://llm.example.com/v1': is not used because agentEngine is rules"],
    ),
]


@pytest.mark.parametrize(("stack", "overrides", "secrets", "expected"), CASES)
def test_invalid_config_stops_before_any_resource(
    context: Path, stack: str, overrides: dict[str, object], secrets: dict[str, str], expected: list[str]
) -> None:
    declared = ProgramRun()
    with pytest.raises(ConfigError) as caught:
        run_program(stack, overrides, secret_config=secrets, context=context, record=declared)
    assert declared.registrations == [], "resources were declared before the config was validated"
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} missing from:\n{message}"
    # A RunError: Pulumi's language host prints the message alone, without a Python traceback.
    assert isinstance(caught.value, pulumi.RunError)


@pytest.mark.parametrize(("stack", "overrides", "secrets", "expected"), WARNING_CASES)
def test_an_unused_setting_is_a_warning_and_the_program_goes_on(
    context: Path,
    monkeypatch: pytest.MonkeyPatch,
    stack: str,
    overrides: dict[str, object],
    secrets: dict[str, str],
    expected: list[str],
) -> None:
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    run = run_program(stack, overrides, secret_config=secrets, context=context)
    assert run.registrations, "the program declared nothing"
    unused = [message for message in warned if "is not used because" in message]
    assert len(unused) == 1, warned
    for fragment in expected:
        assert fragment in unused[0], f"{fragment!r} missing from {unused[0]!r}"
    for value in secrets.values():
        assert value not in unused[0]


def test_a_credential_in_a_url_is_never_echoed(context: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program(
            "dev", {"openaiBaseUrl": "https://llm.example.com/v1?api_key=hunter2-plain"}, context=context
        )
    assert "hunter2" not in str(caught.value) and "api_key=***" in str(caught.value)


def test_every_problem_is_reported_at_once(context: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        run_program("dev", {"mcpReplicas": 0, "platform": "arm", "nodePort": 99999}, context=context)
    message = str(caught.value)
    assert "has 3 invalid setting(s)" in message
    for key in ("mcpReplicas", "platform", "nodePort"):
        assert f"todo-chatbot:{key}" in message


def test_secret_values_never_appear_in_messages(context: Path) -> None:
    leaked = "mysql://admin:hunter2-very-secret@db/x"
    with pytest.raises(ConfigError) as caught:
        run_program(
            "dev", {"databaseMode": "external"}, secret_config={"databaseUrl": leaked}, context=context
        )
    assert "hunter2" not in str(caught.value)


def test_staging_with_its_secrets_is_valid(context: Path) -> None:
    run_program("staging", secret_config=STAGING_SECRETS, context=context)


def test_missing_dockerfile_is_reported_before_any_resource(context: Path) -> None:
    (context / "dockerfiles/mcp.Dockerfile").unlink()
    declared = ProgramRun()
    with pytest.raises(
        pulumi.RunError, match=r"dockerfiles/mcp.Dockerfile not found under .*run pulumi from"
    ):
        run_program("dev", context=context, record=declared)
    assert declared.registrations == []
