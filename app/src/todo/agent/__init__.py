"""The chat agent: one conversation turn in, a reply and the MCP tool calls it made out.

Two engines share this interface: ``rules`` (offline, deterministic) and ``openai`` (the OpenAI
Agents SDK). Both act on tasks only through the MCP server's tools, over HTTP, as the given user.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast

from todo.core.settings import AgentEngine

if TYPE_CHECKING:
    from todo.core.settings import ApiSettings

__all__ = [
    "ENGINES",
    "TEMPORARY_ERROR_REPLY",
    "AgentTurn",
    "HistoryMessage",
    "ToolCall",
    "TurnFunction",
    "load_engine",
    "run_turn",
]

# What every engine answers when the LLM or the MCP server is down or too slow.
TEMPORARY_ERROR_REPLY = (
    "Sorry, I can't reach your task list right now. That's a temporary problem on our side; "
    "please try again in a moment."
)


@dataclass(frozen=True)
class ToolCall:
    """One MCP tool call the agent made."""

    name: str
    arguments: dict[str, Any]
    result: Any = None  # the tool's structured result (JSON-serialisable)
    error: str | None = None


@dataclass(frozen=True)
class HistoryMessage:
    """One stored message of the conversation, oldest first."""

    role: Literal["user", "assistant"]
    content: str
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class AgentTurn:
    """The agent's answer to one user message."""

    reply: str
    tool_calls: tuple[ToolCall, ...]


TurnFunction = Callable[["ApiSettings", int, Sequence[HistoryMessage], str], Awaitable[AgentTurn]]

# The one engine registry: each engine's module and turn function, imported on use (the openai
# engine's SDK is an optional dependency and takes seconds to import).
ENGINES: Mapping[AgentEngine, tuple[str, str]] = MappingProxyType(
    {
        AgentEngine.rules: ("todo.agent.rules_engine", "run_rules_turn"),
        AgentEngine.openai: ("todo.agent.openai_engine", "run_openai_turn"),
    }
)


def load_engine(engine: AgentEngine) -> TurnFunction:
    """The turn function of ``engine``, importing its module on first use."""
    module, function = ENGINES[engine]
    return cast(TurnFunction, getattr(importlib.import_module(module), function))


async def run_turn(
    settings: ApiSettings, user_id: int, history: Sequence[HistoryMessage], message: str
) -> AgentTurn:
    """Answer ``message`` as ``user_id``; never raises for an unreachable or slow LLM or MCP server."""
    return await load_engine(settings.agent_engine)(settings, user_id, history, message)
