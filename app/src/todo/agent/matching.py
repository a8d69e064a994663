"""Which task a user means: fuzzy title matching over the tasks a tool returned (pure, no I/O)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from todo.core.models import TaskPublic

# Words that carry no meaning in a task reference ("the milk task" means "milk").
_STOP_WORDS = frozenset({"the", "a", "an", "my", "our", "your", "task", "todo", "item", "one"})
MIN_SCORE = 0.6
# Candidates this close to the best one are too close to call: ask the user.
AMBIGUITY_MARGIN = 0.08
_TOKEN_MATCH = 0.8


@dataclass(frozen=True)
class TaskView:
    """The fields of a tool's ``Task`` result the rules engine uses."""

    id: int
    title: str
    completed: bool = False
    due_date: str | None = None
    priority: str = "medium"
    description: str = ""

    @classmethod
    def of(cls, task: TaskPublic) -> TaskView:
        """The view of a task a tool just answered (already checked against the contract)."""
        due = task.due_date.isoformat() if task.due_date is not None else None
        return cls(
            id=task.id,
            title=task.title,
            completed=task.completed,
            due_date=due,
            priority=task.priority.value,
            description=task.description,
        )

    @classmethod
    def from_result(cls, value: Any) -> TaskView | None:
        """The task in a stored tool result (any engine's, unchecked), or None when it is not one."""
        if not isinstance(value, dict):
            return None
        task_id, title = value.get("id"), value.get("title")
        if not isinstance(task_id, int) or not isinstance(title, str):
            return None
        due = value.get("due_date")
        priority = value.get("priority")
        description = value.get("description")
        return cls(
            id=task_id,
            title=title,
            completed=value.get("completed") is True,
            due_date=due if isinstance(due, str) else None,
            priority=priority if isinstance(priority, str) else "medium",
            description=description if isinstance(description, str) else "",
        )

    @classmethod
    def list_from_result(cls, value: Any) -> list[TaskView] | None:
        """The tasks of a ``list_tasks`` result (``{items, total}``), or None when it is not one."""
        if not isinstance(value, dict) or not isinstance(value.get("items"), list):
            return None
        tasks = [cls.from_result(item) for item in value["items"]]
        return [task for task in tasks if task is not None]


@dataclass(frozen=True)
class Found:
    task: TaskView


@dataclass(frozen=True)
class Ambiguous:
    candidates: tuple[TaskView, ...]


@dataclass(frozen=True)
class NotFound:
    pass


Match = Found | Ambiguous | NotFound


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[^\W_]+", text.lower())
    meaningful = [word for word in words if word not in _STOP_WORDS]
    return meaningful or words


def _length_bound(a: str, b: str) -> float:
    """An upper bound of ``SequenceMatcher(None, a, b).ratio()`` that costs nothing to compute."""
    return 2 * min(len(a), len(b)) / (len(a) + len(b)) if a or b else 1.0


@functools.lru_cache(maxsize=8192)
def _token_similarity(a: str, b: str) -> float:
    """How alike two words are, or 0.0 when below ``_TOKEN_MATCH`` (all ``_share`` counts)."""
    if a == b:
        return 1.0
    if min(len(a), len(b)) < 3 or _length_bound(a, b) < _TOKEN_MATCH:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= _TOKEN_MATCH else 0.0


def _share(words: list[str], other: list[str]) -> float:
    """How much of ``words`` appears in ``other`` (typos allowed)."""
    if not words or not other:
        return 0.0
    total = 0.0
    for word in words:
        best = max(_token_similarity(word, candidate) for candidate in other)
        total += best if best >= _TOKEN_MATCH else 0.0
    return total / len(words)


def score(query: str, title: str) -> float:
    """1.0 for the same title, down to 0.0 for nothing in common."""
    query_words, title_words = _tokens(query), _tokens(title)
    if not query_words or not title_words:
        return 0.0
    query_text, title_text = " ".join(query_words), " ".join(title_words)
    if query_text == title_text:
        return 1.0
    # Mostly "is everything the user said in the title", a little "is that all the title says".
    overlap = 0.75 * _share(query_words, title_words) + 0.25 * _share(title_words, query_words)
    if _length_bound(query_text, title_text) <= overlap:
        return min(overlap, 0.99)  # the whole-text ratio cannot beat the overlap: skip computing it
    whole = SequenceMatcher(None, query_text, title_text).ratio()
    return min(max(whole, overlap), 0.99)


def match_task(
    query: str, tasks: Sequence[TaskView], prefer: Callable[[TaskView], bool] | None = None
) -> Match:
    """The one task ``query`` names; ties are broken by ``prefer`` (e.g. "still open"), else ambiguous."""
    scored = sorted(
        ((score(query, task.title), index, task) for index, task in enumerate(tasks)),
        key=lambda item: (-item[0], item[1]),
    )
    scored = [item for item in scored if item[0] >= MIN_SCORE]
    if not scored:
        return NotFound()
    best = scored[0][0]
    close = [task for value, _, task in scored if best - value < AMBIGUITY_MARGIN]
    if len(close) == 1:
        return Found(close[0])
    if prefer is not None:
        preferred = [task for task in close if prefer(task)]
        if len(preferred) == 1:
            return Found(preferred[0])
    return Ambiguous(tuple(close))
