"""The ``rules`` chat engine: offline, deterministic, and acting only through the MCP task tools.

One turn: understand the message (``language``), find the task it means (by title over a fresh
``list_tasks``, or by position / "it" from the stored history via ``recall``), call the tool, and
answer in plain words. A bulk change ("clear completed") only shows what it would do and asks; the
next message confirms it with "yes" (anything else moves on), read back from the stored history,
so no replica keeps state. An unreachable or slow MCP server yields a friendly temporary-error reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

import anyio

from todo.agent import TEMPORARY_ERROR_REPLY, AgentTurn, HistoryMessage, ToolCall
from todo.agent.language import (
    AddTask,
    AllTasks,
    ByPosition,
    ByPronoun,
    ByTitle,
    CompleteTask,
    DeleteTask,
    DidYouMean,
    DueWindow,
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
    Yes,
    confirms,
    parse,
)
from todo.agent.matching import Ambiguous, TaskView
from todo.agent.recall import (
    BulkIntent,
    Pending,
    PendingBulk,
    PendingSuggestion,
    bulk_intent,
    last_referred,
    last_shown_list,
    match_for,
    pending_question,
)
from todo.agent.task_tools import McpUnavailable, TaskTools, ToolFailed, connect_task_tools
from todo.core.models import TaskPublic
from todo.core.settings import ApiSettings

log = logging.getLogger("todo.agent")

# A rules turn makes a few tool calls (a confirmed bulk change one per task, a few ms each); past
# this the MCP server counts as down.
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
    "what's due this week?",
    "show completed tasks",
    "clear completed",
)
_EXAMPLE_LINES = "\n".join(f"• {example}" for example in EXAMPLES)

HELP_REPLY = f"I keep your to-do list. You can say things like:\n{_EXAMPLE_LINES}"
GREETING_REPLY = (
    'Hi! I\'m your to-do assistant. Tell me what to add ("add buy milk") or ask "what\'s on my list?".'
)
THANKS_REPLY = "You're welcome! Anything else for your list?"
NEVER_MIND_REPLY = "No problem, I've left your list as it is."
MISSING_TITLE_REPLY = 'What should I add? Say for example "add buy milk" or "remind me to call mom tomorrow".'
YES_WITHOUT_QUESTION_REPLY = (
    'There\'s nothing waiting for a yes right now. Tell me what to do, e.g. "add buy milk".'
)
BULK_REFUSED_REPLY = (
    "I change due dates, names and priorities one task at a time. For all tasks at once I can "
    '"clear completed", "delete everything" or "mark all as done". Name a task to change it, e.g. '
    '"move buy milk to friday".'
)
# A bulk confirmation shows this many tasks by name; the count covers the rest.
PREVIEW_LINES = 10


def _shorten(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def unknown_reply(text: str) -> str:
    shown = _shorten(text)
    return f'Sorry, I didn\'t understand "{shown}". I can manage your to-do list; try:\n{_EXAMPLE_LINES}'


def did_you_mean_reply(intent: DidYouMean) -> str:
    shown = _shorten(intent.suggestion)
    return f'Did you mean "{shown}"? Say "yes" and I\'ll do that, or tell me what you meant.'


def date_only_note(at: time | None) -> str:
    """What the reply adds when the user gave a time of day: tasks keep the date only."""
    if at is None:
        return ""
    return (
        f" Tasks have a due date but no time of day, so I kept the date only (not {at.hour}:{at.minute:02d})."
    )


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


_ORDER_WORDS = {
    "due_date": "soonest due first",
    "oldest": "oldest first",
    "newest": "newest first",
    "priority": "most important first",
    "alphabetical": "alphabetically",
}


def _due_reply(window: DueWindow, tasks: list[TaskView], today: date) -> str:
    overdue_too = window.start is None and window.end is not None and window.end >= today
    if not tasks:
        if window.name == "overdue":
            return "Nothing is overdue. Well done!"
        return f"Nothing is due {window.name}" + (", and nothing is overdue." if overdue_too else ".")
    header = "Overdue:" if window.name == "overdue" else f"Due {window.name}:"
    return f"{header}\n{numbered(tasks, today)}"


def _list_reply(intent: ListTasks, tasks: list[TaskView], total: int, today: date) -> str:
    if intent.due is not None:
        more = f"\n…and {total - len(tasks)} more." if total > len(tasks) else ""
        return _due_reply(intent.due, tasks, today) + (more if tasks else "")
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
    if intent.order != "default" and len(tasks) > 1:
        header = f"{header[:-1]}, {_ORDER_WORDS[intent.order]}:"
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
    if isinstance(ref, AllTasks):
        raise Unresolved(BULK_REFUSED_REPLY)
    return await _resolve_title(intent, ref, tools, today)


async def _resolve_title(intent: TaskAction, ref: ByTitle, tools: TaskTools, today: date) -> TaskView:
    if not ref.text:
        raise Unresolved('Which task do you mean? Tell me its name, e.g. "mark buy milk as done".')
    try:
        page = await tools.list_tasks("all", limit=LOOKUP_LIMIT)
    except ToolFailed as failed:
        raise Unresolved(f"I couldn't look up your tasks: {failed}.") from None
    tasks = [TaskView.of(task) for task in page.items]
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


def _failed(error: str, task: TaskView) -> str:
    if "not found" in error:
        return (
            f'I couldn\'t find "{task.title}" any more; it may have been deleted. '
            'Say "what\'s on my list?" to see your tasks.'
        )
    return f"I couldn't do that: {error}."


async def _act(intent: TaskAction, task: TaskView, tools: TaskTools, today: date) -> str:
    try:
        return await _change(intent, task, tools, today)
    except ToolFailed as failed:
        return _failed(str(failed), task)


async def _change(intent: TaskAction, task: TaskView, tools: TaskTools, today: date) -> str:
    """Make the change ``intent`` asks of ``task``; a tool error raises ``ToolFailed``."""
    if isinstance(intent, CompleteTask):
        done = TaskView.of(await tools.complete_task(task.id))
        if task.completed:
            return f'"{done.title}" was already done.'
        return f'Nice work! I marked "{done.title}" as done.'
    if isinstance(intent, ReopenTask):
        reopened = TaskView.of(await tools.reopen_task(task.id))
        return f'I reopened "{reopened.title}"; it\'s back on your list.'
    if isinstance(intent, DeleteTask):
        await tools.delete_task(task.id)
        return f'Deleted "{task.title}".'
    if isinstance(intent, RenameTask):
        if not intent.new_title:
            return f'What should "{task.title}" be called instead?'
        renamed = await tools.update_task(task.id, title=intent.new_title)
        return f'Renamed "{task.title}" to "{renamed.title}".'
    if isinstance(intent, RescheduleTask):
        if intent.due_date is None:
            await tools.update_task(task.id, clear_due_date=True)
            return f'"{task.title}" no longer has a due date.'
        await tools.update_task(task.id, due_date=intent.due_date)
        return f'"{task.title}" is now due {describe_due(intent.due_date, today)}.{date_only_note(intent.at)}'
    await tools.update_task(task.id, priority=intent.priority)
    return f'"{task.title}" is now {intent.priority} priority.'


async def answer(intent: Intent, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    """The reply to ``intent``, making whatever tool calls it needs through ``tools``."""
    if isinstance(intent, AddTask):
        try:
            added = TaskView.of(
                await tools.add_task(intent.title, due_date=intent.due_date, priority=intent.priority)
            )
        except ToolFailed as failed:
            return f"I couldn't add that: {failed}."
        details = []
        due = describe_due(added.due_date, today)
        if due:
            details.append(f"due {due}")
        if added.priority != "medium":
            details.append(f"{added.priority} priority")
        suffix = f" ({', '.join(details)})" if details else ""
        return f'Added "{added.title}" to your list{suffix}.{date_only_note(intent.at)}'
    if isinstance(intent, ListTasks):
        try:
            page = await tools.list_tasks(
                intent.status,
                search=intent.search or None,
                order=intent.order if intent.order != "default" else None,
                due_from=intent.due.start if intent.due is not None else None,
                due_to=intent.due.end if intent.due is not None else None,
            )
        except ToolFailed as failed:
            return f"I couldn't read your list: {failed}."
        return _list_reply(intent, [TaskView.of(task) for task in page.items], page.total, today)
    bulk = bulk_intent(intent)
    if bulk is not None:
        return await _bulk_preview(bulk, tools)
    if isinstance(intent, TaskAction):
        try:
            task = await resolve(intent, tools, history, today)
        except Unresolved as unresolved:
            return str(unresolved)
        return await _act(intent, task, tools, today)
    return static_reply(intent) or unknown_reply(str(intent))


# --- bulk changes: preview and ask, then act on exactly the tasks shown -------------------------


@dataclass(frozen=True)
class _BulkWords:
    """How a bulk change calls its tool and says what it does."""

    act: Callable[[TaskTools, int], Awaitable[TaskPublic]]
    verb: str  # "delete {}": {} is what it acts on
    done: str  # "Deleted {}."


_BULK_WORDS = {
    CompleteTask: _BulkWords(
        lambda tools, task_id: tools.complete_task(task_id), "mark {} as done", "Marked {} as done."
    ),
    ReopenTask: _BulkWords(lambda tools, task_id: tools.reopen_task(task_id), "reopen {}", "Reopened {}."),
    DeleteTask: _BulkWords(lambda tools, task_id: tools.delete_task(task_id), "delete {}", "Deleted {}."),
}
_KIND = {"done": "completed task", "open": "open task", "all": "task"}


def _bulk_status(intent: BulkIntent) -> str:
    """Which tasks the change is about: completing touches open ones, reopening done ones."""
    if isinstance(intent, CompleteTask):
        return "open"
    if isinstance(intent, ReopenTask):
        return "done"
    return intent.ref.status if isinstance(intent.ref, AllTasks) else "all"


def _count(number: int, kind: str) -> str:
    return f"{number} {kind}{'' if number == 1 else 's'}"


async def _bulk_preview(intent: BulkIntent, tools: TaskTools) -> str:
    status, words = _bulk_status(intent), _BULK_WORDS[type(intent)]
    try:
        page = await tools.list_tasks(status, limit=LOOKUP_LIMIT)
    except ToolFailed as failed:
        return f"I couldn't read your list: {failed}."
    tasks = [TaskView.of(task) for task in page.items]
    kind = _KIND[status]
    if not tasks:
        return f"You have no {kind}s, so there is nothing to {words.verb.format('').split()[0]}."
    scope = f"all {_count(len(tasks), kind)}" if len(tasks) > 1 else f"your only {kind}"
    if page.total > len(tasks):
        scope = (
            f"the first {len(tasks)} of your {_count(page.total, kind)} ({LOOKUP_LIMIT} is my limit at once)"
        )
    lines = "\n".join(f"• {task.title}" for task in tasks[:PREVIEW_LINES])
    if len(tasks) > PREVIEW_LINES:
        lines += f"\n…and {len(tasks) - PREVIEW_LINES} more."
    question = words.verb.format("them" if len(tasks) > 1 else "it").capitalize()
    return (
        f"This will {words.verb.format(scope)}:\n{lines}\n"
        f'{question}? Say "yes" to go ahead or "no" to leave things as they are.'
    )


async def _bulk_act(pending: PendingBulk, tools: TaskTools) -> str:
    """Apply the confirmed change to the tasks the question showed (not to tasks added since)."""
    words = _BULK_WORDS[type(pending.intent)]
    changed = gone = 0
    for task in pending.tasks:
        try:
            await words.act(tools, task.id)
        except ToolFailed as failed:
            if "not found" not in str(failed):
                return f"I stopped after {_count(changed, 'task')}: {failed}."
            gone += 1
        else:
            changed += 1
    reply = words.done.format(_count(changed, "task"))
    if gone:
        reply += f" {_count(gone, 'task').capitalize()} {'was' if gone == 1 else 'were'} already gone."
    return reply


def cancelled_reply(pending: Pending) -> str:
    """The answer to "no" when the last answer asked a yes/no question."""
    if isinstance(pending, PendingBulk):
        return "OK, I didn't change anything."
    return 'OK, I did nothing. Tell me what you meant, e.g. "delete buy milk".'


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
    if isinstance(intent, Yes):
        return YES_WITHOUT_QUESTION_REPLY
    if isinstance(intent, DidYouMean):
        return did_you_mean_reply(intent)
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
    confirmed: PendingBulk | None = None
    pending = pending_question(history)
    if pending is not None:
        said = confirms(message)
        if said is False:
            return AgentTurn(reply=cancelled_reply(pending), tool_calls=())
        if said and isinstance(pending, PendingSuggestion):
            intent = parse(pending.suggestion, today)
        elif said and isinstance(pending, PendingBulk):
            confirmed, intent = pending, pending.intent

    async def work(tools: TaskTools) -> str:
        if confirmed is not None:
            return await _bulk_act(confirmed, tools)
        return await answer(intent, tools, history, today)

    static = static_reply(intent)
    if static is not None:
        return AgentTurn(reply=static, tool_calls=())
    calls: list[ToolCall] = []
    try:
        with anyio.fail_after(TURN_TIMEOUT_SECONDS):
            async with connect_task_tools(settings, user_id, calls) as tools:
                reply = await work(tools)
    except (McpUnavailable, TimeoutError) as error:
        log.warning(
            "chat turn could not reach the MCP server",
            extra={"mcp_url": settings.mcp_url, "error": str(error) or "timed out"},
        )
        return AgentTurn(reply=TEMPORARY_ERROR_REPLY, tool_calls=tuple(calls))
    return AgentTurn(reply=reply, tool_calls=tuple(calls))
