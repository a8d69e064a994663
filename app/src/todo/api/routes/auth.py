"""Register, log in, log out, change the password and who-am-I; the session lives in an httpOnly
cookie and in the ``sessions`` table (``todo.core.sessions``), so ending it holds on every replica.

Password hashing is CPU work that needs no database: these routes hash outside the admission gate
(``security.hashing``) and hold a database slot only for their short queries (``deps.in_db_slot``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from todo.core import sessions
from todo.core.models import EMAIL_MAX, NAME_MAX, NoNul, User, UserPublic
from todo.core.users import EmailTaken, create_user, get_user_by_email, normalize_email

from ..deps import (
    CurrentUser,
    SessionClaims,
    SessionCookie,
    SettingsDep,
    in_db_slot,
    live_user,
    session_token,
)
from ..security import clear_session_cookie, hash_password, hashing, set_session_cookie, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])

# Deliberately loose: one @, something before it, a dotted domain after it, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128

Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX), NoNul]
Email = Annotated[str, Field(max_length=EMAIL_MAX), NoNul]


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    name: Annotated[str, Field(max_length=NAME_MAX), NoNul] = ""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = normalize_email(value)
        if not _EMAIL.match(value):
            raise ValueError("must be an e-mail address like name@example.com")
        return value


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, Field(max_length=PASSWORD_MAX), NoNul]


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, Field(max_length=PASSWORD_MAX), NoNul]
    new_password: Password


def _ttl(settings: SettingsDep) -> timedelta:
    return timedelta(minutes=settings.session_ttl_minutes)


def _register(session: Session, body: Register, hashed: str, ttl: timedelta) -> tuple[User, str]:
    user = create_user(session, body.email, hashed, body.name)
    assert user.id is not None
    return user, sessions.start_session(session, user.id, ttl)


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
async def register(body: Register, request: Request, settings: SettingsDep, response: Response) -> UserPublic:
    """Create an account and log it in."""
    hashed = await hashing(hash_password, body.password)
    try:
        user, session_id = await in_db_slot(request, _register, body, hashed, _ttl(settings))
    except EmailTaken:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"email: {body.email} is already registered; log in instead"
        ) from None
    assert user.id is not None
    set_session_cookie(response, settings, user.id, session_id)
    return UserPublic.model_validate(user)


@router.post("/login", response_model=UserPublic)
async def login(body: Login, request: Request, settings: SettingsDep, response: Response) -> UserPublic:
    """Log in with e-mail and password."""
    user = await in_db_slot(request, get_user_by_email, body.email)
    right = await hashing(verify_password, body.password, user.password_hash if user else None)
    if not right or user is None or user.id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password")
    session_id = await in_db_slot(request, sessions.start_session, user.id, _ttl(settings))
    set_session_cookie(response, settings, user.id, session_id)
    return UserPublic.model_validate(user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request, settings: SettingsDep, response: Response, token: SessionCookie = None
) -> None:
    """End the session: on the server (every replica refuses its cookie from now on) and in this browser."""
    try:
        claims = session_token(settings, token)
    except HTTPException:
        claims = None  # no live session to end; clearing the cookie is all there is to do
    if claims is not None:
        await in_db_slot(request, sessions.end_session, claims.session_id)
    clear_session_cookie(response, settings)


def _change_password(session: Session, user_id: int, hashed: str, ttl: timedelta) -> str:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "account no longer exists; register again")
    user.password_hash = hashed
    session.add(user)
    session.commit()
    sessions.end_user_sessions(session, user_id)
    return sessions.start_session(session, user_id, ttl)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange, claims: SessionClaims, request: Request, settings: SettingsDep, response: Response
) -> None:
    """Change the password: every session of the account ends (other browsers must log in again)
    and this browser gets a new one."""
    user = await in_db_slot(request, live_user, claims)
    if not await hashing(verify_password, body.current_password, user.password_hash):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "current_password: is wrong; type your current password"
        )
    hashed = await hashing(hash_password, body.new_password)
    session_id = await in_db_slot(request, _change_password, claims.user_id, hashed, _ttl(settings))
    set_session_cookie(response, settings, claims.user_id, session_id)


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """The logged-in user."""
    return UserPublic.model_validate(user)
