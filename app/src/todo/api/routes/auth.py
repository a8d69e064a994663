"""Register, log in, log out and who-am-I; the session lives in an httpOnly cookie."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from todo.core.models import EMAIL_MAX, NAME_MAX, UserPublic
from todo.core.users import EmailTaken, create_user, get_user_by_email, normalize_email

from ..deps import CurrentUser, SessionDep, SettingsDep
from ..security import clear_session_cookie, hash_password, set_session_cookie, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])

# Deliberately loose: one @, something before it, a dotted domain after it, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=EMAIL_MAX)]
    password: Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
    name: Annotated[str, Field(max_length=NAME_MAX)] = ""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = normalize_email(value)
        if not _EMAIL.match(value):
            raise ValueError("must be an e-mail address like name@example.com")
        return value


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=EMAIL_MAX)]
    password: Annotated[str, Field(max_length=PASSWORD_MAX)]


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
def register(body: Register, session: SessionDep, settings: SettingsDep, response: Response) -> UserPublic:
    """Create an account and log it in."""
    try:
        user = create_user(session, body.email, hash_password(body.password), body.name)
    except EmailTaken:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"email: {body.email} is already registered; log in instead"
        ) from None
    assert user.id is not None
    set_session_cookie(response, settings, user.id)
    return UserPublic.model_validate(user)


@router.post("/login", response_model=UserPublic)
def login(body: Login, session: SessionDep, settings: SettingsDep, response: Response) -> UserPublic:
    """Log in with e-mail and password."""
    user = get_user_by_email(session, body.email)
    if not verify_password(body.password, user.password_hash if user else None) or user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password")
    assert user.id is not None
    set_session_cookie(response, settings, user.id)
    return UserPublic.model_validate(user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(settings: SettingsDep, response: Response) -> None:
    """End the session in this browser (clears the cookie)."""
    clear_session_cookie(response, settings)


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """The logged-in user."""
    return UserPublic.model_validate(user)
