"""Fixtures of the app tier, against a REAL PostgreSQL started here (tests/support/postgres.py).

Stable fixtures other test modules (MCP, agent, chat) rely on:

- ``pg_server``      (session)  the running ``PostgresServer``; ``pg_server.create_database(name)``
                                gives an extra empty database.
- ``migrated_url``   (session)  URL of a database migrated to head with ``todo-migrate``'s code.
- ``database_url``   (function) the same URL, with every table emptied (ids restart) first:
                                each test starts from an empty, migrated database.
- ``engine``         (function) the pooled SQLAlchemy engine for ``database_url``.
- ``session``        (function) a SQLModel ``Session`` on it (closed after the test).
- ``make_user``      (function) ``make_user(email=None, name="") -> User`` inserts a user row.
- ``api_settings``   (function) ``ApiSettings`` for ``database_url`` in development mode with
                                generated secrets (``jwt_secret``, ``mcp_token``).
- ``api_app``        (function) ``create_app(api_settings)``, in-process.
- ``client``         (function) a ``TestClient`` on ``api_app`` (keeps cookies like a browser).
- ``register(client, email=..., password=...)`` (plain function) registers and logs the client in.
- ``error_detail(response)`` (plain function) the ``detail`` of an error answer, after checking its
                                ``request_id`` is the one in the ``X-Request-ID`` header.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from tests.app.mcp_server import RunningMcp, run_mcp_server
from tests.support.postgres import PostgresServer, PostgresUnavailable
from todo.api.main import create_app
from todo.core.db import get_engine
from todo.core.migrate import upgrade
from todo.core.models import User
from todo.core.settings import ApiSettings, Environment

TABLES = ("sessions", "messages", "conversations", "tasks", "users")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as error:
        pytest.fail(f"cannot start PostgreSQL for the app tests: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def migrated_url(pg_server: PostgresServer) -> str:
    url = pg_server.create_database("todo_tests")
    upgrade(url, timeout_seconds=10)
    return url


@pytest.fixture
def database_url(migrated_url: str) -> str:
    with get_engine(migrated_url).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    return migrated_url


@pytest.fixture
def engine(database_url: str) -> Engine:
    return get_engine(database_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


_emails = itertools.count(1)


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    def make(email: str | None = None, name: str = "") -> User:
        user = User(
            email=email or f"user{next(_emails)}@example.com",
            name=name,
            # Not a usable hash: users made here log in through the API tests, not with a password.
            password_hash="!fixture",
        )
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def api_settings(database_url: str) -> ApiSettings:
    return ApiSettings(
        environment=Environment.development,
        database_url=database_url,  # type: ignore[arg-type]
        jwt_secret=secrets.token_hex(32),  # type: ignore[arg-type]
        mcp_token=secrets.token_hex(32),  # type: ignore[arg-type]
        log_level="warning",
    )


@pytest.fixture
def api_app(api_settings: ApiSettings) -> FastAPI:
    """The FastAPI app on the test database (in-process; no agent or MCP server attached)."""
    return create_app(api_settings)


@pytest.fixture
def client(api_app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for ``api_app``; it keeps cookies like a browser does."""
    with TestClient(api_app) as test_client:
        yield test_client


def register(client: TestClient, email: str = "ann@example.com", password: str = "correct horse") -> int:
    """Register (which logs the client in) and answer the new user's id."""
    response = client.post("/api/auth/register", json={"email": email, "password": password, "name": "Ann"})
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


def error_detail(response: httpx.Response | httpx2.Response) -> str:
    """The error's ``detail``; every error body carries the request id its header carries."""
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"], body
    detail: str = body["detail"]
    return detail


@pytest.fixture
def anyio_backend() -> str:
    """The async tests of this package run on asyncio (the servers' loop)."""
    return "asyncio"


@pytest.fixture
def mcp(api_settings: ApiSettings) -> Iterator[RunningMcp]:
    """A real MCP server over HTTP on loopback, configured like the API that calls it."""
    with run_mcp_server(api_settings) as server:
        yield server
