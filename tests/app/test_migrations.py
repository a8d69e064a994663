"""todo-migrate: idempotent, matches the models, waits for the database with a bounded retry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import todo.core.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from tests.support.postgres import PostgresServer, free_port
from todo.core.migrate import current_revision, head_revision, upgrade

MIGRATE = Path(sys.executable).with_name("todo-migrate")


def _run_migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env.update(TODO_DATABASE_URL=url, TODO_ENVIRONMENT="development")
    return subprocess.run([str(MIGRATE), *args], env=env, capture_output=True, text=True, timeout=60)


def test_migrate_twice_is_a_no_op(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("migrate_twice")
    first = _run_migrate(url)
    assert first.returncode == 0, first.stderr
    assert '"database schema migrated"' in first.stderr or "schema migrated" in first.stderr
    second = _run_migrate(url)
    assert second.returncode == 0, second.stderr
    assert "already current" in second.stderr
    engine = create_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= {"users", "tasks", "conversations", "messages"}
    finally:
        engine.dispose()


def test_migrations_match_the_models(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_concurrent_migrations_do_not_race(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("migrate_concurrently")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env.update(TODO_DATABASE_URL=url)
    procs = [subprocess.Popen([str(MIGRATE)], env=env, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs


def test_unreachable_database_fails_after_bounded_wait() -> None:
    port = free_port()  # nothing listens here
    started = time.monotonic()
    result = _run_migrate(f"postgresql+psycopg://todo:hunter2@127.0.0.1:{port}/todo", "--wait", "2")
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    assert "did not answer within 2s" in lines[-1]
    assert "TODO_DATABASE_URL" in lines[-1]
    assert "hunter2" not in result.stderr  # the password never reaches a log
    assert elapsed < 20


def test_upgrade_function_reports_revisions(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("migrate_function")
    assert upgrade(url) == (None, head_revision())
    assert upgrade(url) == (head_revision(), head_revision())
