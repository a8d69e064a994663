"""Chat conversations: every turn is stored here before the API answers, so no replica keeps state."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from .models import (
    NUL,
    TITLE_MAX,
    Conversation,
    ConversationPublic,
    ConversationSummary,
    Message,
    MessagePublic,
    utcnow,
)

# The agent sees at most this many recent messages; older ones stay stored and readable.
HISTORY_LIMIT = 50
TITLE_LENGTH = 60


class ConversationNotFound(LookupError):
    """No conversation with this id belongs to the acting user."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"conversation {conversation_id} not found")
        self.conversation_id = conversation_id


def _owned(session: Session, user_id: int, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.user_id != user_id:
        raise ConversationNotFound(conversation_id)
    return conversation


def title_from(message: str) -> str:
    """A conversation's title: its first message, on one line, shortened."""
    text = " ".join(message.split())
    if len(text) > TITLE_LENGTH:
        text = text[: TITLE_LENGTH - 1].rstrip() + "…"
    return text[:TITLE_MAX]


def list_conversations(session: Session, user_id: int, limit: int = 100) -> list[ConversationSummary]:
    """The user's conversations, most recently active first."""
    rows = session.exec(
        select(Conversation)
        .where(col(Conversation.user_id) == user_id)
        .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
        .limit(limit)
    ).all()
    return [ConversationSummary.model_validate(row) for row in rows]


def get_conversation(session: Session, user_id: int, conversation_id: int) -> ConversationPublic:
    """One of the user's conversations with all its messages, oldest first."""
    conversation = _owned(session, user_id, conversation_id)
    messages = session.exec(
        select(Message).where(col(Message.conversation_id) == conversation_id).order_by(col(Message.id))
    ).all()
    return ConversationPublic(
        id=conversation_id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        messages=[MessagePublic.model_validate(message) for message in messages],
    )


def recent_messages(
    session: Session, user_id: int, conversation_id: int, limit: int = HISTORY_LIMIT
) -> list[Message]:
    """The last ``limit`` messages of one of the user's conversations, oldest first."""
    _owned(session, user_id, conversation_id)
    rows = session.exec(
        select(Message)
        .where(col(Message.conversation_id) == conversation_id)
        .order_by(col(Message.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def _storable(value: Any) -> Any:
    """PostgreSQL text and jsonb cannot hold NUL: an agent's reply or tool call that has one (user input
    never does, it is refused as input) keeps a visible U+FFFD in its place instead of losing the turn."""
    if isinstance(value, str):
        return value.replace(NUL, "\ufffd")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def record_turn(
    session: Session,
    user_id: int,
    conversation_id: int | None,
    user_message: str,
    reply: str,
    tool_calls: list[dict[str, Any]],
) -> int:
    """Store one turn (the user's message, the reply and its tool calls) in ONE transaction.

    Starts a new conversation when ``conversation_id`` is None; answers the conversation id.
    """
    now = utcnow()
    if conversation_id is None:
        conversation = Conversation(user_id=user_id, title=title_from(user_message), created_at=now)
    else:
        conversation = _owned(session, user_id, conversation_id)
    conversation.updated_at = now
    session.add(conversation)
    session.flush()
    # Read the id before COMMIT: afterwards the row is expired and reading it costs a round trip.
    stored_id = conversation.id
    assert stored_id is not None
    session.add(Message(conversation_id=stored_id, role="user", content=user_message, created_at=now))
    session.add(
        Message(
            conversation_id=stored_id,
            role="assistant",
            content=_storable(reply),
            tool_calls=_storable(tool_calls),
            created_at=utcnow(),
        )
    )
    session.commit()
    return stored_id
