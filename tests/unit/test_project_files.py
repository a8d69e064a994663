"""Pulumi.yaml declares every setting once; stack files set only declared keys and no plaintext secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from components import settings
from tests.unit.harness import PROJECT, REPO, project_config_declarations

STACK_FILES = sorted(REPO.glob("Pulumi.*.yaml"))


def test_project_file_runs_python_from_the_venv() -> None:
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT == settings.PROJECT
    assert project["description"]
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_every_setting_is_declared_once_with_type_description_and_default() -> None:
    declared = project_config_declarations()
    assert set(declared) == set(settings.ALL_KEYS)
    for key, spec in declared.items():
        # Pulumi's project schema allows exactly these fields in a config type declaration.
        assert set(spec) <= {"type", "description", "default", "secret", "items"}, key
        assert spec["type"] in {"string", "integer", "boolean"}, key
        assert spec.get("description"), f"{key} has no description"
        if key in settings.SECRET_KEYS:
            assert spec.get("secret") is True and "default" not in spec, f"secret {key} must have no default"
        else:
            assert "default" in spec, f"{key} has no default"
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
        expected_type = {"string": str, "integer": int, "boolean": bool}[declared[key]["type"]]
        assert isinstance(value, dict) or type(value) is expected_type, f"{full_key}: not a {expected_type}"


def test_both_environments_exist() -> None:
    assert {p.name for p in STACK_FILES} >= {"Pulumi.dev.yaml", "Pulumi.staging.yaml"}
