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


@dataclass(frozen=True)
class AddTask(Intent):
    title: str
    due_date: date | None = None
    priority: Priority | None = None
    # A time of day the user gave ("at 9am"): tasks have no time, so the reply says it was left out.
    at: time | None = None


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


@dataclass(frozen=True)
class CompleteTask(Intent):
    ref: TaskRef


@dataclass(frozen=True)
class ReopenTask(Intent):
    ref: TaskRef


@dataclass(frozen=True)
class DeleteTask(Intent):
    ref: TaskRef


@dataclass(frozen=True)
class RenameTask(Intent):
    ref: TaskRef
    new_title: str


@dataclass(frozen=True)
class RescheduleTask(Intent):
    ref: TaskRef
    due_date: date | None  # None clears the due date
    at: time | None = None


@dataclass(frozen=True)
class SetPriority(Intent):
    ref: TaskRef
    priority: Priority


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
TaskAction = CompleteTask | ReopenTask | DeleteTask | RenameTask | RescheduleTask | SetPriority
