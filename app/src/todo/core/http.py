"""HTTP plumbing shared by the API and the MCP server, in plain ASGI (no framework dependency).

``RequestContextMiddleware`` takes ``X-Request-ID`` from the request or makes one, echoes it in the
response, puts it on every log line written while the request runs, and writes one access line per
request. It is the outermost layer, so it also turns an exception that escaped the app into a logged
error and a JSON 500 (``error_body``) instead of a dropped connection.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo.core.logging import request_id_var

access_log = logging.getLogger("todo.access")

# Request ids from clients are echoed into logs and headers, so only harmless characters pass.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def error_body(detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error answer: what went wrong, any details, and the request id."""
    return {"detail": detail, **extra, "request_id": request_id_var.get()}


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
        given = header(scope, b"x-request-id")
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
                await send_json(send_with_id, 500, error_body(INTERNAL_ERROR_DETAIL))
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


async def send_json(
    send: Send, status: int, body: dict[str, Any], extra_headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Answer with a JSON body from plain ASGI (no framework)."""
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra_headers]})
    await send({"type": "http.response.body", "body": content})


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (latin-1, as HTTP allows), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
