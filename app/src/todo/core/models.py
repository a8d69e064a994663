"""SQLModel families per entity: ``*Base`` (shared fields), ``*Create``/``*Update`` (input),
the table model, and ``*Public`` (what the API and the MCP tools answer)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

T = TypeVar("T")

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
EMAIL_MAX = 254
NAME_MAX = 100
MESSAGE_MAX = 4000
# Ids are PostgreSQL integer (serial) columns; a larger number can name no row, so it is refused as
# input instead of reaching the database, which would fail the statement (a 500).
ID_MAX = 2**31 - 1
# PostgreSQL's OFFSET is a bigint.
OFFSET_MAX = 2**63 - 1
NUL = "\x00"


def refuse_nul(value: T) -> T:
    """PostgreSQL text cannot hold NUL (U+0000): refuse it as input, never fail the statement."""
    if isinstance(value, str) and NUL in value:
        position = value.index(NUL)
        raise ValueError(
            f"must not contain the NUL character (U+0000, found at position {position}); remove it"
        )
    return value


# Every text field of every input (API bodies and queries, MCP tool arguments) carries this check:
# ``TextInput``, or ``Annotated[str, Field(...), NoNul]`` where length limits come first (so that their
# messages stay about characters).
NoNul = AfterValidator(refuse_nul)
TextInput = Annotated[str, NoNul]
# Every id of every input (paths, bodies, tool arguments).
Id = Annotated[int, PydanticField(ge=1, le=ID_MAX)]
Offset = Annotated[int, PydanticField(ge=0, le=OFFSET_MAX)]


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp is stored as timestamptz."""
    return datetime.now(UTC)


def _timestamp() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column_kwargs={"nullable": False},
        sa_type=DateTime(timezone=True),
    )


class Priority(StrEnum):
    """How urgent a task is."""

    low = "low"
    medium = "medium"
    high = "high"


class TaskStatus(StrEnum):
    """Which tasks a listing returns."""

    open = "open"
    done = "done"
    all = "all"


class TaskOrder(StrEnum):
    """How a listing is sorted; every order ends with the id, so pages never overlap."""

    default = "default"  # open first, then oldest first
    due_date = "due_date"  # soonest due first, tasks without a due date last
    oldest = "oldest"
    newest = "newest"
    priority = "priority"  # high first, then soonest due
    alphabetical = "alphabetical"  # by title, ignoring case


# --- users ---------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A person who owns tasks and conversations."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(EMAIL_MAX), unique=True, nullable=False))
    name: str = Field(default="", sa_column=Column(String(NAME_MAX), nullable=False, server_default=""))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime = _timestamp()


class UserSession(SQLModel, table=True):
    """A signed-in browser: the session cookie is valid only while its row exists and has not expired.

    Kept in PostgreSQL so that logout and a password change end sessions on every replica at once.
    """

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_id", "user_id"),)

    # SHA-256 (hex) of the random session id in the cookie: a database reader learns no usable id.
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class UserPublic(BaseModel):
    """What the API tells a user about themselves."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str


# --- tasks ---------------------------------------------------------------------------------------


def _clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    if len(value) > TITLE_MAX:
        raise ValueError(f"must be at most {TITLE_MAX} characters")
    return value


def _clean_description(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > DESCRIPTION_MAX:
        raise ValueError(f"must be at most {DESCRIPTION_MAX} characters")
    return value


class TaskBase(SQLModel):
    """Fields a user writes."""

    title: TextInput = Field(max_length=TITLE_MAX)
    description: TextInput = Field(default="", max_length=DESCRIPTION_MAX)
    due_date: date | None = None
    priority: Priority = Priority.medium


class TaskCreate(TaskBase):
    """Input of create: a title is required, everything else has a default."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        return _clean_title(value) if isinstance(value, str) else value

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        if value is None:
            return ""
        return _clean_description(value) if isinstance(value, str) else value


class TaskUpdate(SQLModel):
    """Input of update: only the fields given change; ``due_date: null`` clears the due date."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    title: TextInput | None = Field(default=None, max_length=TITLE_MAX)
    description: TextInput | None = Field(default=None, max_length=DESCRIPTION_MAX)
    due_date: date | None = None
    priority: Priority | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be empty")
        return _clean_title(value) if isinstance(value, str) else value

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        if value is None:
            return ""
        return _clean_description(value) if isinstance(value, str) else value

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must be one of low, medium, high")
        return value


class Task(TaskBase, table=True):
    """A to-do item of one user."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_user_completed_id", "user_id", "completed", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    priority: Priority = Field(
        default=Priority.medium, sa_column=Column(String(6), nullable=False, server_default="medium")
    )
    completed: bool = Field(default=False, nullable=False)
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class TaskPublic(BaseModel):
    """The ``Task`` shape of docs/contracts.md, shared by the API and the MCP tools."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    due_date: date | None
    priority: Priority
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TaskPage(BaseModel):
    """One page of a task listing and how many tasks match in total."""

    items: list[TaskPublic]
    total: int


# --- conversations -------------------------------------------------------------------------------


class Conversation(SQLModel, table=True):
    """A chat between one user and the assistant."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_updated", "user_id", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    title: str = Field(default="", sa_column=Column(String(TITLE_MAX), nullable=False, server_default=""))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Message(SQLModel, table=True):
    """One message of a conversation; an assistant message keeps the tool calls it made."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id", "conversation_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(
        sa_column=Column(ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    )
    role: str = Field(sa_column=Column(String(16), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    created_at: datetime = _timestamp()


class ToolCallPublic(BaseModel):
    """One tool call the assistant made while answering."""

    name: str
    arguments: dict[str, Any]
    result: Any = None
    error: str | None = None


class MessagePublic(BaseModel):
    """A stored chat message."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    role: Literal["user", "assistant"]
    content: str
    tool_calls: list[ToolCallPublic]
    created_at: datetime


class ConversationSummary(BaseModel):
    """A conversation in a listing."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    created_at: datetime
    updated_at: datetime


class ConversationPublic(ConversationSummary):
    """A conversation with all its messages, oldest first."""

    messages: list[MessagePublic]
