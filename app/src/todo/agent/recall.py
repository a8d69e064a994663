"""What the conversation so far tells the stateless rules engine (pure, no I/O).

The engine keeps nothing between turns. "The second one" means the second task of the last list
the assistant showed, and "it" the task last acted on; both are recovered here from the tool
calls stored with each assistant message (and, for a "which one?" question, by re-running the
same deterministic title match on that turn's stored ``list_tasks`` result). A yes/no question
the last answer asked (a bulk change to confirm, a "did you mean ...?") is recovered the same way:
re-parsing the last user message, with the tasks to act on from that turn's stored tool call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from todo.agent import HistoryMessage, ToolCall
from todo.agent.language.intents import (
    AllTasks,
    ByTitle,
    CompleteTask,
    ConfirmRequest,
    DeleteTask,
    DidYouMean,
    ListTasks,
    ReopenTask,
    Targeted,
)
from todo.agent.language.rules import confirms, parse
from todo.agent.matching import Ambiguous, Found, TaskView, match_task
from todo.mcp.tools import SINGLE_TASK_TOOLS, delete_task, list_tasks


@dataclass(frozen=True)
class Referred:
    """The task "it" means, and whether the conversation already deleted it."""

    task: TaskView
    deleted: bool = False


BulkIntent = CompleteTask | ReopenTask | DeleteTask


@dataclass(frozen=True)
class PendingBulk:
    """A bulk change the last answer asked to confirm, and the tasks it showed (acted on if "yes")."""

    intent: BulkIntent
    tasks: tuple[TaskView, ...]


@dataclass(frozen=True)
class PendingSuggestion:
    """A "did you mean ...?" the last answer asked; "yes" runs the suggested message."""

    suggestion: str


Pending = PendingBulk | PendingSuggestion
# Intents whose "yes" runs another message: a typo's suggestion, a change asked as a question.
Suggesting = DidYouMean | ConfirmRequest


def _turns(history: Sequence[HistoryMessage]) -> Iterator[tuple[str, HistoryMessage]]:
    """(user message, assistant answer) pairs, newest first; a "yes" to a "did you mean" question
    stands for the message it confirmed, since that is what the answer acted on."""
    user_text = ""
    previous_text = ""
    pairs: list[tuple[str, HistoryMessage]] = []
    for message in history:
        if message.role == "user":
            user_text = message.content
            continue
        said = user_text
        if confirms(user_text) and previous_text:
            earlier = parse(previous_text, date.today())
            if isinstance(earlier, Suggesting):
                said = earlier.suggestion
        pairs.append((said, message))
        previous_text = said
    return reversed(pairs)


def bulk_intent(intent: object) -> BulkIntent | None:
    """``intent`` when it completes, reopens or deletes every task of a kind, else None."""
    if isinstance(intent, CompleteTask | ReopenTask | DeleteTask) and isinstance(intent.ref, AllTasks):
        return intent
    return None


def pending_question(history: Sequence[HistoryMessage]) -> Pending | None:
    """The yes/no question the last answer asked, if it asked one (a reply that is not a yes or
    a no moves on, so only the very last turn counts)."""
    user_text, answer = next(iter(_turns(history)), ("", None))
    if answer is None:
        return None
    intent = parse(user_text, date.today())
    if isinstance(intent, Suggesting):
        return PendingSuggestion(intent.suggestion)
    bulk = bulk_intent(intent)
    only_listed = len(answer.tool_calls) == 1 and answer.tool_calls[0].name == list_tasks.__name__
    tasks = _last_list_result(answer.tool_calls) if bulk and only_listed else None
    return PendingBulk(bulk, tuple(tasks)) if bulk and tasks else None


def prefer_for(intent: Targeted) -> bool | None:
    """Which completion state the intent's task most likely has (None: no preference)."""
    if isinstance(intent, CompleteTask):
        return False
    if isinstance(intent, ReopenTask):
        return True
    return None


def match_for(intent: Targeted, query: str, tasks: Sequence[TaskView]) -> Ambiguous | TaskView | None:
    """The deterministic title match the engine runs (shared, so recall can replay it)."""
    completed = prefer_for(intent)
    prefer = None if completed is None else (lambda task: task.completed is completed)
    result = match_task(query, tasks, prefer)
    if isinstance(result, Found):
        return result.task
    if isinstance(result, Ambiguous):
        return result
    return None


def _last_list_result(calls: Sequence[ToolCall]) -> list[TaskView] | None:
    for call in reversed(calls):
        if call.name == list_tasks.__name__ and call.error is None:
            tasks = TaskView.list_from_result(call.result)
            if tasks is not None:
                return tasks
    return None


def displayed_list(user_text: str, calls: Sequence[ToolCall]) -> list[TaskView] | None:
    """The numbered list one assistant answer showed, if it showed one."""
    intent = parse(user_text, date.today())
    if isinstance(intent, ListTasks):
        return _last_list_result(calls)
    asked = _asked_which(intent, calls)
    return None if asked is None else list(asked)


def _asked_which(intent: object, calls: Sequence[ToolCall]) -> tuple[TaskView, ...] | None:
    """The candidates a turn listed when it asked "which one do you mean?", else None."""
    only_listed = len(calls) == 1 and calls[0].name == list_tasks.__name__
    if isinstance(intent, Targeted) and isinstance(intent.ref, ByTitle) and only_listed:
        tasks = _last_list_result(calls)
        if tasks is not None:
            # A turn that only looked tasks up and acted on none asked "which one?".
            result = match_for(intent, intent.ref.text, tasks)
            if isinstance(result, Ambiguous):
                return result.candidates
    return None


def pending_choice(history: Sequence[HistoryMessage]) -> Targeted | None:
    """The request the last answer asked "which one do you mean?" about, if it asked that."""
    user_text, answer = next(iter(_turns(history)), ("", None))
    if answer is None:
        return None
    intent = parse(user_text, date.today())
    if isinstance(intent, Targeted) and _asked_which(intent, answer.tool_calls) is not None:
        return intent
    return None


def last_request(history: Sequence[HistoryMessage]) -> Targeted | None:
    """The newest request about one task: what "and the third one too" does again."""
    for user_text, _ in _turns(history):
        intent = parse(user_text, date.today())
        if isinstance(intent, Targeted):
            return intent
    return None


def deleted_tasks(history: Sequence[HistoryMessage], *, newest_turn_only: bool = False) -> list[TaskView]:
    """The tasks this conversation deleted, newest first (or those of the newest deleting turn)."""
    found: list[TaskView] = []
    for _, answer in _turns(history):
        turn = [
            task
            for call in reversed(answer.tool_calls)
            if call.name == delete_task.__name__
            and call.error is None
            and (task := TaskView.from_result(call.result)) is not None
        ]
        found += turn
        if turn and newest_turn_only:
            break
    return found


def last_shown_list(history: Sequence[HistoryMessage]) -> list[TaskView] | None:
    """The tasks of the last numbered list the assistant showed, in the order shown."""
    for user_text, answer in _turns(history):
        shown = displayed_list(user_text, answer.tool_calls)
        if shown is not None:
            return shown
    return None


def last_referred(history: Sequence[HistoryMessage]) -> Referred | None:
    """The task the conversation last acted on or showed alone: what "it" means."""
    for user_text, answer in _turns(history):
        for call in reversed(answer.tool_calls):
            if call.name in SINGLE_TASK_TOOLS and call.error is None:
                task = TaskView.from_result(call.result)
                if task is not None:
                    return Referred(task, deleted=call.name == delete_task.__name__)
        shown = displayed_list(user_text, answer.tool_calls)
        if shown is not None and len(shown) == 1:
            return Referred(shown[0])
    return None
