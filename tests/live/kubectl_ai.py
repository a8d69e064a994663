"""Drives the REAL kubectl-ai binary (built by `scripts/kubectl-ai build`) the two ways
docs/operations.md tells users to run it, with the runbook's kubeconfig, against a
FakeOpenAIServer scripted with the tool calls a model would make (a test double for the paid LLM).

- ``ask``: one prompt with ``--quiet``, the read-only use: kubectl-ai runs the commands it
  classifies as read-only and refuses any other, exiting 1.
- ``converse``: the interactive session in a pseudo-terminal; each approval request kubectl-ai
  shows is answered (yes or no) the way a user would type it, then the session is ended with Ctrl-D.

kubectl-ai runs each command itself (bash -c, KUBECONFIG set to its --kubeconfig), so what a
scripted tool call does to the cluster is real.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.app.fake_llm import FakeOpenAIServer

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
APPROVAL = "require your approval to run"
PROCEED = "Do you want to proceed"
CHOICE = "Enter your choice:"
NEXT_PROMPT = ">>>"
REFUSED = "RunOnce mode cannot handle permission requests"
TIMEOUT = 300.0


def binary() -> str:
    """The built kubectl-ai, from `scripts/test live`; skips with the command that builds it."""
    path = os.environ.get("TODO_KUBECTL_AI", "")
    if not path:
        pytest.skip(
            os.environ.get("TODO_KUBECTL_AI_MISSING")
            or "TODO_KUBECTL_AI is not set: run the live tier through `scripts/test live`"
        )
    return path


@dataclass
class Answer:
    """What kubectl-ai printed (escape sequences removed) and how it ended."""

    output: str
    returncode: int
    # Per approval request, the commands it listed (as kubectl-ai describes them).
    approvals: list[list[str]] = field(default_factory=list)

    def ran(self) -> list[str]:
        """The commands it reported running, in order."""
        return [
            line.strip().removeprefix("Running: ") for line in self.output.splitlines() if "Running: " in line
        ]


@dataclass
class KubectlAI:
    """kubectl-ai with the runbook's kubeconfig and nothing of the user's own configuration."""

    path: str
    kubeconfig: Path
    home: Path
    env: dict[str, str]

    def _environment(self, llm: FakeOpenAIServer) -> dict[str, str]:
        environment = {key: value for key, value in self.env.items() if key != "KUBECONFIG"}
        self.home.mkdir(parents=True, exist_ok=True)
        return environment | {
            # The OpenAI-compatible endpoint kubectl-ai's openai provider reads (gollm/openai.go).
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "OPENAI_ENDPOINT": llm.base_url,
            # No config.yaml, tools.yaml, trace or log of the user's: all under this test's home.
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "TMPDIR": str(self.home),
            "NO_COLOR": "1",
            "TERM": "dumb",
        }

    def _command(self, *flags: str) -> list[str]:
        return [
            self.path,
            "--kubeconfig",
            str(self.kubeconfig),
            "--llm-provider=openai",
            "--model=fake",
            *flags,
        ]

    def ask(self, llm: FakeOpenAIServer, prompt: str) -> Answer:
        """`kubectl-ai --kubeconfig FILE --quiet PROMPT`: the read-only use."""
        done = subprocess.run(
            self._command("--quiet", prompt),
            env=self._environment(llm),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        return Answer(ANSI.sub("", done.stdout + done.stderr), done.returncode)

    def converse(self, llm: FakeOpenAIServer, prompt: str, approve: list[bool]) -> Answer:
        """`kubectl-ai --kubeconfig FILE PROMPT` in a terminal: answers the approval requests in
        turn with ``approve`` (True: "yes", False: "no"), then ends the session with Ctrl-D."""
        leader, follower = pty.openpty()
        # Wide enough that no command in an approval request is wrapped (the window is 0x0 otherwise).
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        process = subprocess.Popen(
            self._command(prompt),
            env=self._environment(llm),
            stdin=follower,
            stdout=follower,
            stderr=follower,
            start_new_session=True,
        )
        os.close(follower)
        screen = _Screen(leader, process)
        answers = list(approve)
        approvals: list[list[str]] = []
        try:
            while True:
                seen = screen.until(CHOICE, NEXT_PROMPT)
                if seen == NEXT_PROMPT:
                    break
                request = screen.text[screen.text.rfind(APPROVAL) : screen.seen].split(PROCEED)[0]
                approvals.append([" ".join(item.split()) for item in request.split("•")[1:]])
                assert answers, f"kubectl-ai asked for an approval the test did not expect:\n{screen.text}"
                os.write(leader, b"yes\r" if answers.pop(0) else b"no\r")
                screen.until("\n")  # readline redraws its prompt on every key until Enter
            assert not answers, f"kubectl-ai asked for fewer approvals than expected:\n{screen.text}"
            os.write(leader, b"\x04")
            returncode = process.wait(timeout=30)
            screen.drain()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            os.close(leader)
        return Answer(screen.text, returncode, approvals)


def tool_results(llm: FakeOpenAIServer) -> list[dict[str, Any]]:
    """What kubectl-ai sent the model back, once per tool call, in order: each command's result
    (``command``, ``stdout``, ``stderr``, ``exit_code``, ``error``) as kubectl-ai reports it."""
    results: dict[str, dict[str, Any]] = {}
    for message in llm.tool_messages():
        results.setdefault(message["tool_call_id"], json.loads(message["content"]))
    return list(results.values())


class _Screen:
    """The terminal's output so far, read as it comes."""

    def __init__(self, leader: int, process: subprocess.Popen[bytes]) -> None:
        self.leader, self.process = leader, process
        self.raw = b""
        self.seen = 0

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw.decode(errors="replace"))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.leader], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.leader, 65536)
        except OSError:  # EIO: the process closed the terminal
            return False
        self.raw += data
        return bool(data)

    def until(self, *markers: str) -> str:
        """Reads until one of ``markers`` appears after what earlier calls consumed; returns it."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            text = self.text
            found = [(text.find(m, self.seen), m) for m in markers if text.find(m, self.seen) >= 0]
            if found:
                position, marker = min(found)
                self.seen = position + len(marker)
                return marker
            if not self._read(1) and self.process.poll() is not None:
                break
        raise AssertionError(
            f"kubectl-ai never showed any of {markers} (exit {self.process.poll()}):\n{self.text}"
        )

    def drain(self) -> None:
        while self._read(0.2):
            if not select.select([self.leader], [], [], 0.2)[0]:
                return
