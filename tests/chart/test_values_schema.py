"""values.schema.json: the chart's own values pass; each kind of bad value fails with Helm naming the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.chart.helm import CHART_DIR, CI_FILES, run_helm, template_args

SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text())
GOOD_SECRETS = [
    "secrets.create=true",
    "secrets.app.values.jwtSecret=" + "j" * 32,
    "secrets.app.values.mcpToken=" + "m" * 24,
    "secrets.database.values.password=" + "p" * 16,
]

# (case id, --set / --set-string assignments, the JSON pointer Helm's error must name)
BAD_VALUES = [
    ("unknown-top-level-key", ["--set", "replicaCount=2"], "'replicaCount' not allowed"),
    ("unknown-nested-key", ["--set", "backend.replica=2"], "'replica' not allowed"),
    ("wrong-type", ["--set-string", "backend.replicas=three"], "/backend/replicas"),
    ("wrong-type-bool", ["--set-string", "networkPolicy.enabled=yes"], "/networkPolicy/enabled"),
    ("negative-replicas", ["--set", "mcp.replicas=-1"], "/mcp/replicas"),
    ("nodeport-too-low", ["--set", "frontend.service.nodePort=8080"], "/frontend/service/nodePort"),
    ("nodeport-too-high", ["--set", "frontend.service.nodePort=32768"], "/frontend/service/nodePort"),
    ("unknown-service-type", ["--set", "frontend.service.type=External"], "/frontend/service/type"),
    ("unknown-database-mode", ["--set", "postgresql.mode=sqlite"], "/postgresql/mode"),
    (
        "external-without-url-secret",
        ["--set", "postgresql.mode=external", "--set", "secrets.database.existingSecret="],
        "/secrets/database/existingSecret",
    ),
    (
        "external-create-without-url",
        ["--set", "postgresql.mode=external", *[a for s in GOOD_SECRETS for a in ("--set", s)]],
        "/secrets/database/values/url",
    ),
    ("unknown-engine", ["--set", "agent.engine=gpt"], "/agent/engine"),
    ("bad-digest", ["--set", "images.backend.digest=latest"], "/images/backend/digest"),
    # Through the shared shapes ($defs/workload, $defs/probe, $defs/image), for any workload.
    ("shared-shape-negative-replicas", ["--set", "frontend.replicas=-1"], "/frontend/replicas"),
    (
        "shared-shape-bad-probe",
        ["--set", "mcp.probes.liveness.periodSeconds=0"],
        "/mcp/probes/liveness/periodSeconds",
    ),
    ("shared-shape-unknown-probe-key", ["--set", "mcp.probes.readiness.path=/x"], "'path' not allowed"),
    ("shared-shape-bad-image-digest", ["--set", "images.mcp.digest=latest"], "/images/mcp/digest"),
    ("another-workloads-key", ["--set", "frontend.databasePool.size=3"], "'databasePool' not allowed"),
    ("frontend-only-key", ["--set", "mcp.service.type=NodePort"], "'service' not allowed"),
    ("create-without-jwt-secret", ["--set", "secrets.create=true"], "/secrets/app/values/jwtSecret"),
    (
        "create-with-non-alphanumeric-password",
        [
            *[a for s in GOOD_SECRETS[:3] for a in ("--set", s)],
            "--set",
            "secrets.database.values.password=p@ss:word/0123456789",
        ],
        "/secrets/database/values/password",
    ),
    (
        "openai-create-without-api-key",
        ["--set", "agent.engine=openai", *[a for s in GOOD_SECRETS for a in ("--set", s)]],
        "/secrets/llm/values/apiKey",
    ),
    ("bad-cidr", ["--set", "agent.openai.egressCIDRs[0]=everywhere"], "/agent/openai/egressCIDRs/0"),
    (
        "bad-hook-delete-policy",
        ["--set", "migrations.hookDeletePolicy=never"],
        "/migrations/hookDeletePolicy",
    ),
    ("bad-log-level", ["--set", "logLevel=verbose"], "/logLevel"),
    ("no-tmp-space", ["--set", "ephemeralStorage.tmpMi=0"], "/ephemeralStorage/tmpMi"),
    ("tmp-size-as-quantity", ["--set-string", "ephemeralStorage.tmpMi=64Mi"], "/ephemeralStorage/tmpMi"),
    ("old-tmp-size-key", ["--set", "tmpSizeLimit=64Mi"], "'tmpSizeLimit' not allowed"),
]


@pytest.mark.parametrize(("assignments", "key"), [c[1:] for c in BAD_VALUES], ids=[c[0] for c in BAD_VALUES])
def test_bad_values_fail_naming_the_key(helm: str, assignments: list[str], key: str) -> None:
    result = run_helm(helm, *template_args(), *assignments)
    assert result.returncode != 0, f"helm accepted {assignments}"
    assert "values don't meet the specifications of the schema" in result.stderr, result.stderr
    assert key in result.stderr, result.stderr


def test_good_create_mode_values_pass(helm: str) -> None:
    result = run_helm(helm, *template_args(), *[a for s in GOOD_SECRETS for a in ("--set", s)])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("values_file", [CHART_DIR / "values.yaml", *CI_FILES], ids=lambda p: p.name)
def test_values_files_validate_against_the_schema(values_file: Path) -> None:
    # The schema is also readable by other tools (the Pulumi contract test uses jsonschema like this).
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    override = yaml.safe_load(values_file.read_text())
    jsonschema.validate(_merge(defaults, override), SCHEMA)


def test_schema_is_closed_everywhere() -> None:
    """Every object with declared properties rejects unknown keys, so typos never pass silently."""
    open_objects: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            # Conditional fragments under allOf only narrow keys the main schema already closes; a
            # shared shape included through allOf is closed by each includer (the test below).
            if (
                "properties" in node
                and node.get("additionalProperties") is not False
                and "/allOf" not in path
                and path not in {f"/$defs/{name}" for name in INCLUDED_SHAPES}
            ):
                open_objects.append(path or "/")
            for key, child in node.items():
                walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}/{index}")

    walk(SCHEMA, "")
    assert not open_objects, open_objects


def _merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        merged[key] = (
            _merge(current, value) if isinstance(value, dict) and isinstance(current, dict) else value
        )
    return merged


def _includers() -> list[tuple[str, dict[str, Any], str]]:
    """(path, node, shape name) of every object that includes a $defs shape through allOf."""
    found: list[tuple[str, dict[str, Any], str]] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for part in node.get("allOf", []):
                if set(part) == {"$ref"}:
                    found.append((path, node, part["$ref"].removeprefix("#/$defs/")))
            for key, child in node.items():
                walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}/{index}")

    walk(SCHEMA, "")
    return found


# $defs shapes that leave closing to the objects including them (draft-07's additionalProperties
# sees only the properties next to it, so a closed shared shape would refuse each includer's own keys).
INCLUDED_SHAPES = {shape for _, _, shape in _includers()}


def test_included_shapes_are_closed_by_every_includer() -> None:
    """An object built on a shared shape names each of its keys (`true`: the shape validates it) and
    closes itself; a `true` for a key the shape lacks would let that key through unchecked."""
    assert INCLUDED_SHAPES == {"workload"}, INCLUDED_SHAPES
    for path, node, shape in _includers():
        keys = set(SCHEMA["$defs"][shape]["properties"])
        placeholders = {key for key, value in node["properties"].items() if value is True}
        assert node.get("additionalProperties") is False, path
        assert placeholders == keys, (path, sorted(placeholders ^ keys))


def test_schema_values_and_catalogue_name_the_same_workloads(catalogue: list[str]) -> None:
    """A workload is the chart's list entry, its values block, its schema entry and its image."""
    built_on_workload = sorted(path.removeprefix("/properties/") for path, _, _ in _includers())
    assert built_on_workload == sorted(catalogue)
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    images = SCHEMA["properties"]["images"]
    for name in catalogue:
        assert name in defaults and name in defaults["images"], name
        assert images["properties"][name] == {"$ref": "#/$defs/image"}, name
    assert sorted(images["required"]) == sorted(catalogue)
