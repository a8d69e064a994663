"""The MCP task server: every tool in-process, then the real server over streamable HTTP.

In-process tests use the SDK's in-memory ``Client(server)``; HTTP tests run the real ASGI app under
uvicorn on loopback and talk to it with the SDK's streamable HTTP client, headers and all.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import Engine

from tests.app.mcp_server import RunningMcp, free_port, mcp_client
from todo.core.models import ID_MAX, User
from todo.core.settings import ApiSettings
from todo.mcp.tools import SERVER_NAME, TOOLS, act_as, build_server

pytestmark = pytest.mark.anyio

TOOL_NAMES = {tool.__name__ for tool in TOOLS}


@asynccontextmanager
async def in_process(engine: Engine, user_id: int) -> AsyncIterator[Client]:
    with act_as(user_id):
        async with Client(build_server(engine)) as client:
            yield client


async def call(client: Client, name: str, **arguments: Any) -> Any:
    """Call a tool that must succeed and answer its structured result."""
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def titles(client: Client, **arguments: Any) -> list[str]:
    """Titles of the tasks ``list_tasks`` answers, in order."""
    return [task["title"] for task in (await call(client, "list_tasks", **arguments))["items"]]


async def call_error(client: Client, name: str, **arguments: Any) -> str:
    """Call a tool that must fail and answer its error text."""
    result = await client.call_tool(name, arguments)
    assert result.is_error, result.structured_content
    text = result.content[0]
    assert text.type == "text"
    return text.text


# --- in-process: every tool ----------------------------------------------------------------------


async def test_tools_are_listed_with_descriptions_and_schemas(
    engine: Engine, make_user: Callable[..., User]
) -> None:
    async with in_process(engine, 1) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.description and "\n" not in tool.description
        # The acting user is never something a caller (or an LLM) can pass.
        assert not {"user_id", "ctx"} & set(tool.input_schema.get("properties", {}))
        assert tool.output_schema is not None
    assert tools["add_task"].input_schema["required"] == ["title"]
    assert set(tools["list_tasks"].input_schema["properties"]) == {
        "status", "search", "limit", "offset", "order", "due_from", "due_to",
    }  # fmt: skip


def test_the_server_is_named_as_the_agent_expects(engine: Engine) -> None:
    assert build_server(engine).name == SERVER_NAME


async def test_add_get_list_complete_reopen_update_delete(
    engine: Engine, make_user: Callable[..., User]
) -> None:
    user = make_user()
    assert user.id is not None
    async with in_process(engine, user.id) as client:
        milk = await call(client, "add_task", title="  buy   milk ", priority="high", due_date="2030-01-02")
        assert milk["title"] == "buy milk"
        assert milk["priority"] == "high"
        assert milk["due_date"] == "2030-01-02"
        assert milk["completed"] is False
        assert set(milk) == {
            "id", "title", "description", "due_date", "priority",
            "completed", "completed_at", "created_at", "updated_at",
        }  # fmt: skip
        mom = await call(client, "add_task", title="call mom", description="about Sunday")

        assert (await call(client, "get_task", task_id=mom["id"]))["description"] == "about Sunday"
        listing = await call(client, "list_tasks")
        assert [t["title"] for t in listing["items"]] == ["buy milk", "call mom"]
        assert listing["total"] == 2

        done = await call(client, "complete_task", task_id=milk["id"])
        assert done["completed"] is True and done["completed_at"] is not None
        assert await titles(client, status="done") == ["buy milk"]
        assert await titles(client) == ["call mom"]
        assert (await call(client, "list_tasks", status="all"))["total"] == 2
        assert await titles(client, status="all", search="MOM") == ["call mom"]
        assert await titles(client, status="all", order="newest") == ["call mom", "buy milk"]
        assert await titles(client, status="all", due_from="2030-01-02", due_to="2030-01-02") == ["buy milk"]

        reopened = await call(client, "reopen_task", task_id=milk["id"])
        assert reopened["completed"] is False and reopened["completed_at"] is None

        renamed = await call(client, "update_task", task_id=milk["id"], title="buy oat milk", priority="low")
        assert renamed["title"] == "buy oat milk"
        assert (renamed["priority"], renamed["due_date"]) == ("low", "2030-01-02")
        cleared = await call(client, "update_task", task_id=milk["id"], clear_due_date=True)
        assert cleared["due_date"] is None and cleared["title"] == "buy oat milk"

        deleted = await call(client, "delete_task", task_id=mom["id"])
        assert deleted["title"] == "call mom"
        assert [t["id"] for t in (await call(client, "list_tasks", status="all"))["items"]] == [milk["id"]]


async def test_tool_errors_say_what_was_wrong(engine: Engine, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.id is not None
    async with in_process(engine, user.id) as client:
        assert "task 999 not found" in await call_error(client, "get_task", task_id=999)
        assert "task 999 not found" in await call_error(client, "complete_task", task_id=999)
        assert "task 999 not found" in await call_error(client, "delete_task", task_id=999)
        assert "title: must not be empty" in await call_error(client, "add_task", title="   ")
        assert "priority" in await call_error(client, "add_task", title="x", priority="urgent")
        assert "due_date" in await call_error(client, "add_task", title="x", due_date="next week")
        assert "limit" in await call_error(client, "list_tasks", limit=0)
        assert "order" in await call_error(client, "list_tasks", order="random")


async def test_in_process_call_without_acting_user_is_refused(engine: Engine) -> None:
    async with Client(build_server(engine)) as client:
        assert "no acting user" in await call_error(client, "list_tasks")


# --- over HTTP: the real server ------------------------------------------------------------------


def headers_for(mcp: RunningMcp, user_id: int | str | None, token: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token if token is not None else mcp.token}"}
    if user_id is not None:
        headers["X-Todo-User-Id"] = str(user_id)
    return headers


async def sdk_statuses(url: str, headers: dict[str, str]) -> tuple[list[int], BaseException | None]:
    """Connect the SDK client and list tools; answer the HTTP statuses seen and what it raised."""
    statuses: list[int] = []

    async def record(response: httpx2.Response) -> None:
        statuses.append(response.status_code)

    failure: BaseException | None = None
    try:
        async with (
            httpx2.AsyncClient(headers=headers, event_hooks={"response": [record]}) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            await client.list_tools()
    except Exception as error:  # the SDK raises an ExceptionGroup around its MCPError
        failure = error
    return statuses, failure


async def test_probes_answer_without_credentials(mcp: RunningMcp) -> None:
    async with httpx2.AsyncClient() as http:
        assert (await http.get(f"{mcp.base_url}/healthz")).json() == {"status": "ok"}
        ready = await http.get(f"{mcp.base_url}/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("token", "expected"),
    [(None, "missing service token"), ("x" * 64, "wrong service token")],
    ids=["without-token", "wrong-token"],
)
async def test_requests_without_the_service_token_get_401(
    mcp: RunningMcp, token: str | None, expected: str
) -> None:
    headers = {"X-Todo-User-Id": "1"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    statuses, failure = await sdk_statuses(mcp.url, headers)
    assert failure is not None
    assert statuses and set(statuses) == {401}
    async with httpx2.AsyncClient() as http:
        response = await http.post(mcp.url, headers=headers, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert expected in response.json()["detail"]
    if token is not None:
        assert token not in response.text


@pytest.mark.parametrize("user_id", [None, "", "abc", "0", "-3", "1.5", str(ID_MAX + 1), "9" * 40])
async def test_requests_without_a_valid_user_id_get_400(mcp: RunningMcp, user_id: str | None) -> None:
    statuses, failure = await sdk_statuses(mcp.url, headers_for(mcp, user_id))
    assert failure is not None
    assert statuses and set(statuses) == {400}
    async with httpx2.AsyncClient() as http:
        response = await http.post(mcp.url, headers=headers_for(mcp, user_id), json={})
    assert response.status_code == 400
    assert "X-Todo-User-Id must be the acting user's id, a positive integer" in response.json()["detail"]


async def test_tools_over_http_give_structured_results(
    mcp: RunningMcp, make_user: Callable[..., User]
) -> None:
    user = make_user()
    async with mcp_client(mcp.url, headers_for(mcp, user.id)) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOL_NAMES
        added = await client.call_tool("add_task", {"title": "buy milk", "due_date": "2031-05-06"})
        assert not added.is_error
        assert added.structured_content is not None
        task = added.structured_content
        assert task["title"] == "buy milk" and task["due_date"] == "2031-05-06"
        assert dt.datetime.fromisoformat(task["created_at"]).tzinfo is not None
        listing = await client.call_tool("list_tasks", {"status": "all"})
        assert listing.structured_content == {"items": [task], "total": 1}


async def test_user_b_cannot_see_complete_update_or_delete_user_a_task(
    mcp: RunningMcp, make_user: Callable[..., User]
) -> None:
    alice, bob = make_user(), make_user()
    async with mcp_client(mcp.url, headers_for(mcp, alice.id)) as client:
        task = await call(client, "add_task", title="alice's secret plan")
    async with mcp_client(mcp.url, headers_for(mcp, bob.id)) as client:
        assert await call(client, "list_tasks", status="all") == {"items": [], "total": 0}
        assert (await call(client, "list_tasks", status="all", search="secret"))["total"] == 0
        for name, extra in [
            ("get_task", {}),
            ("complete_task", {}),
            ("reopen_task", {}),
            ("update_task", {"title": "bob was here"}),
            ("delete_task", {}),
        ]:
            message = await call_error(client, name, task_id=task["id"], **extra)
            assert f"task {task['id']} not found" in message
            assert "secret plan" not in message
        # A user id smuggled in as an argument is rejected, not obeyed.
        smuggled = await client.call_tool("list_tasks", {"status": "all", "user_id": alice.id})
        assert smuggled.is_error or smuggled.structured_content == {"items": [], "total": 0}
    async with mcp_client(mcp.url, headers_for(mcp, alice.id)) as client:
        still = await call(client, "get_task", task_id=task["id"])
        assert (still["title"], still["completed"]) == ("alice's secret plan", False)


# --- the todo-mcp command ------------------------------------------------------------------------


def _command_env(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TODO_")}
    env.update(values)
    return env


def test_todo_mcp_serves_logs_json_and_stops_on_sigterm(api_settings: ApiSettings) -> None:
    port = free_port()
    env = _command_env(
        TODO_ENVIRONMENT="development",
        TODO_DATABASE_URL=api_settings.database_url.get_secret_value(),
        TODO_MCP_TOKEN=api_settings.mcp_token.get_secret_value(),
        TODO_HOST="127.0.0.1",
        TODO_PORT=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "todo.mcp"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, "todo-mcp did not become ready in 30 s"
            time.sleep(0.1)
        denied = httpx2.post(f"http://127.0.0.1:{port}/mcp", json={}, timeout=5)
        assert denied.status_code == 401
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # uvicorn finishes a graceful shutdown, then re-raises SIGTERM so the exit status reports it.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(r["message"] == "MCP task server listening" and r["port"] == port for r in records)
    assert any(r.get("path") == "/mcp" and r.get("status") == 401 and "request_id" in r for r in records)
    messages = [r["message"] for r in records]
    assert "Application shutdown complete." in messages
    assert messages[-1].startswith("Finished server process")
    assert api_settings.mcp_token.get_secret_value() not in stderr


def test_todo_mcp_refuses_a_missing_token_in_one_line(database_url: str) -> None:
    env = _command_env(TODO_DATABASE_URL=database_url)
    result = subprocess.run(
        [sys.executable, "-m", "todo.mcp"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: TODO_MCP_TOKEN is not set (example: TODO_MCP_TOKEN=$(openssl rand -hex 32))"
    ]
