"""What a chat message asks for: the rules engine's language understanding (pure, no I/O).

``parse(message, today)`` turns one message into an ``Intent``: add a task (with a due date and
priority picked out of the words), list tasks, complete / reopen / delete / rename / reschedule /
reprioritise one, help, small talk, or ``Unknown``. Tasks are referred to by a ``TaskRef``: a title
(matched fuzzily later), a position in the last list shown, or "it". Nothing here knows about
storage or earlier messages; ``todo.agent.recall`` resolves references against the history.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Priority = Literal["low", "medium", "high"]
ListStatus = Literal["open", "done", "all"]


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


TaskRef = ByTitle | ByPosition | ByPronoun


# --- intents -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddTask:
    title: str
    due_date: date | None = None
    priority: Priority | None = None


@dataclass(frozen=True)
class ListTasks:
    status: ListStatus = "open"
    search: str | None = None


@dataclass(frozen=True)
class CompleteTask:
    ref: TaskRef


@dataclass(frozen=True)
class ReopenTask:
    ref: TaskRef


@dataclass(frozen=True)
class DeleteTask:
    ref: TaskRef


@dataclass(frozen=True)
class RenameTask:
    ref: TaskRef
    new_title: str


@dataclass(frozen=True)
class RescheduleTask:
    ref: TaskRef
    due_date: date | None  # None clears the due date


@dataclass(frozen=True)
class SetPriority:
    ref: TaskRef
    priority: Priority


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Greeting:
    pass


@dataclass(frozen=True)
class Thanks:
    pass


@dataclass(frozen=True)
class NeverMind:
    pass


@dataclass(frozen=True)
class MissingTitle:
    """The user wants to add something but named nothing."""


@dataclass(frozen=True)
class Unknown:
    text: str


Intent = (
    AddTask
    | ListTasks
    | CompleteTask
    | ReopenTask
    | DeleteTask
    | RenameTask
    | RescheduleTask
    | SetPriority
    | Help
    | Greeting
    | Thanks
    | NeverMind
    | MissingTitle
    | Unknown
)

# Intents that act on one existing task.
TaskAction = CompleteTask | ReopenTask | DeleteTask | RenameTask | RescheduleTask | SetPriority


# --- text helpers --------------------------------------------------------------------------------

_I = re.IGNORECASE
_LEADING_FILLER = re.compile(
    r"^(?:please|pls|plz|kindly|ok(?:ay)?|alright|so|and|also|now|then|hey|hi|hello|yo|actually|oh|oops|"
    r"wait|sorry|um+|hmm+|well|right|great|cool|thanks|thank you|no|nope|yes|yeah|yep|sure|"
    r"(?:can|could|would|will) you(?: please)?|i(?:'d| would) like you to|i want you to|"
    r"(?:can|could) i(?: please)?|let(?:'s| us)|lets|just|go ahead and)\b[\s,:]*",
    _I,
)
_TRAILING_FILLER = re.compile(r"[\s,]*\b(?:please|pls|plz|for me|thanks|thank you|thx|now|ok(?:ay)?)$", _I)
_QUOTES = "\"'`“”‘’«»"


def _clean(message: str) -> str:
    """One line, no surrounding punctuation or politeness."""
    text = " ".join(message.replace("’", "'").replace("‘", "'").split())
    previous = None
    while previous != text:
        previous = text
        text = text.strip(" .!?,;:")
        text = _LEADING_FILLER.sub("", text)
        text = _TRAILING_FILLER.sub("", text)
    return text


def _unquote(text: str) -> str:
    text = text.strip(" ,;:.!?")
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1]
    return " ".join(text.strip(" ,;:" + _QUOTES).split())


def _full(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{pattern})$", _I)


# --- dates ---------------------------------------------------------------------------------------

_WEEKDAYS = {
    # No "sun", "sat" or "wed": they end ordinary titles ("enjoy the sun").
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name} | {
    name.lower(): index for index, name in enumerate(calendar.month_abbr) if name
} | {"sept": 9}  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "few": 3,
}  # fmt: skip

_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER_RE = r"\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True))
_DAY_RE = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"

_DATE_PHRASE = (
    r"(?P<today>today|tonight|this (?:morning|afternoon|evening))"
    r"|(?P<after>(?:the )?day after tomorrow)"
    r"|(?P<tomorrow>tomorrow|tmrw|tmr|tomorow)(?: (?:morning|afternoon|evening|night))?"
    rf"|in (?:a )?(?P<count>{_NUMBER_RE}) (?P<unit>days?|weeks?|months?)"
    r"|(?P<nextweek>next week)"
    r"|(?P<weekend>(?:this |the )?weekend)"
    rf"|(?P<which>this |next |coming |this coming )?(?P<weekday>{_WEEKDAY_RE})\.?"
    r"|(?P<iso>\d{4}-\d{2}-\d{2})"
    rf"|(?P<month1>{_MONTH_RE})\.? (?P<day1>{_DAY_RE})(?:,? (?P<year1>\d{{4}}))?"
    rf"|(?:the )?(?P<day2>{_DAY_RE})(?: of)? (?P<month2>{_MONTH_RE})\.?(?:,? (?P<year2>\d{{4}}))?"
)
_DATE_PREFIX = r"(?:(?:is |it's |its )?due(?: date)?(?: on| by)?|on|by|for|before|until|till|no later than)"
# A date phrase at the end of a title (optionally introduced by "due", "on", "by"...).
_TRAILING_DATE = re.compile(rf"(?:^|[\s,;(-]+)(?:{_DATE_PREFIX} )?(?:{_DATE_PHRASE})\)?$", _I)
# A date phrase opening a title: "on friday, call mom".
_LEADING_DATE = re.compile(rf"^(?P<prefix>{_DATE_PREFIX} )?(?:{_DATE_PHRASE})(?P<sep>[\s,]+)(?=\S)", _I)
# A message part that is nothing but a date ("tomorrow", "on friday", "no due date").
_WHOLE_DATE = re.compile(rf"^(?:{_DATE_PREFIX} )?(?:{_DATE_PHRASE})$", _I)
_NO_DATE = _full(r"(?:no|without a|without|none|nothing|never|not)(?: due)?(?: date)?|someday|anytime")


def _to_int(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBERS[text.lower()]


def _next_weekday(today: date, weekday: int, which: str) -> date:
    which = which.strip().lower()
    if which == "next":
        # "next friday": the friday of next week.
        monday_next_week = today + timedelta(days=7 - today.weekday())
        return monday_next_week + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and which != "this":
        ahead = 7
    return today + timedelta(days=ahead)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _calendar_date(today: date, month: int, day_text: str, year_text: str | None) -> date | None:
    day = int(re.sub(r"\D", "", day_text))
    year = int(year_text) if year_text else today.year
    try:
        result = date(year, month, day)
    except ValueError:
        return None
    if year_text is None and result < today:
        # "May 5" in June means next year's.
        try:
            result = date(year + 1, month, day)
        except ValueError:
            return None
    return result


def _date_from(match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    if groups["today"]:
        return today
    if groups["after"]:
        return today + timedelta(days=2)
    if groups["tomorrow"]:
        return today + timedelta(days=1)
    if groups["count"]:
        count, unit = _to_int(groups["count"]), groups["unit"].lower()
        if unit.startswith("day"):
            return today + timedelta(days=count)
        if unit.startswith("week"):
            return today + timedelta(weeks=count)
        return _add_months(today, count)
    if groups["nextweek"]:
        return today + timedelta(days=7 - today.weekday())
    if groups["weekend"]:
        return today + timedelta(days=(5 - today.weekday()) % 7)
    if groups["weekday"]:
        return _next_weekday(today, _WEEKDAYS[groups["weekday"].lower()], groups["which"] or "")
    if groups["iso"]:
        try:
            return date.fromisoformat(groups["iso"])
        except ValueError:
            return None
    if groups["month1"]:
        return _calendar_date(today, _MONTHS[groups["month1"].lower()], groups["day1"], groups["year1"])
    if groups["month2"]:
        return _calendar_date(today, _MONTHS[groups["month2"].lower()], groups["day2"], groups["year2"])
    return None


def parse_date(text: str, today: date) -> date | None:
    """The date ``text`` names in full ("tomorrow", "on friday", "May 5"), else None."""
    match = _WHOLE_DATE.match(" ".join(text.strip(" .!?,").split()))
    return _date_from(match, today) if match else None


def split_trailing_date(text: str, today: date) -> tuple[str, date | None]:
    """``("call mom", tomorrow)`` from ``"call mom tomorrow"``; the text unchanged when it has none."""
    match = _TRAILING_DATE.search(text)
    if not match or match.start() == 0:
        return text, None
    due = _date_from(match, today)
    if due is None:
        return text, None
    return text[: match.start()].rstrip(" ,;-("), due


# --- priorities ----------------------------------------------------------------------------------

_PRIORITY_WORDS: dict[str, Priority] = {
    "high": "high", "top": "high", "urgent": "high", "important": "high", "critical": "high",
    "low": "low", "medium": "medium", "normal": "medium", "regular": "medium",
}  # fmt: skip
_PRIORITY_WORD_RE = "|".join(_PRIORITY_WORDS)
# "high priority", "with low prio", "priority: high" anywhere in a title.
_PRIORITY_PHRASE = re.compile(
    rf"[\s,;(-]*\b(?:(?:with|as|at|is|it's|its|set "
    rf"to)\s+(?:a\s+)?)?(?P<word1>{_PRIORITY_WORD_RE})[\s-]+prio(?:rity)?\b\)?"
    rf"|[\s,;(-]*\bprio(?:rity)?\s*(?:[:=]|is|of)?\s*(?P<word2>{_PRIORITY_WORD_RE})\b\)?",
    _I,
)
# "urgent", "asap", "(important)" only at the very end, so "send important email" keeps its words.
_TRAILING_URGENCY = re.compile(
    r"[\s,;(-]+(?:(?:it's|its|it is|this is)\s+)?(?:very\s+)?(?P<word>urgent|urgently|asap|important|"
    r"critical)\)?!*$",
    _I,
)


def priority_word(text: str) -> Priority | None:
    """``high`` for "high", "urgent", "high priority"..., else None."""
    words = text.strip(" .!?").lower().removesuffix(" priority").removesuffix(" prio").strip()
    return _PRIORITY_WORDS.get(words.removesuffix("ly"))


def split_priority(text: str) -> tuple[str, Priority | None]:
    """``("buy milk", "high")`` from ``"buy milk high priority"``; the text unchanged when it has none."""
    found: Priority | None = None
    match = _PRIORITY_PHRASE.search(text)
    if match and match.start() > 0:
        found = _PRIORITY_WORDS[(match.group("word1") or match.group("word2")).lower()]
        text = (text[: match.start()] + " " + text[match.end() :]).strip()
    urgency = _TRAILING_URGENCY.search(text)
    if urgency and urgency.start() > 0:
        found = found or "high"
        text = text[: urgency.start()]
    if text.endswith("!") and found is None:
        found = "high" if text.endswith("!!") else None
    return " ".join(text.strip(" ,;!-").split()), found


# --- task references -----------------------------------------------------------------------------

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "last": -1,
    "1st": 1, "2nd": 2, "3rd": 3,
}  # fmt: skip
_ORDINAL_RE = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_NOUN = r"(?:one|task|todo|to-do|item|entry|thing)"
_LIST_SUFFIX = r"(?: (?:on|in|from) (?:the|my|that|this) (?:list|tasks))?"
_POSITION = _full(
    rf"(?:the |that |this )?(?P<ordinal>{_ORDINAL_RE}|\d+(?:st|nd|rd|th))(?: {_NOUN})?{_LIST_SUFFIX}"
    rf"|(?:the )?(?:{_NOUN} )?(?:#|no\.? ?|num(?:ber)? ?|n[or]\.? ?)(?P<number>\d+){_LIST_SUFFIX}"
    rf"|(?:task|item|todo|to-do|entry) (?P<bare>\d+){_LIST_SUFFIX}"
    rf"|#?(?P<digits>\d+)"
)
_PRONOUN = _full(
    r"it|that|this|that one|this one|that task|this task|the task|the same(?: one| task)?|"
    r"the one i just (?:added|mentioned|created)|the (?:last|latest|newest) (?:one i )?added(?: one| task)?"
)
_ABOUT = re.compile(r"^(?:the )?(?:one|task|todo|item) (?:about|for|to|called|named|titled) ", _I)
_REF_NOISE = re.compile(r"^(?:the (?:task|todo|to-do|item)|task|todo|to-do|item|my)\s+(?=\S)", _I)


def parse_ref(text: str) -> TaskRef:
    """ "the second one" -> position 2, "it" -> pronoun, anything else -> a title to match."""
    text = _unquote(text)
    if _PRONOUN.match(text):
        return ByPronoun()
    match = _POSITION.match(text)
    if match:
        if match.group("ordinal"):
            word = match.group("ordinal").lower()
            number = _ORDINALS.get(word)
            return ByPosition(number if number is not None else int(re.sub(r"\D", "", word)))
        digits = match.group("number") or match.group("bare") or match.group("digits")
        return ByPosition(int(digits))
    text = _ABOUT.sub("", text)
    text = _REF_NOISE.sub("", text)
    return ByTitle(_unquote(text))


# --- the grammar ---------------------------------------------------------------------------------

_HELP = _full(
    r"help|\?|h|commands|examples|what can (?:you|i) do|what can i say|what do you do|"
    r"how (?:does this|do you|do i use this|does it) work|what are you|who are you|usage"
)
_GREETING = _full(r"hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening|day)|greetings|hi there")
_THANKS = _full(
    r"thanks|thank you|thx|ty|cheers|great|cool|nice|awesome|perfect|ok|okay|got it|"
    r"thanks a lot|thank you very much|thanks so much|good job|well done|great job|nice one"
)

_NEVER_MIND = _full(r"never ?mind|forget it|nothing|no|nope|cancel|stop|no thanks|not now|nah")
_TASK_WORDS = (
    r"(?:(?:a |the |my )?(?:new )?(?:task|todo|to-do|to do|item|reminder|entry)(?: called| named| "
    r"titled| to| for| that says)?:?\s+)?"
)
_LIST_WORDS = r"(?:my |the |our )?(?:todo |to-do |to do |task |shopping )?(?:list|tasks|todos|to-dos)"
_ADD = [
    _full(
        rf"(?:add|insert|jot down|write down|note down|note|schedule|plan|"
        rf"put)\s+{_TASK_WORDS}(?P<title>.+?)(?:\s+(?:to|on|in|onto|into) {_LIST_WORDS})?"
    ),
    # Verbs that are also ordinary task words ("make dinner") only add with a task word.
    _full(
        rf"(?:create|make|new|set|save|log|open|start)\s+(?:a |an |the )?(?:new )?(?:task|todo|to-do|"
        rf"item|reminder|entry)(?: called| named| titled| to| for| that "
        rf"says)?:?\s+(?P<title>.+?)(?:\s+(?:to|on|in|onto|into) {_LIST_WORDS})?"
    ),
    _full(r"(?:new )?(?:task|todo|to-do|reminder)\s*:\s*(?P<title>.+)"),
    _full(
        rf"remind me(?: (?P<when>(?:{_DATE_PREFIX} )?(?:{_DATE_PHRASE})))? (?:to|about|that i need to|"
        rf"that i have to|of) (?P<title>.+)"
    ),
    _full(r"(?:i (?:need|have|want|ought|got) to|i've got to|ive got to|i gotta|i must|i should|"
          r"don't (?:let me )?forget (?:to|about)|dont (?:let me )?forget (?:to|about)|do not forget to|"
          r"remember to|don't forget|need to|have to|must|gotta)\s+(?P<title>.+)"),
]  # fmt: skip
_EARLY_ADD = [
    _full(
        rf"(?:add|insert|jot down|write down|note down|"
        rf"schedule)\s+{_TASK_WORDS}(?P<title>.+?)(?:\s+(?:to|on|in|onto|into) {_LIST_WORDS})?"
    ),
    _ADD[2],
    _ADD[3],
]  # fmt: skip
_ADD_WITHOUT_TITLE = _full(
    r"(?:add|create|new)(?: a| an)?(?: new)?(?: task| todo| to-do| item| reminder)?|remind me"
)

_DONE_WORDS = r"(?:done|complete|completed|finished|checked|checked off|ticked off|crossed off|did|over)"
_OPEN_WORDS = (
    r"(?:not done|undone|not finished|unfinished|incomplete|not complete|not completed|open|pending|"
    r"active|to ?do|todo|uncompleted|unchecked|not checked)"
)
_REOPEN = [
    _full(
        rf"(?:mark|set|flag|make|put) (?P<ref>.+?) (?:as |to |back to |back as )?(?:{_OPEN_WORDS})(?: "
        rf"again)?"
    ),
    _full(
        r"(?:reopen|re-open|undo|uncheck|unmark|untick|un-complete|uncomplete|restore|revive|resume|"
        r"bring back|put back) (?P<ref>.+?)(?: again| back)?(?: on (?:the|my) list)?"
    ),
    _full(
        r"(?P<ref>.+?) (?:is|isn't|is not|was not|wasn't|isnt) (?:actually )?(?:not )?(?:done|"
        r"finished|complete|completed) (?:yet|after all)"
    ),
    _full(rf"(?P<ref>.+?) (?:is|needs to be) (?:still )?(?:{_OPEN_WORDS}) again|(?P<ref2>.+?) is not done"),
]  # fmt: skip
_COMPLETE = [
    _full(rf"(?:mark|set|flag|make|put|check|tick|cross) (?P<ref>.+?) (?:as |to )?(?:{_DONE_WORDS})"),
    _full(
        r"(?:check off|tick off|cross off|strike off|strike out|cross out|tick|cross) (?P<ref>.+?)(?: "
        r"off)?(?: (?:of |from )?(?:the|my) list)?"
    ),
    _full(r"(?:check|tick|cross|strike) (?P<ref>.+?) off(?: (?:of |from )?(?:the|my) list)?"),
    _full(r"(?:complete|finish|close|resolve|accomplish|i (?:have |just )?(?:done|did|finished|completed)|"
          r"i've (?:done|finished|completed)|ive (?:done|finished|completed)|"
          r"(?:i'm |i am |im )?(?:all )?(?:done|finished)(?: with)?|done:?) (?P<ref>.+)"),
]  # fmt: skip
_COMPLETE_SUFFIX = _full(
    r"(?P<ref>.+?) (?:is |are |was |has been |have been )?(?:now |all |finally )?(?:done|finished|"
    r"completed|complete|checked off|taken care of)"
)
_DELETE = _full(
    r"(?:delete|remove|drop|erase|trash|bin|scrap|scratch|discard|get rid of|cancel|forget(?: about)?|"
    r"throw away|throw out|clear|wipe|kill|nuke) (?P<ref>.+?)"
    rf"(?: off| out)?(?: (?:from|off|of) {_LIST_WORDS})?(?: for good| permanently)?"
)  # fmt: skip
_RENAME = _full(
    r"(?:rename|retitle|re-title|re-name|relabel|change the (?:name|title|wording) of|update the "
    r"(?:name|title) of|"
    r"set the (?:name|title) of) (?P<ref>.+?) (?:to|into|as|->|=>|:) (?P<new>.+)"
)  # fmt: skip
_CHANGE = _full(
    r"(?:change|update|edit|modify|correct|fix|replace|switch|turn) (?P<ref>.+?) (?:to|into|->|=>|"
    r"with) (?P<new>.+)"
)
_RESCHEDULE = [
    _full(
        r"(?:move|reschedule|postpone|push(?: back)?|defer|delay|shift|bump|set|put|make|change) "
        r"(?:the )?(?:due date|deadline|date) (?:of|for|on) (?P<ref>.+?) (?:to|for|as|until|till) "
        r"(?P<when>.+)"
    ),
    _full(
        r"(?:move|reschedule|postpone|push(?: back)?|defer|delay|shift|bump) (?P<ref>.+?) (?:to|for|"
        r"until|till|until after|by|back to|out to) (?P<when>.+)"
    ),
    _full(r"(?:set|mark) (?P<ref>.+?) (?:(?:as |to be )?due|for) (?P<when>.+)"),
    _full(r"(?P<ref>.+?) (?:is|should be|will be|must be done) due (?P<when>.+)"),
    _full(
        r"(?:remove|clear|drop|delete|unset) (?:the )?(?:due date|deadline|date) (?:of|for|on|from) "
        r"(?P<ref>.+)"
    ),
]  # fmt: skip
_PRIORITY = [
    _full(
        rf"(?:set|change|make|update) (?:the )?prio(?:rity)? (?:of|for|on) (?P<ref>.+?) (?:to|as) "
        rf"(?P<level>{_PRIORITY_WORD_RE})(?: prio(?:rity)?)?"
    ),
    _full(
        rf"(?:make|set|mark|flag|put|change) (?P<ref>.+?) (?:as |to |at |a |an |as a |as an |to a "
        rf")?(?P<level>{_PRIORITY_WORD_RE})(?: prio(?:rity)?)?"
    ),
    _full(
        rf"(?P<ref>.+?) is (?:now |really |very |super )?(?:a |an )?(?P<level>{_PRIORITY_WORD_RE})(?: "
        rf"prio(?:rity)?)?"
    ),
    _full(r"(?P<up>prioriti[sz]e|bump up|escalate) (?P<ref>.+)"),
    _full(r"(?P<down>deprioriti[sz]e|de-prioriti[sz]e|downgrade) (?P<ref>.+)"),
]  # fmt: skip

_SEARCH = _full(
    r"(?:find|search(?: for)?|look(?: for| up)|lookup|grep|filter(?: by)?|"
    r"(?:show|list|get|give me|see)(?: me)?(?: all)?(?: my| the)? (?:tasks?|todos?|items?|ones?) "
    r"(?:about|with|containing|matching|mentioning|related to|that mention|that contain|for|called|named)|"
    r"(?:do i have|is there|are there|have i got) (?:a |any )?(?:tasks?|todos?|anything|something) "
    r"(?:about|with|for|to|called|named|mentioning|related to)) (?P<q>.+)"
)  # fmt: skip
_DONE_LIST = _full(
    r"what (?:have|did) i (?:already )?(?:done|completed|finished|accomplished|achieved|check(?:ed)? "
    r"off)(?: so far| already| today| yet)?|"
    r"what(?:'s| is| s|s) (?:already )?(?:done|completed|finished)(?: so far)?|what have i got done"
)  # fmt: skip
_LIST_QUESTIONS = _full(
    r"(?:so )?what(?:'s| is| s|s| else is| remains| is still)(?: still)? (?:left|remaining|pending|"
    r"open|outstanding|next|to do|todo|on|up)(?: to do)?(?: (?:on|in) (?:my|the) (?:\w+ )?list)?(?: "
    r"today| for today| now)?|"
    r"what(?:'s| is| s|s| else is) (?:on|in) (?:my|the) (?:(?:todo|to-do|to do|task|shopping) "
    r")?(?:list|agenda|plate|plan)(?: today| for today| now)?|"
    r"what (?:else )?(?:do|should|must|can) i (?:still )?(?:have to |need to |got to )?(?:do|work on|"
    r"tackle)(?: next| now| today)?|"
    r"what do i (?:still )?(?:have|need|got) (?:left )?to do(?: next| now| today)?|what(?:'s| is) "
    r"(?:there )?(?:left )?to do|"
    r"(?:is there |do i have )?anything (?:left|else|pending|to do|on my list|remaining)(?: to do)?|"
    r"what(?:'s| is) (?:on )?my (?:agenda|plate)|what(?:'s| are) my (?:open |pending |remaining "
    r")?(?:tasks|todos|to-dos|items)|"
    r"how many (?:tasks|todos|things|items) (?:do i have|are (?:there|left|open))(?: left)?"
)  # fmt: skip
_LIST_VERB = (
    r"(?:show|list|see|view|display|get|give|tell|read|print|check|pull up|bring up|open|what are|"
    r"what's|whats|which are|let me see|can i see|i want to see)"
)
_LIST_NOUN = (
    r"(?:tasks?|todos?|to-dos?|to dos?|items?|things(?: to do)?|list|todo list|to-do list|task list|"
    r"ones|stuff|everything|all|reminders)"
)
_LIST_GENERIC = _full(
    rf"(?:{_LIST_VERB}(?: me| us)?(?: what(?:'s| is) on)? )?(?:all (?:of )?)?(?:my |the |our )?"
    rf"(?P<adj>(?:(?:open|pending|remaining|current|outstanding|active|unfinished|incomplete|uncompleted|"
    rf"completed|complete|done|finished|closed|checked off|all|every) )*)(?:{_LIST_NOUN})"
    rf"(?P<tail>(?: (?:i(?:'ve| have)? )?(?:completed|done|finished|left|remaining|to do|again|please|"
    rf"so far|that are (?:done|open|completed|left)))*)"
)  # fmt: skip
_LIST_NOUN_ONLY = _full(
    rf"(?:all |the |my )*(?:(?:open|completed|done|finished) )?{_LIST_NOUN}(?: so far| today)?"
)
_LIST_VERB_ONLY = _full(
    rf"{_LIST_VERB}(?: it| them| me)?|list(?: them| it)?(?: all)?|show all|show everything"
)

_DONE_ADJ = re.compile(r"\b(?:completed|complete|done|finished|closed|checked off)\b", _I)
_ALL_ADJ = re.compile(r"\b(?:all|every|everything)\b", _I)
_OPEN_ADJ = re.compile(
    r"\b(?:open|pending|remaining|current|outstanding|active|unfinished|incomplete|uncompleted|left|to do)\b",
    _I,
)


def _list_status(text: str) -> ListStatus:
    if _DONE_ADJ.search(text):
        return "done"
    if _OPEN_ADJ.search(text):
        return "open"
    if _ALL_ADJ.search(text):
        return "all"
    return "open"


def _title_intent(raw_title: str, today: date, when: str | None = None) -> Intent:
    title, priority = split_priority(raw_title)
    title, due = split_trailing_date(title, today)
    if due is None:
        # A date may also lead: "on friday call mom" or "remind me tomorrow to call mom".
        leading = _LEADING_DATE.match(title)
        # Only with "on"/"by"... or a comma, so "Monday meeting notes" keeps its title.
        if leading and (leading.group("prefix") or "," in leading.group("sep")):
            due = _date_from(leading, today)
            title = title[leading.end() :]
    if when:
        due = parse_date(when, today) or due
    title = _unquote(title)
    if not title:
        return MissingTitle()
    return AddTask(title=title, due_date=due, priority=priority)


def _priority_from(match: re.Match[str]) -> Priority:
    groups = match.groupdict()
    if groups.get("up"):
        return "high"
    if groups.get("down"):
        return "low"
    return _PRIORITY_WORDS[groups["level"].lower()]


def parse(message: str, today: date) -> Intent:
    """What ``message`` asks for; ``today`` anchors relative dates such as "tomorrow"."""
    raw = " ".join(message.replace("’", "'").split())
    bare = raw.strip(" !.?,")
    text = _clean(message)
    for pattern, intent in (
        (_HELP, Help()),
        (_GREETING, Greeting()),
        (_THANKS, Thanks()),
        (_NEVER_MIND, NeverMind()),
    ):
        if pattern.match(bare) or pattern.match(text):
            return intent
    if not text:
        return Help() if "?" in raw else Unknown(raw)

    # "add ...", "task: ..." and "remind me ..." say what they want up front, whatever follows.
    for pattern in _EARLY_ADD:
        match = pattern.match(text)
        if match:
            return _title_intent(match.group("title"), today, match.groupdict().get("when"))

    for pattern in _RESCHEDULE:
        match = pattern.match(text)
        if match is None:
            continue
        when = match.groupdict().get("when")
        if when is None:
            return RescheduleTask(parse_ref(match.group("ref")), None)
        if _NO_DATE.match(when.strip(" .")):
            return RescheduleTask(parse_ref(match.group("ref")), None)
        due = parse_date(when, today)
        if due is not None:
            return RescheduleTask(parse_ref(match.group("ref")), due)

    rename = _RENAME.match(text)
    if rename:
        return RenameTask(parse_ref(rename.group("ref")), _unquote(rename.group("new")))
    change = _CHANGE.match(text)
    if change:
        ref, new = parse_ref(change.group("ref")), change.group("new")
        due = parse_date(new, today)
        if due is not None:
            return RescheduleTask(ref, due)
        level = priority_word(new)
        if level is not None:
            return SetPriority(ref, level)
        return RenameTask(ref, _unquote(new))

    for pattern in _PRIORITY:
        match = pattern.match(text)
        if match:
            return SetPriority(parse_ref(match.group("ref")), _priority_from(match))

    for pattern in _REOPEN:
        match = pattern.match(text)
        if match and not _LIST_NOUN_ONLY.match(match.group("ref") or match.group("ref2")):
            return ReopenTask(parse_ref(match.group("ref") or match.group("ref2")))

    for pattern in _COMPLETE:
        match = pattern.match(text)
        # "finished tasks" asks for a list, it does not finish a task called "tasks".
        if match and not _LIST_NOUN_ONLY.match(match.group("ref")):
            return CompleteTask(parse_ref(match.group("ref")))

    delete = _DELETE.match(text)
    if delete:
        return DeleteTask(parse_ref(delete.group("ref")))

    if _ADD_WITHOUT_TITLE.match(text):
        return MissingTitle()
    for pattern in _ADD:
        match = pattern.match(text)
        if match:
            return _title_intent(match.group("title"), today, match.groupdict().get("when"))

    search = _SEARCH.match(text)
    if search:
        query = _unquote(search.group("q"))
        return ListTasks(status="all", search=query) if query else ListTasks()
    if _DONE_LIST.match(text):
        return ListTasks(status="done")
    if _LIST_QUESTIONS.match(text):
        return ListTasks(status="open")
    generic = _LIST_GENERIC.match(text)
    if generic:
        return ListTasks(status=_list_status(f"{generic.group('adj')} {generic.group('tail')} {text}"))
    if _LIST_VERB_ONLY.match(text):
        return ListTasks(status="all" if _ALL_ADJ.search(text) else "open")

    suffix = _COMPLETE_SUFFIX.match(text)
    if suffix:
        return CompleteTask(parse_ref(suffix.group("ref")))
    return Unknown(raw)
