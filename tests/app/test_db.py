"""Connection pool behaviour: a pooled connection that died while idle is replaced, not reported."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event, text

from todo.core import db


def test_a_connection_killed_while_idle_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.get_engine(database_url)
    with engine.connect() as connection:
        first_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # Every pooled connection counts as idle, and the one in the pool is killed server-side.
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first_pid


def test_busy_connections_are_not_pinged(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 2"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == ["SELECT 2"]
