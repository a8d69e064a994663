"""The backend as a service: probes, request ids, JSON logs, start-up errors, SIGTERM."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.app.conftest import register
from tests.support.postgres import free_port
from todo.agent import ENGINES, TurnFunction, load_engine
from todo.api import main as api_main
from todo.api.__main__ import main as todo_api_main
from todo.api.main import create_app
from todo.core.settings import AgentEngine, ApiSettings

TODO_API = Path(sys.executable).with_name("todo-api")
GOOD_SECRET = "9f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"


def test_probes_and_request_ids(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32 and made != "abc-123"
    hostile = client.get("/healthz", headers={"X-Request-ID": "evil\tvalue" + "x" * 200})
    assert hostile.headers["x-request-id"] != "evil\tvalue" + "x" * 200


def test_readyz_is_503_when_the_database_is_unreachable(api_settings: ApiSettings) -> None:
    dead = f"postgresql+psycopg://todo@127.0.0.1:{free_port()}/todo"
    settings = api_settings.model_copy(update={"database_url": SecretStr(dead)})
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "detail": "database unreachable"}


def test_every_configurable_engine_is_registered_once_and_loads_its_turn_function() -> None:
    assert set(ENGINES) == set(AgentEngine)
    for engine in AgentEngine:
        turn = load_engine(engine)
        assert inspect.iscoroutinefunction(turn), engine
        assert turn.__module__ == ENGINES[engine][0], engine


def test_probes_answer_while_the_chat_engine_loads_and_a_chat_turn_waits_for_it(
    api_settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The openai engine's SDK takes seconds to import; a gate stands in for that slowness.
    gate = threading.Event()
    real_load = api_main.load_chat_engine

    def slow_load(settings: ApiSettings) -> TurnFunction:
        assert gate.wait(30), "the test never opened the gate"
        return real_load(settings)

    monkeypatch.setattr(api_main, "load_chat_engine", slow_load)
    with TestClient(create_app(api_settings)) as client:
        assert client.get("/readyz").json() == {"status": "ok"}
        register(client)
        assert client.get("/api/tasks").status_code == 200
        with ThreadPoolExecutor(1) as pool:
            turn = pool.submit(client.post, "/api/chat", json={"message": "help"})
            time.sleep(0.5)
            assert not turn.done(), "a chat turn must wait for the engine"
            gate.set()
            assert turn.result(timeout=30).status_code == 200


def test_a_chat_engine_that_fails_to_load_makes_readyz_and_chat_503(
    api_settings: ApiSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_load(settings: ApiSettings) -> TurnFunction:
        raise ImportError("libexample.so: cannot open shared object file")

    monkeypatch.setattr(api_main, "load_chat_engine", broken_load)
    with TestClient(create_app(api_settings)) as client:
        register(client)
        deadline = time.monotonic() + 10
        while (ready := client.get("/readyz")).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "detail": "chat engine failed to load"}
        chat = client.post("/api/chat", json={"message": "help"})
        assert chat.status_code == 503
        assert "libexample" not in chat.text and "the backend's log says why" in chat.json()["detail"]
        assert client.get("/api/tasks").status_code == 200, "the rest of the API keeps working"


def test_openapi_document_is_served_under_api(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/tasks", "/api/chat", "/api/conversations/{conversation_id}", "/api/auth/login"} <= set(
        paths
    )


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env.update(values)
    return env


_VALID = {
    "TODO_DATABASE_URL": "postgresql+psycopg://todo:pw@127.0.0.1:5432/todo",
    "TODO_JWT_SECRET": GOOD_SECRET,
    "TODO_MCP_TOKEN": GOOD_SECRET,
}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"TODO_JWT_SECRET": ""}, "TODO_JWT_SECRET is a placeholder"),
        ({"TODO_JWT_SECRET": "changeme"}, "TODO_JWT_SECRET is a placeholder"),
        ({"TODO_MCP_TOKEN": "short"}, "TODO_MCP_TOKEN is a placeholder or shorter than 24"),
        ({"TODO_PORT": "eighty"}, "TODO_PORT='eighty' is invalid: Input should be a valid integer"),
        (
            {"TODO_DATABASE_URL": "mysql://u:pw@db/todo"},
            "TODO_DATABASE_URL is invalid: must be a PostgreSQL URL",
        ),
        ({"TODO_AGENT_ENGINE": "openai"}, "TODO_AGENT_ENGINE=openai needs TODO_OPENAI_API_KEY"),
        ({"TODO_ENVIRONMENT": "prod"}, "TODO_ENVIRONMENT='prod' is invalid: Input should be 'development'"),
        ({"TODO_SERVER_LOOP": "trio"}, "TODO_SERVER_LOOP='trio' is invalid: Input should be 'uvloop' or"),
        ({"TODO_SERVER_HTTP": "h2"}, "TODO_SERVER_HTTP='h2' is invalid: Input should be 'httptools' or"),
        (
            {"TODO_SESSION_TTL_MINUTES": "1"},
            "TODO_SESSION_TTL_MINUTES='1' is invalid: Input should be greater",
        ),
    ],
)
def test_bad_configuration_stops_with_one_line(
    overrides: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In-process for speed; the subprocess tests below prove the same path prints no traceback.
    for key in [k for k in os.environ if k.startswith("TODO_")]:
        monkeypatch.delenv(key)
    for key, value in {**_VALID, **overrides}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exited:
        todo_api_main()
    assert exited.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("configuration error: ")
    assert expected in lines[0]
    assert "example:" in lines[0] or "set " in lines[0]
    assert captured.out == ""
    assert "u:pw" not in captured.err  # secret values are never echoed


def test_openai_engine_without_the_sdk_in_the_image_names_the_build_arg(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A backend image built with AGENT_ENGINE=rules has no `agents` package; tests/images runs the real one.
    for key in [k for k in os.environ if k.startswith("TODO_")]:
        monkeypatch.delenv(key)
    for key, value in {**_VALID, "TODO_AGENT_ENGINE": "openai", "TODO_OPENAI_API_KEY": GOOD_SECRET}.items():
        monkeypatch.setenv(key, value)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "agents" else real_find_spec(name, *a)
    )
    with pytest.raises(SystemExit) as exited:
        todo_api_main()
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("configuration error: TODO_AGENT_ENGINE=openai, but this image has no OpenAI")
    assert "--build-arg AGENT_ENGINE=openai" in err and "\n" not in err


def test_todo_api_process_refuses_a_placeholder_secret_without_traceback() -> None:
    env = _env(**{**_VALID, "TODO_JWT_SECRET": "changeme"})
    result = subprocess.run([str(TODO_API)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: TODO_JWT_SECRET is a placeholder or shorter than 32 characters; "
        "set a random value (e.g. `openssl rand -hex 32`) or TODO_ENVIRONMENT=development"
    )
    assert result.stdout == ""


def test_todo_api_process_names_a_missing_variable_with_an_example() -> None:
    result = subprocess.run([str(TODO_API)], env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: TODO_DATABASE_URL is not set "
        "(example: TODO_DATABASE_URL=postgresql+psycopg://todo:PASSWORD@localhost:5432/todo); "
        "also wrong: TODO_JWT_SECRET, TODO_MCP_TOKEN"
    )


def test_todo_api_serves_logs_json_and_stops_on_sigterm(database_url: str) -> None:
    port = free_port()
    env = _env(
        TODO_DATABASE_URL=database_url,
        TODO_JWT_SECRET=GOOD_SECRET,
        TODO_MCP_TOKEN=GOOD_SECRET,
        TODO_HOST="127.0.0.1",
        TODO_PORT=str(port),
    )
    process = subprocess.Popen([str(TODO_API)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "todo-api exited early"
            assert time.monotonic() < deadline, "todo-api did not become ready in 30s"
            time.sleep(0.2)
        response = httpx.post(
            f"{base}/api/auth/register",
            json={"email": "log@example.com", "password": "correct horse"},
            headers={"X-Request-ID": "req-log-test"},
        )
        assert response.status_code == 201
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    # uvicorn re-raises the signal after its graceful shutdown, so "killed by SIGTERM" is a clean exit.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    access = [r for r in records if r.get("request_id") == "req-log-test" and r["logger"] == "todo.access"]
    assert access and access[0]["status"] == 201 and access[0]["path"] == "/api/auth/register"
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert GOOD_SECRET not in stderr and "correct horse" not in stderr
    assert [r["message"] for r in records][-2:] == [
        "Application shutdown complete.",
        f"Finished server process [{process.pid}]",
    ]
    assert not any("color_message" in r for r in records)
    assert not any(r["logger"] == "uvicorn.access" for r in records)  # one access line per request
