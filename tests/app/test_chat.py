"""Chat end to end through the API: POST /api/chat -> rules engine -> REAL MCP server over HTTP ->
PostgreSQL, one test per promised phrasing, continuity across two app instances, MCP down.

Two separate ``create_app`` instances share one database and one MCP server, like two replicas:
a conversation started on one continues on the other, since every turn lives in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.conftest import register
from tests.app.mcp_server import free_port, run_mcp_server, with_mcp_url
from todo.agent import TEMPORARY_ERROR_REPLY
from todo.agent.replies import EXAMPLES
from todo.api.main import create_app
from todo.core.settings import ApiSettings


@pytest.fixture
def chat_settings(api_settings: ApiSettings) -> Iterator[ApiSettings]:
    with run_mcp_server(api_settings) as mcp:
        yield with_mcp_url(api_settings, mcp.url)


@pytest.fixture
def replicas(chat_settings: ApiSettings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two independent app instances on the same database; the second shares the first's login."""
    with TestClient(create_app(chat_settings)) as first, TestClient(create_app(chat_settings)) as second:
        register(first)
        second.cookies = first.cookies
        yield first, second


class Conversation:
    """One conversation through the API, optionally alternating between app instances."""

    def __init__(self, *clients: TestClient) -> None:
        self.clients = clients
        self.id: int | None = None
        self.turns = 0

    def say(self, message: str) -> dict[str, Any]:
        client = self.clients[self.turns % len(self.clients)]
        self.turns += 1
        response = client.post("/api/chat", json={"message": message, "conversation_id": self.id})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.id = body["conversation_id"]
        return body


@pytest.fixture
def chat(replicas: tuple[TestClient, TestClient]) -> Conversation:
    return Conversation(replicas[0])


@pytest.fixture
def api(replicas: tuple[TestClient, TestClient]) -> TestClient:
    return replicas[0]


def task_list(api: TestClient, status: str = "all") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get("/api/tasks", params={"status": status}).json()["items"]
    return items


def titles(api: TestClient, status: str = "all") -> list[str]:
    return [task["title"] for task in task_list(api, status)]


def test_add_buy_milk(chat: Conversation, api: TestClient) -> None:
    turn = chat.say("add buy milk")
    assert turn["reply"] == 'Added "buy milk" to your list.'
    assert [call["name"] for call in turn["tool_calls"]] == ["add_task"]
    assert titles(api) == ["buy milk"]


def test_remind_me_to_call_mom_tomorrow(chat: Conversation, api: TestClient) -> None:
    turn = chat.say("remind me to call mom tomorrow")
    assert turn["reply"] == 'Added "call mom" to your list (due tomorrow).'
    (task,) = task_list(api)
    assert task["title"] == "call mom"
    assert task["due_date"] == (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("question", ["what's on my list?", "what's left?"])
def test_whats_on_my_list_and_whats_left(chat: Conversation, question: str) -> None:
    chat.say("add buy milk")
    chat.say("add call mom")
    chat.say("mark call mom as done")
    turn = chat.say(question)
    assert turn["reply"] == "You have one thing left to do:\n1. buy milk"
    assert turn["tool_calls"][0]["arguments"] == {"status": "open"}


def test_mark_buy_milk_as_done(chat: Conversation, api: TestClient) -> None:
    chat.say("add buy milk")
    turn = chat.say("mark buy milk as done")
    assert turn["reply"] == 'Nice work! I marked "buy milk" as done.'
    assert titles(api, "done") == ["buy milk"]


def test_complete_the_second_one(chat: Conversation, api: TestClient) -> None:
    for message in ("add buy milk", "add call mom", "add pay rent", "what's on my list?"):
        chat.say(message)
    turn = chat.say("complete the second one")
    assert turn["reply"] == 'Nice work! I marked "call mom" as done.'
    assert titles(api, "done") == ["call mom"]


def test_mark_it_done(chat: Conversation, api: TestClient) -> None:
    chat.say("add buy milk")
    chat.say("remind me to call mom tomorrow")
    turn = chat.say("mark it done")
    assert turn["reply"] == 'Nice work! I marked "call mom" as done.'
    assert titles(api, "open") == ["buy milk"]


def test_delete_call_mom(chat: Conversation, api: TestClient) -> None:
    chat.say("add buy milk")
    chat.say("add call mom")
    turn = chat.say("delete call mom")
    assert turn["reply"] == 'Deleted "call mom".'
    assert titles(api) == ["buy milk"]


def test_rename_x_to_y(chat: Conversation, api: TestClient) -> None:
    chat.say("add buy milk")
    turn = chat.say("rename buy milk to buy oat milk")
    assert turn["reply"] == 'Renamed "buy milk" to "buy oat milk".'
    assert titles(api) == ["buy oat milk"]


def test_show_completed_tasks(chat: Conversation) -> None:
    for message in ("add buy milk", "add call mom", "complete buy milk"):
        chat.say(message)
    turn = chat.say("show completed tasks")
    assert turn["reply"] == "Here's what you've completed:\n1. buy milk (done)"


def test_priorities_reopen_and_help(chat: Conversation, api: TestClient) -> None:
    assert chat.say("add buy milk high priority")["reply"] == 'Added "buy milk" to your list (high priority).'
    chat.say("mark buy milk as done")
    assert chat.say("reopen buy milk")["reply"] == 'I reopened "buy milk"; it\'s back on your list.'
    (task,) = task_list(api)
    assert (task["priority"], task["completed"]) == ("high", False)
    help_reply = chat.say("help")
    assert help_reply["tool_calls"] == []
    assert all(example in help_reply["reply"] for example in EXAMPLES)


def test_not_understood_says_so_with_examples(chat: Conversation) -> None:
    turn = chat.say("tell me a joke")
    assert turn["reply"].startswith('Sorry, I didn\'t understand "tell me a joke".')
    assert "add buy milk" in turn["reply"] and turn["tool_calls"] == []


def test_conversation_continues_across_two_app_instances(replicas: tuple[TestClient, TestClient]) -> None:
    first, second = replicas
    chat = Conversation(first, second)  # every turn goes to the other instance
    chat.say("add buy milk")  # first
    chat.say("add call mom")  # second
    listing = chat.say("what's on my list?")  # first
    assert listing["reply"] == "Here's what's on your list:\n1. buy milk\n2. call mom"
    turn = chat.say("complete the second one")  # second: knows the list only from PostgreSQL
    assert turn["reply"] == 'Nice work! I marked "call mom" as done.'
    turn = chat.say("now delete it")  # first: "it" from the turn stored by the second
    assert turn["reply"] == 'Deleted "call mom".'
    assert titles(second) == ["buy milk"]
    stored = first.get(f"/api/conversations/{chat.id}").json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * 5
    assert second.get(f"/api/conversations/{chat.id}").json() == stored


def test_mcp_down_still_stores_the_turn_and_answers_200(api_settings: ApiSettings) -> None:
    settings = with_mcp_url(api_settings, f"http://127.0.0.1:{free_port()}/mcp")  # nothing listens
    with TestClient(create_app(settings)) as api:
        register(api)
        response = api.post("/api/chat", json={"message": "add buy milk"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["reply"] == TEMPORARY_ERROR_REPLY
        stored = api.get(f"/api/conversations/{body['conversation_id']}").json()
        assert [(m["role"], m["content"]) for m in stored["messages"]] == [
            ("user", "add buy milk"),
            ("assistant", TEMPORARY_ERROR_REPLY),
        ]
        assert api.get("/api/tasks").json()["items"] == []


# --- what people actually type, through the API ---------------------------------------------------


def test_remind_me_with_a_time_of_day(chat: Conversation, api: TestClient) -> None:
    turn = chat.say("remind me to call the dentist tomorrow at 9am")
    assert turn["reply"].startswith('Added "call the dentist" to your list (due tomorrow). ')
    assert "kept the date only (not 9:00)" in turn["reply"]
    (task,) = task_list(api)
    assert (task["title"], task["due_date"]) == (
        "call the dentist",
        (date.today() + timedelta(days=1)).isoformat(),
    )


def test_a_bulk_change_asked_on_one_instance_is_confirmed_on_the_other(
    replicas: tuple[TestClient, TestClient],
) -> None:
    first, second = replicas
    chat = Conversation(first, second)  # every turn goes to the other instance
    for message in ("add buy milk", "add call mom", "complete buy milk", "complete call mom"):
        chat.say(message)
    question = chat.say("clear completed")  # first
    assert question["reply"].startswith("This will delete all 2 completed tasks:")
    assert titles(first) == ["buy milk", "call mom"]
    turn = chat.say("yes")  # second: the question is known only from PostgreSQL
    assert turn["reply"] == "Deleted 2 tasks."
    assert titles(first) == []


def test_due_done_order_and_typo_questions(chat: Conversation) -> None:
    chat.say("add pay rent today")
    chat.say("add buy milk")
    assert chat.say("what's due today?")["reply"] == "Due today:\n1. pay rent (due today)"
    assert chat.say("list my tasks alphabetically")["reply"] == (
        "Here's what's on your list, alphabetically:\n1. buy milk\n2. pay rent (due today)"
    )
    did_you_mean = chat.say("compelte buy milk")
    assert did_you_mean["reply"].startswith('Did you mean "complete buy milk"?')
    assert did_you_mean["tool_calls"] == []
    assert chat.say("yes")["reply"] == 'Nice work! I marked "buy milk" as done.'
    assert chat.say("what did I finish?")["reply"] == "Here's what you've completed:\n1. buy milk (done)"


def test_which_one_asked_on_one_instance_is_answered_on_the_other(
    replicas: tuple[TestClient, TestClient],
) -> None:
    first, second = replicas
    chat = Conversation(first, second)  # every turn goes to the other instance
    for message in ("add buy milk", "add buy oat milk"):
        chat.say(message)
    assert "Which one do you mean?" in chat.say("complete milk")["reply"]  # first
    assert chat.say("2")["reply"] == 'Nice work! I marked "buy oat milk" as done.'  # second, from PostgreSQL
    assert chat.say("and the first one too")["reply"] == 'Nice work! I marked "buy milk" as done.'
    assert chat.say("is buy milk done?")["tool_calls"][0]["name"] == "list_tasks"
    assert titles(first, "open") == []
