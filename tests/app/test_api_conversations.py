"""Chat storage through the API: turns stored, listed and read back; continuity across instances.

``HistoryRecordingAgentStub`` stands in for the agent in these storage tests only, until the rules
engine lands; the chat behaviour itself is tested end to end in test_chat*.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.conftest import register
from todo.agent import AgentTurn, HistoryMessage, ToolCall
from todo.api.main import create_app
from todo.core.settings import ApiSettings


class HistoryRecordingAgentStub:
    """Deterministic stand-in for ``todo.agent.run_turn``: records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[HistoryMessage], str]] = []

    async def __call__(
        self, settings: ApiSettings, user_id: int, history: Sequence[HistoryMessage], message: str
    ) -> AgentTurn:
        self.calls.append((user_id, list(history), message))
        call = ToolCall(name="list_tasks", arguments={"status": "open"}, result={"items": [], "total": 0})
        return AgentTurn(reply=f"reply {len(self.calls)} to {message!r}", tool_calls=(call,))


@pytest.fixture
def agent_stub(monkeypatch: pytest.MonkeyPatch) -> HistoryRecordingAgentStub:
    stub = HistoryRecordingAgentStub()
    monkeypatch.setattr("todo.api.routes.chat.run_turn", stub)
    return stub


def test_conversation_continues_on_a_second_app_instance(
    api_settings: ApiSettings, agent_stub: HistoryRecordingAgentStub
) -> None:
    # Two independent app instances on one database, like two replicas behind a Service.
    with TestClient(create_app(api_settings)) as first:
        user_id = register(first)
        turn1 = first.post("/api/chat", json={"message": "  what's on my list?  "}).json()
        cookie = first.cookies.get("todo_session")
    assert turn1["reply"] == 'reply 1 to "what\'s on my list?"'
    assert turn1["tool_calls"] == [
        {
            "name": "list_tasks",
            "arguments": {"status": "open"},
            "result": {"items": [], "total": 0},
            "error": None,
        }
    ]

    with TestClient(create_app(api_settings)) as second:
        second.cookies.set("todo_session", str(cookie), path="/api")
        turn2 = second.post(
            "/api/chat", json={"message": "thanks", "conversation_id": turn1["conversation_id"]}
        )
    assert turn2.status_code == 200, turn2.text
    assert turn2.json()["conversation_id"] == turn1["conversation_id"]

    seen_user, seen_history, seen_message = agent_stub.calls[1]
    assert (seen_user, seen_message) == (user_id, "thanks")
    assert [(m.role, m.content) for m in seen_history] == [
        ("user", "what's on my list?"),
        ("assistant", 'reply 1 to "what\'s on my list?"'),
    ]
    assert seen_history[1].tool_calls == (
        ToolCall(name="list_tasks", arguments={"status": "open"}, result={"items": [], "total": 0}),
    )


def test_conversations_are_listed_newest_first_and_read_back(
    client: TestClient, agent_stub: HistoryRecordingAgentStub
) -> None:
    register(client)
    a = client.post("/api/chat", json={"message": "first chat " + "x" * 80}).json()["conversation_id"]
    b = client.post("/api/chat", json={"message": "second chat"}).json()["conversation_id"]
    client.post("/api/chat", json={"message": "back to the first", "conversation_id": a})

    listing = client.get("/api/conversations").json()["items"]
    assert [c["id"] for c in listing] == [a, b]
    assert listing[0]["title"].startswith("first chat xxx") and listing[0]["title"].endswith("…")
    assert len(listing[0]["title"]) == 60

    conversation = client.get(f"/api/conversations/{a}").json()
    assert conversation["id"] == a
    messages: list[dict[str, Any]] = conversation["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "back to the first"
    assert messages[3]["tool_calls"][0]["name"] == "list_tasks"
    assert messages[0]["tool_calls"] == []


def test_other_users_conversations_are_404(
    api_settings: ApiSettings, agent_stub: HistoryRecordingAgentStub
) -> None:
    app = create_app(api_settings)
    with TestClient(app) as alice, TestClient(app) as bob:
        register(alice, "alice@example.com")
        register(bob, "bob@example.com")
        secret = alice.post("/api/chat", json={"message": "plan the surprise party"}).json()[
            "conversation_id"
        ]
        assert bob.get(f"/api/conversations/{secret}").status_code == 404
        hijack = bob.post("/api/chat", json={"message": "show me", "conversation_id": secret})
        assert hijack.status_code == 404 and "surprise" not in hijack.text
        assert bob.get("/api/conversations").json() == {"items": []}
    assert len(agent_stub.calls) == 1  # the agent never ran for bob's refused turn


def test_chat_validation(client: TestClient, agent_stub: HistoryRecordingAgentStub) -> None:
    register(client)
    blank = client.post("/api/chat", json={"message": "   "})
    assert blank.status_code == 422 and blank.json()["detail"] == "message: must not be empty"
    long = client.post("/api/chat", json={"message": "x" * 4001})
    assert long.status_code == 422 and long.json()["detail"].startswith("message: String should have at most")
    assert client.post("/api/chat", json={"message": "hi", "conversation_id": 999}).status_code == 404
    assert agent_stub.calls == []


def test_a_failing_agent_still_answers_and_records_the_turn(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_agent_stub(*args: object) -> AgentTurn:
        raise RuntimeError("boom")

    monkeypatch.setattr("todo.api.routes.chat.run_turn", broken_agent_stub)
    register(client)
    response = client.post("/api/chat", json={"message": "add milk"})
    assert response.status_code == 200
    assert response.json()["reply"].startswith("Sorry, something went wrong")
    stored = client.get(f"/api/conversations/{response.json()['conversation_id']}").json()["messages"]
    assert [m["content"] for m in stored][0] == "add milk"
