"""Dependencies as Annotated aliases, so route signatures read as domain types."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Cookie, Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlmodel import Session

from todo.core.models import User
from todo.core.overload import AdmissionGate
from todo.core.settings import ApiSettings

from .security import SESSION_COOKIE, InvalidSession, read_token


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
    async with admission(request).slot():
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()


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


async def get_current_user_id(settings: SettingsDep, token: SessionCookie = None) -> int:
    """The user id of a valid session cookie (no database read); 401 otherwise."""
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in")
    try:
        return read_token(settings, token)
    except InvalidSession as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from None


# For the hot task routes: the id from the signed cookie is enough, since every task query is
# scoped by user id; a create for an account that no longer exists fails its foreign key (401).
CurrentUserId = Annotated[int, Depends(get_current_user_id)]


def get_current_user(session: SessionDep, user_id: CurrentUserId) -> User:
    """The logged-in user's row; 401 when the account no longer exists."""
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "account no longer exists; register again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
