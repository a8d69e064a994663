"""The rule table: every way of saying something the rules engine understands, in the order tried.

``parse(message, today)`` cleans the message and walks ``RULES``: the first rule whose pattern
matches and whose ``build`` answers an intent wins (``build`` may answer None to let later rules
try). Order matters where phrasings overlap ("add ..." before "... is due friday"), so a new
intent is one rule placed by that order; nothing else in this module changes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from todo.agent.language import typos
from todo.agent.language.dates import (
    DATE_PHRASE,
    DATE_PREFIX,
    LEADING_DATE,
    NO_DATE,
    TIME_WORDS,
    date_from,
    date_like,
    impossible_date,
    parse_date,
    parse_when,
    split_trailing_when,
)
from todo.agent.language.intents import (
    AddTask,
    AddTasks,
    Again,
    AllTasks,
    AskTask,
    BadDate,
    Change,
    CompleteTask,
    ConfirmRequest,
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
    RestoreTask,
    SetNote,
    SetPriority,
    TaskFacet,
    Thanks,
    Unknown,
    Yes,
)
from todo.agent.language.priorities import PRIORITY_WORD_RE, PRIORITY_WORDS, priority_word, split_priority
from todo.agent.language.refs import POSITION, parse_ref
from todo.agent.language.text import NOCASE, clean, full, one_line, unquote

# --- the grammar ---------------------------------------------------------------------------------

_HELP = full(
    r"help|\?|h|commands|examples|what can (?:you|i) do|what can i say|what do you do|"
    r"how (?:does this|do you|do i use this|does it) work|what are you|who are you|usage"
)
_GREETING = full(r"hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening|day)|greetings|hi there")
_THANKS = full(
    r"thanks|thank you|thx|ty|cheers|great|cool|nice|awesome|perfect|ok|okay|got it|"
    r"thanks a lot|thank you very much|thanks so much|good job|well done|great job|nice one"
)

_NEVER_MIND = full(r"never ?mind|forget it|nothing|no|nope|cancel|stop|no thanks|not now|nah")
_TASK_WORDS = (
    r"(?:(?:a |the |my )?(?:new )?(?:task|todo|to-do|to do|item|reminder|entry)(?: called| named| "
    r"titled| to| for| that says)?:?\s+)?"
)
_LIST_WORDS = r"(?:my |the |our )?(?:todo |to-do |to do |task |shopping )?(?:list|tasks|todos|to-dos)"
_ADD = [
    full(
        rf"(?:add|insert|jot down|write down|note down|note|schedule|plan|"
        rf"put)\s+{_TASK_WORDS}(?P<title>.+?)(?:\s+(?:to|on|in|onto|into) {_LIST_WORDS})?"
    ),
    # Verbs that are also ordinary task words ("make dinner") only add with a task word.
    full(
        rf"(?:create|make|new|set|save|log|open|start)\s+(?:a |an |the )?(?:new )?(?:task|todo|to-do|"
        rf"item|reminder|entry)(?: called| named| titled| to| for| that "
        rf"says)?:?\s+(?P<title>.+?)(?:\s+(?:to|on|in|onto|into) {_LIST_WORDS})?"
    ),
    full(r"(?:new )?(?:task|todo|to-do|reminder)\s*:\s*(?P<title>.+)"),
    full(
        rf"remind me(?: (?P<when>(?:{DATE_PREFIX} )?(?:{DATE_PHRASE})(?: (?:{TIME_WORDS}))?"
        rf"|(?:{TIME_WORDS})))? "
        rf"(?:to|about|that i need to|"
        rf"that i have to|of) (?P<title>.+)"
    ),
    full(r"(?:i (?:need|have|want|ought|got) to|i've got to|ive got to|i gotta|i must|i should|"
          r"don't (?:let me )?forget (?:to|about)|dont (?:let me )?forget (?:to|about)|do not forget to|"
          r"remember to|don't forget|need to|have to|must|gotta)\s+(?P<title>.+)"),
]  # fmt: skip
_EARLY_ADD = [
    full(
        rf"(?:add|insert|jot down|write down|note down|"
        rf"schedule)\s+{_TASK_WORDS}(?P<title>.+?)(?:\s+(?:to|on|in|onto|into) {_LIST_WORDS})?"
    ),
    _ADD[2],
    _ADD[3],
]  # fmt: skip
_ADD_WITHOUT_TITLE = full(
    r"(?:add|create|new)(?: a| an)?(?: new)?(?: task| todo| to-do| item| reminder)?|remind me"
)

_DONE_WORDS = r"(?:done|complete|completed|finished|checked|checked off|ticked off|crossed off|did|over)"
_OPEN_WORDS = (
    r"(?:not done|undone|not finished|unfinished|incomplete|not complete|not completed|open|pending|"
    r"active|to ?do|todo|uncompleted|unchecked|not checked)"
)
_REOPEN = [
    full(
        rf"(?:mark|set|flag|make|put) (?P<ref>.+?) (?:as |to |back to |back as )?(?:{_OPEN_WORDS})(?: "
        rf"again)?"
    ),
    full(
        r"(?:reopen|re-open|undo|uncheck|unmark|untick|un-complete|uncomplete|restore|revive|resume|"
        r"bring back|put back) (?P<ref>.+?)(?: again| back)?(?: on (?:the|my) list)?"
    ),
    full(
        r"(?P<ref>.+?) (?:is|isn't|is not|was not|wasn't|isnt) (?:actually )?(?:not )?(?:done|"
        r"finished|complete|completed) (?:yet|after all)"
    ),
    full(rf"(?P<ref>.+?) (?:is|needs to be) (?:still )?(?:{_OPEN_WORDS}) again|(?P<ref2>.+?) is not done"),
]  # fmt: skip
_COMPLETE = [
    full(rf"(?:mark|set|flag|make|put|check|tick|cross) (?P<ref>.+?) (?:as |to )?(?:{_DONE_WORDS})"),
    full(
        r"(?:check off|tick off|cross off|strike off|strike out|cross out|tick|cross) (?P<ref>.+?)(?: "
        r"off)?(?: (?:of |from )?(?:the|my) list)?"
    ),
    full(r"(?:check|tick|cross|strike) (?P<ref>.+?) off(?: (?:of |from )?(?:the|my) list)?"),
    full(r"(?:complete|finish|close|resolve|accomplish|i (?:have |just )?(?:done|did|finished|completed)|"
          r"i've (?:done|finished|completed)|ive (?:done|finished|completed)|"
          r"(?:i'm |i am |im )?(?:all )?(?:done|finished)(?: with)?|done:?) (?P<ref>.+)"),
]  # fmt: skip
_COMPLETE_SUFFIX = full(
    r"(?P<ref>.+?) (?:is |are |was |has been |have been )?(?:now |all |finally )?(?:done|finished|"
    r"completed|complete|checked off|taken care of)"
)
_DELETE = full(
    r"(?:delete|remove|drop|erase|trash|bin|scrap|scratch|discard|get rid of|cancel|forget(?: about)?|"
    r"throw away|throw out|clear|wipe|kill|nuke) (?P<ref>.+?)"
    rf"(?: off| out)?(?: (?:from|off|of) {_LIST_WORDS})?(?: for good| permanently)?"
)  # fmt: skip
_RENAME = full(
    r"(?:rename|retitle|re-title|re-name|relabel|change the (?:name|title|wording) of|update the "
    r"(?:name|title) of|"
    r"set the (?:name|title) of) (?P<ref>.+?) (?:to|into|as|->|=>|:) (?P<new>.+)"
)  # fmt: skip
_CHANGE = full(
    r"(?:change|update|edit|modify|correct|fix|replace|switch|turn) (?P<ref>.+?) (?:to|into|->|=>|"
    r"with) (?P<new>.+)"
)
_RESCHEDULE = [
    full(
        r"(?:move|reschedule|postpone|push(?: back)?|defer|delay|shift|bump|set|put|make|change) "
        r"(?:the )?(?:due date|deadline|date) (?:of|for|on) (?P<ref>.+?) (?:to|for|as|until|till) "
        r"(?P<when>.+)"
    ),
    full(
        r"(?:move|reschedule|postpone|push(?: back)?|defer|delay|shift|bump) (?P<ref>.+?) (?:to|for|"
        r"until|till|until after|by|back to|out to) (?P<when>.+)"
    ),
    full(r"(?:set|mark) (?P<ref>.+?) (?:(?:as |to be )?due|for) (?P<when>.+)"),
    # "actually make it thursday": only a date ("make it high priority" is left to the priority rule).
    full(
        r"(?:make|set|change|switch) (?P<ref>it|that|this|that one|this one) (?:to |for |on |due )?"
        r"(?P<when>.+)"
    ),
    full(r"(?P<ref>.+?) (?:is|should be|will be|must be done) due (?P<when>.+)"),
    full(
        r"(?:remove|clear|drop|delete|unset) (?:the )?(?:due date|deadline|date) (?:of|for|on|from) "
        r"(?P<ref>.+)"
    ),
]  # fmt: skip
_PRIORITY = [
    full(
        rf"(?:set|change|make|update) (?:the )?prio(?:rity)? (?:of|for|on) (?P<ref>.+?) (?:to|as) "
        rf"(?P<level>{PRIORITY_WORD_RE})(?: prio(?:rity)?)?"
    ),
    full(
        rf"(?:make|set|mark|flag|put|change) (?P<ref>.+?) (?:as |to |at |a |an |as a |as an |to a "
        rf")?(?P<level>{PRIORITY_WORD_RE})(?: prio(?:rity)?)?"
    ),
    full(
        rf"(?P<ref>.+?) is (?:now |really |very |super )?(?:a |an )?(?P<level>{PRIORITY_WORD_RE})(?: "
        rf"prio(?:rity)?)?"
    ),
    full(r"(?P<up>prioriti[sz]e|bump up|escalate) (?P<ref>.+)"),
    full(r"(?P<down>deprioriti[sz]e|de-prioriti[sz]e|downgrade) (?P<ref>.+)"),
]  # fmt: skip

_SEARCH = full(
    r"(?:find|search(?: for)?|look(?: for| up)|lookup|grep|filter(?: by)?|"
    r"(?:show|list|get|give me|see)(?: me)?(?: all)?(?: my| the)? (?:tasks?|todos?|items?|ones?) "
    r"(?:about|with|containing|matching|mentioning|related to|that mention|that contain|for|called|named)|"
    r"(?:do i have|is there|are there|have i got) (?:a |any )?(?:tasks?|todos?|anything|something) "
    r"(?:about|with|for|to|called|named|mentioning|related to)) (?P<q>.+)"
)  # fmt: skip
_DONE_LIST = full(
    r"what (?:have|did) i (?:already )?(?:done|completed|finished|accomplished|achieved|check(?:ed)? "
    r"off)(?: so far| already| today| yet)?|"
    r"what(?:'s| is| s|s) (?:already )?(?:done|completed|finished)(?: so far)?|what have i got done"
)  # fmt: skip
_LIST_QUESTIONS = full(
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
_LIST_GENERIC = full(
    rf"(?:{_LIST_VERB}(?: me| us)?(?: what(?:'s| is) on)? )?(?:all (?:of )?)?(?:my |the |our )?"
    rf"(?P<adj>(?:(?:open|pending|remaining|current|outstanding|active|unfinished|incomplete|uncompleted|"
    rf"completed|complete|done|finished|closed|checked off|all|every) )*)(?:{_LIST_NOUN})"
    rf"(?P<tail>(?: (?:i(?:'ve| have)? )?(?:completed|done|finished|left|remaining|to do|again|please|"
    rf"so far|that are (?:done|open|completed|left)))*)"
)  # fmt: skip
_LIST_NOUN_ONLY = full(
    rf"(?:all |the |my )*(?:(?:open|completed|done|finished) )?{_LIST_NOUN}(?: so far| today)?"
)
_LIST_VERB_ONLY = full(
    rf"{_LIST_VERB}(?: it| them| me)?|list(?: them| it)?(?: all)?|show all|show everything"
)

_DONE_ADJ = re.compile(r"\b(?:completed|complete|done|finished|closed|checked off)\b", NOCASE)
_ALL_ADJ = re.compile(r"\b(?:all|every|everything)\b", NOCASE)
_OPEN_ADJ = re.compile(
    r"\b(?:open|pending|remaining|current|outstanding|active|unfinished|incomplete|uncompleted|left|to do)\b",
    NOCASE,
)


# What people ask about finished work: "what did I finish?", "show completed", "which tasks have I done".
_DONE_QUESTIONS = full(
    r"(?:what|which)(?: tasks?| todos?| items?| things?)? (?:have|did) i (?:already |just )?"
    r"(?:finish|complete|do|"
    r"get done|check off|tick off|cross off|finished|completed|crossed off|ticked off|gotten done)"
    r"(?: so far| already| today| yesterday| this week| lately| recently| yet)?|"
    r"(?:show|list|see|view|display|get)(?: me)?(?: my| the| all)?(?: the)? "
    r"(?:completed|done|finished|closed)"
    r"(?: ones| stuff| list)?|completed|(?:my )?(?:completed|finished) (?:list|ones|stuff)|"
    r"(?:what|which)(?: tasks?| todos?| items?)? (?:are|is) (?:already )?"
    r"(?:done|completed|finished|checked off)"
)  # fmt: skip

# --- questions about due dates: "what's due today?", "anything overdue?", "tasks due this week" ----

_DUE_LEAD = (
    r"(?:(?:so )?(?:what|which)(?:'s| is| s|s| are| else is| do i have| have i got| tasks? (?:is|are)| "
    r"todos? (?:is|are)| items? (?:is|are)| things? (?:is|are))?(?: still)?"
    r"|(?:show|list|get|give|tell|see|view|display)(?: me)?(?: all)?(?: my| the)?(?: open)?"
    r"(?: tasks?| todos?| items?| things?| ones?| stuff)?(?: that are| which are)?"
    r"|(?:is )?(?:there )?anything(?: that's| that is)?"
    r"|(?:are there|do i have|have i got) (?:any(?:thing)? )?"
    r"(?:tasks? |todos? |items? |things? )?(?:that are )?"
    r"|(?:my |the |all )?(?:tasks?|todos?|items?|things?|stuff)(?: that are| which are)?)"
)  # fmt: skip
_DUE_QUESTION = full(
    rf"(?:{_DUE_LEAD} )?(?P<late>overdue|late|past due|past their due date|behind)"
    rf"(?: (?:tasks?|todos?|items?|things?|ones|stuff))?|"
    rf"(?:{_DUE_LEAD} )?(?:due|coming up|upcoming)(?P<when> .+?)?|"
    # "show me today's tasks", "this week's list"
    rf"(?:{_DUE_LEAD} )?(?P<day>today|tonight|tomorrow|this week|next week)'s? "
    rf"(?:tasks|todos|to-dos|items|things|list|stuff|agenda|plan)"
)
_DUE_NOUN = re.compile(
    r"^(?:tasks?|todos?|items?|things?|ones|stuff)\s+|\s+(?:tasks?|todos?|items?|things?)$", NOCASE
)
_DUE_UNTIL = re.compile(r"^(?:by|before|until|till|no later than) (?P<rest>.+)$", NOCASE)
_DUE_ON = re.compile(r"^(?:on|for) (?P<rest>.+)$", NOCASE)


def _due_window(words: str, today: date) -> DueWindow | None:
    """The due dates "today", "this week", "by friday"... mean, or None when ``words`` name none."""
    words = _DUE_NOUN.sub("", words.strip(" ?.!").lower()).strip()
    if words in ("today", "tonight", "for today", "by today", "by tonight", "today or earlier"):
        return DueWindow("today", end=today)
    if words in ("this week", "by the end of the week", "by the end of this week", "before the weekend"):
        return DueWindow("this week", end=today + timedelta(days=6 - today.weekday()))
    if words == "next week":
        monday = today + timedelta(days=7 - today.weekday())
        return DueWindow("next week", start=monday, end=monday + timedelta(days=6))
    if words in ("this month", "by the end of the month"):
        last = calendar.monthrange(today.year, today.month)[1]
        return DueWindow("this month", end=today.replace(day=last))
    if words in ("soon", "in the next few days", "in the next days", "shortly"):
        return DueWindow("in the next 7 days", end=today + timedelta(days=7))
    until = _DUE_UNTIL.match(words)
    if until:
        day = parse_date(until.group("rest"), today)
        return DueWindow(words, end=day) if day else None
    on = _DUE_ON.match(words)
    day = parse_date(on.group("rest") if on else words, today)
    if day is None:
        return None
    # "due on friday", "due tomorrow", "due in 3 days": how the reply names that one day.
    bare_day = not on and words not in ("tomorrow", "the day after tomorrow") and not words.startswith("in ")
    name = f"on {words}" if bare_day else words
    return DueWindow(name, start=day, end=day)


# --- asking for an order: "sorted by due date", "oldest first", "alphabetically" -----------------

_ORDER_KEYS: dict[str, ListOrder] = {
    "due date": "due_date", "due": "due_date", "date": "due_date", "deadline": "due_date",
    "due soonest": "due_date", "soonest": "due_date", "soonest due": "due_date",
    "priority": "priority", "importance": "priority", "urgency": "priority", "most urgent": "priority",
    "most important": "priority", "highest priority": "priority",
    "oldest": "oldest", "earliest": "oldest", "age": "oldest", "creation date": "oldest",
    "date added": "oldest", "date created": "oldest",
    "newest": "newest", "latest": "newest", "most recent": "newest", "recent": "newest",
    "name": "alphabetical", "title": "alphabetical", "alphabet": "alphabetical",
    "alphabetically": "alphabetical",
    "in alphabetical order": "alphabetical", "a-z": "alphabetical", "a to z": "alphabetical",
}  # fmt: skip
_ORDER_KEY_RE = "|".join(sorted((re.escape(key) for key in _ORDER_KEYS), key=len, reverse=True))
_ORDERED = full(
    # The look-ahead keeps the cost linear for the many messages that ask for no order.
    rf"(?=.*\b(?:by|first|on top|alphabetical|alphabetically|a-z|a to z)\b)(?P<rest>.*?)[\s,;(-]*"
    rf"(?:(?:(?:sorted|ordered|sort(?: it| them)?|order(?: it| them)?|arranged|ranked) )?"
    rf"(?:by|in order of|according to) (?:the )?(?P<by>{_ORDER_KEY_RE})(?: order)?"
    rf"|(?:with )?(?:the )?(?P<first>{_ORDER_KEY_RE})(?: (?:ones?|tasks?|items?|due|deadline))?"
    rf" (?:first|on top)"
    rf"|(?:sorted |ordered |listed )?(?P<alpha>alphabetically|in alphabetical order|a-z|a to z))\)?"
)  # fmt: skip
_SORT_VERB = re.compile(r"^(?:sort|order|arrange|rank|organi[sz]e|reorder)\b", NOCASE)


def _ordered(match: re.Match[str], context: Context) -> Intent | None:
    key = match.group("by") or match.group("first") or match.group("alpha")
    rest = _SORT_VERB.sub("show", match.group("rest").strip(" ,;:-"))
    listing = parse(rest, context.today) if rest else ListTasks()
    if not isinstance(listing, ListTasks):
        return None
    return replace(listing, order=_ORDER_KEYS[key.lower()])


# --- building intents from matches ---------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every rule may read besides its match."""

    today: date
    raw: str  # the message on one line, politeness kept
    lines: tuple[str, ...] = ()  # the message's further lines, when it has several


def _list_status(text: str) -> ListStatus:
    if _DONE_ADJ.search(text):
        return "done"
    if _OPEN_ADJ.search(text):
        return "open"
    if _ALL_ADJ.search(text):
        return "all"
    return "open"


def _title_intent(raw_title: str, today: date, when: str | None = None) -> Intent:
    wrong = impossible_date(raw_title if when is None else f"{raw_title} {when}", today)
    if wrong is not None:
        return BadDate(raw_title, wrong)
    title, priority = split_priority(raw_title)
    title, due, at = split_trailing_when(title, today)
    if due is None:
        # A date may also lead: "on friday call mom" or "remind me tomorrow to call mom".
        leading = LEADING_DATE.match(title)
        # Only with "on"/"by"... or a comma, so "Monday meeting notes" keeps its title.
        if leading and (leading.group("prefix") or "," in leading.group("sep")):
            due = date_from(leading, today)
            title = title[leading.end() :]
    if when:
        given = parse_when(when, today)
        if given is not None:
            due, at = given[0], given[1] or at
    if at is not None and due is None:
        due = today  # "call the dentist at 9am": today, at a time tasks cannot keep
    title = unquote(title)
    if not title:
        return MissingTitle()
    return AddTask(title=title, due_date=due, priority=priority, at=at, unparsed_date=date_like(title))


# Several tasks in one add: one per line or ";", or "X tomorrow and Y on friday" (each side dated).
_LIST_SEPARATOR = re.compile(r"\s*(?:;|\n)\s*(?:[-*•]\s+|\d+[.)]\s+)?")
_AND = re.compile(r"\s*,?\s+and(?: then| also)?\s+", NOCASE)


def _several(raw_title: str, today: date) -> list[str]:
    """The titles of an add that names several tasks, in order (one item when it names one)."""
    parts = [part for part in _LIST_SEPARATOR.split(raw_title.strip()) if part.strip(" ,.")]
    titles: list[str] = []
    for part in parts:
        pieces = _AND.split(part)
        # "eggs tomorrow and flour on friday": split only where both sides end in their own date.
        current = pieces[0]
        for piece in pieces[1:]:
            dated = split_trailing_when(current, today)[1], split_trailing_when(piece, today)[1]
            if None not in dated:
                titles.append(current)
                current = piece
            else:
                current = f"{current} and {piece}"
        titles.append(current)
    return titles


def _add(match: re.Match[str], context: Context) -> Intent | None:
    raw_title = match.group("title")
    if context.lines:
        raw_title = "\n".join([raw_title, *context.lines])
    titles = _several(raw_title, context.today)
    when = match.groupdict().get("when")
    if len(titles) == 1:
        return _title_intent(titles[0], context.today, when)
    tasks: list[AddTask] = []
    for title in titles:
        item = parse(title, context.today)  # a line may say "add ..." again
        if not isinstance(item, AddTask):
            item = _title_intent(re.sub(r"^(?:add|also)\s+", "", title, flags=NOCASE), context.today, when)
        if not isinstance(item, AddTask):
            return item  # a bad date or an empty item: say so, add none of them
        tasks.append(item)
    return AddTasks(tuple(tasks))


def _reschedule(match: re.Match[str], context: Context) -> Intent | None:
    ref = parse_ref(match.group("ref"))
    when = match.groupdict().get("when")
    if when is None or NO_DATE.match(when.strip(" .")):
        return RescheduleTask(ref, None)
    given = parse_when(when, context.today)
    if given is None:
        wrong = impossible_date(f"on {when}", context.today)
        return BadDate(when, wrong) if wrong else None
    return RescheduleTask(ref, given[0], given[1])


def _rename(match: re.Match[str], context: Context) -> Intent | None:
    return RenameTask(parse_ref(match.group("ref")), unquote(match.group("new")))


def _change(match: re.Match[str], context: Context) -> Intent | None:
    ref, new = parse_ref(match.group("ref")), match.group("new")
    given = parse_when(new, context.today)
    if given is not None:
        return RescheduleTask(ref, given[0], given[1])
    level = priority_word(new)
    if level is not None:
        return SetPriority(ref, level)
    wrong = impossible_date(f"on {new}", context.today)
    if wrong is not None:
        return BadDate(new, wrong)
    return RenameTask(ref, unquote(new), partial=True)


def _priority_from(match: re.Match[str]) -> Priority:
    groups = match.groupdict()
    if groups.get("up"):
        return "high"
    if groups.get("down"):
        return "low"
    return PRIORITY_WORDS[groups["level"].lower()]


def _set_priority(match: re.Match[str], context: Context) -> Intent | None:
    return SetPriority(parse_ref(match.group("ref")), _priority_from(match))


def _ref_text(match: re.Match[str]) -> str:
    groups = match.groupdict()
    return groups.get("ref") or groups.get("ref2") or ""


def _is_bulk(text: str) -> bool:
    """ "all tasks", "everything": a bulk reference, not the list noun of "finished tasks"."""
    return isinstance(parse_ref(text), AllTasks) and re.match(r"(?:all|every)", text, NOCASE) is not None


def _reopen(match: re.Match[str], context: Context) -> Intent | None:
    ref = _ref_text(match)
    if _LIST_NOUN_ONLY.match(ref) and not _is_bulk(ref):
        return None
    return ReopenTask(parse_ref(ref))


def _complete(match: re.Match[str], context: Context) -> Intent | None:
    ref = _ref_text(match)
    # "finished tasks" asks for a list, it does not finish a task called "tasks".
    if _LIST_NOUN_ONLY.match(ref) and not _is_bulk(ref):
        return None
    return CompleteTask(parse_ref(ref))


def _delete(match: re.Match[str], context: Context) -> Intent | None:
    return DeleteTask(parse_ref(match.group("ref")))


def _search_or_on_list(match: re.Match[str], context: Context) -> Intent | None:
    return _on_my_list(match, context) if match.re is _ON_MY_LIST else _search(match, context)


def _search(match: re.Match[str], context: Context) -> Intent | None:
    query = unquote(match.group("q"))
    return ListTasks(status="all", search=query) if query else ListTasks()


def _generic_list(match: re.Match[str], context: Context) -> Intent | None:
    return ListTasks(status=_list_status(f"{match.group('adj')} {match.group('tail')} {match.string}"))


def _verb_only_list(match: re.Match[str], context: Context) -> Intent | None:
    return ListTasks(status="all" if _ALL_ADJ.search(match.string) else "open")


def _due_question(match: re.Match[str], context: Context) -> Intent | None:
    if match.group("late"):
        return ListTasks(order="due_date", due=DueWindow("overdue", end=context.today - timedelta(days=1)))
    when = _DUE_NOUN.sub("", f" {match.group('when') or match.group('day') or ''} ").strip()
    if not when or _DUE_NOUN.fullmatch(f"{when} "):
        return ListTasks(order="due_date")
    window = _due_window(when, context.today)
    return ListTasks(order="due_date", due=window) if window else None


def _complete_suffix(match: re.Match[str], context: Context) -> Intent | None:
    # "mrak buy milk as done" is a mistyped command, not a task called "mrak buy milk as".
    return _typo(match, context) or CompleteTask(parse_ref(match.group("ref")))


def _typo(match: re.Match[str], context: Context) -> Intent | None:
    """A question when the first word is a mistyped command and the fixed message reads as one."""
    suggestion = typos.corrected(match.string)
    if suggestion is None:
        return None
    _, rule = parse_with_rule(suggestion, context.today)
    if rule in ("", "done suffix", "typo"):
        return None
    return DidYouMean(context.raw, suggestion)


def _always(intent: Intent) -> Callable[[re.Match[str], Context], Intent | None]:
    return lambda match, context: intent


_YES = full(
    r"(?:yes|yeah|yep|yup|yes please|sure|y|confirm|confirmed|do it|go ahead|please do|absolutely|of course|"
    r"that's right|correct)(?:[ ,!.]+(?:please|do it|go ahead|i'm sure|i am sure|that's right|thanks|confirm|"
    r"(?:delete|remove|complete|reopen|mark|clear)(?: them| it| all| all of them| everything)?"
    r"(?: as done)?))*"
)  # fmt: skip
_OK = full(r"ok|okay|ok do it|okay do it|ok go ahead|okay go ahead|ok please|okay please")
_NO = full(
    r"(?:no|n|nope|nah|cancel|stop|don't|dont|do not|never ?mind|forget it|not now|no thanks|keep them|wait|"
    r"abort)(?:[ ,!.]+(?:don't|dont|do not|keep them|thanks|cancel|stop|never ?mind|wait|don't do it|"
    r"leave them|not now))*"
)  # fmt: skip


def confirms(message: str) -> bool | None:
    """True for "yes"/"ok"/"go ahead", False for "no"/"cancel", None for anything else."""
    bare = one_line(message).strip(" !.?,")
    if _YES.match(bare) or _OK.match(bare):
        return True
    if _NO.match(bare):
        return False
    return None


# --- questions about one task, counts, notes, restoring, follow-ups ------------------------------

_HOW_MANY = full(r"how many(?P<rest>(?: .*)?)")
_OVERDUE_WORD = re.compile(r"\b(?:overdue|late|past due)\b", NOCASE)
_DUE_WHEN = re.compile(r"\bdue (?P<when>.+)$", NOCASE)


def _count(match: re.Match[str], context: Context) -> Intent | None:
    rest = match.group("rest")
    window: DueWindow | None = None
    if _OVERDUE_WORD.search(rest):
        window = DueWindow("overdue", end=context.today - timedelta(days=1))
    elif (due := _DUE_WHEN.search(rest)) is not None:
        window = _due_window(due.group("when"), context.today)
    status: ListStatus = "all" if re.search(r"\b(?:in total|altogether|all)\b", rest, NOCASE) else "open"
    if _DONE_ADJ.search(rest) or re.search(r"\b(?:did i|have i) (?:finish|complete|do)", rest, NOCASE):
        status = "done"
    return ListTasks(status=status, due=window, count=True)


_DONE_STATE = r"(?:done|finished|completed|complete|checked off|ticked off|crossed off|taken care of)"
_TASK_QUESTIONS: dict[re.Pattern[str], TaskFacet] = {
    full(
        rf"(?:is|are|was|were|has|have) (?P<ref>.+?) (?:been |already |really |actually |now |all )*"
        rf"{_DONE_STATE}(?: yet| already| now)?"
    ): "done",
    full(
        r"(?:did|have|has) (?:i|you|we) (?:already |really |actually )?(?:finish|finished|complete|completed|"
        r"do|done|check off|checked off|tick off|ticked off) (?P<ref>.+?)(?: yet| already)?"
    ): "done",
    full(
        r"(?:is|are) (?P<ref>.+?) (?:still )?(?:open|not done|not finished|pending|unfinished|incomplete|"
        r"outstanding|to do|left)"
    ): "open",
    full(
        r"(?:when|what day|what date|by when) (?:is|are|was|were) (?P<ref>.+?) due|"
        r"what(?:'s| is) the (?:due date|deadline|date) (?:of|for|on) (?P<ref2>.+)|"
        r"(?:is|are) (?P<ref3>.+?) due(?: .+)?"
    ): "due",
    full(
        rf"(?:is|are) (?P<ref>.+?) (?:a |an )?(?:{PRIORITY_WORD_RE})(?: prio(?:rity)?)?|"
        rf"what(?:'s| is) the prio(?:rity)? (?:of|for|on) (?P<ref2>.+)|"
        rf"how (?:important|urgent) is (?P<ref3>.+)"
    ): "priority",
    full(
        r"(?:tell me about|what about|what(?:'s| is) (?:the status of|up with)|status of) (?P<ref>.+)"
    ): "details",
}
_REF_TAIL = re.compile(r"(?:\s+(?:been|already|yet|still|now|really|task|on my list))+$", NOCASE)


def _groups_ref(match: re.Match[str]) -> str:
    groups = match.groupdict()
    return next((groups[name] for name in sorted(groups) if name.startswith("ref") and groups[name]), "")


def _task_question(match: re.Match[str], context: Context) -> Intent | None:
    ref = _REF_TAIL.sub("", _groups_ref(match))
    if not ref or _LIST_NOUN_ONLY.match(ref):
        return None
    return AskTask(parse_ref(ref), _TASK_QUESTIONS[match.re])


_ON_MY_LIST = full(
    r"(?:is|are) (?P<q>.+?) (?:on|in) (?:my|the) (?:\w+ )?list|"
    r"do i (?:still )?have (?P<q2>.+?) (?:on|in) my list"
)


def _on_my_list(match: re.Match[str], context: Context) -> Intent | None:
    query = unquote(match.group("q") or match.group("q2"))
    return ListTasks(status="all", search=query) if query else None


_NOTE_WORD = r"(?:a |an |this |the |another |my )?(?:note|comment|description|details|memo)s?"
_NOTE = [
    full(
        rf"(?:add|put|attach|write|leave|append|make) {_NOTE_WORD} (?:to|on|for|about|in|under) (?P<ref>.+?)"
        r"(?:\s*:\s*|\s+(?:saying|that says|reading|with the text)\s+|\s+-\s+)(?P<note>.+)"
    ),
    full(r"(?:note|comment|notes|description) (?:on|for|to) (?P<ref>.+?)\s*:\s*(?P<note>.+)"),
    full(r"(?:set|change|update|make) the (?:description|notes?|details) (?:of|for|on) (?P<ref>.+?) "
         r"(?:to|as|:) (?P<note>.+)"),
    full(rf"(?:add|put|attach|write|leave) {_NOTE_WORD} (?:to|on|for) (?P<ref>.+)"),
]  # fmt: skip


def _note(match: re.Match[str], context: Context) -> Intent | None:
    note = match.groupdict().get("note") or ""
    return SetNote(parse_ref(match.group("ref")), note.strip(" " + "\"'`“”"))


_RESTORE = full(
    r"(?:put|bring|get) (?P<ref>.+?) back(?: (?:on|onto|in|to) (?:the|my) list)?|"
    r"(?:undelete|restore|recover|bring back|put back) (?P<ref2>.+?)(?: (?:on|onto|to) (?:the|my) list)?|"
    r"(?P<undo>undo(?: (?:that|the|my|this|last))?(?: (?:delete|deletion|removal))?)"
)
_THEM = full(r"them|those|these|all|everything|all of them|them all")


def _restore(match: re.Match[str], context: Context) -> Intent | None:
    ref = _groups_ref(match)
    if not ref:
        return RestoreTask(parse_ref("it"))
    return RestoreTask(AllTasks() if _THEM.match(ref) else parse_ref(ref))


_AGAIN = full(
    r"(?:same (?:for|with)|(?:do )?(?:the same|that) (?:for|with|to)) (?P<ref>.+)|"
    r"(?P<ref2>.+?),? (?:too|as well|also)"
)


def _again(match: re.Match[str], context: Context) -> Intent | None:
    return Again(parse_ref(_groups_ref(match)))


def _choice(match: re.Match[str], context: Context) -> Intent | None:
    return Again(parse_ref(match.string), too=False)


# --- questions: classified before any rule, answered by reading only -----------------------------

_OPENING = re.compile(
    r"^(?:(?:hello|hi|hey|hiya|ok|okay|so|and|also|um+|uh+|well|oh|sorry|excuse me|please|quick question|"
    r"by the way|btw|good (?:morning|afternoon|evening)|hi there|hey there)\b[\s,!.:;-]*)+",
    NOCASE,
)
# Openings that ask for a change politely; as a question it is confirmed first, never just done.
_POLITE = re.compile(
    r"^(?:(?:can|could|would|will|won't|wont) you|would you mind|do you mind|(?:can|could|may|shall|should) "
    r"(?:i|we))(?:\s+(?:please|kindly|maybe|just))*\b\s*",
    NOCASE,
)
_WH = r"(?:how|what|which|when|where|who|whom|whose|why)(?:'s|s)?"
_AUX = (
    r"(?:is|isn't|isnt|are|aren't|arent|was|wasn't|were|weren't|am|does|doesn't|did|didn't|has|hasn't|"
    r"can|can't|could|couldn't|should|shouldn't|shall|will|won't|would|wouldn't)"
)
_AUX_WITH_SUBJECT = r"(?:do|don't|dont|have|haven't|had|may|might|must)(?= (?:i|you|we|they)\b)"
# An embedded question ("tell me if the milk is done") asks as much as "is the milk done?".
_EMBEDDED = r"(?:tell me|let me know|i (?:wonder|want to know|'d like to know))(?: (?:if|whether))?"
_INTERROGATIVE = re.compile(rf"^(?:{_WH}|{_AUX}|{_AUX_WITH_SUBJECT}|{_EMBEDDED})\b", NOCASE)
_ASKED = re.compile(rf"^(?:{_WH}\s+)?(?:(?:{_AUX}|{_AUX_WITH_SUBJECT})\s+)?(?:(?:i|you|we|they)\s+)?", NOCASE)
_QUESTION_MARK = re.compile(r"\?[\s!.?]*$")


_TELL_ME = re.compile(rf"^(?:{_EMBEDDED}|check|see)(?: (?:if|whether))? (?P<rest>.+)$", NOCASE)


@dataclass(frozen=True)
class Question:
    """A message phrased as a question, and what it would ask for as a statement."""

    statement: str
    polite: bool  # "could you ...?" or a bare "...?": a change it names is confirmed, not done


def question_form(message: str) -> Question | None:
    """The question ``message`` is (a trailing "?" or an interrogative opening), else None."""
    raw = " ".join(message.replace("’", "'").split())
    opened = _OPENING.sub("", raw)
    asking = _INTERROGATIVE.match(opened)
    if not asking and not _QUESTION_MARK.search(raw):
        return None
    polite = _POLITE.match(opened)
    if polite:
        statement = opened[polite.end() :]
    elif asking:
        statement = opened[_ASKED.match(opened).end() :]  # type: ignore[union-attr]
    else:
        statement = opened
    return Question(statement=statement.strip(" ?!."), polite=bool(polite) or not asking)


_FACETS: dict[type[Change], TaskFacet] = {
    CompleteTask: "done",
    ReopenTask: "open",
    DeleteTask: "exists",
    RescheduleTask: "due",
    SetPriority: "priority",
}
_BULK_STATUS: dict[type[Change], ListStatus] = {CompleteTask: "open", ReopenTask: "done"}


def asked_about(change: Change) -> Intent:
    """What a question about ``change`` reads: "do I need to buy milk?" searches, "is it done?" looks."""
    if isinstance(change, AddTask | AddTasks):
        title = change.title if isinstance(change, AddTask) else change.tasks[0].title
        return ListTasks(status="all", search=title)
    ref = getattr(change, "ref", None)
    if isinstance(ref, AllTasks):
        return ListTasks(status=_BULK_STATUS.get(type(change), ref.status), count=True)
    if ref is None:
        return Unknown("")
    return AskTask(ref, _FACETS.get(type(change), "details"))


@dataclass(frozen=True)
class Rule:
    """One way of saying something: its patterns, and how a match becomes an intent (None: not this)."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    build: Callable[[re.Match[str], Context], Intent | None]
    # What people say that this rule answers; "{title}" stands for a task's title (the grammar's
    # own examples: tests check each is answered by its rule and generate questions from them).
    examples: tuple[str, ...]
    # Small talk also matches the message as typed ("no" is politeness the cleaning would remove).
    also_raw: bool = False


# The order the rules are tried in; the first one that answers an intent wins.
RULES: tuple[Rule, ...] = (
    Rule("help", (_HELP,), _always(Help()), ("help", "what can you do?"), also_raw=True),
    Rule("greeting", (_GREETING,), _always(Greeting()), ("hi", "Hello!"), also_raw=True),
    Rule("thanks", (_THANKS,), _always(Thanks()), ("thanks!",), also_raw=True),
    Rule("yes", (_YES,), _always(Yes()), ("yes",), also_raw=True),
    Rule("never mind", (_NEVER_MIND,), _always(NeverMind()), ("never mind",), also_raw=True),
    Rule("count", (_HOW_MANY,), _count, ("how many tasks are open?", "how many are done?")),
    # Before "add ...": "add a note to X: ..." changes X, it adds no task.
    Rule("note", tuple(_NOTE), _note, ("add a note to {title}: ask for the receipt",)),
    # "add ...", "task: ..." and "remind me ..." say what they want up front, whatever follows.
    Rule(
        "add up front",
        tuple(_EARLY_ADD),
        _add,
        ("add {title}", "remind me to {title} tomorrow", "add {title}; walk the dog on friday"),
    ),
    # Before "... is due friday" (a reschedule) reads "what is due today" as a task called "what".
    Rule("due question", (_DUE_QUESTION,), _due_question, ("what's due today?", "anything overdue?")),
    Rule("ordered list", (_ORDERED,), _ordered, ("show my tasks sorted by due date",)),
    Rule(
        "reschedule",
        tuple(_RESCHEDULE),
        _reschedule,
        ("move {title} to friday", "{title} is due tomorrow", "remove the due date of {title}",
         "actually make it thursday"),
    ),  # fmt: skip
    Rule("rename", (_RENAME,), _rename, ("rename {title} to pay the rent",)),
    Rule("change", (_CHANGE,), _change, ("change {title} to walk the dog", "change {title} to tomorrow")),
    Rule("priority", tuple(_PRIORITY), _set_priority, ("make {title} high priority", "prioritize {title}")),
    Rule("restore", (_RESTORE,), _restore, ("put it back", "undo that")),
    Rule("reopen", tuple(_REOPEN), _reopen, ("reopen {title}", "mark {title} as not done")),
    Rule("complete", tuple(_COMPLETE), _complete,
         ("mark {title} as done", "complete {title}", "check off {title}")),
    Rule("delete", (_DELETE,), _delete, ("delete {title}", "remove {title} from my list", "clear completed")),
    Rule("add without a title", (_ADD_WITHOUT_TITLE,), _always(MissingTitle()), ("add",)),
    Rule("add", tuple(_ADD), _add, ("i need to {title}", "don't forget to {title}")),
    Rule("search", (_SEARCH, _ON_MY_LIST), _search_or_on_list, ("find {title}", "is {title} on my list?")),
    Rule("done list", (_DONE_LIST, _DONE_QUESTIONS), _always(ListTasks(status="done")),
         ("what did I finish?",)),
    Rule("list question", (_LIST_QUESTIONS,), _always(ListTasks(status="open")), ("what's on my list?",)),
    Rule("list", (_LIST_GENERIC,), _generic_list, ("show my tasks",)),
    Rule("list verb", (_LIST_VERB_ONLY,), _verb_only_list, ("show me",)),
    Rule("done suffix", (_COMPLETE_SUFFIX,), _complete_suffix, ("{title} is done",)),
    Rule("task question", tuple(_TASK_QUESTIONS), _task_question,
         ("is {title} done?", "when is {title} due?")),
    Rule("again", (_AGAIN,), _again, ("and the third one too",)),
    # A bare position answers "which one do you mean?" ("the second one", "2").
    Rule("choice", (POSITION,), _choice, ("the second one", "2")),
    # Last: a command word with a typo gets a question, never a guessed action.
    Rule("typo", (re.compile(r".+"),), _typo, ("delte {title}",)),
)  # fmt: skip


def parse(message: str, today: date) -> Intent:
    """What ``message`` asks for; ``today`` anchors relative dates such as "tomorrow".

    A question (``question_form``) never parses to a ``Change``: it gets the first reading rule
    that answers it, else what it asks about (``asked_about``), else, asked politely, a yes/no
    ``ConfirmRequest`` naming the change."""
    return parse_with_rule(message, today)[0]


def parse_with_rule(message: str, today: date) -> tuple[Intent, str]:
    """``parse``, and the name of the rule that answered ("" when none did)."""
    question = question_form(message)
    lines = [line for line in message.splitlines() if line.strip()]
    raw = " ".join(message.replace("’", "'").split())
    context = Context(today=today, raw=raw)
    if question is None:
        if len(lines) > 1:
            first = Context(today=today, raw=raw, lines=tuple(lines[1:]))
            intent, rule = _walk(lines[0], first, changes=True)
            if isinstance(intent, AddTask | AddTasks):
                return intent, rule
        return _walk(message, context, changes=True)
    intent, rule = _walk(message, context, changes=False)
    if rule or not isinstance(intent, Unknown):
        return intent, rule
    told = _TELL_ME.match(question.statement)
    if told is not None:
        # "could you tell me if the milk is done?" asks "is the milk done?": still a question.
        rest = told.group("rest")
        if question_form(rest) is not None:
            return parse_with_rule(rest, today)
        checked, _ = _walk(re.sub(r"^i (?:have|got)\b", "find", rest, flags=NOCASE), context, changes=True)
        if isinstance(checked, Change):
            return asked_about(checked), "question"
        if not isinstance(checked, Unknown):
            return checked, "question"
    stated, _ = _walk(question.statement, context, changes=True)
    if not isinstance(stated, Change):
        return (Unknown(raw) if isinstance(stated, Unknown) else stated), "question"
    if question.polite:
        return ConfirmRequest(raw, question.statement), "question"
    return asked_about(stated), "question"


def _walk(message: str, context: Context, *, changes: bool) -> tuple[Intent, str]:
    """The first rule's intent for ``message``; with ``changes`` False, rules that would change
    tasks are passed over (a question reads)."""
    raw = " ".join(message.replace("’", "'").split())
    bare = raw.strip(" !.?,")
    text = clean(message)
    for rule in RULES:
        if not text and not rule.also_raw:
            return (Help() if "?" in raw else Unknown(raw)), ""
        for pattern in rule.patterns:
            for candidate in (bare, text) if rule.also_raw else (text,):
                match = pattern.match(candidate)
                intent = rule.build(match, context) if match else None
                if intent is not None and (changes or not isinstance(intent, Change)):
                    return intent, rule.name
    return Unknown(raw), ""
