"""The MCP server's ASGI app: streamable HTTP at ``/mcp`` behind service-token auth, plus probes.

Every request except the probes must carry ``Authorization: Bearer <TODO_MCP_TOKEN>`` (else 401)
and ``X-Todo-User-Id: <positive int>`` (else 400). The checked user id goes into the ASGI scope's
state, where the tools read it; it is never a tool argument.

Overload is answered like the API's: each request holds an admission slot (``todo.core.overload``),
so a request beyond the pool and its bounded queue gets 503 with ``Retry-After`` at once; a tool
call that still found no free connection in time turns its whole answer into that same 503.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo.core.db import engine_for, ping
from todo.core.http import INTERNAL_ERROR_DETAIL, RequestContextMiddleware, error_body
from todo.core.models import ID_MAX
from todo.core.overload import POOL_TIMEOUT_DETAIL, AdmissionGate, Overloaded, overloaded_response
from todo.core.settings import McpSettings
from todo.mcp.tools import POOL_TIMEOUT_STATE_KEY, USER_ID_STATE_KEY, build_server

MCP_PATH = "/mcp"
USER_ID_HEADER = b"x-todo-user-id"
PROBE_PATHS = frozenset({"/healthz", "/readyz"})
# Ids are database integers; a longer header is garbage, and is not echoed back whole.
_MAX_ID_DIGITS = len(str(ID_MAX))


class ServiceAuthMiddleware:
    """Refuse requests without the service token (401) or a valid acting user id (400).

    It sits behind ``ProbeMiddleware``, so the unauthenticated probes never reach it.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        authorization = bytes(headers.get(b"authorization", b""))
        # Constant-time compare, so response timing does not leak how much of a guess was right.
        if not hmac.compare_digest(authorization, self._expected):
            detail = "missing" if not authorization else "wrong"
            await _error(
                scope,
                receive,
                send,
                401,
                f"{detail} service token: send 'Authorization: Bearer <TODO_MCP_TOKEN>'",
                {"www-authenticate": "Bearer"},
            )
            return
        raw = bytes(headers.get(USER_ID_HEADER, b"")).decode("latin-1").strip()
        if not (raw.isdecimal() and raw.isascii() and len(raw) <= _MAX_ID_DIGITS and 0 < int(raw) <= ID_MAX):
            shown = raw if len(raw) <= 20 else raw[:20] + "..."
            await _error(
                scope,
                receive,
                send,
                400,
                f"X-Todo-User-Id must be the acting user's id, a positive integer up to {ID_MAX}; "
                f"got {shown!r}",
            )
            return
        scope.setdefault("state", {})[USER_ID_STATE_KEY] = int(raw)
        await self.app(scope, receive, send)


async def _error(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    response = Response(
        json.dumps(error_body(detail)), status_code=status, media_type="application/json", headers=headers
    )
    await response(scope, receive, send)


class AdmissionMiddleware:
    """Hold an admission slot per request; 503 + Retry-After when the gate refuses or a tool's
    connection checkout timed out (``tools._call`` flags that in the scope state)."""

    def __init__(self, app: ASGIApp, gate: AdmissionGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        replaced = False

        async def send_or_overloaded(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and state.get(POOL_TIMEOUT_STATE_KEY):
                replaced = True
                await overloaded_response(POOL_TIMEOUT_DETAIL)(scope, receive, send)
            elif not replaced:
                await send(message)

        try:
            async with self.gate.slot():
                await self.app(scope, receive, send_or_overloaded)
        except Overloaded as error:  # only the gate raises it, before the app has answered
            await overloaded_response(str(error))(scope, receive, send)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Logged once, with the traceback, by RequestContextMiddleware (Starlette re-raises to it).
    return JSONResponse(error_body(INTERNAL_ERROR_DETAIL), status_code=500)


class ProbeMiddleware:
    """Answer ``/healthz`` (process alive) and ``/readyz`` (database reachable) before auth."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope["type"] != "http" or path not in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        response: Response = JSONResponse({"status": "ok"})
        if path == "/readyz":
            try:
                await anyio.to_thread.run_sync(ping, self.engine)
            except Exception:
                response = JSONResponse(
                    {"status": "unavailable", "detail": "database unreachable"}, status_code=503
                )
        await response(scope, receive, send)


def create_app(settings: McpSettings, engine: Engine | None = None) -> ASGIApp:
    """The MCP server as one ASGI app (streamable HTTP at ``/mcp``, stateless, JSON responses)."""
    engine = engine if engine is not None else engine_for(settings)
    server = build_server(engine)

    starlette_app: Any = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        # Stateless + JSON: any replica answers any request, no session affinity needed.
        stateless_http=True,
        json_response=True,
        host=settings.host,
    )
    starlette_app.add_exception_handler(Exception, _unexpected)
    admitted = AdmissionMiddleware(starlette_app, AdmissionGate.from_settings(settings))
    secured = ServiceAuthMiddleware(admitted, settings.mcp_token.get_secret_value())
    return RequestContextMiddleware(ProbeMiddleware(secured, engine))
