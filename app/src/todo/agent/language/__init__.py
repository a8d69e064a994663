"""What a chat message asks for: the rules engine's language understanding (pure, no I/O).

``parse(message, today)`` turns one message into an ``Intent``: add a task (with a due date and
priority picked out of the words), list tasks (by status, search text, due window or order),
complete / reopen / delete / rename / reschedule / reprioritise one task or all of a kind, help,
small talk, a yes/no, a "did you mean" for a typo, or ``Unknown``. Nothing here knows about storage
or earlier messages; ``todo.agent.recall`` resolves references against the history.

Where things live: ``intents`` (what a message can mean), ``dates`` (dates and times of day),
``priorities``, ``refs`` (how a message names tasks), ``typos`` and ``rules`` (the rule table).
"""

from todo.agent.language.dates import parse_date, parse_when, split_trailing_date, split_trailing_when
from todo.agent.language.intents import (
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
    ListOrder,
    ListStatus,
    ListTasks,
    MissingTitle,
    NeverMind,
    Priority,
    RenameTask,
    ReopenTask,
    RescheduleTask,
    SetPriority,
    TaskAction,
    TaskRef,
    Thanks,
    Unknown,
    Yes,
)
from todo.agent.language.priorities import priority_word, split_priority
from todo.agent.language.refs import parse_ref
from todo.agent.language.rules import RULES, Rule, confirms, parse

__all__ = [
    "RULES",
    "AddTask",
    "AllTasks",
    "ByPosition",
    "ByPronoun",
    "ByTitle",
    "CompleteTask",
    "DeleteTask",
    "DidYouMean",
    "DueWindow",
    "Greeting",
    "Help",
    "Intent",
    "ListOrder",
    "ListStatus",
    "ListTasks",
    "MissingTitle",
    "NeverMind",
    "Priority",
    "RenameTask",
    "ReopenTask",
    "RescheduleTask",
    "Rule",
    "SetPriority",
    "TaskAction",
    "TaskRef",
    "Thanks",
    "Unknown",
    "Yes",
    "confirms",
    "parse",
    "parse_date",
    "parse_ref",
    "parse_when",
    "priority_word",
    "split_priority",
    "split_trailing_date",
    "split_trailing_when",
]
