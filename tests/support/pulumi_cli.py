"""The real Pulumi CLI on a scratch copy of the project: the engine and live tiers and the engine
benchmark drive it through this module (its own backend, home and passphrase per workspace)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
# Contexts the committed stacks name (dev: Pulumi.yaml's default; staging: its stack file), both
# bound here to the local API server; `unreachable` points at a closed loopback port.
STACK_CONTEXTS = ("minikube", "staging")
UNREACHABLE_CONTEXT = "unreachable"


@dataclass(frozen=True)
class Result:
    """One CLI run: exit code, both streams and wall time."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Workspace:
    """A scratch copy of the project driven by the real `pulumi` CLI with its own backend and home."""

    root: Path
    env: dict[str, str]
    log: list[Result] = field(default_factory=list)

    def pulumi(self, *args: str, check: bool = True, timeout: float = 900, **env: str) -> Result:
        start = time.monotonic()
        done = subprocess.run(
            ["pulumi", "--non-interactive", *args],
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = Result(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - start)
        self.log.append(result)
        if check and done.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} failed ({done.returncode}):\n{result.output[-6000:]}"
            )
        return result

    def new_stack(self, stack: str) -> None:
        self.pulumi("stack", "init", stack)

    def set(self, stack: str, key: str, value: str, *, secret: bool = False) -> None:
        flags = ["--secret"] if secret else ["--plaintext"]
        # `--` first: a value like -1 is a value, not a flag.
        self.pulumi("config", "set", *flags, "--stack", stack, "--", key, value)

    def preview(self, stack: str, *args: str, check: bool = True) -> Result:
        return self.pulumi("preview", "--stack", stack, "--json", *args, check=check)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()


def copy_project(dest: Path) -> Path:
    """The files git tracks or would track (the project as a fresh clone plus uncommitted work)."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = raw.decode()
        source = REPO / rel
        if source.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # The program's venv (Pulumi.yaml: virtualenv .venv) is the project's, not a copy.
    (dest / ".venv").symlink_to(REPO / ".venv")
    return dest


def write_kubeconfig(source: str, dest: Path) -> Path:
    """The cluster's admin kubeconfig with one context per name the stacks use, plus `unreachable`."""
    view = subprocess.run(
        ["kubectl", "config", "view", "--raw", "--flatten", "--minify", "--kubeconfig", source],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config = yaml.safe_load(view)
    context = config["contexts"][0]["context"]
    cluster = config["clusters"][0]
    config["contexts"] = [{"name": name, "context": dict(context)} for name in STACK_CONTEXTS]
    closed = {"name": "closed-port", "cluster": {**cluster["cluster"], "server": "https://127.0.0.1:9"}}
    config["clusters"].append(closed)
    config["contexts"].append({"name": UNREACHABLE_CONTEXT, "context": {**context, "cluster": "closed-port"}})
    config["current-context"] = UNREACHABLE_CONTEXT  # a stack must never fall back to it
    dest.write_text(yaml.safe_dump(config))
    dest.chmod(0o600)
    return dest


def make_workspace(tmp: Path, kubeconfig: Path) -> Workspace:
    root = copy_project(tmp / "project")
    (tmp / "home").mkdir()
    (tmp / "state").mkdir()
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        # The engine's home (scripts/toolchain/engine.sh) holds the providers installed as plugins.
        "PULUMI_HOME": os.environ.get("PULUMI_HOME") or str(tmp / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "NO_COLOR": "1",
    }
    env.pop("PULUMI_ACCESS_TOKEN", None)
    env.pop("TODO_PREFLIGHT", None)  # the real program always checks the registry and the cluster
    return Workspace(root=root, env=env)


def planned(preview: Result) -> dict[str, list[str]]:
    """`pulumi preview --json` as {operation: [resource name, ...]}, component and stack steps included."""
    steps: dict[str, list[str]] = {}
    for step in preview.json().get("steps", []):
        steps.setdefault(step["op"], []).append(step["urn"].rsplit("::", 1)[1])
    return {op: sorted(names) for op, names in steps.items()}


def changes(preview: Result) -> dict[str, int]:
    """The preview's change summary, e.g. {"create": 16} or {"same": 15, "update": 1}."""
    summary: dict[str, int] = preview.json().get("changeSummary", {})
    return summary


def retagged(steps: list[dict[str, Any]]) -> set[str]:
    """Names of the resources whose `imageName` (the content tag) a preview's steps change."""
    return {
        step["urn"].rsplit("::", 1)[1]
        for step in steps
        if step["op"] != "same"
        and step.get("oldState", {}).get("inputs", {}).get("imageName")
        != step.get("newState", {}).get("inputs", {}).get("imageName")
    }


def release_objects(preview: dict[str, Any]) -> str:
    """The release's object diff a `pulumi preview --json` logged (components/release_preview.py),
    or "" when it logged none (a no-op)."""
    messages = [
        str(d.get("message", "")).strip()
        for d in preview.get("diagnostics", [])
        if str(d.get("message", "")).lstrip().startswith("release objects:")
    ]
    assert len(messages) <= 1, messages
    return messages[0] if messages else ""
