"""The agent's only way to tasks: the MCP server's tools over streamable HTTP, as one user.

``connect_task_tools`` opens the official SDK client against ``TODO_MCP_URL`` for one turn; every
tool call is recorded as a ``ToolCall`` (result or tool error). An unreachable, refusing or broken
server, or a result that breaks the tools' contract, raises ``McpUnavailable`` instead.

Per-turn cost is kept low without sharing any state between turns but a connection pool:
- one HTTP client per event loop keeps connections to the MCP server alive across turns; the
  service token and the acting user's id are set on each request from the turn's own context
  (``ActingUserAuth``), so concurrent turns of different users never see each other's headers;
- the session adopts the protocol version our server speaks (no discovery round trip);
- results are checked against each tool function's return annotation (its declared output schema,
  ``todo.mcp.tools``) with compiled pydantic validators, instead of the SDK's per-session
  ``tools/list`` round trip plus jsonschema validation (about 0.2 ms per task listed).

A call names the tool by its function, so the name, the arguments it takes and the result type all
come from that one definition: ``await tools.call(update_task, task_id=1, title="x") -> TaskResult``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import ssl
import weakref
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from typing import Any, TypeVar

import httpx2
import mcp_types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types.version import LATEST_MODERN_VERSION
from pydantic import BaseModel, TypeAdapter, ValidationError

from todo.agent import ToolCall
from todo.core.settings import ApiSettings
from todo.mcp.tools import READING_TOOLS, TOOLS, result_model

# One tool round trip is a few milliseconds; a server this slow is treated as down.
MCP_TIMEOUT_SECONDS = 10.0
# Idle pooled connections are dropped before uvicorn's 5 s keep-alive would close them under us.
KEEPALIVE_EXPIRY_SECONDS = 2.0
POOL_LIMITS = httpx2.Limits(
    max_connections=100, max_keepalive_connections=32, keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS
)

# Compiled once: every result is checked against the model its tool function's return annotation names.
RESULT_CONTRACTS: dict[str, TypeAdapter[Any]] = {
    tool.__name__: TypeAdapter(result_model(tool)) for tool in TOOLS
}
# Each tool's parameters, to refuse a misnamed argument before it reaches the wire.
_PARAMETERS: dict[str, frozenset[str]] = {
    tool.__name__: frozenset(inspect.signature(tool).parameters) - {"ctx"} for tool in TOOLS
}
Result = TypeVar("Result", bound=BaseModel)

# The headers of the turn running in this context; requests outside a turn carry none and fail.
_acting_headers: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "todo_mcp_acting_headers", default=None
)
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle per turn costs tens of ms."""
    return ssl.create_default_context()


class McpUnavailable(Exception):
    """The MCP server could not be reached, refused us, or failed (a temporary problem)."""


class ToolFailed(Exception):
    """A tool answered an error (e.g. a task not found); the message is the tool's own words."""


def _arguments(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """A tool call's JSON arguments: the ones given (None and False mean "not given"), dates as text;
    a name the tool function does not take is a programming error (``TypeError``)."""
    unknown = sorted(set(given) - _PARAMETERS.get(name, frozenset(given)))
    if unknown:
        raise TypeError(f"MCP tool {name} takes no argument(s) {', '.join(unknown)}")
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in given.items()
        if value is not None and value is not False
    }


def service_headers(settings: ApiSettings, user_id: int) -> dict[str, str]:
    """The headers the MCP server requires: service token and acting user."""
    return {
        "Authorization": f"Bearer {settings.mcp_token.get_secret_value()}",
        "X-Todo-User-Id": str(user_id),
    }


class ActingUserAuth(httpx2.Auth):
    """Stamps each request with the service headers of the turn that sent it (a context variable).

    The SDK sends every request in a copy of the caller's context, so a turn's requests carry
    that turn's user even though all turns share one client; a request outside a turn fails.
    """

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        headers = _acting_headers.get()
        if headers is None:
            raise McpUnavailable("an MCP request was sent outside a chat turn, so without an acting user")
        request.headers.update(headers)
        yield request


def shared_http_client() -> httpx2.AsyncClient:
    """This event loop's pooled HTTP client for the MCP server, created on first use."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx2.AsyncClient(
            auth=ActingUserAuth(),
            timeout=httpx2.Timeout(MCP_TIMEOUT_SECONDS),
            limits=POOL_LIMITS,
            verify=_tls_context(),
            # Only TODO_MCP_URL is ever called: no proxy or .netrc lookups from the environment.
            trust_env=False,
        )
        _clients[loop] = client
    return client


async def close_shared_http_client() -> None:
    """Close this event loop's pooled client (app shutdown); the next turn would open a new one."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def describe_failure(error: BaseException) -> str:
    """The innermost causes of an SDK failure (it wraps them in exception groups), in one line."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe_failure(inner) for inner in error.exceptions)
    text = str(error) or type(error).__name__
    cause = error.__cause__ or error.__context__
    if cause is not None and not isinstance(cause, BaseExceptionGroup) and str(cause) not in text:
        text = f"{text} ({type(cause).__name__}: {cause})"
    return f"{type(error).__name__}: {text}"


def checked_result(name: str, structured: Any) -> Any:
    """The model tool ``name`` promises, validated from ``structured``, else ``McpUnavailable``."""
    try:
        contract = RESULT_CONTRACTS[name]
    except KeyError:
        raise ValueError(
            f"no result contract for MCP tool {name!r}; add its function to todo.mcp.tools.TOOLS"
        ) from None
    try:
        return contract.validate_python(structured)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "result"
        raise McpUnavailable(
            f"MCP tool {name} answered a malformed result ({error.error_count()} problem(s), "
            f"first at {where}: {first['msg']})"
        ) from None


class TaskTools:
    """The MCP task tools as typed calls over the SDK client, connecting on the first call (a turn
    may need none); each call is recorded in ``calls``, a tool error raises ``ToolFailed``."""

    def __init__(self, settings: ApiSettings, calls: list[ToolCall], stack: AsyncExitStack) -> None:
        self._settings = settings
        self._stack = stack
        self._client: Client | None = None
        self.calls = calls

    async def _connected(self) -> Client:
        if self._client is None:
            try:
                self._client = await self._stack.enter_async_context(
                    Client(
                        streamable_http_client(self._settings.mcp_url, http_client=shared_http_client()),
                        read_timeout_seconds=MCP_TIMEOUT_SECONDS,
                        # Our server runs this same SDK: skip the protocol discovery round trip.
                        mode=LATEST_MODERN_VERSION,
                        # Only tools/call is used; the list-response cache would stay empty.
                        cache=None,
                    )
                )
            except Exception as error:
                raise McpUnavailable(
                    f"cannot connect to the MCP server at {self._settings.mcp_url}: {describe_failure(error)}"
                ) from error
        return self._client

    async def call(self, tool: Callable[..., Result], **arguments: Any) -> Result:
        """The validated result of one recorded call of ``tool`` (a ``todo.mcp.tools`` function, named
        by its function name), or ``ToolFailed`` with the tool's error."""
        record, value = await self._call(tool.__name__, _arguments(tool.__name__, arguments))
        if record.error is not None:
            raise ToolFailed(record.error)
        result: Result = value
        return result

    async def _call(self, name: str, arguments: dict[str, Any]) -> tuple[ToolCall, Any]:
        client = await self._connected()
        request = mcp_types.CallToolRequest(
            params=mcp_types.CallToolRequestParams(name=name, arguments=arguments)
        )
        try:
            # The session's plain request path: Client.call_tool would list the tools once per
            # session and validate with jsonschema; checked_result does that job far cheaper.
            result = await client.session.send_request(request, mcp_types.CallToolResult)
        except Exception as error:
            raise McpUnavailable(f"MCP tool {name} failed: {describe_failure(error)}") from error
        if result.is_error:
            text = " ".join(block.text for block in result.content if block.type == "text")
            record, value = ToolCall(name=name, arguments=arguments, error=text or "the tool failed"), None
        else:
            value = checked_result(name, result.structured_content)
            # Recorded as the wire's JSON: stored conversations and the API show exactly that.
            record = ToolCall(name=name, arguments=arguments, result=result.structured_content)
        self.calls.append(record)
        return record, value


class ReadTools:
    """Only the reading tools (``todo.mcp.tools.READING_TOOLS``) of a turn's ``TaskTools``: what a
    question is answered with, so no code path answering one can change a task (a writer raises)."""

    def __init__(self, tools: TaskTools) -> None:
        self._tools = tools

    async def call(self, tool: Callable[..., Result], **arguments: Any) -> Result:
        """``TaskTools.call`` for a reading tool; any other tool is a programming error (``TypeError``)."""
        if tool not in READING_TOOLS:
            raise TypeError(f"MCP tool {tool.__name__} changes tasks; a question may only read")
        return await self._tools.call(tool, **arguments)


@asynccontextmanager
async def connect_task_tools(
    settings: ApiSettings, user_id: int, calls: list[ToolCall]
) -> AsyncIterator[TaskTools]:
    """Task tools acting as ``user_id``; calls are appended to ``calls`` as they happen.

    A transport failure may surface inside a call as a cancellation of the SDK's task group; the
    real cause comes out when the client closes, so closing happens with the body's exception.
    """
    body_error: BaseException | None = None
    acting = _acting_headers.set(service_headers(settings, user_id))
    try:
        async with AsyncExitStack() as stack:
            try:
                yield TaskTools(settings, calls, stack)
            except BaseException as error:
                body_error = error
                raise
    except McpUnavailable:
        raise
    except Exception as error:
        if error is body_error:
            raise  # the caller's own failure, not the MCP server's
        raise McpUnavailable(f"MCP client failed: {describe_failure(error)}") from error
    finally:
        _acting_headers.reset(acting)
