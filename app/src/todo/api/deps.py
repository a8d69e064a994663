"""Dependencies as Annotated aliases, so route signatures read as domain types."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Cookie, Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from todo.core import sessions
from todo.core.models import User
from todo.core.overload import AdmissionGate
from todo.core.settings import ApiSettings

from .security import SESSION_COOKIE, InvalidSession, SessionToken, read_token

T = TypeVar("T")


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session whose statements commit one by one (see ``todo.core.db.autocommit``).

    It holds a slot of the admission gate while it lives, so no more requests use the database at
    once than the pool has connections (the rest queue briefly or get 503, ``todo.core.overload``).
    Async on purpose: opening a session does no I/O (it connects on first use, inside the sync
    route's worker thread), and closing an autocommit session only returns the connection to the
    pool, so this costs no thread hop.
    """
    engine: Engine = request.app.state.request_engine
    async with admission(request).slot(cost_class(request)):
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()


def cost_class(request: Request) -> str:
    """The admission gate's cost class of a request: its route (a bounded set, unlike raw paths)."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', '?')}"


async def in_db_slot(request: Request, step: Callable[..., T], *args: Any) -> T:
    """Run ``step(session, *args)`` in a worker thread while holding an admission slot, briefly.

    For routes that do work outside the database (password hashing, the chat agent) between
    short database steps: they hold a slot only for those steps.
    """
    engine: Engine = request.app.state.request_engine

    def run() -> T:
        with Session(engine, expire_on_commit=False) as session:
            return step(session, *args)

    async with admission(request).slot(f"{cost_class(request)} {step.__name__}"):
        return await run_in_threadpool(run)


def admission(request: Request) -> AdmissionGate:
    """The process's admission gate for database work."""
    gate: AdmissionGate = request.app.state.admission
    return gate


async def chat_engine_loaded(request: Request) -> None:
    """Wait for the chat engine that start-up began loading (instant once loaded); 503 if it failed."""
    loading: asyncio.Future[object] | None = getattr(request.app.state, "chat_engine_loading", None)
    if loading is None:
        return
    try:
        # Shielded: a client that hangs up must not cancel the load every other request waits for.
        await asyncio.shield(loading)
    except Exception:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the chat engine failed to load; the backend's log says why"
        ) from None


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


SessionCookie = Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)]


def session_token(settings: ApiSettings, token: str | None) -> SessionToken:
    """The claims of a well-formed, validly signed session cookie; 401 otherwise (no database read)."""
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in")
    try:
        return read_token(settings, token)
    except InvalidSession as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from None


def live_session_user(session: Session, claims: SessionToken) -> int:
    """The user id of a session that still lives server-side; 401 once it was ended or never was."""
    if sessions.session_user(session, claims.session_id) != claims.user_id:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "session ended; log in again")
    return claims.user_id


async def get_session_claims(settings: SettingsDep, token: SessionCookie = None) -> SessionToken:
    return session_token(settings, token)


# Before the database session in every signature: a request without a valid cookie takes no slot.
SessionClaims = Annotated[SessionToken, Depends(get_session_claims)]


def get_current_user_id(claims: SessionClaims, session: SessionDep) -> int:
    """The user id of a live session, checked on the route's own database session; 401 otherwise."""
    return live_session_user(session, claims)


async def get_current_user_id_in_own_slot(request: Request, claims: SessionClaims) -> int:
    """The same check, for routes that hold no database session throughout (a chat turn)."""
    return await in_db_slot(request, live_session_user, claims)


# Every route checks the session in PostgreSQL, so logout and a password change end it on every
# replica; every task query is then scoped by that user id.
CurrentUserId = Annotated[int, Depends(get_current_user_id)]
SessionUserId = Annotated[int, Depends(get_current_user_id_in_own_slot)]


def live_user(session: Session, claims: SessionToken) -> User:
    """The user row of a live session; 401 when the account no longer exists."""
    user = session.get(User, live_session_user(session, claims))
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "account no longer exists; register again")
    return user


def get_current_user(claims: SessionClaims, session: SessionDep) -> User:
    """The logged-in user's row."""
    return live_user(session, claims)


CurrentUser = Annotated[User, Depends(get_current_user)]
