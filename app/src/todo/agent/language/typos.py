"""Command words typed wrong ("delte", "compelte", "ad"): what the user probably meant, to ask about."""

from __future__ import annotations

import re

# The words a command starts with; a first word one or two typos away from one of these is a typo.
COMMAND_WORDS = (
    "add", "delete", "remove", "complete", "finish", "mark", "rename", "reschedule", "move",
    "postpone", "show", "list", "reopen", "undo", "find", "search", "clear", "create", "remind",
    "change", "update", "help", "check", "tick", "prioritize", "prioritise", "what's",
)  # fmt: skip
_LONGEST = max(len(command) for command in COMMAND_WORDS)
_FIRST_WORD = re.compile(r"^(?P<word>[a-z']+)(?P<rest>\b.*)$", re.IGNORECASE)


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn ``a`` into ``b``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


def _allowed_edits(word: str) -> int:
    return 1 if len(word) <= 4 else 2


def closest_command(word: str) -> str | None:
    """The command word ``word`` is a typo of ("delte" -> "delete"), else None (also for real ones)."""
    word = word.lower()
    if word in COMMAND_WORDS or not 2 <= len(word) <= _LONGEST + 2:
        return None
    scored = sorted(
        (edit_distance(word, command), index, command) for index, command in enumerate(COMMAND_WORDS)
    )
    distance, _, command = scored[0]
    return command if distance <= _allowed_edits(word) else None


def corrected(text: str) -> str | None:
    """``text`` with its first word's typo fixed ("delte milk" -> "delete milk"), else None."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return None
    command = closest_command(match.group("word"))
    return None if command is None else command + match.group("rest")
