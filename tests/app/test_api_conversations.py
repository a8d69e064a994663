"""Chat through the in-process API with the REAL rules engine and a real MCP server (loopback HTTP):
turns stored, listed newest first and read back; other users' conversations are 404; validation.

Continuity across separate API processes is in test_api_replicas.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.conftest import error_detail, register
from tests.app.mcp_server import RunningMcp, run_mcp_server, with_mcp_url
from todo.agent import AgentTurn
from todo.api.main import create_app
from todo.core.settings import ApiSettings


@pytest.fixture
def chat_settings(api_settings: ApiSettings) -> Iterator[ApiSettings]:
    with run_mcp_server(api_settings) as mcp:
        yield with_mcp_url(api_settings, mcp.url)


@pytest.fixture
def chat_client(chat_settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(chat_settings)) as client:
        yield client


def _chat(client: TestClient, message: str, conversation_id: int | None = None) -> dict[str, Any]:
    response = client.post("/api/chat", json={"message": message, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_turn_is_answered_and_stored_with_its_tool_calls(chat_client: TestClient) -> None:
    register(chat_client)
    turn = _chat(chat_client, "  add buy milk  ")
    assert set(turn) == {"conversation_id", "reply", "tool_calls"}
    assert "buy milk" in turn["reply"]
    assert [c["name"] for c in turn["tool_calls"]] == ["add_task"]
    call = turn["tool_calls"][0]
    assert call["error"] is None and call["result"]["title"] == "buy milk"
    # The tool really ran: the task is in the user's list.
    assert [t["title"] for t in chat_client.get("/api/tasks").json()["items"]] == ["buy milk"]

    stored = chat_client.get(f"/api/conversations/{turn['conversation_id']}").json()
    assert [(m["role"], m["content"]) for m in stored["messages"]] == [
        ("user", "add buy milk"),
        ("assistant", turn["reply"]),
    ]
    assert stored["messages"][0]["tool_calls"] == []
    assert stored["messages"][1]["tool_calls"] == turn["tool_calls"]


def test_conversations_are_listed_newest_first_and_read_back(chat_client: TestClient) -> None:
    register(chat_client)
    a = _chat(chat_client, "add " + "a very long task title " * 4)["conversation_id"]
    b = _chat(chat_client, "what's on my list?")["conversation_id"]
    _chat(chat_client, "show completed tasks", a)

    listing = chat_client.get("/api/conversations").json()["items"]
    assert [c["id"] for c in listing] == [a, b]
    assert listing[0]["title"].startswith("add a very long task title") and listing[0]["title"].endswith("…")
    assert len(listing[0]["title"]) == 60
    assert listing[1]["title"] == "what's on my list?"
    messages = chat_client.get(f"/api/conversations/{a}").json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "show completed tasks"
    assert messages[3]["tool_calls"][0]["name"] == "list_tasks"


def test_other_users_conversations_are_404(chat_settings: ApiSettings) -> None:
    app = create_app(chat_settings)
    with TestClient(app) as alice, TestClient(app) as bob:
        register(alice, "alice@example.com")
        register(bob, "bob@example.com")
        secret = _chat(alice, "add plan the surprise party")["conversation_id"]
        assert bob.get(f"/api/conversations/{secret}").status_code == 404
        hijack = bob.post("/api/chat", json={"message": "what's on my list?", "conversation_id": secret})
        assert hijack.status_code == 404 and "surprise" not in hijack.text
        assert bob.get("/api/conversations").json() == {"items": []}
        # Bob's own chat cannot reach Alice's tasks either.
        own = _chat(bob, "what's on my list?")
        assert "surprise" not in own["reply"]
        assert len(alice.get(f"/api/conversations/{secret}").json()["messages"]) == 2


def test_chat_validation(chat_client: TestClient) -> None:
    register(chat_client)
    blank = chat_client.post("/api/chat", json={"message": "   "})
    assert blank.status_code == 422 and blank.json()["detail"] == "message: must not be empty"
    long = chat_client.post("/api/chat", json={"message": "x" * 4001})
    assert long.status_code == 422 and long.json()["detail"].startswith("message: String should have at most")
    missing = chat_client.post("/api/chat", json={"message": "hi", "conversation_id": 999})
    assert missing.status_code == 404 and error_detail(missing) == "conversation 999 not found"
    assert chat_client.get("/api/conversations").json() == {"items": []}


def test_unreachable_mcp_server_still_answers_and_records_the_turn(api_settings: ApiSettings) -> None:
    with run_mcp_server(api_settings) as mcp:
        dead: RunningMcp = mcp
    settings = with_mcp_url(api_settings, dead.url)  # that server has stopped: nothing listens there
    with TestClient(create_app(settings)) as client:
        register(client)
        turn = _chat(client, "add buy milk")
        assert "try again" in turn["reply"]
        stored = client.get(f"/api/conversations/{turn['conversation_id']}").json()["messages"]
    assert [m["content"] for m in stored] == ["add buy milk", turn["reply"]]


def test_an_agent_that_raises_anyway_still_answers_and_records_the_turn(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fault injection: run_turn promises never to raise; the route must survive if it does.
    async def raising_agent_stub(*args: object) -> AgentTurn:
        raise RuntimeError("boom")

    monkeypatch.setattr("todo.api.routes.chat.run_turn", raising_agent_stub)
    register(client)
    response = client.post("/api/chat", json={"message": "add milk"})
    assert response.status_code == 200
    assert response.json()["reply"].startswith("Sorry, something went wrong")
    assert "boom" not in response.text
    stored = client.get(f"/api/conversations/{response.json()['conversation_id']}").json()["messages"]
    assert [m["content"] for m in stored][0] == "add milk"
