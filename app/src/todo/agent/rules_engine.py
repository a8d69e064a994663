"""The ``rules`` chat engine: offline, deterministic, and acting only through the MCP task tools.

One turn: understand the message (``language``), find the task it means (by title over a fresh
``list_tasks``, or by position / "it" from the stored history via ``recall``), call the tool, and
answer in plain words. An unreachable or slow MCP server yields a friendly temporary-error reply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import anyio

from todo.agent import AgentTurn, HistoryMessage, ToolCall
from todo.agent.language import (
    AddTask,
    ByPosition,
    ByPronoun,
    ByTitle,
    CompleteTask,
    DeleteTask,
    Greeting,
    Help,
    Intent,
    ListTasks,
    MissingTitle,
    NeverMind,
    RenameTask,
    ReopenTask,
    RescheduleTask,
    SetPriority,
    TaskAction,
    Thanks,
    Unknown,
    parse,
)
from todo.agent.matching import Ambiguous, TaskView
from todo.agent.recall import last_referred, last_shown_list, match_for
from todo.agent.task_tools import McpUnavailable, TaskTools, connect_task_tools
from todo.core.settings import ApiSettings

log = logging.getLogger("todo.agent")

# A whole rules turn makes at most three tool calls; past this the MCP server counts as down.
TURN_TIMEOUT_SECONDS = 15.0
# Title lookups read this many tasks (the MCP tool's maximum page).
LOOKUP_LIMIT = 200

EXAMPLES = (
    "add buy milk",
    "remind me to call mom tomorrow",
    "what's on my list?",
    "mark buy milk as done",
    "complete the second one",
    "delete call mom",
    "rename buy milk to buy oat milk",
    "show completed tasks",
)
_EXAMPLE_LINES = "\n".join(f"• {example}" for example in EXAMPLES)

HELP_REPLY = f"I keep your to-do list. You can say things like:\n{_EXAMPLE_LINES}"
GREETING_REPLY = (
    'Hi! I\'m your to-do assistant. Tell me what to add ("add buy milk") or ask "what\'s on my list?".'
)
THANKS_REPLY = "You're welcome! Anything else for your list?"
NEVER_MIND_REPLY = "No problem, I've left your list as it is."
MISSING_TITLE_REPLY = 'What should I add? Say for example "add buy milk" or "remind me to call mom tomorrow".'
TEMPORARY_ERROR_REPLY = (
    "Sorry, I can't reach your task list right now. That's a temporary problem on our side; "
    "please try again in a moment."
)
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth")


def unknown_reply(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return f'Sorry, I didn\'t understand "{shown}". I can manage your to-do list; try:\n{_EXAMPLE_LINES}'


# --- wording -------------------------------------------------------------------------------------


def describe_due(due: date | str | None, today: date) -> str | None:
    """ "today", "tomorrow", "Friday", "Fri 23 May" or "Mon 5 Jan 2026 (overdue)"."""
    if due is None:
        return None
    if isinstance(due, str):
        try:
            due = date.fromisoformat(due)
        except ValueError:
            return str(due)
    days = (due - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday (overdue)"
    if 1 < days < 7:
        return f"{due:%A}"
    text = f"{due:%a} {due.day} {due:%b}"
    if due.year != today.year:
        text += f" {due.year}"
    return text + (" (overdue)" if days < 0 else "")


def _task_line(position: int, task: TaskView, today: date, show_done: bool) -> str:
    details: list[str] = []
    due = describe_due(task.due_date, today)
    if due and not task.completed:
        details.append(f"due {due}")
    if task.priority != "medium" and not task.completed:
        details.append(f"{task.priority} priority")
    if show_done and task.completed:
        details.append("done")
    suffix = f" ({', '.join(details)})" if details else ""
    return f"{position}. {task.title}{suffix}"


def numbered(tasks: Sequence[TaskView], today: date, show_done: bool = False) -> str:
    return "\n".join(_task_line(index, task, today, show_done) for index, task in enumerate(tasks, 1))


def _list_reply(intent: ListTasks, tasks: list[TaskView], total: int, today: date) -> str:
    if not tasks:
        if intent.search:
            return f'No tasks match "{intent.search}".'
        if intent.status == "done":
            return "You haven't completed any tasks yet."
        if intent.status == "all":
            return 'You have no tasks yet. Add one with "add buy milk".'
        return 'Your list is empty, nothing left to do! Add something with "add buy milk".'
    if intent.search:
        header = f'Tasks matching "{intent.search}":'
    elif intent.status == "done":
        header = "Here's what you've completed:"
    elif intent.status == "all":
        header = "Here are all your tasks:"
    else:
        header = "Here's what's on your list:" if len(tasks) > 1 else "You have one thing left to do:"
    more = f"\n…and {total - len(tasks)} more." if total > len(tasks) else ""
    return f"{header}\n{numbered(tasks, today, show_done=intent.status != 'open')}{more}"


def _example_for(intent: TaskAction) -> str:
    if isinstance(intent, CompleteTask):
        return "complete the first one"
    if isinstance(intent, ReopenTask):
        return "reopen the first one"
    if isinstance(intent, DeleteTask):
        return "delete the first one"
    if isinstance(intent, RenameTask):
        return f"rename the first one to {intent.new_title}"
    if isinstance(intent, SetPriority):
        return f"make the first one {intent.priority} priority"
    return "move the first one to tomorrow"


# --- finding the task ----------------------------------------------------------------------------


class Unresolved(Exception):
    """The task a message refers to cannot be determined; the message is the reply."""


async def resolve(
    intent: TaskAction, tools: TaskTools, history: Sequence[HistoryMessage], today: date
) -> TaskView:
    """The task ``intent`` is about, or ``Unresolved`` with a reply that says why not."""
    ref = intent.ref
    if isinstance(ref, ByPosition):
        shown = last_shown_list(history)
        if shown is None:
            raise Unresolved(
                'Which list do you mean? Ask "what\'s on my list?" first, '
                'then say e.g. "complete the second one".'
            )
        if ref.position == -1:
            if not shown:
                raise Unresolved("The last list I showed you was empty.")
            return shown[-1]
        if not 1 <= ref.position <= len(shown):
            count = f"{len(shown)} task{'s' if len(shown) != 1 else ''}"
            raise Unresolved(f"The last list I showed you has {count}, so there is no number {ref.position}.")
        return shown[ref.position - 1]
    if isinstance(ref, ByPronoun):
        referred = last_referred(history)
        if referred is None:
            raise Unresolved(
                'I\'m not sure which task you mean. Tell me its name, e.g. "mark buy milk as done".'
            )
        if referred.deleted:
            raise Unresolved(f'You already deleted "{referred.task.title}". Which task do you mean?')
        return referred.task
    return await _resolve_title(intent, ref, tools, today)


async def _resolve_title(intent: TaskAction, ref: ByTitle, tools: TaskTools, today: date) -> TaskView:
    if not ref.text:
        raise Unresolved('Which task do you mean? Tell me its name, e.g. "mark buy milk as done".')
    listing = await tools.call("list_tasks", {"status": "all", "limit": LOOKUP_LIMIT})
    tasks = TaskView.list_from_result(listing.result)
    if listing.error is not None or tasks is None:
        raise Unresolved(f"I couldn't look up your tasks: {listing.error or 'unexpected answer'}.")
    found = match_for(intent, ref.text, tasks)
    if found is None:
        hint = (
            'Say "what\'s on my list?" to see your tasks.'
            if tasks
            else 'Your list is empty; add something with "add buy milk".'
        )
        raise Unresolved(f'I couldn\'t find a task called "{ref.text}". {hint}')
    if isinstance(found, Ambiguous):
        raise Unresolved(
            f'More than one task matches "{ref.text}":\n'
            f"{numbered(found.candidates, today, show_done=True)}\n"
            f'Which one do you mean? Say for example "{_example_for(intent)}".'
        )
    return found


# --- acting --------------------------------------------------------------------------------------


def _failed(call: ToolCall, task: TaskView) -> str:
    error = call.error or "unknown error"
    if "not found" in error:
        return (
            f'I couldn\'t find "{task.title}" any more; it may have been deleted. '
            'Say "what\'s on my list?" to see your tasks.'
        )
    return f"I couldn't do that: {error}."


async def _act(intent: TaskAction, task: TaskView, tools: TaskTools, today: date) -> str:
    if isinstance(intent, CompleteTask):
        call = await tools.call("complete_task", {"task_id": task.id})
        if call.error:
            return _failed(call, task)
        done = TaskView.from_result(call.result) or task
        if task.completed:
            return f'"{done.title}" was already done.'
        return f'Nice work! I marked "{done.title}" as done.'
    if isinstance(intent, ReopenTask):
        call = await tools.call("reopen_task", {"task_id": task.id})
        if call.error:
            return _failed(call, task)
        reopened = TaskView.from_result(call.result) or task
        return f'I reopened "{reopened.title}"; it\'s back on your list.'
    if isinstance(intent, DeleteTask):
        call = await tools.call("delete_task", {"task_id": task.id})
        return _failed(call, task) if call.error else f'Deleted "{task.title}".'
    if isinstance(intent, RenameTask):
        if not intent.new_title:
            return f'What should "{task.title}" be called instead?'
        call = await tools.call("update_task", {"task_id": task.id, "title": intent.new_title})
        if call.error:
            return _failed(call, task)
        renamed = TaskView.from_result(call.result)
        return f'Renamed "{task.title}" to "{renamed.title if renamed else intent.new_title}".'
    if isinstance(intent, RescheduleTask):
        arguments: dict[str, Any] = {"task_id": task.id}
        if intent.due_date is None:
            arguments["clear_due_date"] = True
        else:
            arguments["due_date"] = intent.due_date.isoformat()
        call = await tools.call("update_task", arguments)
        if call.error:
            return _failed(call, task)
        if intent.due_date is None:
            return f'"{task.title}" no longer has a due date.'
        return f'"{task.title}" is now due {describe_due(intent.due_date, today)}.'
    call = await tools.call("update_task", {"task_id": task.id, "priority": intent.priority})
    return _failed(call, task) if call.error else f'"{task.title}" is now {intent.priority} priority.'


async def answer(intent: Intent, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    """The reply to ``intent``, making whatever tool calls it needs through ``tools``."""
    if isinstance(intent, AddTask):
        arguments: dict[str, Any] = {"title": intent.title}
        if intent.due_date is not None:
            arguments["due_date"] = intent.due_date.isoformat()
        if intent.priority is not None:
            arguments["priority"] = intent.priority
        call = await tools.call("add_task", arguments)
        added = TaskView.from_result(call.result)
        if call.error or added is None:
            return f"I couldn't add that: {call.error or 'unexpected answer'}."
        details = []
        due = describe_due(added.due_date, today)
        if due:
            details.append(f"due {due}")
        if added.priority != "medium":
            details.append(f"{added.priority} priority")
        suffix = f" ({', '.join(details)})" if details else ""
        return f'Added "{added.title}" to your list{suffix}.'
    if isinstance(intent, ListTasks):
        arguments = {"status": intent.status}
        if intent.search:
            arguments["search"] = intent.search
        call = await tools.call("list_tasks", arguments)
        tasks = TaskView.list_from_result(call.result)
        if call.error or tasks is None:
            return f"I couldn't read your list: {call.error or 'unexpected answer'}."
        total = call.result.get("total", len(tasks)) if isinstance(call.result, dict) else len(tasks)
        return _list_reply(intent, tasks, total if isinstance(total, int) else len(tasks), today)
    if isinstance(intent, TaskAction):
        try:
            task = await resolve(intent, tools, history, today)
        except Unresolved as unresolved:
            return str(unresolved)
        return await _act(intent, task, tools, today)
    return static_reply(intent) or unknown_reply(str(intent))


def static_reply(intent: Intent) -> str | None:
    """The reply to an intent that needs no tools, else None."""
    if isinstance(intent, Help):
        return HELP_REPLY
    if isinstance(intent, Greeting):
        return GREETING_REPLY
    if isinstance(intent, Thanks):
        return THANKS_REPLY
    if isinstance(intent, NeverMind):
        return NEVER_MIND_REPLY
    if isinstance(intent, MissingTitle):
        return MISSING_TITLE_REPLY
    if isinstance(intent, Unknown):
        return unknown_reply(intent.text)
    return None


async def run_rules_turn(
    settings: ApiSettings,
    user_id: int,
    history: Sequence[HistoryMessage],
    message: str,
    *,
    today: date | None = None,
) -> AgentTurn:
    """One rules-engine turn; MCP trouble becomes a temporary-error reply, never an exception."""
    today = today or date.today()
    intent = parse(message, today)
    static = static_reply(intent)
    if static is not None:
        return AgentTurn(reply=static, tool_calls=())
    calls: list[ToolCall] = []
    try:
        with anyio.fail_after(TURN_TIMEOUT_SECONDS):
            async with connect_task_tools(settings, user_id, calls) as tools:
                reply = await answer(intent, tools, history, today)
    except (McpUnavailable, TimeoutError) as error:
        log.warning(
            "chat turn could not reach the MCP server",
            extra={"mcp_url": settings.mcp_url, "error": str(error) or "timed out"},
        )
        return AgentTurn(reply=TEMPORARY_ERROR_REPLY, tool_calls=tuple(calls))
    return AgentTurn(reply=reply, tool_calls=tuple(calls))
