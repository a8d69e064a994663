"""The ``rules`` chat engine: offline, deterministic, and acting only through the MCP task tools.

One turn: understand the message (``language``), find the task it means (by title over a fresh
``list_tasks``, or by position / "it" from the stored history via ``recall``), call the tool, and
answer in plain words. A bulk change ("clear completed") only shows what it would do and asks; the
next message confirms it with "yes" (anything else moves on), read back from the stored history,
so no replica keeps state. An unreachable or slow MCP server yields a friendly temporary-error reply,
and a tool's own error is told in plain words, never as the tool's internal text.

A question only reads: ``parse`` never answers one with a ``Change``, and the turn answers it
through ``read`` with ``ReadTools`` (the reading tools alone), so no handler in ``WRITERS`` is
reachable for it. A change asked as a question ("could you add milk?") is a yes/no question back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from types import MappingProxyType
from typing import Any

import anyio

from todo.agent import TEMPORARY_ERROR_REPLY, AgentTurn, HistoryMessage, ToolCall
from todo.agent.language import (
    AddTask,
    AddTasks,
    Again,
    AllTasks,
    AskTask,
    BadDate,
    ByPosition,
    ByPronoun,
    ByTitle,
    Change,
    CompleteTask,
    ConfirmRequest,
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
    RestoreTask,
    SetNote,
    SetPriority,
    Targeted,
    TaskAction,
    Thanks,
    Unknown,
    Yes,
    confirms,
    parse,
    question_form,
)
from todo.agent.matching import Ambiguous, Found, TaskView, match_task
from todo.agent.recall import (
    BulkIntent,
    Pending,
    PendingBulk,
    PendingSuggestion,
    bulk_intent,
    deleted_tasks,
    last_referred,
    last_request,
    last_shown_list,
    match_for,
    pending_choice,
    pending_question,
)
from todo.agent.task_tools import McpUnavailable, ReadTools, TaskTools, ToolFailed, connect_task_tools
from todo.core.models import TaskPublic
from todo.core.settings import ApiSettings
from todo.mcp.tools import (
    add_task,
    complete_task,
    delete_task,
    list_tasks,
    reopen_task,
    update_task,
)

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
QUESTION_PENDING_REPLY = (
    'I haven\'t changed anything yet. Say "yes" to go ahead or "no" to leave your list as it is.'
)
NOTHING_TO_RESTORE_REPLY = (
    "There's nothing I can put back: I can only restore a task deleted in this conversation, and "
    "I don't see one. Deleted tasks are gone for good otherwise."
)
# A tool's readable refusal of a field ("title: must be at most 200 characters").
_FIELD_ERROR = re.compile(r"^(?P<field>title|description|due_date|priority): (?P<message>[^;\n]+)$")
# The SDK's wrapping of every tool error.
_SDK_PREFIX = re.compile(r"^Error executing tool \w+: ")


def tool_message(failed: ToolFailed) -> str:
    """The tool's own words, without the SDK's "Error executing tool ...:" wrapping."""
    return _SDK_PREFIX.sub("", str(failed))


def _gone(failed: ToolFailed) -> bool:
    return re.match(r"^task \d+ not found\b", tool_message(failed)) is not None


def trouble_reply(failed: ToolFailed, doing: str) -> str:
    """What the user reads when a tool refused ``doing`` ("add that"): the reason in plain words when
    it is the user's to fix, else an apology; the tool's own text goes to the log, never the reply."""
    text = tool_message(failed)
    field = _FIELD_ERROR.match(text)
    if field is not None:
        name = {"due_date": "due date", "description": "note"}.get(field["field"], field["field"])
        return f"I couldn't {doing}: the {name} {field['message'].rstrip('.')}."
    log.warning("an MCP tool refused a chat request", extra={"error": str(failed), "doing": doing})
    if text.startswith("server busy"):
        return TEMPORARY_ERROR_REPLY
    return f"Sorry, something went wrong on our side and I couldn't {doing}. Please try again in a moment."


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


def _count_reply(intent: ListTasks, tasks: list[TaskView], total: int, today: date) -> str:
    kind = {"open": "open task", "done": "completed task", "all": "task"}[intent.status]
    if intent.due is not None:
        kind = "overdue task" if intent.due.name == "overdue" else f"{kind} due {intent.due.name}"
        kind = kind.replace(" due ", "s due ", 1) if total != 1 and " due " in kind else kind
        number = f"{total} {kind}" if " due " in kind else _count(total, kind)
    else:
        number = _count(total, kind)
    if total == 0:
        return (
            f"You have no {number.split(' ', 1)[1].replace('task ', 'tasks ')}."
            if " due " in number
            else (f"You have no {kind}s.")
        )
    more = f"\n…and {total - len(tasks)} more." if total > len(tasks) else ""
    return f"You have {number}:\n{numbered(tasks, today, show_done=intent.status != 'open')}{more}"


def _list_reply(intent: ListTasks, tasks: list[TaskView], total: int, today: date) -> str:
    if intent.count:
        return _count_reply(intent, tasks, total, today)
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


def _example_for(intent: Targeted) -> str:
    if isinstance(intent, AskTask):
        return "is the first one done?"
    if isinstance(intent, SetNote):
        return f"add a note to the first one: {intent.note or '...'}"
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
    intent: Targeted, tools: ReadTools, history: Sequence[HistoryMessage], today: date
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


async def _resolve_title(intent: Targeted, ref: ByTitle, tools: ReadTools, today: date) -> TaskView:
    if not ref.text:
        raise Unresolved('Which task do you mean? Tell me its name, e.g. "mark buy milk as done".')
    try:
        page = await tools.call(list_tasks, status="all", limit=LOOKUP_LIMIT)
    except ToolFailed as failed:
        raise Unresolved(trouble_reply(failed, "look up your tasks")) from None
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


def _failed(failed: ToolFailed, task: TaskView) -> str:
    if _gone(failed):
        return (
            f'I couldn\'t find "{task.title}" any more; it may have been deleted. '
            'Say "what\'s on my list?" to see your tasks.'
        )
    return trouble_reply(failed, "do that")


def _edited_title(title: str, old: str, new: str) -> str:
    """ "buy bread" with "bread" changed to "rye bread" is "buy rye bread"; ``new`` when ``old``
    is not a part of the title in so many words."""
    words = re.compile(rf"(?<!\w){re.escape(old.strip())}(?!\w)", re.IGNORECASE)
    if not old.strip() or old.strip().lower() == title.lower() or not words.search(title):
        return new
    return words.sub(lambda _: new, title, count=1)


async def _act(intent: TaskAction, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    """Find the task ``intent`` means, then change it (a bulk reference only previews and asks)."""
    bulk = bulk_intent(intent)
    if bulk is not None:
        return await _bulk_preview(bulk, tools)
    try:
        task = await resolve(intent, ReadTools(tools), history, today)
    except Unresolved as unresolved:
        if isinstance(intent, SetNote):
            return f'{unresolved} I add notes only to tasks you have; to add a new task, say "add ...".'
        return str(unresolved)
    try:
        return await _change(intent, task, tools, today)
    except ToolFailed as failed:
        return _failed(failed, task)


async def _change(intent: TaskAction, task: TaskView, tools: TaskTools, today: date) -> str:
    """Make the change ``intent`` asks of ``task``; a tool error raises ``ToolFailed``."""
    if isinstance(intent, CompleteTask):
        done = TaskView.of(await tools.call(complete_task, task_id=task.id))
        if task.completed:
            return f'"{done.title}" was already done.'
        return f'Nice work! I marked "{done.title}" as done.'
    if isinstance(intent, ReopenTask):
        reopened = TaskView.of(await tools.call(reopen_task, task_id=task.id))
        return f'I reopened "{reopened.title}"; it\'s back on your list.'
    if isinstance(intent, DeleteTask):
        await tools.call(delete_task, task_id=task.id)
        return f'Deleted "{task.title}".'
    if isinstance(intent, RenameTask):
        if not intent.new_title:
            return f'What should "{task.title}" be called instead?'
        new_title = intent.new_title
        if intent.partial and isinstance(intent.ref, ByTitle):
            new_title = _edited_title(task.title, intent.ref.text, new_title)
        renamed = await tools.call(update_task, task_id=task.id, title=new_title)
        return f'Renamed "{task.title}" to "{renamed.title}".'
    if isinstance(intent, RescheduleTask):
        if intent.due_date is None:
            await tools.call(update_task, task_id=task.id, clear_due_date=True)
            return f'"{task.title}" no longer has a due date.'
        await tools.call(update_task, task_id=task.id, due_date=intent.due_date)
        return f'"{task.title}" is now due {describe_due(intent.due_date, today)}.{date_only_note(intent.at)}'
    if isinstance(intent, SetNote):
        if not intent.note:
            return f'What should the note on "{task.title}" say? e.g. "add a note to {task.title}: ..."'
        description = f"{task.description}\n{intent.note}" if task.description else intent.note
        await tools.call(update_task, task_id=task.id, description=description)
        return f'Added the note to "{task.title}": "{_shorten(intent.note)}".'
    await tools.call(update_task, task_id=task.id, priority=intent.priority)
    return f'"{task.title}" is now {intent.priority} priority.'


def _added_details(added: TaskView, today: date) -> str:
    details = []
    due = describe_due(added.due_date, today)
    if due:
        details.append(f"due {due}")
    if added.priority != "medium":
        details.append(f"{added.priority} priority")
    return f" ({', '.join(details)})" if details else ""


def _unparsed_note(intent: AddTask) -> str:
    if intent.unparsed_date is None:
        return ""
    return (
        f' I kept "{intent.unparsed_date}" in the title, as I couldn\'t read it as a date; to set a due '
        f'date, say e.g. "move it to friday".'
    )


_COMMA_LIST = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)


def _one_or_several_note(title: str) -> str:
    """ "eggs, flour and sugar" may be one shopping task or three: added as one, and says how to split."""
    parts = [part for part in _COMMA_LIST.split(title) if part]
    if "," not in title or len(parts) < 3 or any(len(part.split()) > 3 for part in parts):
        return ""
    return f' I added it as one task; for {len(parts)} separate tasks, say "add {"; ".join(parts)}".'


async def _add(intent: AddTask, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    try:
        added = TaskView.of(
            await tools.call(add_task, title=intent.title, due_date=intent.due_date, priority=intent.priority)
        )
    except ToolFailed as failed:
        return trouble_reply(failed, "add that")
    return (
        f'Added "{added.title}" to your list{_added_details(added, today)}.'
        f"{date_only_note(intent.at)}{_unparsed_note(intent)}{_one_or_several_note(added.title)}"
    )


async def _add_several(
    intent: AddTasks, tools: TaskTools, history: Sequence[HistoryMessage], today: date
) -> str:
    lines: list[str] = []
    for item in intent.tasks:
        try:
            added = TaskView.of(
                await tools.call(add_task, title=item.title, due_date=item.due_date, priority=item.priority)
            )
        except ToolFailed as failed:
            done = f"I added {_count(len(lines), 'task')} ({', '.join(lines)}), then: " if lines else ""
            return done + trouble_reply(failed, f'add "{_shorten(item.title)}"')
        lines.append(f'"{added.title}"{_added_details(added, today)}')
    notes = "".join(date_only_note(item.at) or _unparsed_note(item) for item in intent.tasks[:1])
    return (
        f"Added {len(lines)} tasks to your list:\n"
        + "\n".join(f"• {line}" for line in lines)
        + (f"\n{notes.strip()}" if notes else "")
    )


async def _restore(
    intent: RestoreTask, tools: TaskTools, history: Sequence[HistoryMessage], today: date
) -> str:
    """Re-add what this conversation deleted (a new task with the old fields); reopen a done task."""
    ref, targets = intent.ref, list[TaskView]()
    if isinstance(ref, AllTasks):
        targets = deleted_tasks(history, newest_turn_only=True)
    elif isinstance(ref, ByPronoun):
        referred = last_referred(history)
        if referred is None:
            return NOTHING_TO_RESTORE_REPLY
        if referred.deleted:
            targets = [referred.task]
        else:
            return await _reopen_if_done(referred.task, tools)
    elif isinstance(ref, ByTitle):
        found = match_task(ref.text, deleted_tasks(history))
        if isinstance(found, Found):
            targets = [found.task]
        else:
            try:
                return await _reopen_if_done(
                    await resolve(ReopenTask(ref), ReadTools(tools), history, today), tools
                )
            except Unresolved:
                return NOTHING_TO_RESTORE_REPLY
    else:
        try:
            return await _reopen_if_done(
                await resolve(ReopenTask(ref), ReadTools(tools), history, today), tools
            )
        except Unresolved as unresolved:
            return str(unresolved)
    if not targets:
        return NOTHING_TO_RESTORE_REPLY
    restored: list[str] = []
    for task in targets:
        try:
            due = date.fromisoformat(task.due_date) if task.due_date else None
            added = await tools.call(
                add_task,
                title=task.title,
                due_date=due,
                priority=task.priority,
                description=task.description or None,
            )
            if task.completed:
                await tools.call(complete_task, task_id=added.id)
        except ToolFailed as failed:
            return trouble_reply(failed, f'put "{_shorten(task.title)}" back')
        restored.append(f'"{task.title}"')
    named = " and ".join(restored) if len(restored) < 3 else _count(len(restored), "task")
    return f"I put {named} back on your list."


async def _reopen_if_done(task: TaskView, tools: TaskTools) -> str:
    if not task.completed:
        return f'"{task.title}" is already on your list; there is nothing to put back.'
    try:
        await tools.call(reopen_task, task_id=task.id)
    except ToolFailed as failed:
        return _failed(failed, task)
    return f'I reopened "{task.title}"; it\'s back on your list.'


async def _again(intent: Again, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    """ "and the third one too", or "2" answering "which one do you mean?": that request again."""
    previous = last_request(history) if intent.too else pending_choice(history)
    if previous is None:
        if intent.too:
            return 'I\'m not sure what to do again. Say the whole request, e.g. "complete the third one".'
        return 'What should I do with that one? Say for example "complete the second one".'
    return await answer(replace(previous, ref=intent.ref), tools, history, today)


async def _list(intent: ListTasks, tools: ReadTools, history: Sequence[HistoryMessage], today: date) -> str:
    try:
        page = await tools.call(
            list_tasks,
            status=intent.status,
            search=intent.search or None,
            order=intent.order if intent.order != "default" else None,
            due_from=intent.due.start if intent.due is not None else None,
            due_to=intent.due.end if intent.due is not None else None,
        )
    except ToolFailed as failed:
        return trouble_reply(failed, "read your list")
    return _list_reply(intent, [TaskView.of(task) for task in page.items], page.total, today)


def _task_facts(task: TaskView, today: date) -> str:
    state = "done" if task.completed else "open"
    due = describe_due(task.due_date, today)
    facts = [state, f"due {due}" if due else "no due date", f"{task.priority} priority"]
    note = f' Note: "{_shorten(task.description)}"' if task.description else ""
    return f'"{task.title}" is {", ".join(facts)}.{note}'


async def _ask(intent: AskTask, tools: ReadTools, history: Sequence[HistoryMessage], today: date) -> str:
    """Answer a question about one task from a fresh read of it."""
    try:
        task = await resolve(intent, tools, history, today)
    except Unresolved as unresolved:
        return str(unresolved)
    title = f'"{task.title}"'
    if intent.about == "done":
        return f"Yes, {title} is done." if task.completed else f"No, {title} isn't done yet."
    if intent.about == "open":
        return f"No, {title} is already done." if task.completed else f"Yes, {title} is still open."
    if intent.about == "due":
        due = describe_due(task.due_date, today)
        return f"{title} is due {due}." if due else f"{title} has no due date."
    if intent.about == "priority":
        return f"{title} is {task.priority} priority."
    if intent.about == "exists":
        return f"{title} is still on your list ({'done' if task.completed else 'open'})."
    return _task_facts(task, today)


Reader = Callable[[Any, ReadTools, Sequence[HistoryMessage], date], Awaitable[str]]
Writer = Callable[[Any, TaskTools, Sequence[HistoryMessage], date], Awaitable[str]]

# Each intent's handler. A reader gets only ``ReadTools``; a ``Change`` has a writer, and only a
# statement reaches one (tests check every intent has exactly one home here or in STATIC_REPLIES).
READERS: Mapping[type[Intent], Reader] = MappingProxyType({ListTasks: _list, AskTask: _ask})
WRITERS: Mapping[type[Change], Writer] = MappingProxyType(
    {
        AddTask: _add,
        AddTasks: _add_several,
        CompleteTask: _act,
        ReopenTask: _act,
        DeleteTask: _act,
        RenameTask: _act,
        RescheduleTask: _act,
        SetPriority: _act,
        SetNote: _act,
        RestoreTask: _restore,
        Again: _again,
    }
)


async def read(intent: Intent, tools: ReadTools, history: Sequence[HistoryMessage], today: date) -> str:
    """The reply to a reading intent, through the reading tools alone (a ``Change`` is not one)."""
    static = static_reply(intent)
    if static is not None:
        return static
    reader = READERS.get(type(intent))
    return await reader(intent, tools, history, today) if reader is not None else unknown_reply(str(intent))


async def answer(intent: Intent, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    """The reply to a statement's ``intent``, making whatever tool calls it needs through ``tools``."""
    if isinstance(intent, Change):
        return await WRITERS[type(intent)](intent, tools, history, today)
    return await read(intent, ReadTools(tools), history, today)


# --- bulk changes: preview and ask, then act on exactly the tasks shown -------------------------


@dataclass(frozen=True)
class _BulkWords:
    """Which tool a bulk change calls on each task and how it says what it does."""

    tool: Callable[..., TaskPublic]
    verb: str  # "delete {}": {} is what it acts on
    done: str  # "Deleted {}."


_BULK_WORDS = {
    CompleteTask: _BulkWords(complete_task, "mark {} as done", "Marked {} as done."),
    ReopenTask: _BulkWords(reopen_task, "reopen {}", "Reopened {}."),
    DeleteTask: _BulkWords(delete_task, "delete {}", "Deleted {}."),
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
        page = await tools.call(list_tasks, status=status, limit=LOOKUP_LIMIT)
    except ToolFailed as failed:
        return trouble_reply(failed, "read your list")
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
            await tools.call(words.tool, task_id=task.id)
        except ToolFailed as failed:
            if not _gone(failed):
                return f"I stopped after {_count(changed, 'task')}. " + trouble_reply(failed, "do the rest")
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


def confirm_request_reply(intent: ConfirmRequest) -> str:
    """A change asked as a question: say what would be done and wait for a yes."""
    asked = re.sub(r"\b(?:remind me)\b", "remind you", intent.suggestion, flags=re.IGNORECASE)
    asked = re.sub(r"\bmy\b", "your", asked, flags=re.IGNORECASE)
    return f'Do you want me to {_shorten(asked)}? Say "yes" and I\'ll do it, "no" leaves your list as it is.'


def bad_date_reply(intent: BadDate) -> str:
    return f"I didn't change anything: {intent.reason}. Please say the date again."


# Replies that need no tools (all reading).
STATIC_REPLIES: Mapping[type[Intent], Callable[[Any], str]] = MappingProxyType(
    {
        Help: lambda _: HELP_REPLY,
        Greeting: lambda _: GREETING_REPLY,
        Thanks: lambda _: THANKS_REPLY,
        NeverMind: lambda _: NEVER_MIND_REPLY,
        MissingTitle: lambda _: MISSING_TITLE_REPLY,
        Yes: lambda _: YES_WITHOUT_QUESTION_REPLY,
        DidYouMean: did_you_mean_reply,
        ConfirmRequest: confirm_request_reply,
        BadDate: bad_date_reply,
        Unknown: lambda intent: unknown_reply(intent.text),
    }
)


def static_reply(intent: Intent) -> str | None:
    """The reply to an intent that needs no tools, else None."""
    reply = STATIC_REPLIES.get(type(intent))
    return reply(intent) if reply is not None else None


async def run_rules_turn(
    settings: ApiSettings,
    user_id: int,
    history: Sequence[HistoryMessage],
    message: str,
    *,
    today: date | None = None,
) -> AgentTurn:
    """One rules-engine turn; MCP trouble becomes a temporary-error reply, never an exception.

    A question is told apart first and answered by ``read`` alone: it confirms nothing pending and
    reaches no writer."""
    today = today or date.today()
    intent = parse(message, today)
    question = question_form(message) is not None
    confirmed: PendingBulk | None = None
    pending = pending_question(history)
    if question:
        if pending is not None and confirms(message) is not None:
            return AgentTurn(reply=QUESTION_PENDING_REPLY, tool_calls=())
    elif pending is not None:
        said = confirms(message)
        if said is False:
            return AgentTurn(reply=cancelled_reply(pending), tool_calls=())
        if said and isinstance(pending, PendingSuggestion):
            intent = parse(pending.suggestion, today)
            question = question_form(pending.suggestion) is not None
        elif said and isinstance(pending, PendingBulk):
            confirmed, intent = pending, pending.intent
    if isinstance(intent, Unknown) and not question and pending_choice(history) is not None:
        intent = Again(ByTitle(intent.text.strip(" .!")), too=False)  # a title answering "which one?"

    async def work(tools: TaskTools) -> str:
        if question:
            return await read(intent, ReadTools(tools), history, today)
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
