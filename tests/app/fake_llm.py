"""TEST DOUBLE for the paid LLM API: a scripted OpenAI-compatible chat-completions server.

``FakeOpenAIServer`` is a real HTTP server on loopback that answers ``POST /v1/chat/completions``
from a script: each scripted step is either tool calls (``FakeToolCalls``) or a final text
(``FakeText``). A request with ``"stream": true`` gets the same answer as server-sent events of
``chat.completion.chunk`` objects, split the way OpenAI splits them (text in pieces, each tool
call opened with its id and name and then its arguments in fragments, ``data: [DONE]`` last).
It records every request so tests can check what the agent sent (tools offered, tool results
returned). Modes simulate trouble: ``fail_with=500`` and ``delay_seconds``.
It is NOT an LLM; it exists only so the openai engine and kubectl-ai can be tested offline.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.app.mcp_server import free_port


@dataclass(frozen=True)
class FakeToolCalls:
    """A scripted model answer that calls tools: ``[(name, arguments), ...]``."""

    calls: list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class FakeText:
    """A scripted final model answer."""

    text: str


FakeStep = FakeToolCalls | FakeText


@dataclass
class FakeOpenAIServer:
    """Scripted chat-completions endpoint on 127.0.0.1 (a test double, not a model)."""

    script: list[FakeStep] = field(default_factory=list)
    fail_with: int | None = None
    delay_seconds: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = server._answer(self.path, body)
                stream = status == 200 and bool(body.get("stream"))
                payload = _events(answer) if stream else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the slow-LLM test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, name="fake-llm", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=10)

    def _answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append({"path": path, "body": body})
            step = self.script.pop(0) if self.script and self.fail_with is None else None
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if not path.endswith("/chat/completions"):
            return 404, {"error": {"message": f"the fake LLM only serves chat completions, not {path}"}}
        if self.fail_with is not None:
            return self.fail_with, {"error": {"message": "fake LLM failure", "type": "server_error"}}
        if step is None:
            return 500, {"error": {"message": "the fake LLM's script is exhausted", "type": "server_error"}}
        message: dict[str, Any] = {"role": "assistant", "content": None}
        finish = "stop"
        if isinstance(step, FakeText):
            message["content"] = step.text
        else:
            finish = "tool_calls"
            message["tool_calls"] = [
                {
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for name, arguments in step.calls
            ]
        return 200, {
            "id": f"chatcmpl-fake-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def tool_messages(self) -> list[dict[str, Any]]:
        """Every ``role: tool`` message the agent sent back (tool results it gave the model)."""
        return [
            message
            for request in self.requests
            for message in request["body"].get("messages", [])
            if message.get("role") == "tool"
        ]


def _pieces(text: str, count: int = 3) -> list[str]:
    """``text`` cut into up to ``count`` non-empty consecutive pieces (a streamed token run)."""
    size = max(1, -(-len(text) // count))
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def _events(completion: dict[str, Any]) -> bytes:
    """A chat completion as the SSE stream OpenAI sends for it with ``stream: true``."""
    head = {key: completion[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = completion["choices"][0]
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return head | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant"})]
    if message.get("content") is not None:
        chunks += [chunk({"content": piece}) for piece in _pieces(message["content"])]
    for index, call in enumerate(message.get("tool_calls", [])):
        opening = {"index": index, "id": call["id"], "type": "function"}
        chunks.append(
            chunk(
                {"tool_calls": [opening | {"function": {"name": call["function"]["name"], "arguments": ""}}]}
            )
        )
        chunks += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in _pieces(call["function"]["arguments"])
        ]
    chunks.append(chunk({}, choice["finish_reason"]))
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()
