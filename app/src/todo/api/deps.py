"""Dependencies as Annotated aliases, so route signatures read as domain types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Cookie, Depends, HTTPException, Request, status
from sqlalchemy import Engine
from sqlmodel import Session

from todo.core.models import User
from todo.core.settings import ApiSettings

from .security import SESSION_COOKIE, InvalidSession, read_token


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """A session whose statements commit one by one (see ``todo.core.db.autocommit``)."""
    engine: Engine = request.app.state.request_engine
    with Session(engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)] = None,
) -> User:
    """The user of the session cookie; 401 when there is none, it is invalid or expired."""
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not logged in")
    try:
        user_id = read_token(settings, token)
    except InvalidSession as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from None
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "account no longer exists; register again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
