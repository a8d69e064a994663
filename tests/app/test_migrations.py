"""todo-migrate: idempotent, matches the models, waits for the database with a bounded retry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import todo.core.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from tests.support.postgres import PostgresServer, free_port
from todo.core.migrate import current_revision, head_revision, upgrade
from todo.core.migrate import main as migrate_main

MIGRATE = Path(sys.executable).with_name("todo-migrate")


def _run_migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env.update(TODO_DATABASE_URL=url, TODO_ENVIRONMENT="development")
    return subprocess.run([str(MIGRATE), *args], env=env, capture_output=True, text=True, timeout=60)


def test_concurrent_then_repeated_migrations(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("migrate_concurrently")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
    env.update(TODO_DATABASE_URL=url)
    # Two at once (two hook Jobs, or a retried one): the advisory lock makes the second wait.
    procs = [subprocess.Popen([str(MIGRATE)], env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sum("schema migrated" in out for out in outputs) == 1, outputs
    assert sum("already current" in out for out in outputs) == 1, outputs
    again = _run_migrate(url)
    assert again.returncode == 0, again.stderr
    assert "already current" in again.stderr
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


def test_unreachable_database_fails_after_bounded_wait(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens here
    monkeypatch.setenv("TODO_DATABASE_URL", f"postgresql+psycopg://todo:hunter2@127.0.0.1:{port}/todo")
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        migrate_main(["--wait", "2"])
    elapsed = time.monotonic() - started
    assert exited.value.code == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"todo-migrate: database postgresql+psycopg://todo:***@127.0.0.1:{port}/todo")
    assert "did not answer within 2s" in last and "Check TODO_DATABASE_URL" in last
    assert "hunter2" not in err  # the password never reaches a log
    assert 1.5 < elapsed < 20


def test_upgrade_function_reports_revisions(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("migrate_function")
    assert upgrade(url) == (None, head_revision())
    assert upgrade(url) == (head_revision(), head_revision())


def test_a_wrong_database_name_fails_at_once(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODO_DATABASE_URL", pg_server.url("no_such_db"))
    started = time.monotonic()
    with pytest.raises(SystemExit) as exited:
        migrate_main(["--wait", "30"])
    assert exited.value.code == 1
    assert time.monotonic() - started < 10  # no point waiting 30 s for a typo
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert 'database "no_such_db" does not exist' in last
    assert "Fix the database name, user or password in TODO_DATABASE_URL" in last
