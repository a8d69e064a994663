"""``todo-migrate``: wait for the database (bounded), then bring its schema to the newest revision.

Idempotent: a database that is already current is left alone. Runs as a Helm pre-install /
pre-upgrade hook Job from the backend image, and in tests.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from .db import normalize_url, safe_url
from .logging import configure_logging
from .settings import CoreSettings, settings_from_env

log = logging.getLogger("todo.migrate")

# Any fixed number works; every process that migrates this database uses the same one.
MIGRATION_LOCK_ID = 7_411_202


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", "todo:migrations")
    return config


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# Answers that waiting cannot fix: the URL names a wrong database, user or password.
_PERMANENT_ERRORS = ("does not exist", "authentication failed", "no pg_hba.conf entry")


class DatabaseRefused(RuntimeError):
    """The server answered, but refuses these credentials or this database name."""


def wait_for_database(engine: Engine, timeout_seconds: float, interval_seconds: float = 1.0) -> None:
    """Retry connecting until the database answers or ``timeout_seconds`` pass."""
    deadline = time.monotonic() + timeout_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            with engine.connect():
                return
        except OperationalError as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            if any(marker in reason for marker in _PERMANENT_ERRORS):
                raise DatabaseRefused(reason) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"database {engine.url.render_as_string(hide_password=True)} "
                    f"did not answer within {timeout_seconds:g}s ({attempt} attempts); last error: {reason}"
                ) from None
            log.info("waiting for the database", extra={"attempt": attempt, "error": reason})
            # The last attempt lands on the deadline, so the whole wait is used.
            time.sleep(min(interval_seconds, remaining))


def upgrade(database_url: str, timeout_seconds: float = 60.0) -> tuple[str | None, str | None]:
    """Wait for the database, migrate it to head; answer (revision before, revision after)."""
    engine = create_engine(normalize_url(database_url), connect_args={"connect_timeout": 5})
    try:
        wait_for_database(engine, timeout_seconds)
        with engine.connect() as connection:
            # Held across read-upgrade-read (env.py takes it again; PostgreSQL advisory locks nest),
            # so of two concurrent runs exactly one reports the migration and the other finds it done.
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
            try:
                before = MigrationContext.configure(connection).get_current_revision()
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                after = MigrationContext.configure(connection).get_current_revision()
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
                connection.commit()
        return before, after
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``todo-migrate``."""
    parser = argparse.ArgumentParser(prog="todo-migrate", description=__doc__)
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the database to accept connections (default: 60)",
    )
    args = parser.parse_args(argv)
    settings = settings_from_env(CoreSettings)
    configure_logging(settings.log_level)
    url = settings.database_url.get_secret_value()
    try:
        before, after = upgrade(url, args.wait)
    except TimeoutError as error:
        print(
            f"todo-migrate: {error}. Check TODO_DATABASE_URL and that PostgreSQL is running.", file=sys.stderr
        )
        raise SystemExit(1) from None
    except DatabaseRefused as error:
        print(
            f"todo-migrate: database {safe_url(url)} refused the connection: {error}. "
            "Fix the database name, user or password in TODO_DATABASE_URL.",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        print(f"todo-migrate: database {safe_url(url)} refused the migration: {reason}", file=sys.stderr)
        raise SystemExit(1) from None
    if before == after:
        log.info("database schema already current", extra={"revision": after})
    else:
        log.info("database schema migrated", extra={"from_revision": before, "to_revision": after})
