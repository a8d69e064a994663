"""Server-side sessions: a session cookie counts only while its row in ``sessions`` lives.

Every replica reads the same table, so ending a session (logout) or all of a user's sessions (a
password change) takes effect everywhere on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from .models import UserSession, utcnow


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(session: Session, user_id: int, ttl: timedelta) -> str:
    """Record a new session for the user and answer its random id (what the cookie carries)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    # The user's expired sessions go on the way: the table holds live sessions and few others.
    session.exec(
        delete(UserSession).where(col(UserSession.user_id) == user_id, col(UserSession.expires_at) <= now)
    )
    session.add(UserSession(id=_key(session_id), user_id=user_id, created_at=now, expires_at=now + ttl))
    session.commit()
    return session_id


def session_user(session: Session, session_id: str) -> int | None:
    """The user of a live session, or None when it ended, expired or never existed."""
    return session.exec(
        select(UserSession.user_id).where(
            col(UserSession.id) == _key(session_id), col(UserSession.expires_at) > utcnow()
        )
    ).first()


def end_session(session: Session, session_id: str) -> None:
    """End one session (logout); ending one that is gone already is fine."""
    session.exec(delete(UserSession).where(col(UserSession.id) == _key(session_id)))
    session.commit()


def end_user_sessions(session: Session, user_id: int) -> None:
    """End every session of the user (a password change)."""
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))
    session.commit()
