"""Overload degrades, never fails: 503 + Retry-After + request id, and the connection stays open.

Exhaustion is provoked deterministically against REAL servers (uvicorn on loopback, real
PostgreSQL): a pool of one connection that the test holds itself (pool checkout times out), or the
one admission slot held by a request the test keeps blocked on a row lock (queue full).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.app.conftest import error_detail, register
from tests.app.mcp_server import ServerThread, mcp_settings_for
from todo.api.main import create_app as create_api
from todo.core.db import PROBE_CONNECTIONS, engine_for, get_engine
from todo.core.http import RequestContextMiddleware
from todo.core.models import Task, User
from todo.core.overload import RETRY_AFTER_SECONDS, AdmissionGate, Overloaded
from todo.core.settings import ApiSettings
from todo.mcp.app import create_app as create_mcp

# Small, so a test waits fractions of a second for the 503, not the production default.
QUEUE_TIMEOUT = 0.3


def _local_port(response: httpx.Response) -> int:
    """The client-side port of the TCP connection that carried ``response``."""
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


def _access_line(caplog: pytest.LogCaptureFixture, request_id: str) -> logging.LogRecord:
    """The one access line of ``request_id`` (written just after the response, so wait a moment)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [
            r
            for r in caplog.records
            if r.name == "todo.access" and r.__dict__.get("request_id") == request_id
        ]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    return lines[0]


def _assert_overloaded(response: httpx.Response, request_id: str) -> str:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["x-request-id"] == request_id
    detail = error_detail(response)
    assert detail.startswith("server busy") and f"retry in {RETRY_AFTER_SECONDS} s" in detail
    return detail


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    server = ServerThread(app).start()
    try:
        yield server.base_url
    finally:
        server.stop()


@contextmanager
def _pool_held(engine: Engine, pool_size: int) -> Iterator[None]:
    """Check out every connection the pool has (``pool_size`` for requests and the probes' spare)."""
    with ExitStack() as stack:
        for _ in range(pool_size + PROBE_CONNECTIONS):
            stack.enter_context(engine.connect())
        yield


@contextmanager
def _row_locked(database_url: str, task_id: int) -> Iterator[Callable[[], None]]:
    """Lock a task row in a transaction of the test's own; yields a wait for a request blocked on it."""
    outsider = get_engine(database_url, pool_size=2)
    with outsider.connect() as connection, connection.begin():
        connection.execute(text("SELECT id FROM tasks WHERE id = :id FOR UPDATE"), {"id": task_id})

        def wait_for_blocked_request() -> None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with outsider.connect() as probe:
                    waiting = probe.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        )
                    ).scalar_one()
                if waiting:
                    return
                time.sleep(0.02)
            raise AssertionError("no request blocked on the locked row within 10 s")

        yield wait_for_blocked_request


# --- the gate itself -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_gate_queues_up_to_its_size_then_refuses_at_once() -> None:
    gate = AdmissionGate(limit=1, queue_size=1, timeout=5)
    order: list[str] = []

    async def use(name: str, hold: asyncio.Event) -> None:
        async with gate.slot():
            order.append(name)
            await hold.wait()

    first_done, second_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(use("first", first_done))
    await asyncio.sleep(0)
    second = asyncio.create_task(use("second", second_done))
    await asyncio.sleep(0)
    assert gate.waiting == 1
    started = time.perf_counter()
    with pytest.raises(Overloaded, match="all 1 database connections are in use and 1 requests are waiting"):
        async with gate.slot():
            pass
    assert time.perf_counter() - started < 0.1  # refused at once, not after the timeout
    first_done.set()
    second_done.set()
    await asyncio.gather(first, second)
    assert order == ["first", "second"] and gate.waiting == 0


@pytest.mark.anyio
async def test_gate_refuses_a_waiter_after_its_timeout_and_keeps_counting_right() -> None:
    gate = AdmissionGate(limit=1, queue_size=5, timeout=0.05)
    async with gate.slot():
        with pytest.raises(Overloaded, match="no database connection came free within 0.05 s"):
            async with gate.slot():
                pass
        assert gate.waiting == 0
    async with gate.slot():  # the slot the timed-out waiter never got is still free
        pass


@pytest.mark.anyio
async def test_gate_refuses_at_once_when_the_expected_wait_exceeds_the_timeout() -> None:
    gate = AdmissionGate(limit=1, queue_size=100, timeout=1.0)
    async with gate.slot():
        await asyncio.sleep(0.6)  # slots are now known to be held about 0.6 s
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.slot():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    assert 0.6 <= gate.expected_wait() < 1.0  # queues: about one hold time ahead
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    started = time.perf_counter()
    with pytest.raises(Overloaded, match=r"about 1\.\d s of work is queued ahead \(more than 1 s\)"):
        async with gate.slot():
            pass
    assert time.perf_counter() - started < 0.1
    release.set()
    await asyncio.gather(holder, waiter)


@pytest.mark.anyio
async def test_cheap_requests_behind_dear_ones_are_estimated_by_their_own_cost() -> None:
    gate = AdmissionGate(limit=1, queue_size=100, timeout=1.0)
    async with gate.slot("dear"):
        await asyncio.sleep(0.4)  # a dear kind of request holds its slot 0.4 s
    async with gate.slot("cheap"):
        pass  # a cheap one, about nothing
    release = asyncio.Event()

    async def hold(cost: str) -> None:
        async with gate.slot(cost):
            await release.wait()

    holder = asyncio.create_task(hold("cheap"))
    await asyncio.sleep(0)
    # Twenty cheap requests queue behind a cheap holder: one mean over both kinds would refuse them.
    cheap = [asyncio.create_task(hold("cheap")) for _ in range(20)]
    await asyncio.sleep(0)
    assert gate.waiting == 20 and gate.expected_wait() < 0.1
    dear = [asyncio.create_task(hold("dear"))]
    await asyncio.sleep(0)
    assert 0.4 <= gate.expected_wait() < 1.0  # one dear request ahead: still within the timeout
    dear += [asyncio.create_task(hold("dear")) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Overloaded, match=r"about \d\.\d s of work is queued ahead \(more than 1 s\)"):
        async with gate.slot("cheap"):  # three dear ones ahead: a wait past the timeout, refused at once
            pass
    release.set()
    await asyncio.gather(holder, *dear, *cheap)


@pytest.mark.anyio
async def test_finishing_work_queues_past_a_full_queue_and_the_timeout() -> None:
    gate = AdmissionGate(limit=1, queue_size=0, timeout=0.05)
    got_slot_after = 0.0

    async def finish() -> None:
        nonlocal got_slot_after
        started = time.perf_counter()
        async with gate.slot(finishing=True):
            got_slot_after = time.perf_counter() - started

    async with gate.slot():
        finisher = asyncio.create_task(finish())
        await asyncio.sleep(0.2)  # four timeouts long
        with pytest.raises(Overloaded):  # others are still refused meanwhile
            async with gate.slot():
                pass
    await finisher
    assert got_slot_after >= 0.2


# --- the API ---------------------------------------------------------------------------------------


@pytest.fixture
def small_api_settings(api_settings: ApiSettings) -> ApiSettings:
    return api_settings.model_copy(
        update={"db_pool_size": 1, "db_queue_size": 0, "db_queue_timeout_seconds": QUEUE_TIMEOUT}
    )


def test_api_answers_503_when_no_connection_comes_free_and_keeps_the_connection(
    small_api_settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo.access")
    with _serving(create_api(small_api_settings)) as base, httpx.Client(base_url=base, timeout=10) as client:
        register(client)  # type: ignore[arg-type]  # httpx.Client has the TestClient calls register uses
        with _pool_held(engine_for(small_api_settings), pool_size=1):
            started = time.perf_counter()
            busy = client.get("/api/tasks", headers={"X-Request-ID": "overload-api-1"})
            elapsed = time.perf_counter() - started
        _assert_overloaded(busy, "overload-api-1")
        assert elapsed < QUEUE_TIMEOUT + 2  # the short checkout timeout, not a long hang
        line = _access_line(caplog, "overload-api-1")
        assert (line.status, line.path) == (503, "/api/tasks")  # type: ignore[attr-defined]
        after = client.get("/api/tasks")
        assert after.status_code == 200
        assert _local_port(after) == _local_port(busy)  # same keep-alive connection


def test_api_refuses_at_once_when_the_slots_and_queue_are_full(
    small_api_settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="todo.access")
    with _serving(create_api(small_api_settings)) as base, httpx.Client(base_url=base, timeout=10) as client:
        register(client)  # type: ignore[arg-type]
        task_id = client.post("/api/tasks", json={"title": "locked"}).json()["id"]
        patched: list[int] = []
        with httpx.Client(base_url=base, timeout=10, cookies=client.cookies) as blocked_client:
            holder = threading.Thread(
                target=lambda: patched.append(
                    blocked_client.patch(f"/api/tasks/{task_id}", json={"priority": "high"}).status_code
                )
            )
            with _row_locked(small_api_settings.database_url.get_secret_value(), task_id) as wait_blocked:
                holder.start()
                wait_blocked()  # the PATCH holds the one slot, blocked on the row lock
                started = time.perf_counter()
                busy = client.get("/api/tasks", headers={"X-Request-ID": "overload-api-2"})
                assert time.perf_counter() - started < QUEUE_TIMEOUT  # refused without waiting
                chat = client.post(
                    "/api/chat", json={"message": "add milk"}, headers={"X-Request-ID": "chat-2"}
                )
            holder.join(timeout=10)
        assert patched == [200]  # the request that held the slot finished normally
        detail = _assert_overloaded(busy, "overload-api-2")
        assert "all 1 database connections are in use and 0 requests are waiting" in detail
        _assert_overloaded(chat, "chat-2")  # a chat turn is refused the same way, before its agent runs
        assert _access_line(caplog, "overload-api-2").status == 503  # type: ignore[attr-defined]
        after = client.get("/api/tasks")
        assert after.status_code == 200 and after.json()["items"][0]["priority"] == "high"
        assert _local_port(after) == _local_port(busy)


def _burst(base: str, cookies: httpx.Cookies, sign_ups: int, reads: int) -> list[tuple[str, httpx.Response]]:
    """``sign_ups`` registrations and ``reads`` task listings, all sent at once; (kind, answer) each."""
    start = threading.Barrier(sign_ups + reads)
    answers: list[tuple[str, httpx.Response]] = []

    def send(kind: str, number: int) -> None:
        with httpx.Client(base_url=base, timeout=60, cookies=cookies if kind == "read" else None) as own:
            start.wait()
            if kind == "sign-up":
                body = {"email": f"burst{number}@example.com", "password": "correct horse"}
                answers.append((kind, own.post("/api/auth/register", json=body)))
            else:
                answers.append((kind, own.get("/api/tasks")))

    workers = [threading.Thread(target=send, args=("sign-up", n)) for n in range(sign_ups)]
    workers += [threading.Thread(target=send, args=("read", n)) for n in range(reads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert len(answers) == sign_ups + reads
    return answers


def test_a_burst_of_sign_ups_below_capacity_refuses_no_read(api_settings: ApiSettings) -> None:
    """The default gate (10 connections, a 3 s wait): sign-ups hash outside it, so reads are not shed."""
    with _serving(create_api(api_settings)) as base, httpx.Client(base_url=base, timeout=60) as client:
        register(client)  # type: ignore[arg-type]
        answers = _burst(base, client.cookies, sign_ups=10, reads=60)
    statuses = sorted({(kind, response.status_code) for kind, response in answers})
    assert statuses == [("read", 200), ("sign-up", 201)], [r.text for _, r in answers if r.status_code >= 400]


def test_a_burst_above_capacity_is_shed_with_503_and_nothing_else(small_api_settings: ApiSettings) -> None:
    """One connection and room for no waiter: most of the same burst is refused, cleanly."""
    settings = small_api_settings.model_copy(update={"db_queue_size": 2})
    with _serving(create_api(settings)) as base, httpx.Client(base_url=base, timeout=60) as client:
        register(client)  # type: ignore[arg-type]
        answers = _burst(base, client.cookies, sign_ups=10, reads=60)
    refused = [response for _, response in answers if response.status_code == 503]
    assert refused, "a burst far beyond one connection's capacity was not shed"
    for response in refused:
        assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert error_detail(response).startswith("server busy")
    assert {r.status_code for _, r in answers} <= {200, 201, 503}


def test_api_unexpected_error_is_a_json_500_with_the_request_id_and_keeps_the_connection(
    api_settings: ApiSettings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_api(api_settings)

    @app.get("/api/test-boom")
    def boom() -> None:
        raise RuntimeError("boom for the test")

    caplog.set_level(logging.INFO)
    with _serving(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        failed = client.get("/api/test-boom", headers={"X-Request-ID": "boom-1"})
        assert failed.status_code == 500 and failed.headers["x-request-id"] == "boom-1"
        assert error_detail(failed).startswith("internal error; try again, and report the request id")
        after = client.get("/healthz")
        assert after.status_code == 200 and _local_port(after) == _local_port(failed)
    errors = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert _access_line(caplog, "boom-1").status == 500  # type: ignore[attr-defined]
    assert "boom for the test" not in failed.text  # the traceback stays in the log


# --- the MCP server --------------------------------------------------------------------------------


def _tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


@pytest.fixture
def small_mcp(api_settings: ApiSettings) -> Iterator[tuple[str, Engine, dict[str, str]]]:
    settings = mcp_settings_for(api_settings).model_copy(
        update={"db_pool_size": 1, "db_queue_size": 0, "db_queue_timeout_seconds": QUEUE_TIMEOUT}
    )
    with _serving(create_mcp(settings)) as base:
        headers = {
            "Authorization": f"Bearer {settings.mcp_token.get_secret_value()}",
            "Accept": "application/json, text/event-stream",
        }
        yield f"{base}/mcp", engine_for(settings), headers


def test_mcp_answers_503_when_no_connection_comes_free_and_keeps_the_connection(
    small_mcp: tuple[str, Engine, dict[str, str]],
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, engine, headers = small_mcp
    user = make_user()
    caplog.set_level(logging.INFO, logger="todo.access")
    with httpx.Client(headers={**headers, "X-Todo-User-Id": str(user.id)}, timeout=10) as client:
        with _pool_held(engine, pool_size=1):
            busy = client.post(url, json=_tool_call("list_tasks", {}), headers={"X-Request-ID": "mcp-1"})
        _assert_overloaded(busy, "mcp-1")
        assert _access_line(caplog, "mcp-1").status == 503  # type: ignore[attr-defined]
        after = client.post(url, json=_tool_call("list_tasks", {}))
        assert after.status_code == 200 and after.json()["result"]["isError"] is False, after.text
        assert _local_port(after) == _local_port(busy)


def test_mcp_refuses_at_once_when_the_slots_and_queue_are_full(
    small_mcp: tuple[str, Engine, dict[str, str]],
    make_user: Callable[..., User],
    session: Session,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, _, headers = small_mcp
    user = make_user()
    assert user.id is not None
    task = Task(user_id=user.id, title="locked")
    session.add(task)
    session.commit()
    task_id = task.id
    assert task_id is not None
    caplog.set_level(logging.INFO, logger="todo.access")
    with httpx.Client(headers={**headers, "X-Todo-User-Id": str(user.id)}, timeout=10) as client:
        completed: list[int] = []
        holder = threading.Thread(
            target=lambda: completed.append(
                httpx.post(
                    url, json=_tool_call("complete_task", {"task_id": task_id}), headers=client.headers
                ).status_code
            )
        )
        with _row_locked(database_url, task_id) as wait_blocked:
            holder.start()
            wait_blocked()  # the tool call holds the one slot, blocked on the row lock
            busy = client.post(url, json=_tool_call("list_tasks", {}), headers={"X-Request-ID": "mcp-2"})
        holder.join(timeout=10)
        assert completed == [200]
        assert "0 requests are waiting" in _assert_overloaded(busy, "mcp-2")
        assert _access_line(caplog, "mcp-2").status == 503  # type: ignore[attr-defined]
        after = client.post(url, json=_tool_call("get_task", {"task_id": task_id}))
        assert after.json()["result"]["structuredContent"]["completed"] is True, after.text
        assert _local_port(after) == _local_port(busy)


@pytest.mark.anyio
@pytest.mark.parametrize("given", ["abc\n", "a" * 129, "a b", ""])
async def test_a_malformed_incoming_request_id_is_replaced(given: str) -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [(b"x-request-id", given.encode())]}
    await RequestContextMiddleware(app)(scope, None, send)  # type: ignore[arg-type]
    echoed = dict(sent[0]["headers"])[b"x-request-id"].decode()
    assert echoed != given and len(echoed) == 32
