"""Password hashing (argon2 via pwdlib) and session tokens (HS256 JWT via PyJWT).

The browser holds the session in an httpOnly, SameSite=Lax cookie on path ``/api``: JavaScript
never sees the token (no XSS theft), and Lax keeps other sites from riding it on POSTs.
"""

from __future__ import annotations

from datetime import timedelta

import jwt
from fastapi import Response
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from todo.core.models import utcnow
from todo.core.settings import ApiSettings

SESSION_COOKIE = "todo_session"
COOKIE_PATH = "/api"
ALGORITHM = "HS256"

password_hash = PasswordHash((Argon2Hasher(),))
# Verified when the e-mail is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = password_hash.hash("not-a-real-password")


class InvalidSession(Exception):
    """The session cookie is missing, malformed, forged or expired; the message says which."""


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-effort check; False for an unknown user (``hashed`` None)."""
    if hashed is None:
        password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return password_hash.verify(password, hashed)
    except Exception:  # noqa: BLE001 - an unparsable stored hash is just a failed login
        return False


def issue_token(settings: ApiSettings, user_id: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(minutes=settings.session_ttl_minutes),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def read_token(settings: ApiSettings, token: str) -> int:
    """The user id in a valid token, else ``InvalidSession``."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidSession("session expired; log in again") from None
    except jwt.InvalidTokenError:
        raise InvalidSession("invalid session; log in again") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.isdigit():
        raise InvalidSession("invalid session; log in again")
    return int(subject)


def set_session_cookie(response: Response, settings: ApiSettings, user_id: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issue_token(settings, user_id),
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
