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
from datetime import date
from types import MappingProxyType
from typing import Any

import anyio

from todo.agent import TEMPORARY_ERROR_REPLY, AgentTurn, HistoryMessage, ToolCall, replies
from todo.agent.language.intents import (
    AddTask,
    AddTasks,
    Again,
    AllTasks,
    AskTask,
    BadDate,
    ByPosition,
    ByPronoun,
    ByTitle,
    CompleteTask,
    ConfirmRequest,
    DeleteTask,
    DidYouMean,
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
)
from todo.agent.language.rules import confirms, parse, question_form
from todo.agent.matching import Ambiguous, Found, TaskView, match_task
from todo.agent.recall import (
    BulkIntent,
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


def _example_for(intent: Targeted) -> str:
    """A way to name one task, for ``intent``'s kind of request ("complete the first one")."""
    example = HANDLERS[type(intent)].example
    return example(intent) if example is not None else "move the first one to tomorrow"


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
        raise Unresolved(replies.BULK_REFUSED_REPLY)
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
            f"{replies.numbered(found.candidates, today, show_done=True)}\n"
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
    change = HANDLERS[type(intent)].change
    assert change is not None, f"{type(intent).__name__} has no change in HANDLERS"
    return await change(intent, task, tools, today)


async def _complete(intent: CompleteTask, task: TaskView, tools: TaskTools, today: date) -> str:
    done = TaskView.of(await tools.call(complete_task, task_id=task.id))
    if task.completed:
        return f'"{done.title}" was already done.'
    return f'Nice work! I marked "{done.title}" as done.'


async def _reopen(intent: ReopenTask, task: TaskView, tools: TaskTools, today: date) -> str:
    reopened = TaskView.of(await tools.call(reopen_task, task_id=task.id))
    return f'I reopened "{reopened.title}"; it\'s back on your list.'


async def _delete(intent: DeleteTask, task: TaskView, tools: TaskTools, today: date) -> str:
    await tools.call(delete_task, task_id=task.id)
    return f'Deleted "{task.title}".'


async def _rename(intent: RenameTask, task: TaskView, tools: TaskTools, today: date) -> str:
    if not intent.new_title:
        return f'What should "{task.title}" be called instead?'
    new_title = intent.new_title
    if intent.partial and isinstance(intent.ref, ByTitle):
        new_title = _edited_title(task.title, intent.ref.text, new_title)
    renamed = await tools.call(update_task, task_id=task.id, title=new_title)
    return f'Renamed "{task.title}" to "{renamed.title}".'


async def _reschedule(intent: RescheduleTask, task: TaskView, tools: TaskTools, today: date) -> str:
    if intent.due_date is None:
        await tools.call(update_task, task_id=task.id, clear_due_date=True)
        return f'"{task.title}" no longer has a due date.'
    await tools.call(update_task, task_id=task.id, due_date=intent.due_date)
    due = replies.describe_due(intent.due_date, today)
    return f'"{task.title}" is now due {due}.{replies.date_only_note(intent.at)}'


async def _set_note(intent: SetNote, task: TaskView, tools: TaskTools, today: date) -> str:
    if not intent.note:
        return f'What should the note on "{task.title}" say? e.g. "add a note to {task.title}: ..."'
    description = f"{task.description}\n{intent.note}" if task.description else intent.note
    await tools.call(update_task, task_id=task.id, description=description)
    return f'Added the note to "{task.title}": "{replies.shorten(intent.note)}".'


async def _set_priority(intent: SetPriority, task: TaskView, tools: TaskTools, today: date) -> str:
    await tools.call(update_task, task_id=task.id, priority=intent.priority)
    return f'"{task.title}" is now {intent.priority} priority.'


async def _add(intent: AddTask, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    try:
        added = TaskView.of(
            await tools.call(add_task, title=intent.title, due_date=intent.due_date, priority=intent.priority)
        )
    except ToolFailed as failed:
        return trouble_reply(failed, "add that")
    return (
        f'Added "{added.title}" to your list{replies.added_details(added, today)}.'
        f"{replies.date_only_note(intent.at)}{replies.unparsed_note(intent)}{replies.one_or_several_note(added.title)}"
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
            added_so_far = replies.count(len(lines), "task")
            done = f"I added {added_so_far} ({', '.join(lines)}), then: " if lines else ""
            return done + trouble_reply(failed, f'add "{replies.shorten(item.title)}"')
        lines.append(f'"{added.title}"{replies.added_details(added, today)}')
    first = intent.tasks[:1]
    notes = "".join(replies.date_only_note(item.at) or replies.unparsed_note(item) for item in first)
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
            return replies.NOTHING_TO_RESTORE_REPLY
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
                return replies.NOTHING_TO_RESTORE_REPLY
    else:
        try:
            return await _reopen_if_done(
                await resolve(ReopenTask(ref), ReadTools(tools), history, today), tools
            )
        except Unresolved as unresolved:
            return str(unresolved)
    if not targets:
        return replies.NOTHING_TO_RESTORE_REPLY
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
            return trouble_reply(failed, f'put "{replies.shorten(task.title)}" back')
        restored.append(f'"{task.title}"')
    named = " and ".join(restored) if len(restored) < 3 else replies.count(len(restored), "task")
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
    return replies.list_reply(intent, [TaskView.of(task) for task in page.items], page.total, today)


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
        due = replies.describe_due(task.due_date, today)
        return f"{title} is due {due}." if due else f"{title} has no due date."
    if intent.about == "priority":
        return f"{title} is {task.priority} priority."
    if intent.about == "exists":
        return f"{title} is still on your list ({'done' if task.completed else 'open'})."
    return replies.task_facts(task, today)


# --- one table: each intent type and how the engine answers it --------------------------------

Reader = Callable[[Any, ReadTools, Sequence[HistoryMessage], date], Awaitable[str]]
Writer = Callable[[Any, TaskTools, Sequence[HistoryMessage], date], Awaitable[str]]
Changer = Callable[[Any, TaskView, TaskTools, date], Awaitable[str]]


@dataclass(frozen=True)
class Bulk:
    """How a change of "all of them" is previewed and then done, one tool call per task."""

    tool: Callable[..., TaskPublic]
    status: Callable[[Any], str]  # which tasks it is about: completing touches open ones
    verb: str  # "delete {}": {} is what it acts on
    done: str  # "Deleted {}."


@dataclass(frozen=True)
class Handler:
    """How the engine answers one intent type, by exactly one of: ``reply`` (needs no tools),
    ``read`` (gets only ``ReadTools``), ``write``, or ``change`` (a ``TaskAction``: ``_act`` finds the
    one task it names, or previews ``bulk`` for all of a kind, and ``change`` acts on it)."""

    reply: Callable[[Any], str] | None = None
    read: Reader | None = None
    write: Writer | None = None
    change: Changer | None = None
    example: Callable[[Any], str] | None = None  # naming one task when a title matched several
    bulk: Bulk | None = None


def _all_of(intent: Any) -> str:
    return str(intent.ref.status) if isinstance(intent.ref, AllTasks) else "all"


# Every intent type's one row. A reader gets only ``ReadTools``; a ``Change`` has a writer, and only
# a statement reaches one (tests check every intent has exactly one kind of handler here).
HANDLERS: Mapping[type[Intent], Handler] = MappingProxyType(
    {
        Help: Handler(reply=lambda _: replies.HELP_REPLY),
        Greeting: Handler(reply=lambda _: replies.GREETING_REPLY),
        Thanks: Handler(reply=lambda _: replies.THANKS_REPLY),
        NeverMind: Handler(reply=lambda _: replies.NEVER_MIND_REPLY),
        MissingTitle: Handler(reply=lambda _: replies.MISSING_TITLE_REPLY),
        Yes: Handler(reply=lambda _: replies.YES_WITHOUT_QUESTION_REPLY),
        DidYouMean: Handler(reply=replies.did_you_mean_reply),
        ConfirmRequest: Handler(reply=replies.confirm_request_reply),
        BadDate: Handler(reply=replies.bad_date_reply),
        Unknown: Handler(reply=lambda intent: replies.unknown_reply(intent.text)),
        ListTasks: Handler(read=_list),
        AskTask: Handler(read=_ask, example=lambda _: "is the first one done?"),
        AddTask: Handler(write=_add),
        AddTasks: Handler(write=_add_several),
        RestoreTask: Handler(write=_restore),
        Again: Handler(write=_again),
        CompleteTask: Handler(
            change=_complete,
            example=lambda _: "complete the first one",
            bulk=Bulk(complete_task, lambda _: "open", "mark {} as done", "Marked {} as done."),
        ),
        ReopenTask: Handler(
            change=_reopen,
            example=lambda _: "reopen the first one",
            bulk=Bulk(reopen_task, lambda _: "done", "reopen {}", "Reopened {}."),
        ),
        DeleteTask: Handler(
            change=_delete,
            example=lambda _: "delete the first one",
            bulk=Bulk(delete_task, _all_of, "delete {}", "Deleted {}."),
        ),
        RenameTask: Handler(
            change=_rename, example=lambda intent: f"rename the first one to {intent.new_title}"
        ),
        RescheduleTask: Handler(change=_reschedule, example=lambda _: "move the first one to tomorrow"),
        SetPriority: Handler(
            change=_set_priority, example=lambda intent: f"make the first one {intent.priority} priority"
        ),
        SetNote: Handler(
            change=_set_note, example=lambda intent: f"add a note to the first one: {intent.note or '...'}"
        ),
    }
)
# The table by kind of handler (a changer's writer is ``_act``).
READERS: Mapping[type[Intent], Reader] = MappingProxyType(
    {kind: row.read for kind, row in HANDLERS.items() if row.read is not None}
)
WRITERS: Mapping[type[Intent], Writer] = MappingProxyType(
    {kind: row.write or _act for kind, row in HANDLERS.items() if row.write or row.change}
)
STATIC_REPLIES: Mapping[type[Intent], Callable[[Any], str]] = MappingProxyType(
    {kind: row.reply for kind, row in HANDLERS.items() if row.reply is not None}
)


async def read(intent: Intent, tools: ReadTools, history: Sequence[HistoryMessage], today: date) -> str:
    """The reply to a reading intent, through the reading tools alone (a ``Change`` is not one)."""
    static = static_reply(intent)
    if static is not None:
        return static
    reader = READERS.get(type(intent))
    if reader is None:
        return replies.unknown_reply(str(intent))
    return await reader(intent, tools, history, today)


async def answer(intent: Intent, tools: TaskTools, history: Sequence[HistoryMessage], today: date) -> str:
    """The reply to a statement's ``intent``, making whatever tool calls it needs through ``tools``."""
    writer = WRITERS.get(type(intent))
    if writer is not None:
        return await writer(intent, tools, history, today)
    return await read(intent, ReadTools(tools), history, today)


# --- bulk changes: preview and ask, then act on exactly the tasks shown -------------------------


_KIND = {"done": "completed task", "open": "open task", "all": "task"}


def _bulk_words(intent: BulkIntent) -> Bulk:
    bulk = HANDLERS[type(intent)].bulk
    assert bulk is not None, f"{type(intent).__name__} has no bulk change in HANDLERS"
    return bulk


async def _bulk_preview(intent: BulkIntent, tools: TaskTools) -> str:
    words = _bulk_words(intent)
    status = words.status(intent)
    try:
        page = await tools.call(list_tasks, status=status, limit=LOOKUP_LIMIT)
    except ToolFailed as failed:
        return trouble_reply(failed, "read your list")
    tasks = [TaskView.of(task) for task in page.items]
    kind = _KIND[status]
    if not tasks:
        return f"You have no {kind}s, so there is nothing to {words.verb.format('').split()[0]}."
    scope = f"all {replies.count(len(tasks), kind)}" if len(tasks) > 1 else f"your only {kind}"
    if page.total > len(tasks):
        scope = (
            f"the first {len(tasks)} of your {replies.count(page.total, kind)} "
            f"({LOOKUP_LIMIT} is my limit at once)"
        )
    lines = "\n".join(f"• {task.title}" for task in tasks[: replies.PREVIEW_LINES])
    if len(tasks) > replies.PREVIEW_LINES:
        lines += f"\n…and {len(tasks) - replies.PREVIEW_LINES} more."
    question = words.verb.format("them" if len(tasks) > 1 else "it").capitalize()
    return (
        f"This will {words.verb.format(scope)}:\n{lines}\n"
        f'{question}? Say "yes" to go ahead or "no" to leave things as they are.'
    )


async def _bulk_act(pending: PendingBulk, tools: TaskTools) -> str:
    """Apply the confirmed change to the tasks the question showed (not to tasks added since)."""
    words = _bulk_words(pending.intent)
    changed = gone = 0
    for task in pending.tasks:
        try:
            await tools.call(words.tool, task_id=task.id)
        except ToolFailed as failed:
            if not _gone(failed):
                stopped = f"I stopped after {replies.count(changed, 'task')}. "
                return stopped + trouble_reply(failed, "do the rest")
            gone += 1
        else:
            changed += 1
    reply = words.done.format(replies.count(changed, "task"))
    if gone:
        reply += f" {replies.count(gone, 'task').capitalize()} {'was' if gone == 1 else 'were'} already gone."
    return reply


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
            return AgentTurn(reply=replies.QUESTION_PENDING_REPLY, tool_calls=())
    elif pending is not None:
        said = confirms(message)
        if said is False:
            return AgentTurn(reply=replies.cancelled_reply(pending), tool_calls=())
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
