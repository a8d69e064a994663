"""What a message can ask for: the intents ``parse`` answers and the ways a message names tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Literal

Priority = Literal["low", "medium", "high"]
ListStatus = Literal["open", "done", "all"]
# How a listing is sorted; "default" is the task service's own order (open first, then oldest).
ListOrder = Literal["default", "due_date", "oldest", "newest", "priority", "alphabetical"]


# --- task references -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ByTitle:
    """A task named by (part of) its title, e.g. "buy milk"."""

    text: str


@dataclass(frozen=True)
class ByPosition:
    """A task named by its 1-based position in the last list shown; -1 means the last one."""

    position: int


@dataclass(frozen=True)
class ByPronoun:
    """ "it" / "that one": the task the conversation last referred to."""


@dataclass(frozen=True)
class AllTasks:
    """ "everything", "all done tasks", "completed": every task with this status (a bulk request)."""

    status: ListStatus = "all"


TaskRef = ByTitle | ByPosition | ByPronoun | AllTasks


# --- intents -------------------------------------------------------------------------------------


class Intent:
    """What one message asks for (every intent below is one)."""


class Change(Intent):
    """An intent that changes tasks when acted on. A question never parses to one (``parse``), and
    the engine answers a question only through its read-only handlers."""


@dataclass(frozen=True)
class AddTask(Change):
    title: str
    due_date: date | None = None
    priority: Priority | None = None
    # A time of day the user gave ("at 9am"): tasks have no time, so the reply says it was left out.
    at: time | None = None
    # Date-like words left in the title because they name no date understood ("on the 32nd").
    unparsed_date: str | None = None


@dataclass(frozen=True)
class AddTasks(Change):
    """Several tasks in one message ("add eggs; flour", one per line), each with its own date."""

    tasks: tuple[AddTask, ...]


@dataclass(frozen=True)
class DueWindow:
    """Which due dates a question asks about, inclusive; ``name`` is how the reply says it."""

    name: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class ListTasks(Intent):
    status: ListStatus = "open"
    search: str | None = None
    order: ListOrder = "default"
    due: DueWindow | None = None
    count: bool = False  # "how many ...?": the reply leads with the number


@dataclass(frozen=True)
class CompleteTask(Change):
    ref: TaskRef


@dataclass(frozen=True)
class ReopenTask(Change):
    ref: TaskRef


@dataclass(frozen=True)
class DeleteTask(Change):
    ref: TaskRef


@dataclass(frozen=True)
class RenameTask(Change):
    ref: TaskRef
    new_title: str
    # "change bread to rye bread": replace the words named inside the title, keep the rest.
    partial: bool = False


@dataclass(frozen=True)
class RescheduleTask(Change):
    ref: TaskRef
    due_date: date | None  # None clears the due date
    at: time | None = None


@dataclass(frozen=True)
class SetPriority(Change):
    ref: TaskRef
    priority: Priority


@dataclass(frozen=True)
class SetNote(Change):
    """ "add a note to X: ...": the note goes into the task's description (added to what is there)."""

    ref: TaskRef
    note: str


@dataclass(frozen=True)
class RestoreTask(Change):
    """ "put it back": re-add a task this conversation deleted, or reopen a finished one."""

    ref: TaskRef


@dataclass(frozen=True)
class Again(Change):
    """The previous request, on another task: "and the third one too", or the answer "the second
    one" to "which one do you mean?" (``too`` False: only right after that question)."""

    ref: TaskRef
    too: bool = True


TaskFacet = Literal["done", "open", "due", "priority", "details", "exists"]


@dataclass(frozen=True)
class AskTask(Intent):
    """A question about one task ("is the milk done?", "when is rent due?"): read, never change."""

    ref: TaskRef
    about: TaskFacet = "details"


@dataclass(frozen=True)
class ConfirmRequest(Intent):
    """A change asked as a question ("could you add milk?"): ask yes/no; "yes" runs ``suggestion``."""

    text: str
    suggestion: str


@dataclass(frozen=True)
class BadDate(Intent):
    """A date that does not exist ("april 31"): say so, change nothing."""

    text: str
    reason: str


@dataclass(frozen=True)
class Help(Intent):
    pass


@dataclass(frozen=True)
class Greeting(Intent):
    pass


@dataclass(frozen=True)
class Thanks(Intent):
    pass


@dataclass(frozen=True)
class NeverMind(Intent):
    pass


@dataclass(frozen=True)
class Yes(Intent):
    """ "yes" / "go ahead": confirms the question the last answer asked, if it asked one."""


@dataclass(frozen=True)
class MissingTitle(Intent):
    """The user wants to add something but named nothing."""


@dataclass(frozen=True)
class DidYouMean(Intent):
    """A command word with a typo ("delte milk"): ask, do not act on the guess."""

    text: str
    suggestion: str


@dataclass(frozen=True)
class Unknown(Intent):
    text: str


# Intents that act on one existing task (or, with an ``AllTasks`` reference, on many).
TaskAction = CompleteTask | ReopenTask | DeleteTask | RenameTask | RescheduleTask | SetPriority | SetNote
# Intents about one task the engine finds by its reference (a change, or a question about it).
Targeted = TaskAction | AskTask
