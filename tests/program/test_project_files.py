"""Pulumi.yaml declares every setting once; stack files set only declared keys and no plaintext secret."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from components import settings
from tests.program.harness import PROJECT, REPO, project_config_declarations

STACK_FILES = sorted(
    path
    for path in REPO.glob("Pulumi.*.yaml")
    if path.name != "Pulumi.dev.yaml"  # dev: per user
)


def test_project_file_runs_python_from_the_venv() -> None:
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT == settings.PROJECT
    assert project["description"]
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_every_setting_is_declared_once_with_type_description_and_default() -> None:
    declared = project_config_declarations()
    for key, spec in declared.items():
        # Pulumi's project schema allows exactly these fields in a config type declaration.
        assert set(spec) <= {"type", "description", "default", "secret", "items"}, key
        assert spec["type"] in {"string", "integer", "boolean"}, key
        assert spec.get("description"), f"{key} has no description"
        # The real CLI refuses to run a stack lacking a key declared without a default, secrets too.
        assert "default" in spec, f"{key} has no default"
        if key in settings.SECRET_KEYS:
            # Not `secret: true`: the CLI then rejects its own plaintext default (the program enforces it).
            assert "secret" not in spec and spec["default"] == "", f"secret {key} must default to empty"
            assert spec["description"].startswith("SECRET.") and "--secret" in spec["description"], key
        python_type = {"string": str, "integer": int, "boolean": bool}[spec["type"]]
        assert type(spec["default"]) is python_type, f"{key}'s default is not a {spec['type']}"


def test_code_repeats_no_default() -> None:
    source = (REPO / "components" / "settings.py").read_text()
    # Defaults come from Pulumi.yaml through the CLI; a `get(key, default)` here would be a second source.
    assert not re.search(r"\.get(_secret|_int|_bool)?\([^)]*,", source)


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_stack_files_set_only_declared_keys_and_no_plaintext_secret(stack_file: Path) -> None:
    config = yaml.safe_load(stack_file.read_text())["config"]
    declared = project_config_declarations()
    for full_key, value in config.items():
        namespace, _, key = full_key.partition(":")
        assert namespace == PROJECT and key in declared, f"{stack_file.name}: unknown key {full_key}"
        if key in settings.SECRET_KEYS:
            assert isinstance(value, dict) and set(value) == {"secure"}, f"{full_key} is not encrypted"
        # The CLI's own form (every value a string): its first save of the file adds lines, rewrites none.
        assert isinstance(value, dict | str), f"{full_key}: write it as a quoted string, as the CLI does"
        if isinstance(value, str) and declared[key]["type"] == "integer":
            assert value.isdigit(), f"{full_key}: not a whole number"
        if isinstance(value, str) and declared[key]["type"] == "boolean":
            assert value in ("true", "false"), f"{full_key}: not true or false"


def test_dev_is_the_defaults_and_staging_is_committed() -> None:
    # dev = Pulumi.yaml's defaults; its stack file is per user (salt, own secrets) and ignored by git.
    assert {p.name for p in STACK_FILES} >= {"Pulumi.staging.yaml"}
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "Pulumi.*.yaml"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "Pulumi.dev.yaml" not in tracked
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "Pulumi.dev.yaml"], check=False)
    assert ignored.returncode == 0, "Pulumi.dev.yaml must be ignored by git"
