"""The ``openai`` chat engine: the OpenAI Agents SDK with the MCP task server as its only tools.

Any OpenAI-compatible chat-completions endpoint works (``TODO_OPENAI_BASE_URL``). Tracing is
disabled, since it would send conversations to OpenAI. An LLM or MCP server that is down, slow or
failing yields a friendly temporary-error reply instead of an exception.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import anyio
from agents import (
    Agent,
    ModelSettings,
    OpenAIChatCompletionsModel,
    RunConfig,
    Runner,
    TResponseInputItem,
    set_tracing_disabled,
)
from agents.items import ToolCallItem, ToolCallOutputItem
from agents.mcp import MCPServerStreamableHttp
from openai import AsyncOpenAI

from todo.agent import TEMPORARY_ERROR_REPLY, AgentTurn, HistoryMessage, ToolCall
from todo.agent.task_tools import MCP_TIMEOUT_SECONDS, describe_failure, service_headers
from todo.core.settings import ApiSettings
from todo.mcp.tools import SERVER_NAME

log = logging.getLogger("todo.agent")

# Model round trips per turn (a tool call, its result, the answer; a few more for multi-step asks).
MAX_MODEL_TURNS = 8
# Earlier messages sent to the model: enough for "it" and "the second one", bounded in cost.
HISTORY_MESSAGES = 20

INSTRUCTIONS = """You are a friendly assistant that manages the user's to-do list.
Use the tools for every change and every question about the list; never invent tasks.
Refer to tasks by the id a tool returned. When a request could mean several tasks, ask which one.
Dates are YYYY-MM-DD; today is {today}. Keep answers short and plain."""


def _history_items(history: Sequence[HistoryMessage], message: str) -> list[TResponseInputItem]:
    items: list[TResponseInputItem] = [
        {"role": entry.role, "content": entry.content}
        for entry in history[-HISTORY_MESSAGES:]
        if entry.content
    ]
    items.append({"role": "user", "content": message})
    return items


def _json_or_text(output: Any) -> Any:
    """A tool output as the structure it was: text blocks unwrapped, JSON decoded."""
    if isinstance(output, dict) and output.get("type") == "text" and isinstance(output.get("text"), str):
        output = output["text"]
    elif isinstance(output, list) and output and all(isinstance(block, dict) for block in output):
        output = "".join(str(block.get("text", "")) for block in output)
    if isinstance(output, str):
        try:
            return json.loads(output)
        except ValueError:
            return output
    return output


def tool_calls_of(items: Sequence[Any]) -> tuple[ToolCall, ...]:
    """The run's tool calls with their outputs, in the order the model made them."""
    outputs = {item.call_id: item for item in items if isinstance(item, ToolCallOutputItem)}
    calls: list[ToolCall] = []
    for item in items:
        if not isinstance(item, ToolCallItem):
            continue
        raw = item.raw_item
        arguments_text = raw.get("arguments") if isinstance(raw, dict) else getattr(raw, "arguments", None)
        try:
            arguments = json.loads(arguments_text) if isinstance(arguments_text, str) else {}
        except ValueError:
            arguments = {"raw": arguments_text}
        output = outputs.get(item.call_id)
        result = _json_or_text(output.output) if output is not None else None
        error = None
        if output is None:
            error = "the tool did not answer"
        elif isinstance(result, str) and result.lower().startswith(
            ("error executing tool", "an error occurred")
        ):
            error, result = result, None
        calls.append(
            ToolCall(
                name=item.tool_name or "unknown",
                arguments=arguments if isinstance(arguments, dict) else {"value": arguments},
                result=result,
                error=error,
            )
        )
    return tuple(calls)


async def run_openai_turn(
    settings: ApiSettings, user_id: int, history: Sequence[HistoryMessage], message: str
) -> AgentTurn:
    """One LLM turn with the MCP tools; any LLM or MCP trouble becomes a temporary-error reply."""
    # Traces would carry the user's tasks to OpenAI; this deployment never sends them.
    set_tracing_disabled(True)
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    client = AsyncOpenAI(
        api_key=api_key,
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout_seconds,
        # A failed call is answered at once; the user can simply ask again.
        max_retries=0,
    )
    tools = MCPServerStreamableHttp(
        params={
            "url": settings.mcp_url,
            "headers": service_headers(settings, user_id),
            "timeout": MCP_TIMEOUT_SECONDS,
        },
        name=SERVER_NAME,
        cache_tools_list=True,
        client_session_timeout_seconds=MCP_TIMEOUT_SECONDS,
        use_structured_content=True,
    )
    agent = Agent(
        name="Todo assistant",
        instructions=INSTRUCTIONS.format(today=date.today().isoformat()),
        model=OpenAIChatCompletionsModel(model=settings.openai_model, openai_client=client),
        model_settings=ModelSettings(temperature=0.2),
        mcp_servers=[tools],
    )
    # Each model call has its own timeout; this bounds the whole turn, tool calls included.
    deadline = settings.llm_timeout_seconds * 2 + MCP_TIMEOUT_SECONDS * 2
    try:
        with anyio.fail_after(deadline):
            async with tools:
                result = await Runner.run(
                    agent,
                    _history_items(history, message),
                    max_turns=MAX_MODEL_TURNS,
                    run_config=RunConfig(tracing_disabled=True, trace_include_sensitive_data=False),
                )
    except Exception as error:
        log.warning(
            "chat turn failed: LLM or MCP server unavailable",
            extra={
                "llm_base_url": settings.openai_base_url or "https://api.openai.com/v1",
                "mcp_url": settings.mcp_url,
                "error": describe_failure(error) if not isinstance(error, TimeoutError) else "timed out",
            },
        )
        return AgentTurn(reply=TEMPORARY_ERROR_REPLY, tool_calls=())
    finally:
        await client.close()
    reply = str(result.final_output or "").strip() or "Done."
    return AgentTurn(reply=reply, tool_calls=tool_calls_of(result.new_items))
