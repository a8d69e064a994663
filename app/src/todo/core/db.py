"""Database engine and sessions (sync SQLAlchemy over psycopg 3), shared by every service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def get_engine(database_url: str) -> Engine:
    """One pooled engine per URL per process, so every request reuses warm connections."""
    url = normalize_url(database_url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(
                url,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                pool_recycle=1800,
                # Bounded waits so an unreachable database fails a request instead of hanging it.
                pool_timeout=10,
                connect_args={"connect_timeout": 5, "application_name": "todo"},
            )
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (process shutdown, tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed (and its open transaction rolled back) on exit."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def ping(engine: Engine) -> None:
    """Raise when the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def safe_url(database_url: str) -> str:
    """The URL without its password, for logs and error messages."""
    return make_url(normalize_url(database_url)).render_as_string(hide_password=True)
