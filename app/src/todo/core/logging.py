"""Structured JSON logs with a request id, shared by the API and the MCP server.

``configure_logging`` makes every log record one JSON object on stderr. ``RequestContextMiddleware``
(plain ASGI, no framework dependency) takes ``X-Request-ID`` from the request or makes one, echoes
it in the response, puts it on every log line written while the request runs, and writes one
access line per request. It is the outermost layer, so it also turns an exception that escaped the
app into a logged error and a JSON 500 (``error_body``) instead of a dropped connection.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("todo_request_id", default=None)

access_log = logging.getLogger("todo.access")

# Attributes every LogRecord has; anything else was passed via ``extra=`` and is logged as a field.
# uvicorn's "color_message" duplicates the message with terminal colour codes.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
# Request ids from clients are echoed into logs and headers, so only harmless characters pass.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def error_body(detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error answer: what went wrong, any details, and the request id."""
    return {"detail": detail, **extra, "request_id": request_id_var.get()}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "info") -> None:
    """Route the root logger and uvicorn's loggers to one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # The middleware writes a richer access line (request id, duration); uvicorn's would duplicate it
    # and uvicorn re-enables its access logger on start-up, so drop those records at the handler.
    handler.addFilter(lambda record: record.name != "uvicorn.access")
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def uvicorn_log_config() -> dict[str, Any]:
    """A logging config for ``uvicorn.run`` that leaves our JSON handler in place."""
    return {"version": 1, "disable_existing_loggers": False}


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The body of every 500: the request id next to it is what makes "report it" possible.
INTERNAL_ERROR_DETAIL = "internal error; try again, and report the request id if it persists"

# Probes run every few seconds; logging each one would drown the useful lines.
_QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RequestContextMiddleware:
    """Request id + one JSON access line per HTTP request (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started_at = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            # Starlette re-raises after its last-resort 500; if nothing answered yet, answer here.
            # Either way the exception stops here: re-raised, uvicorn would drop the connection.
            logging.getLogger("todo.errors").error("unhandled error", exc_info=error)
            if not started:
                await _send_json(send_with_id, 500, error_body(INTERNAL_ERROR_DETAIL))
        finally:
            path = scope.get("path", "")
            if path not in _QUIET_PATHS or status >= 400:
                access_log.info(
                    "%s %s %s",
                    scope.get("method", ""),
                    path,
                    status,
                    extra={
                        "method": scope.get("method", ""),
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started_at) * 1000, 2),
                        "request_id": request_id,
                    },
                )
            request_id_var.reset(token)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
