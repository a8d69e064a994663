"""The user's chat conversations: list them, read one."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from todo.core import conversations
from todo.core.models import ConversationPublic, ConversationSummary, Id

from ..deps import CurrentUser, SessionDep

router = APIRouter(prefix="/conversations", tags=["chat"])


class ConversationList(BaseModel):
    items: list[ConversationSummary]


@router.get("", response_model=ConversationList)
def list_conversations(user: CurrentUser, session: SessionDep) -> ConversationList:
    """The user's conversations, most recently active first."""
    assert user.id is not None
    return ConversationList(items=conversations.list_conversations(session, user.id))


@router.get("/{conversation_id}", response_model=ConversationPublic)
def get_conversation(conversation_id: Id, user: CurrentUser, session: SessionDep) -> ConversationPublic:
    """One conversation with its messages; 404 when it is missing or not the user's."""
    assert user.id is not None
    return conversations.get_conversation(session, user.id, conversation_id)
