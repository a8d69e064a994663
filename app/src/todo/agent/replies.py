"""What the rules engine says: every reply's wording, apart from the acting (``rules_engine``).

Pure functions of what was found or done (tasks as ``TaskView``, intents, dates); no tool calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time

from todo.agent.language.intents import AddTask, BadDate, ConfirmRequest, DidYouMean, DueWindow, ListTasks
from todo.agent.matching import TaskView
from todo.agent.recall import Pending, PendingBulk

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


def shorten(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def unknown_reply(text: str) -> str:
    shown = shorten(text)
    return f'Sorry, I didn\'t understand "{shown}". I can manage your to-do list; try:\n{_EXAMPLE_LINES}'


def did_you_mean_reply(intent: DidYouMean) -> str:
    shown = shorten(intent.suggestion)
    return f'Did you mean "{shown}"? Say "yes" and I\'ll do that, or tell me what you meant.'


def date_only_note(at: time | None) -> str:
    """What the reply adds when the user gave a time of day: tasks keep the date only."""
    if at is None:
        return ""
    return (
        f" Tasks have a due date but no time of day, so I kept the date only (not {at.hour}:{at.minute:02d})."
    )


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
        number = f"{total} {kind}" if " due " in kind else count(total, kind)
    else:
        number = count(total, kind)
    if total == 0:
        return (
            f"You have no {number.split(' ', 1)[1].replace('task ', 'tasks ')}."
            if " due " in number
            else (f"You have no {kind}s.")
        )
    more = f"\n…and {total - len(tasks)} more." if total > len(tasks) else ""
    return f"You have {number}:\n{numbered(tasks, today, show_done=intent.status != 'open')}{more}"


def list_reply(intent: ListTasks, tasks: list[TaskView], total: int, today: date) -> str:
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


def added_details(added: TaskView, today: date) -> str:
    details = []
    due = describe_due(added.due_date, today)
    if due:
        details.append(f"due {due}")
    if added.priority != "medium":
        details.append(f"{added.priority} priority")
    return f" ({', '.join(details)})" if details else ""


def unparsed_note(intent: AddTask) -> str:
    if intent.unparsed_date is None:
        return ""
    return (
        f' I kept "{intent.unparsed_date}" in the title, as I couldn\'t read it as a date; to set a due '
        f'date, say e.g. "move it to friday".'
    )


_COMMA_LIST = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)


def one_or_several_note(title: str) -> str:
    """ "eggs, flour and sugar" may be one shopping task or three: added as one, and says how to split."""
    parts = [part for part in _COMMA_LIST.split(title) if part]
    if "," not in title or len(parts) < 3 or any(len(part.split()) > 3 for part in parts):
        return ""
    return f' I added it as one task; for {len(parts)} separate tasks, say "add {"; ".join(parts)}".'


def task_facts(task: TaskView, today: date) -> str:
    state = "done" if task.completed else "open"
    due = describe_due(task.due_date, today)
    facts = [state, f"due {due}" if due else "no due date", f"{task.priority} priority"]
    note = f' Note: "{shorten(task.description)}"' if task.description else ""
    return f'"{task.title}" is {", ".join(facts)}.{note}'


def count(number: int, kind: str) -> str:
    return f"{number} {kind}{'' if number == 1 else 's'}"


def cancelled_reply(pending: Pending) -> str:
    """The answer to "no" when the last answer asked a yes/no question."""
    if isinstance(pending, PendingBulk):
        return "OK, I didn't change anything."
    return 'OK, I did nothing. Tell me what you meant, e.g. "delete buy milk".'


def confirm_request_reply(intent: ConfirmRequest) -> str:
    """A change asked as a question: say what would be done and wait for a yes."""
    asked = re.sub(r"\b(?:remind me)\b", "remind you", intent.suggestion, flags=re.IGNORECASE)
    asked = re.sub(r"\bmy\b", "your", asked, flags=re.IGNORECASE)
    return f'Do you want me to {shorten(asked)}? Say "yes" and I\'ll do it, "no" leaves your list as it is.'


def bad_date_reply(intent: BadDate) -> str:
    return f"I didn't change anything: {intent.reason}. Please say the date again."
