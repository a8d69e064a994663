"""Every ci scenario, and the defaults, renders byte for byte what tests/chart/golden/ holds.

A refactor of the templates must leave `helm template` output unchanged; this makes that provable.
A deliberate change of the rendered output regenerates the files, and their diff is then reviewed
with the change:

    TODO_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/chart/test_golden.py -q
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from tests.chart.helm import CI_FILES, run_helm, template_args

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("TODO_UPDATE_GOLDEN") == "1"
VALUES_FILES = {"defaults": None, **{path.stem: path for path in CI_FILES}}


def _documents(stream: str) -> list[str]:
    return stream.split("\n---\n")


def test_every_scenario_has_a_golden_file() -> None:
    stale = sorted({path.stem for path in GOLDEN_DIR.glob("*.yaml")} - set(VALUES_FILES))
    assert not stale, f"golden files without a ci scenario (delete them): {stale}"


def test_render_matches_golden(helm: str, scenario: str) -> None:
    values_file = VALUES_FILES[scenario]
    result = run_helm(helm, *template_args([values_file] if values_file else None))
    assert result.returncode == 0, result.stderr
    golden = GOLDEN_DIR / f"{scenario}.yaml"
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden.write_text(result.stdout)
        return
    assert golden.exists(), (
        f"{golden} is missing; create it with TODO_UPDATE_GOLDEN=1 (see this file's docstring)"
    )
    expected = golden.read_text()
    if result.stdout == expected:
        return
    if sorted(_documents(result.stdout)) == sorted(_documents(expected)):
        pytest.fail(f"{scenario}: the same documents as {golden.name}, in a different order")
    diff = difflib.unified_diff(
        expected.splitlines(), result.stdout.splitlines(), f"golden/{golden.name}", "rendered", lineterm=""
    )
    pytest.fail(
        f"{scenario} renders differently from {golden.name} (TODO_UPDATE_GOLDEN=1 accepts a deliberate"
        " change):\n" + "\n".join(list(diff)[:200])
    )
