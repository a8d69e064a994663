"""Alembic environment: runs on the connection ``todo.core.migrate`` hands over (online only)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import todo.core.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from todo.core.migrate import MIGRATION_LOCK_ID


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    # Two migrate Jobs (or replicas) at once must not race: the second waits, then finds nothing to do.
    connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run todo-migrate")
run_migrations_online()
