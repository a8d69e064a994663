"""Password hashing (argon2 via pwdlib) and session tokens (HS256 JWT via PyJWT).

The browser holds the session in an httpOnly, SameSite=Lax cookie on path ``/api``: JavaScript
never sees the token (no XSS theft), and Lax keeps other sites from riding it on POSTs.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import jwt
from fastapi import Response
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from todo.core.models import ID_MAX, utcnow
from todo.core.settings import ApiSettings

T = TypeVar("T")

SESSION_COOKIE = "todo_session"
COOKIE_PATH = "/api"
ALGORITHM = "HS256"

_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

password_hash = PasswordHash((Argon2Hasher(),))
# Hashing is CPU work that needs no database connection: it runs here, outside the admission gate's
# slots, at most one per core at once, so a burst of sign-ups neither holds connections nor takes
# every worker thread from the requests that only read.
_hashers = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="todo-password-hash")
# Verified when the e-mail is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = password_hash.hash("not-a-real-password")


class InvalidSession(Exception):
    """The session cookie is missing, malformed, forged or expired; the message says which."""


def hash_password(password: str) -> str:
    return password_hash.hash(password)


async def hashing(function: Callable[..., T], *args: Any) -> T:
    """Run a password hash or check on the hashing threads (never while holding a database slot)."""
    return await asyncio.get_running_loop().run_in_executor(_hashers, function, *args)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-effort check; False for an unknown user (``hashed`` None)."""
    if hashed is None:
        password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return password_hash.verify(password, hashed)
    except Exception:  # noqa: BLE001 - an unparsable stored hash is just a failed login
        return False


@dataclass(frozen=True)
class SessionToken:
    """What a valid session cookie says: whose it is and which server-side session it belongs to."""

    user_id: int
    session_id: str


def issue_token(settings: ApiSettings, user_id: int, session_id: str) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": now,
        "exp": now + timedelta(minutes=settings.session_ttl_minutes),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def read_token(settings: ApiSettings, token: str) -> SessionToken:
    """The claims of a validly signed, unexpired token this server could have issued, else
    ``InvalidSession``; whether its session still lives is the database's to say (``todo.core.sessions``)."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "sid"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidSession("session expired; log in again") from None
    except jwt.InvalidTokenError:
        raise InvalidSession("invalid session; log in again") from None
    subject, session_id = claims.get("sub"), claims.get("sid")
    # Only what issue_token writes: an ASCII decimal id in range, and a session id of token_urlsafe's shape.
    if not (isinstance(subject, str) and subject.isascii() and subject.isdecimal() and len(subject) <= 10):
        raise InvalidSession("invalid session; log in again")
    if not (
        1 <= int(subject) <= ID_MAX and isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id)
    ):
        raise InvalidSession("invalid session; log in again")
    return SessionToken(user_id=int(subject), session_id=session_id)


def set_session_cookie(response: Response, settings: ApiSettings, user_id: int, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issue_token(settings, user_id, session_id),
        max_age=settings.session_ttl_minutes * 60,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response, settings: ApiSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=settings.cookie_secure
    )
