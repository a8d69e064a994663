"""How a message names tasks: by title, by position in the last list shown, "it", or "all of them"."""

from __future__ import annotations

import re

from todo.agent.language.intents import AllTasks, ByPosition, ByPronoun, ByTitle, ListStatus, TaskRef
from todo.agent.language.text import NOCASE, full, unquote

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "last": -1,
    "1st": 1, "2nd": 2, "3rd": 3,
}  # fmt: skip
_ORDINAL_RE = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_NOUN = r"(?:one|task|todo|to-do|item|entry|thing)"
_LIST_SUFFIX = r"(?: (?:on|in|from) (?:the|my|that|this) (?:list|tasks))?"
POSITION = full(
    rf"(?:the |that |this )?(?P<ordinal>{_ORDINAL_RE}|\d+(?:st|nd|rd|th))(?: {_NOUN})?{_LIST_SUFFIX}"
    rf"|(?:the )?(?:{_NOUN} )?(?:#|no\.? ?|num(?:ber)? ?|n[or]\.? ?)(?P<number>\d+){_LIST_SUFFIX}"
    rf"|(?:task|item|todo|to-do|entry) (?P<bare>\d+){_LIST_SUFFIX}"
    rf"|#?(?P<digits>\d+)"
)
_PRONOUN = full(
    r"it|that|this|that one|this one|that task|this task|the task|the same(?: one| task)?|"
    r"the one i just (?:added|mentioned|created)|the (?:last|latest|newest) (?:one i )?added(?: one| task)?"
)
_DONE = r"(?:done|completed|complete|finished|checked off|ticked off|closed)"
_OPEN = r"(?:open|pending|remaining|unfinished|incomplete|active|outstanding|not done)"
_TASKS = r"(?:tasks|todos|to-dos|items|ones|things|entries|reminders)"
_EVERYTHING = r"(?:all|everything|all of (?:them|it)|every (?:task|todo|item|one|single one))"
_LIST = r"(?:(?:my|the|our) )?(?:(?:whole|entire|todo|to-do|task) )?list"
# "everything", "all tasks", "my whole list": every task; "completed", "all the done ones": by status.
_ALL = full(
    rf"(?:{_EVERYTHING}|all (?:of )?(?:my |the |our )?{_TASKS}|everything (?:on|in) {_LIST}|{_LIST})"
    rf"|(?:{_EVERYTHING} |all (?:of )?)?(?:my |the |our )?(?P<done>{_DONE})(?: {_TASKS})?"
    rf"|(?:{_EVERYTHING} |all (?:of )?)?(?:my |the |our )?(?P<open>{_OPEN})(?: {_TASKS})?"
    rf"|(?:{_EVERYTHING} |all (?:of )?)(?:my |the |our )?{_TASKS} "
    rf"(?:that are |i've |i have )?(?P<done2>{_DONE})"
)
_ABOUT = re.compile(r"^(?:the )?(?:one|task|todo|item) (?:about|for|to|called|named|titled) ", NOCASE)
_REF_NOISE = re.compile(r"^(?:the (?:task|todo|to-do|item)|task|todo|to-do|item|my)\s+(?=\S)", NOCASE)


def all_tasks(text: str) -> AllTasks | None:
    """ "everything", "all done tasks", "completed" as a bulk reference, else None."""
    match = _ALL.match(unquote(text))
    if match is None:
        return None
    status: ListStatus = "all"
    if match.group("done") or match.group("done2"):
        status = "done"
    elif match.group("open"):
        status = "open"
    return AllTasks(status)


def parse_ref(text: str) -> TaskRef:
    """ "the second one" -> position 2, "it" -> pronoun, "everything" -> all, else a title to match."""
    text = unquote(text)
    if _PRONOUN.match(text):
        return ByPronoun()
    match = POSITION.match(text)
    if match:
        if match.group("ordinal"):
            word = match.group("ordinal").lower()
            number = _ORDINALS.get(word)
            return ByPosition(number if number is not None else int(re.sub(r"\D", "", word)))
        digits = match.group("number") or match.group("bare") or match.group("digits")
        return ByPosition(int(digits))
    bulk = all_tasks(text)
    if bulk is not None:
        return bulk
    text = _ABOUT.sub("", text)
    text = _REF_NOISE.sub("", text)
    return ByTitle(unquote(text))
