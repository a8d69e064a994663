"""docs/operations.md read as data, for the live tier's two runbook modules: the fenced blocks
tagged ``bash runbook:<task>`` (test_runbook.py runs them as written) and, per task section, the
kubectl-ai prompt the runbook gives users (test_runbook_ai.py runs those with kubectl-ai), plus the
deployment both run against and the few reads of it they share.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from components.names import component_name
from tests.live.deployment import Deployment, helm, start_deployment

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "docs" / "operations.md"
BLOCK = re.compile(r"^```bash runbook:(?P<task>[a-z-]+)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
SECTION = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)
# "- **kubectl-ai:** `PROMPT`", the prompt possibly wrapped over lines.
PROMPT = re.compile(r"^- \*\*kubectl-ai:\*\* `(?P<prompt>[^`]+)`", re.MULTILINE)
REGISTRY = "localhost:5000"
RAN: set[str] = set()


def runbook_blocks() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for match in BLOCK.finditer(RUNBOOK.read_text()):
        assert match["task"] not in blocks, f"two runbook blocks are tagged runbook:{match['task']}"
        blocks[match["task"]] = match["body"]
    return blocks


def run_block(deployment: Deployment, task: str, **variables: str) -> str:
    """Run the runbook's block for ``task`` as written; its stdout, or a failure with its output."""
    body = runbook_blocks()[task]
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", body],
        cwd=deployment.root,
        env={**deployment.env, "CTX": deployment.context, "REGISTRY": REGISTRY, **variables},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    RAN.add(task)
    assert done.returncode == 0, (
        f"runbook:{task} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-6000:]}"
    )
    return done.stdout


@dataclass(frozen=True)
class AiTask:
    """A task section of the runbook that gives a kubectl-ai prompt."""

    title: str
    blocks: tuple[str, ...]
    prompt: str

    def prompt_with(self, **names: str) -> str:
        """The prompt with its placeholders (POD, REVISION: upper-case words) filled in."""
        prompt = self.prompt
        for name, value in names.items():
            assert re.search(rf"\b{name}\b", prompt), f"the prompt of {self.title!r} has no {name}: {prompt}"
            prompt = re.sub(rf"\b{name}\b", value, prompt)
        return prompt


def ai_tasks() -> dict[str, AiTask]:
    """Every section with a kubectl-ai prompt, by its first runbook block's task (its plain twin)."""
    text = RUNBOOK.read_text()
    heads = list(SECTION.finditer(text))
    tasks: dict[str, AiTask] = {}
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : following.start() if following else len(text)]
        prompts = [" ".join(m["prompt"].split()) for m in PROMPT.finditer(body)]
        if not prompts:
            continue
        blocks = tuple(m["task"] for m in BLOCK.finditer(body))
        assert len(prompts) == 1 and blocks, (
            f"section {head['title']!r}: one prompt and a plain block, not {prompts}"
        )
        tasks[blocks[0]] = AiTask(head["title"], blocks, prompts[0])
    return tasks


@contextlib.contextmanager
def runbook_deployment(tmp: Path) -> Iterator[Deployment]:
    """The `dev` stack deployed as the runbook assumes; torn down after, leaving the cluster empty."""
    deployment = start_deployment(tmp, {})
    deployment.up()
    yield deployment
    if not deployment.down:
        deployment.script("down")
        deployment.down = True
        assert "namespace/todo" not in deployment.kubectl("get", "namespaces", "-o", "name").split()


def deployment_status(deployment: Deployment, component: str) -> tuple[int, int]:
    """(spec.replicas, readyReplicas) of the component's Deployment."""
    found = deployment.json("-n", "todo", "get", "deployment", component_name(deployment.release, component))
    return found["spec"]["replicas"], found["status"].get("readyReplicas", 0)


def revision(deployment: Deployment) -> int:
    """The release's current revision, which must be deployed."""
    status = json.loads(helm(deployment, "status", deployment.release, "-o", "json"))
    assert status["info"]["status"] == "deployed", status["info"]
    return int(status["version"])
