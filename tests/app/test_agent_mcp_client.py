"""The agent's MCP client (``todo.agent.task_tools``) against REAL servers over HTTP.

Chat turns share one pooled HTTP client per event loop, and each request takes its service token
and acting user from the turn that sent it. These tests prove the pool is reused, that concurrent
turns of two users never swap headers, that a request outside a turn is refused, that a result
breaking the tools' contract becomes a temporary error, and that the contract the client checks
is the one the MCP server declares.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer
from sqlalchemy import Engine

from tests.app.mcp_server import ServerThread, mcp_settings_for, with_mcp_url
from tests.app.test_mcp import in_process
from todo.agent import TEMPORARY_ERROR_REPLY, HistoryMessage, ToolCall, run_turn
from todo.agent.task_tools import (
    RESULT_CONTRACTS,
    McpUnavailable,
    TaskTools,
    ToolFailed,
    close_shared_http_client,
    connect_task_tools,
    shared_http_client,
)
from todo.core import tasks
from todo.core.db import session_scope
from todo.core.models import Priority, TaskPage, TaskPublic, TaskStatus, User
from todo.core.settings import ApiSettings
from todo.mcp.app import create_app
from todo.mcp.tools import add_task, complete_task, list_tasks, update_task

pytestmark = pytest.mark.anyio


@dataclass
class Seen:
    """What the MCP server received: one (client port, Authorization, X-Todo-User-Id) per request."""

    requests: list[tuple[int, str, str]] = field(default_factory=list)


class Recorder:
    """ASGI wrapper noting each HTTP request's client port and service headers, then passing it on."""

    def __init__(self, app: Any, seen: Seen) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            self.seen.requests.append(
                (
                    scope["client"][1],
                    headers.get(b"authorization", b"").decode(),
                    headers.get(b"x-todo-user-id", b"").decode(),
                )
            )
        await self.app(scope, receive, send)


@contextmanager
def recorded_mcp(api_settings: ApiSettings) -> Iterator[tuple[ApiSettings, Seen]]:
    """The real MCP server behind a request recorder; settings pointing the agent at it."""
    seen = Seen()
    thread = ServerThread(Recorder(create_app(mcp_settings_for(api_settings)), seen)).start()
    try:
        yield with_mcp_url(api_settings, f"{thread.base_url}/mcp"), seen
    finally:
        thread.stop()


def titles(engine: Engine, user: User) -> list[str]:
    assert user.id is not None
    with session_scope(engine) as session:
        return [t.title for t in tasks.list_tasks(session, user.id, status=TaskStatus.all, limit=200).items]


async def test_turns_reuse_pooled_connections_and_send_the_service_headers(
    api_settings: ApiSettings, make_user: Callable[..., User]
) -> None:
    user = make_user()
    assert user.id is not None
    with recorded_mcp(api_settings) as (settings, seen):
        for n in range(6):
            turn = await run_turn(settings, user.id, [], f"add pooled task {n}")
            assert turn.reply == f'Added "pooled task {n}" to your list.'
        await close_shared_http_client()
    assert len(seen.requests) == 6
    # Six turns one after another ride one kept-alive connection, not six new ones.
    assert len({port for port, _, _ in seen.requests}) == 1
    token = api_settings.mcp_token.get_secret_value()
    assert {(auth, uid) for _, auth, uid in seen.requests} == {(f"Bearer {token}", str(user.id))}


async def test_concurrent_turns_of_two_users_never_swap_headers(
    api_settings: ApiSettings, make_user: Callable[..., User], engine: Engine
) -> None:
    alice, bob = make_user(), make_user()
    assert alice.id is not None and bob.id is not None
    rounds = 12

    async def converse(user_id: int, name: str) -> list[str]:
        history: list[HistoryMessage] = []
        replies = []
        for n in range(rounds):
            for message in (f"add {name} errand {n}", "what's on my list?"):
                turn = await run_turn(settings, user_id, history, message)
                history += [
                    HistoryMessage("user", message),
                    HistoryMessage("assistant", turn.reply, turn.tool_calls),
                ]
                replies.append(turn.reply)
        return replies

    with recorded_mcp(api_settings) as (settings, seen):
        alices, bobs = await asyncio.gather(converse(alice.id, "alice"), converse(bob.id, "bob"))
        await close_shared_http_client()
    # The two conversations really interleaved on the shared pool (more than one connection at once).
    assert len({port for port, _, _ in seen.requests}) > 1
    assert {uid for _, _, uid in seen.requests} == {str(alice.id), str(bob.id)}
    assert sorted(titles(engine, alice)) == sorted(f"alice errand {n}" for n in range(rounds))
    assert sorted(titles(engine, bob)) == sorted(f"bob errand {n}" for n in range(rounds))
    assert not any("bob" in reply for reply in alices)
    assert not any("alice" in reply for reply in bobs)
    assert f"alice errand {rounds - 1}" in alices[-1] and f"bob errand {rounds - 1}" in bobs[-1]


async def test_a_request_outside_a_turn_is_refused_before_it_is_sent(api_settings: ApiSettings) -> None:
    with recorded_mcp(api_settings) as (settings, seen):
        with pytest.raises(McpUnavailable, match="outside a chat turn"):
            await shared_http_client().post(settings.mcp_url, json={})
        await close_shared_http_client()
    assert seen.requests == []


def _broken_tasks_server() -> MCPServer:
    """An MCP server whose ``list_tasks`` breaks the contract: items that are not tasks."""
    server = MCPServer("broken-tasks")

    def list_tasks(status: str = "open") -> dict[str, Any]:
        """List tasks, wrongly."""
        return {"items": [{"id": "seven", "title": None}], "total": 1}

    server.add_tool(list_tasks)
    return server


async def test_a_malformed_tool_result_gives_a_temporary_error(
    api_settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    app = _broken_tasks_server().streamable_http_app(
        stateless_http=True, json_response=True, host="127.0.0.1"
    )
    thread = ServerThread(app).start()
    try:
        settings = with_mcp_url(api_settings, f"{thread.base_url}/mcp")
        with caplog.at_level(logging.WARNING, logger="todo.agent"):
            turn = await run_turn(settings, 1, [], "what's on my list?")
        await close_shared_http_client()
    finally:
        thread.stop()
    assert turn.reply == TEMPORARY_ERROR_REPLY
    errors = [str(getattr(record, "error", "")) for record in caplog.records]
    assert any("list_tasks answered a malformed result" in e and "items.0.id" in e for e in errors), errors


def _shape(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema without its naming and documentation (what the wire data must look like)."""
    return {key: schema.get(key) for key in ("type", "properties", "required", "$defs")}


async def test_the_checked_result_contracts_are_the_servers_output_schemas(engine: Engine) -> None:
    async with in_process(engine, 1) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(RESULT_CONTRACTS) == set(tools)
    for name, contract in RESULT_CONTRACTS.items():
        declared = tools[name].output_schema
        assert declared is not None
        assert _shape(declared) == _shape(contract.json_schema()), name


async def test_the_typed_client_answers_models_and_records_each_call_as_sent(
    api_settings: ApiSettings, make_user: Callable[..., User]
) -> None:
    user = make_user()
    assert user.id is not None
    calls: list[ToolCall] = []
    with recorded_mcp(api_settings) as (settings, _):
        async with connect_task_tools(settings, user.id, calls) as tools:
            added = await tools.call(add_task, title="buy milk", due_date=date(2030, 1, 2), priority="high")
            page = await tools.call(list_tasks, status="all", limit=5)
            cleared = await tools.call(update_task, task_id=added.id, clear_due_date=True)
            with pytest.raises(ToolFailed, match="task 424242 not found"):
                await tools.call(complete_task, task_id=424242)
        await close_shared_http_client()
    assert isinstance(added, TaskPublic) and isinstance(page, TaskPage)
    assert (added.title, added.due_date, added.priority) == ("buy milk", date(2030, 1, 2), Priority.high)
    assert [task.id for task in page.items] == [added.id] and page.total == 1
    assert cleared.due_date is None
    # Recorded as the wire carried them (stored with the conversation and shown by the API).
    assert [(call.name, call.arguments) for call in calls] == [
        ("add_task", {"title": "buy milk", "due_date": "2030-01-02", "priority": "high"}),
        ("list_tasks", {"status": "all", "limit": 5}),
        ("update_task", {"task_id": added.id, "clear_due_date": True}),
        ("complete_task", {"task_id": 424242}),
    ]
    assert calls[0].result["due_date"] == "2030-01-02" and calls[1].result["total"] == 1
    assert calls[3].result is None and calls[3].error is not None and "not found" in calls[3].error


async def test_a_misnamed_tool_argument_fails_before_anything_is_sent(api_settings: ApiSettings) -> None:
    calls: list[ToolCall] = []
    async with AsyncExitStack() as stack:
        tools = TaskTools(api_settings, calls, stack)
        with pytest.raises(TypeError, match="MCP tool update_task takes no argument"):
            await tools.call(update_task, task_id=1, name="renamed")
    assert calls == []
