"""Every config error case of the mock tests, through the real CLI: the CLI's own checks (types,
secrets, required keys) and the program's messages agree, and a user sees one clear message."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.program.test_config_errors import CASES, WARNING_CASES
from tests.support.pulumi_cli import Result, Workspace


@pytest.fixture(scope="module")
def stacks(module_workspace: Workspace, standins: dict[str, str]) -> Iterator[Workspace]:
    ws = module_workspace
    ws.new_stack("dev")
    ws.new_stack("staging")
    # Should anything build, it builds from local stand-ins (never a pull from Docker Hub) into the
    # local registry, and anything created lands in a namespace of its own.
    namespace = f"engine-config-{secrets.token_hex(3)}"
    for stack in ("dev", "staging"):
        for key, image in standins.items():
            ws.set(stack, key, image)
        ws.set(stack, "namespace", namespace)
    ws.set("staging", "registry", "localhost:5000/staging")
    ws.pulumi("stack", "select", "dev")
    yield ws
    for stack in ("dev", "staging"):
        ws.pulumi("destroy", "--yes", "--stack", stack, timeout=600)


def _cli_value(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _preview_with(
    stacks: Workspace, stack: str, overrides: dict[str, object], secrets: dict[str, str]
) -> Result:
    """`pulumi preview` with the settings set through the CLI; afterwards each is as it was (the
    fixture's own namespace included), so no case previews another's config."""
    before = stacks.pulumi("config", "--json", "--show-secrets", "--stack", stack).json()
    set_keys = []
    try:
        for key, value in overrides.items():
            stacks.set(stack, key, _cli_value(value))
            set_keys.append(key)
        for key, value in secrets.items():
            stacks.set(stack, key, value, secret=True)
            set_keys.append(key)
        return stacks.pulumi("preview", "--stack", stack, check=False)
    finally:
        for key in set_keys:
            kept = before.get(key if ":" in key else f"todo-chatbot:{key}")
            if kept is None:
                stacks.pulumi("config", "rm", key, "--stack", stack)
            else:
                stacks.set(stack, key, str(kept["value"]), secret=bool(kept.get("secret")))


@pytest.mark.parametrize(("stack", "overrides", "secrets", "expected"), CASES)
def test_each_invalid_setting_gets_one_clear_message_from_the_real_cli(
    stacks: Workspace, stack: str, overrides: dict[str, object], secrets: dict[str, str], expected: list[str]
) -> None:
    preview = _preview_with(stacks, stack, overrides, secrets)
    text = preview.output
    assert preview.returncode != 0, text
    assert "Traceback" not in text and 'File "' not in text, text
    for value in secrets.values():
        assert value not in text, "a secret value was echoed"
    if "must be of type" in text:
        # The CLI's own type check (Pulumi.yaml `type:`) stops it before the program: one line naming
        # the key and the type it wants (the CLI's wording, which the program cannot improve).
        assert any(f"configuration key '{key}' must be of type" in text for key in overrides), text
        assert text.count("error:") == 1, text
    else:
        for fragment in expected:
            assert fragment in text, f"{fragment!r} missing from:\n{text[-3000:]}"


@pytest.mark.parametrize(("stack", "overrides", "secrets", "expected"), WARNING_CASES)
def test_each_unused_setting_is_one_warning_from_the_real_cli(
    stacks: Workspace, stack: str, overrides: dict[str, object], secrets: dict[str, str], expected: list[str]
) -> None:
    preview = _preview_with(stacks, stack, overrides, secrets)
    text = preview.output
    assert preview.returncode == 0, text[-3000:]
    assert "error:" not in text and "warning: todo-chatbot:" in text, text[-3000:]
    for fragment in expected:
        assert fragment in text, f"{fragment!r} missing from:\n{text[-3000:]}"
    for value in secrets.values():
        assert value not in text, "a secret value was echoed"


def test_config_set_secret_really_encrypts(stacks: Workspace) -> None:
    token = "sk-engine-tier-0123456789"
    stacks.set("dev", "openaiApiKey", token, secret=True)
    try:
        stack_file = stacks.read("Pulumi.dev.yaml")
        assert token not in stack_file
        assert "todo-chatbot:openaiApiKey:\n    secure: v1:" in stack_file
        shown = stacks.pulumi("config", "--stack", "dev").stdout
        assert token not in shown and "[secret]" in shown
        assert stacks.pulumi("config", "get", "openaiApiKey", "--stack", "dev").stdout.strip() == token
    finally:
        stacks.pulumi("config", "rm", "openaiApiKey", "--stack", "dev")


def test_a_plaintext_value_for_a_secret_key_is_refused(stacks: Workspace) -> None:
    stacks.set("dev", "databaseMode", "external")
    stacks.set("dev", "databaseUrl", "postgresql+psycopg://u:hunter2@h/db")
    try:
        preview = stacks.pulumi("preview", "--stack", "dev", check=False)
    finally:
        stacks.pulumi("config", "rm", "databaseUrl", "--stack", "dev")
        stacks.pulumi("config", "rm", "databaseMode", "--stack", "dev")
    assert preview.returncode != 0
    assert "todo-chatbot:databaseUrl = (hidden: secret): is stored in plaintext" in preview.output
    assert "pulumi config set --secret databaseUrl" in preview.output and "hunter2" not in preview.output


def test_an_unreachable_registry_stops_up_before_any_build(stacks: Workspace) -> None:
    stacks.set("dev", "registry", "127.0.0.1:9")
    try:
        up = stacks.pulumi("up", "--yes", "--stack", "dev", check=False)
    finally:
        stacks.pulumi("config", "rm", "registry", "--stack", "dev")
    assert up.returncode != 0
    assert "registry 127.0.0.1:9 does not answer" in up.output and "pulumi config set registry" in up.output
    assert "Traceback" not in up.output, up.output[up.output.find("Traceback") - 2000 :][:5000]
    update = up.output[up.output.index("Updating (dev)") :]
    assert "images-backend" not in update, "an image was built or pushed after the preflight failed"
