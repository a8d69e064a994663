"""scripts/up and scripts/down: a missing prerequisite gives an actionable message, never a half-run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.harness import REPO

TOOLS = ("docker", "minikube", "kubectl", "pulumi", "python3")


def _bin(tmp_path: Path, *, os_name: str | None = None, present: dict[str, int] | None = None) -> Path:
    """A PATH directory with only `uname` (real or faked) and stub tools exiting with the given codes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    uname = bin_dir / "uname"
    if os_name is None:
        uname.symlink_to(shutil.which("uname") or "/bin/uname")
    else:
        uname.write_text(f"#!/bin/sh\necho {os_name}\n")
        uname.chmod(0o755)
    for tool, code in (present or {}).items():
        stub = bin_dir / tool
        stub.write_text(f"#!/bin/sh\nexit {code}\n")
        stub.chmod(0o755)
    return bin_dir


def _run(script: str, bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(REPO / "scripts" / script), *args],
        env={"PATH": str(bin_dir), "HOME": str(bin_dir.parent)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("os_name", "hints"),
    [
        (None, ["sudo apt-get install docker.io", "get.pulumi.com", "python3-venv", "install-kubectl-linux"]),
        ("Darwin", ["brew install --cask docker", "brew install minikube", "brew install pulumi/tap/pulumi"]),
    ],
)
def test_up_names_every_missing_tool_with_how_to_install_it(
    tmp_path: Path, os_name: str | None, hints: list[str]
) -> None:
    result = _run("up", _bin(tmp_path, os_name=os_name))
    assert result.returncode == 1
    assert f"scripts/up needs {' '.join(TOOLS)}, which are not on PATH" in result.stderr
    for tool in TOOLS:
        assert f"  - {tool}: " in result.stderr
    for hint in hints:
        assert hint in result.stderr
    assert "Then run scripts/up again." in result.stderr
    assert "line " not in result.stderr and "command not found" not in result.stderr


def test_up_names_only_the_tool_that_is_missing(tmp_path: Path) -> None:
    result = _run("up", _bin(tmp_path, present={t: 0 for t in TOOLS if t != "pulumi"}))
    assert result.returncode == 1
    assert "scripts/up needs pulumi, which is not on PATH" in result.stderr
    assert "  - docker" not in result.stderr


def test_up_stops_when_the_docker_daemon_does_not_answer(tmp_path: Path) -> None:
    result = _run("up", _bin(tmp_path, present={**dict.fromkeys(TOOLS, 0), "docker": 1}))
    assert result.returncode == 1
    assert "docker is installed but its daemon does not answer" in result.stderr
    assert "systemctl start docker" in result.stderr


def test_up_refuses_an_old_python(tmp_path: Path) -> None:
    result = _run("up", _bin(tmp_path, present={**dict.fromkeys(TOOLS, 0), "python3": 1}))
    assert result.returncode == 1
    assert "needs Python 3.11 or newer" in result.stderr


def test_down_without_pulumi_says_so(tmp_path: Path) -> None:
    result = _run("down", _bin(tmp_path))
    assert result.returncode == 1
    assert "pulumi is not on PATH" in result.stderr


def test_down_rejects_unknown_options(tmp_path: Path) -> None:
    result = _run("down", _bin(tmp_path), "--delete-everything")
    assert result.returncode == 1
    assert (
        "unknown option '--delete-everything'; usage: scripts/down [--delete-cluster | --context CONTEXT]"
        in result.stderr
    )
