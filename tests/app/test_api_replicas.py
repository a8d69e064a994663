"""The backend as real processes (tests/support/stack.py): PostgreSQL, todo-mcp and todo-api replicas.

Proves the server keeps no state between requests: a logout on one replica ends the session on the
other; a conversation started on one API process goes
on, with "the second one" resolved from stored history, on another; killing a replica loses nothing;
SIGTERM lets an in-flight chat turn finish and store its answer.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(api_replicas=2) as running:
        yield running


def _chat(client: httpx.Client, message: str, conversation_id: int | None = None) -> dict[str, object]:
    response = client.post("/api/chat", json={"message": message, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    reply: dict[str, object] = response.json()
    return reply


def test_logout_on_one_replica_ends_the_session_on_the_other(stack: Stack) -> None:
    first_url, second_url = stack.api_urls[:2]
    with httpx.Client(base_url=first_url, timeout=30) as first:
        first.post("/api/auth/register", json={"email": "out@example.com", "password": "correct horse"})
        cookies = httpx.Cookies(first.cookies)
        with httpx.Client(base_url=second_url, timeout=30, cookies=cookies) as second:
            assert second.get("/api/auth/me").status_code == 200  # the session is valid on both
            assert second.post("/api/auth/logout").status_code == 204
        # The first replica still holds the old cookie; PostgreSQL says the session is over.
        for path in ("/api/auth/me", "/api/tasks"):
            refused = first.get(path)
            assert refused.status_code == 401 and refused.json()["detail"] == "session ended; log in again"


def test_conversation_continues_on_another_replica_and_survives_one_dying(stack: Stack) -> None:
    first_url, second_url = stack.api_urls[:2]
    with httpx.Client(base_url=first_url, timeout=30) as first:
        first.post("/api/auth/register", json={"email": "rep@example.com", "password": "correct horse"})
        conversation = _chat(first, "add buy milk")["conversation_id"]
        assert isinstance(conversation, int)
        _chat(first, "add call mom", conversation)
        listing = _chat(first, "what's on my list?", conversation)
        assert "buy milk" in str(listing["reply"]) and "call mom" in str(listing["reply"])
        cookies = first.cookies

    # The first replica goes away; the second carries on from PostgreSQL alone.
    first_process = stack.api_process(first_url)
    first_process.send_signal(signal.SIGTERM)
    first_process.wait(timeout=30)

    with httpx.Client(base_url=second_url, timeout=30, cookies=cookies) as second:
        done = _chat(second, "complete the second one", conversation)
        calls = done["tool_calls"]
        assert isinstance(calls, list) and calls[-1]["name"] == "complete_task"
        assert calls[-1]["result"]["title"] == "call mom" and calls[-1]["result"]["completed"] is True
        stored = second.get(f"/api/conversations/{conversation}").json()["messages"]
        assert [m["role"] for m in stored] == ["user", "assistant"] * 4
        assert stored[-2]["content"] == "complete the second one"
        tasks = second.get("/api/tasks?status=done").json()["items"]
        assert [t["title"] for t in tasks] == ["call mom"]


def test_sigterm_lets_an_in_flight_chat_turn_finish(stack: Stack) -> None:
    # The last replica (the other test stops the first one).
    url = stack.api_urls[-1]
    api = stack.api_process(url)
    client = httpx.Client(base_url=url, timeout=60)
    client.post("/api/auth/register", json={"email": "term@example.com", "password": "correct horse"})
    _chat(client, "add water the plants")
    answer: dict[str, httpx.Response] = {}
    # Hold the tasks table so the turn's list_tasks tool call (real MCP, real DB) is slow on purpose.
    with psycopg.connect(stack.database_url.replace("+psycopg", "")) as blocker:
        blocker.execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        worker = threading.Thread(
            target=lambda: answer.setdefault("r", client.post("/api/chat", json={"message": "what's left?"}))
        )
        worker.start()
        time.sleep(1.0)
        api.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert api.poll() is None, "todo-api exited with a request still in flight"
        blocker.rollback()  # releases the lock: the in-flight turn can finish now
    worker.join(timeout=30)
    api.wait(timeout=30)
    client.close()
    response = answer["r"]
    assert response.status_code == 200
    assert "water the plants" in response.json()["reply"]
    with psycopg.connect(stack.database_url.replace("+psycopg", "")) as check:
        row = check.execute("SELECT content FROM messages ORDER BY id DESC LIMIT 1").fetchone()
    assert row is not None and "water the plants" in row[0]
