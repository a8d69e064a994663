"""The openai engine against FakeOpenAIServer (a scripted test double) and the REAL MCP server.

The scripted model asks for MCP tool calls; the tasks really change in PostgreSQL through the MCP
server over HTTP. Trouble cases: LLM down, slow, answering 500, and the MCP server down.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from tests.app.fake_llm import FakeOpenAIServer, FakeStep, FakeText, FakeToolCalls
from tests.app.mcp_server import RunningMcp, free_port, with_mcp_url
from todo.agent import TEMPORARY_ERROR_REPLY, HistoryMessage, run_turn
from todo.core import tasks
from todo.core.db import session_scope
from todo.core.models import TaskStatus, User
from todo.core.settings import AgentEngine, ApiSettings
from todo.mcp.tools import TOOLS

pytestmark = pytest.mark.anyio


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


def openai_settings(
    api_settings: ApiSettings, mcp_url: str, llm_url: str, timeout: float = 10
) -> ApiSettings:
    return with_mcp_url(
        api_settings,
        mcp_url,
        agent_engine=AgentEngine.openai,
        openai_api_key=SecretStr("sk-test-not-a-real-key"),
        openai_base_url=llm_url,
        openai_model="fake-model",
        llm_timeout_seconds=timeout,
    )


def titles(engine: Engine, user: User) -> list[str]:
    assert user.id is not None
    with session_scope(engine) as session:
        return [task.title for task in tasks.list_tasks(session, user.id, status=TaskStatus.all).items]


async def test_a_scripted_add_task_call_creates_the_task_through_mcp(
    api_settings: ApiSettings, mcp: RunningMcp, user: User, engine: Engine
) -> None:
    assert user.id is not None
    script: list[FakeStep] = [
        FakeToolCalls([("add_task", {"title": "buy milk", "priority": "high"})]),
        FakeText("Added buy milk to your list."),
    ]
    with FakeOpenAIServer(script=script) as llm:
        settings = openai_settings(api_settings, mcp.url, llm.base_url)
        history = [HistoryMessage("user", "hi"), HistoryMessage("assistant", "Hi! How can I help?")]
        turn = await run_turn(settings, user.id, history, "please add buy milk, it's urgent")
    assert turn.reply == "Added buy milk to your list."
    assert titles(engine, user) == ["buy milk"]
    (call,) = turn.tool_calls
    assert (call.name, call.arguments, call.error) == (
        "add_task",
        {"title": "buy milk", "priority": "high"},
        None,
    )
    assert call.result["title"] == "buy milk" and call.result["priority"] == "high"
    # The model was offered exactly the MCP tools and saw the conversation so far.
    first = llm.requests[0]["body"]
    assert first["model"] == "fake-model"
    assert {tool["function"]["name"] for tool in first["tools"]} == {tool.__name__ for tool in TOOLS}
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant", "user"]
    # The tool's structured result went back to the model.
    (tool_message,) = llm.tool_messages()
    assert json.loads(tool_message["content"])["title"] == "buy milk"


async def test_a_tool_error_is_reported_to_the_model_and_recorded(
    api_settings: ApiSettings, mcp: RunningMcp, user: User
) -> None:
    assert user.id is not None
    script: list[FakeStep] = [
        FakeToolCalls([("complete_task", {"task_id": 424242})]),
        FakeText("I could not find that task."),
    ]
    with FakeOpenAIServer(script=script) as llm:
        turn = await run_turn(openai_settings(api_settings, mcp.url, llm.base_url), user.id, [], "finish it")
    assert turn.reply == "I could not find that task."
    (call,) = turn.tool_calls
    assert call.name == "complete_task"
    assert "task 424242 not found" in json.dumps([call.result, call.error])
    assert "task 424242 not found" in json.dumps(llm.tool_messages()[0]["content"])
    assert call.error is not None and call.result is None


async def test_llm_down_gives_a_temporary_error(
    api_settings: ApiSettings, mcp: RunningMcp, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    assert user.id is not None
    settings = openai_settings(api_settings, mcp.url, f"http://127.0.0.1:{free_port()}/v1")  # nothing listens
    with caplog.at_level(logging.WARNING, logger="todo.agent"):
        turn = await run_turn(settings, user.id, [], "what's on my list?")
    assert turn.reply == TEMPORARY_ERROR_REPLY
    assert turn.tool_calls == ()
    assert any("LLM or MCP server unavailable" in record.getMessage() for record in caplog.records)
    assert "sk-test-not-a-real-key" not in caplog.text


async def test_slow_llm_times_out_with_a_temporary_error(
    api_settings: ApiSettings, mcp: RunningMcp, user: User
) -> None:
    assert user.id is not None
    with FakeOpenAIServer(script=[FakeText("too late")], delay_seconds=5) as llm:
        settings = openai_settings(api_settings, mcp.url, llm.base_url, timeout=1)
        started = time.monotonic()
        turn = await run_turn(settings, user.id, [], "what's on my list?")
        elapsed = time.monotonic() - started
    assert turn.reply == TEMPORARY_ERROR_REPLY
    assert elapsed < 4.5, f"the turn waited {elapsed:.1f}s for a 1s LLM timeout"


async def test_llm_500_gives_a_temporary_error(
    api_settings: ApiSettings, mcp: RunningMcp, user: User
) -> None:
    assert user.id is not None
    with FakeOpenAIServer(fail_with=500) as llm:
        turn = await run_turn(
            openai_settings(api_settings, mcp.url, llm.base_url), user.id, [], "add buy milk"
        )
    assert turn.reply == TEMPORARY_ERROR_REPLY
    assert len(llm.requests) == 1  # no retry storm against a failing endpoint


async def test_mcp_down_gives_a_temporary_error(api_settings: ApiSettings, user: User) -> None:
    assert user.id is not None
    script: list[FakeStep] = [FakeToolCalls([("list_tasks", {})]), FakeText("Your list is empty.")]
    with FakeOpenAIServer(script=script) as llm:
        settings = openai_settings(api_settings, f"http://127.0.0.1:{free_port()}/mcp", llm.base_url)
        turn = await run_turn(settings, user.id, [], "what's on my list?")
    assert turn.reply == TEMPORARY_ERROR_REPLY
