"""Database engine and sessions (sync SQLAlchemy over psycopg 3), shared by every service."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlmodel import Session

from todo.core.settings import CoreSettings

_engines: dict[tuple[str, int, float], Engine] = {}
_engines_lock = threading.Lock()

# Connections beyond the request pool, for readiness probes (they bypass admission control).
PROBE_CONNECTIONS = 1

# A pooled connection idle longer than this is pinged before use (it may have died meanwhile);
# busy connections skip the ping, saving a round trip per request under load.
IDLE_PING_SECONDS = 10.0


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def get_engine(
    database_url: str,
    *,
    pool_size: int = CoreSettings.model_fields["db_pool_size"].default,
    pool_timeout: float = CoreSettings.model_fields["db_queue_timeout_seconds"].default,
) -> Engine:
    """One pooled engine per URL and pool shape per process, so every request reuses warm connections.

    ``pool_size`` connections serve requests (``AdmissionGate`` lets no more requests at them);
    ``PROBE_CONNECTIONS`` more stay free for probes, so a busy pod still answers /readyz.
    """
    url = normalize_url(database_url)
    key = (url, pool_size, pool_timeout)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=PROBE_CONNECTIONS,
                pool_recycle=1800,
                # Bounded waits: an unreachable or exhausted database answers 503 instead of hanging.
                pool_timeout=pool_timeout,
                connect_args={"connect_timeout": 5, "application_name": "todo"},
            )
            _ping_idle_connections(engine)
            _engines[key] = engine
        return engine


def engine_for(settings: CoreSettings) -> Engine:
    """The pooled engine a service's settings describe (URL, pool size, checkout timeout)."""
    return get_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_queue_timeout_seconds,
    )


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            # Plain DB-API ping, outside any transaction the ORM will open.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:
            # The pool discards this connection and retries the checkout with a fresh one.
            raise exc.DisconnectionError(str(error)) from error


def dispose_engines() -> None:
    """Close every pooled connection (process shutdown, tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@functools.cache
def autocommit(engine: Engine) -> Engine:
    """The same pool, but each statement commits by itself: no BEGIN/COMMIT round trips.

    For request paths whose writes are single statements (the task service, sign-up); code that
    must write several rows atomically (a chat turn) uses the plain engine.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """An autocommit session for the task service (single-statement writes), closed on exit."""
    with Session(autocommit(engine), expire_on_commit=False) as session:
        yield session


def ping(engine: Engine) -> None:
    """Raise when the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def safe_url(database_url: str) -> str:
    """The URL without its password, for logs and error messages."""
    return make_url(normalize_url(database_url)).render_as_string(hide_password=True)
