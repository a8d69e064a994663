"""``POST /api/chat``: load the conversation, run the agent, store the turn, answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from todo.agent import HistoryMessage, ToolCall, run_turn
from todo.core import conversations
from todo.core.db import autocommit
from todo.core.models import MESSAGE_MAX, Id, Message, NoNul, ToolCallPublic
from todo.core.overload import AdmissionGate
from todo.core.settings import AgentEngine

from ..deps import SessionUserId, SettingsDep, admission, chat_engine_loaded, get_engine

router = APIRouter(tags=["chat"])
log = logging.getLogger("todo.api.chat")

FALLBACK_REPLY = "Sorry, something went wrong on my side and I could not do that. Please try again."


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, Field(max_length=MESSAGE_MAX), NoNul]
    conversation_id: Id | None = None

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value


class ChatReply(BaseModel):
    conversation_id: int
    reply: str
    tool_calls: list[ToolCallPublic]


@asynccontextmanager
async def _refused_if_full(gate: AdmissionGate) -> AsyncIterator[None]:
    gate.refuse_if_full()
    yield


def _history(messages: list[Message]) -> list[HistoryMessage]:
    history = []
    for message in messages:
        role: Literal["user", "assistant"] = "assistant" if message.role == "assistant" else "user"
        calls = tuple(
            ToolCall(
                name=str(call.get("name", "")),
                arguments=dict(call.get("arguments") or {}),
                result=call.get("result"),
                error=call.get("error"),
            )
            for call in message.tool_calls
        )
        history.append(HistoryMessage(role=role, content=message.content, tool_calls=calls))
    return history


def _load_history(engine: Engine, user_id: int, conversation_id: int) -> list[HistoryMessage]:
    with Session(autocommit(engine)) as session:
        return _history(conversations.recent_messages(session, user_id, conversation_id))


def _store(
    engine: Engine,
    user_id: int,
    conversation_id: int | None,
    message: str,
    reply: str,
    tool_calls: list[dict[str, Any]],
) -> int:
    with Session(engine) as session:
        return conversations.record_turn(session, user_id, conversation_id, message, reply, tool_calls)


@router.post("/chat", response_model=ChatReply, dependencies=[Depends(chat_engine_loaded)])
async def chat(
    request: Request,
    body: ChatRequest,
    user_id: SessionUserId,
    settings: SettingsDep,
    engine: Annotated[Engine, Depends(get_engine)],
) -> ChatReply:
    """One chat turn. The turn is stored in PostgreSQL before the answer returns.

    Under overload a turn is refused with 503 before its agent acts, never after (its tools may
    already have changed tasks). A rules-engine turn is this process's own CPU work, so it holds an
    admission slot throughout, like any request; an LLM turn mostly waits on the remote API, so only
    its two database steps take a slot, and storing it waits for one however long the queue.
    """
    gate = admission(request)
    whole_turn = settings.agent_engine is AgentEngine.rules

    def db_step(finishing: bool = False) -> AbstractAsyncContextManager[None]:
        return nullcontext() if whole_turn else gate.slot("chat step", finishing=finishing)

    async with gate.slot("chat turn") if whole_turn else _refused_if_full(gate):
        history: list[HistoryMessage] = []
        if body.conversation_id is not None:
            # 404 for someone else's (or a missing) conversation happens here, before the agent runs.
            async with db_step():
                history = await run_in_threadpool(_load_history, engine, user_id, body.conversation_id)
        try:
            turn = await run_turn(settings, user_id, history, body.message)
            reply, calls = turn.reply, [jsonable_encoder(asdict(call)) for call in turn.tool_calls]
        except Exception:
            # The agent promises not to raise; if it does anyway the user still gets an answer and a record.
            log.exception("chat agent failed", extra={"user_id": user_id})
            reply, calls = FALLBACK_REPLY, []
        try:
            async with db_step(finishing=True):
                conversation_id = await run_in_threadpool(
                    _store, engine, user_id, body.conversation_id, body.message, reply, calls
                )
        except IntegrityError:
            # The only constraint a turn can break: the signed-in account was deleted meanwhile.
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "account no longer exists; register again"
            ) from None
    return ChatReply(
        conversation_id=conversation_id,
        reply=reply,
        tool_calls=[ToolCallPublic.model_validate(call) for call in calls],
    )
