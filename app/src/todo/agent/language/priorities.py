"""Priorities in a message: "high priority", "urgent", "asap", "prio: low"."""

from __future__ import annotations

import re

from todo.agent.language.intents import Priority
from todo.agent.language.text import NOCASE

PRIORITY_WORDS: dict[str, Priority] = {
    "high": "high", "top": "high", "urgent": "high", "important": "high", "critical": "high",
    "low": "low", "medium": "medium", "normal": "medium", "regular": "medium",
}  # fmt: skip
PRIORITY_WORD_RE = "|".join(PRIORITY_WORDS)
# "high priority", "with low prio", "priority: high" anywhere in a title.
_PRIORITY_PHRASE = re.compile(
    rf"[\s,;(-]*\b(?:(?:with|as|at|is|it's|its|set "
    rf"to)\s+(?:a\s+)?)?(?P<word1>{PRIORITY_WORD_RE})[\s-]+prio(?:rity)?\b\)?"
    rf"|[\s,;(-]*\bprio(?:rity)?\s*(?:[:=]|is|of)?\s*(?P<word2>{PRIORITY_WORD_RE})\b\)?",
    NOCASE,
)
# "urgent", "asap", "(important)" only at the very end, so "send important email" keeps its words.
_TRAILING_URGENCY = re.compile(
    r"[\s,;(-]+(?:(?:it's|its|it is|this is)\s+)?(?:very\s+)?(?P<word>urgent|urgently|asap|important|"
    r"critical)\)?!*$",
    NOCASE,
)


def priority_word(text: str) -> Priority | None:
    """``high`` for "high", "urgent", "high priority"..., else None."""
    words = text.strip(" .!?").lower().removesuffix(" priority").removesuffix(" prio").strip()
    return PRIORITY_WORDS.get(words.removesuffix("ly"))


def split_priority(text: str) -> tuple[str, Priority | None]:
    """``("buy milk", "high")`` from ``"buy milk high priority"``; the text unchanged when it has none."""
    found: Priority | None = None
    match = _PRIORITY_PHRASE.search(text)
    if match and match.start() > 0:
        found = PRIORITY_WORDS[(match.group("word1") or match.group("word2")).lower()]
        text = (text[: match.start()] + " " + text[match.end() :]).strip()
    urgency = _TRAILING_URGENCY.search(text)
    if urgency and urgency.start() > 0:
        found = found or "high"
        text = text[: urgency.start()]
    if text.endswith("!") and found is None:
        found = "high" if text.endswith("!!") else None
    return " ".join(text.strip(" ,;!-").split()), found
