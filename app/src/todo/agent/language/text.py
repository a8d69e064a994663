"""Text helpers every part of the language module shares: cleaning a message and building patterns."""

from __future__ import annotations

import re

NOCASE = re.IGNORECASE
_LEADING_FILLER = re.compile(
    r"^(?:please|pls|plz|kindly|ok(?:ay)?|alright|so|and|also|now|then|hey|hi|hello|yo|actually|oh|oops|"
    r"wait|sorry|um+|hmm+|well|right|great|cool|thanks|thank you|no|nope|yes|yeah|yep|sure|"
    r"(?:can|could|would|will) you(?: please)?|i(?:'d| would) like you to|i want you to|"
    r"(?:can|could) i(?: please)?|let(?:'s| us)|lets|just|go ahead and)\b[\s,:]*",
    NOCASE,
)
_TRAILING_FILLER = re.compile(
    r"[\s,]*\b(?:please|pls|plz|for me|thanks|thank you|thx|now|ok(?:ay)?)$", NOCASE
)
QUOTES = "\"'`“”‘’«»"


def one_line(message: str) -> str:
    """The message on one line, with typographic apostrophes made plain."""
    return " ".join(message.replace("’", "'").replace("‘", "'").split())


def clean(message: str) -> str:
    """One line, no surrounding punctuation or politeness."""
    text = one_line(message)
    previous = None
    while previous != text:
        previous = text
        text = text.strip(" .!?,;:")
        text = _LEADING_FILLER.sub("", text)
        text = _TRAILING_FILLER.sub("", text)
    return text


def unquote(text: str) -> str:
    text = text.strip(" ,;:.!?")
    if len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1]
    return " ".join(text.strip(" ,;:" + QUOTES).split())


def full(pattern: str) -> re.Pattern[str]:
    """``pattern`` matching a whole text, case-insensitively."""
    return re.compile(rf"^(?:{pattern})$", NOCASE)
