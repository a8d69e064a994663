"""User accounts (the API's auth routes use these; password hashing lives in the API)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .models import User


class EmailTaken(ValueError):
    """Another account already uses this e-mail address."""


def normalize_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding blanks."""
    return email.strip().lower()


def create_user(session: Session, email: str, password_hash: str, name: str = "") -> User:
    """Insert a user; ``EmailTaken`` when the address is in use (also under a concurrent insert)."""
    user = User(email=normalize_email(email), name=name.strip(), password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise EmailTaken(email) from None
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this address, if any."""
    return session.exec(select(User).where(col(User.email) == normalize_email(email))).first()
