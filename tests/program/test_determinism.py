"""A no-op `pulumi up` plans no change; one service's change reaches only its own image and values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.program.conftest import STAGING_SECRETS
from tests.program.harness import IMAGE, REPO, ProgramRun, run_program, unwrap


def _snapshot(run: ProgramRun) -> list[dict[str, Any]]:
    """Every resource's identity, parent, dependencies and inputs: what the engine diffs."""
    return [
        {
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "provider": r.provider,
            "dependencies": sorted(r.dependencies),
            "inputs": json.dumps(unwrap(r.inputs), sort_keys=True),
        }
        for r in sorted(run.registrations, key=lambda r: r.urn)
    ]


def _images(run: ProgramRun) -> dict[str, str]:
    return {r.name.removeprefix("images-"): unwrap(r.inputs)["imageName"] for r in run.of_type(IMAGE)}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_two_runs_declare_identical_inputs(context: Path, tmp_path: Path, stack: str) -> None:
    secrets = STAGING_SECRETS if stack == "staging" else {}
    first = _snapshot(run_program(stack, secret_config=secrets, context=context))
    assert first == _snapshot(run_program(stack, secret_config=secrets, context=context))
    # Another checkout at another absolute path: no machine-specific path may leak into an input.
    elsewhere = shutil.copytree(context, tmp_path / "another" / "checkout")
    moved = _snapshot(run_program(stack, secret_config=secrets, context=elsewhere))
    assert moved == first
    assert str(tmp_path) not in json.dumps(moved)


@pytest.mark.parametrize(
    ("changed_file", "rebuilt"),
    [
        ("frontend/src/main.tsx", {"frontend"}),
        ("frontend/nginx/start.sh", {"frontend"}),
        ("app/src/todo/api/routes.py", {"backend"}),
        ("app/requirements/backend.txt", {"backend"}),  # read through RUN --mount=type=bind
        ("app/src/todo/mcp/server.py", {"mcp"}),
        ("app/src/todo/core/tasks.py", {"backend", "mcp"}),  # shared by both images
        ("dockerfiles/mcp.Dockerfile", {"mcp"}),
        ("app/README.md", set()),  # in no image
        ("frontend/node_modules/react/index.js", set()),  # .dockerignore'd
        ("app/src/todo/core/__pycache__/tasks.cpython-313.pyc", set()),  # .dockerignore'd
    ],
)
def test_a_change_rolls_exactly_the_images_that_contain_it(
    context: Path, changed_file: str, rebuilt: set[str]
) -> None:
    before = run_program("dev", context=context)
    with (context / changed_file).open("a") as handle:
        handle.write("\n# changed\n")
    after = run_program("dev", context=context)

    old, new = _images(before), _images(after)
    assert {service for service in old if old[service] != new[service]} == rebuilt
    old_values, new_values = before.release_values(), after.release_values()
    changed_keys = {key for key in old_values if old_values[key] != new_values[key]}
    assert changed_keys == ({"images"} if rebuilt else set())
    changed_images = {s for s in old_values["images"] if old_values["images"][s] != new_values["images"][s]}
    assert changed_images == rebuilt


def test_touching_a_file_without_changing_it_changes_nothing(context: Path) -> None:
    before = _snapshot(run_program("dev", context=context))
    target = context / "app/src/todo/api/routes.py"
    target.write_text(target.read_text())  # new mtime, same bytes
    assert _snapshot(run_program("dev", context=context)) == before


def test_the_executable_bit_is_part_of_the_content(context: Path) -> None:
    before = _images(run_program("dev", context=context))
    (context / "frontend/nginx/start.sh").chmod(0o644)
    after = _images(run_program("dev", context=context))
    assert {s for s in before if before[s] != after[s]} == {"frontend"}


@pytest.fixture
def real_checkout(tmp_path: Path) -> Path:
    """A copy of the repository's real build inputs (Dockerfiles, .dockerignore, app, frontend, chart)."""
    root = tmp_path / "checkout"
    skip = shutil.ignore_patterns("node_modules", "dist", "__pycache__", ".venv", "coverage")
    for name in ("dockerfiles", "app", "frontend", "charts"):
        shutil.copytree(REPO / name, root / name, ignore=skip)
    shutil.copy2(REPO / ".dockerignore", root / ".dockerignore")
    return root


@pytest.mark.parametrize(
    ("changed_file", "rebuilt"),
    [
        ("frontend/src/main.tsx", {"frontend"}),
        ("frontend/nginx/start.sh", {"frontend"}),
        ("app/src/todo/core/tasks.py", {"backend", "mcp"}),
        ("app/requirements/mcp.txt", {"mcp"}),
        ("app/requirements/api.txt", {"backend"}),
        ("dockerfiles/backend.Dockerfile", {"backend"}),
    ],
)
def test_real_dockerfiles_roll_exactly_the_images_that_contain_a_change(
    real_checkout: Path, changed_file: str, rebuilt: set[str]
) -> None:
    before = run_program("dev", context=real_checkout)
    assert _snapshot(before) == _snapshot(run_program("dev", context=real_checkout))
    with (real_checkout / changed_file).open("a") as handle:
        handle.write("\n")
    old, new = _images(before), _images(run_program("dev", context=real_checkout))
    assert {service for service in old if old[service] != new[service]} == rebuilt
