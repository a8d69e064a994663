"""The chat agent: one conversation turn in, a reply and the MCP tool calls it made out.

Two engines share this interface: ``rules`` (offline, deterministic) and ``openai`` (the OpenAI
Agents SDK). Both act on tasks only through the MCP server's tools, over HTTP, as the given user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from todo.core.settings import ApiSettings

__all__ = ["AgentTurn", "HistoryMessage", "ToolCall", "run_turn"]


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


async def run_turn(
    settings: ApiSettings, user_id: int, history: Sequence[HistoryMessage], message: str
) -> AgentTurn:
    """Answer ``message`` as ``user_id``; never raises for an unreachable or slow LLM or MCP server."""
    from todo.core.settings import AgentEngine

    # Engines are imported on use: the openai engine's SDK is an optional dependency.
    if settings.agent_engine is AgentEngine.openai:
        from todo.agent.openai_engine import run_openai_turn

        return await run_openai_turn(settings, user_id, history, message)
    from todo.agent.rules_engine import run_rules_turn

    return await run_rules_turn(settings, user_id, history, message)
