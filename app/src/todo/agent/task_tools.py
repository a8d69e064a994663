"""The agent's only way to tasks: the MCP server's tools over streamable HTTP, as one user.

``connect_task_tools`` opens the official SDK client against ``TODO_MCP_URL`` with the service
token and the acting user's id as headers; every tool call is recorded as a ``ToolCall`` (result
or tool error). An unreachable, refusing or broken server raises ``McpUnavailable`` instead.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types.version import LATEST_MODERN_VERSION

from todo.agent import ToolCall
from todo.core.settings import ApiSettings

# One tool round trip is a few milliseconds; a server this slow is treated as down.
MCP_TIMEOUT_SECONDS = 10.0


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle per turn costs tens of ms."""
    return ssl.create_default_context()


class McpUnavailable(Exception):
    """The MCP server could not be reached, refused us, or failed (a temporary problem)."""


class TaskTools(Protocol):
    """Calls MCP task tools and records each call."""

    calls: list[ToolCall]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolCall: ...


def service_headers(settings: ApiSettings, user_id: int) -> dict[str, str]:
    """The headers the MCP server requires: service token and acting user."""
    return {
        "Authorization": f"Bearer {settings.mcp_token.get_secret_value()}",
        "X-Todo-User-Id": str(user_id),
    }


def describe_failure(error: BaseException) -> str:
    """The innermost causes of an SDK failure (it wraps them in exception groups), in one line."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe_failure(inner) for inner in error.exceptions)
    text = str(error) or type(error).__name__
    cause = error.__cause__ or error.__context__
    if cause is not None and not isinstance(cause, BaseExceptionGroup) and str(cause) not in text:
        text = f"{text} ({type(cause).__name__}: {cause})"
    return f"{type(error).__name__}: {text}"


class McpTaskTools:
    """``TaskTools`` over the SDK client, connecting on the first call (a turn may need none)."""

    def __init__(
        self, settings: ApiSettings, user_id: int, calls: list[ToolCall], stack: AsyncExitStack
    ) -> None:
        self._settings = settings
        self._user_id = user_id
        self._stack = stack
        self._client: Client | None = None
        self.calls = calls

    async def _connected(self) -> Client:
        if self._client is None:
            try:
                http = await self._stack.enter_async_context(
                    httpx2.AsyncClient(
                        headers=service_headers(self._settings, self._user_id),
                        timeout=httpx2.Timeout(MCP_TIMEOUT_SECONDS),
                        verify=_tls_context(),
                    )
                )
                self._client = await self._stack.enter_async_context(
                    Client(
                        streamable_http_client(self._settings.mcp_url, http_client=http),
                        read_timeout_seconds=MCP_TIMEOUT_SECONDS,
                        # Our server runs this same SDK: skip the protocol discovery round trip.
                        mode=LATEST_MODERN_VERSION,
                    )
                )
            except Exception as error:
                raise McpUnavailable(
                    f"cannot connect to the MCP server at {self._settings.mcp_url}: {describe_failure(error)}"
                ) from error
        return self._client

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolCall:
        client = await self._connected()
        try:
            result = await client.call_tool(name, arguments)
        except Exception as error:
            raise McpUnavailable(f"MCP tool {name} failed: {describe_failure(error)}") from error
        if result.is_error:
            text = " ".join(block.text for block in result.content if block.type == "text")
            record = ToolCall(name=name, arguments=arguments, error=text or "the tool failed")
        else:
            record = ToolCall(name=name, arguments=arguments, result=result.structured_content)
        self.calls.append(record)
        return record


@asynccontextmanager
async def connect_task_tools(
    settings: ApiSettings, user_id: int, calls: list[ToolCall]
) -> AsyncIterator[McpTaskTools]:
    """Task tools acting as ``user_id``; calls are appended to ``calls`` as they happen.

    A transport failure may surface inside a call as a cancellation of the SDK's task group; the
    real cause comes out when the client closes, so closing happens with the body's exception.
    """
    body_error: BaseException | None = None
    try:
        async with AsyncExitStack() as stack:
            try:
                yield McpTaskTools(settings, user_id, calls, stack)
            except BaseException as error:
                body_error = error
                raise
    except McpUnavailable:
        raise
    except Exception as error:
        if error is body_error:
            raise  # the caller's own failure, not the MCP server's
        raise McpUnavailable(f"MCP client failed: {describe_failure(error)}") from error
