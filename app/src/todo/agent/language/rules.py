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
    parse_date,
    parse_when,
    split_trailing_when,
)
from todo.agent.language.intents import (
    AddTask,
    AllTasks,
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
    Thanks,
    Unknown,
    Yes,
)
from todo.agent.language.priorities import PRIORITY_WORD_RE, PRIORITY_WORDS, priority_word, split_priority
from todo.agent.language.refs import parse_ref
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
    return AddTask(title=title, due_date=due, priority=priority, at=at)


def _add(match: re.Match[str], context: Context) -> Intent | None:
    return _title_intent(match.group("title"), context.today, match.groupdict().get("when"))


def _reschedule(match: re.Match[str], context: Context) -> Intent | None:
    ref = parse_ref(match.group("ref"))
    when = match.groupdict().get("when")
    if when is None or NO_DATE.match(when.strip(" .")):
        return RescheduleTask(ref, None)
    given = parse_when(when, context.today)
    return RescheduleTask(ref, given[0], given[1]) if given else None


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
    return RenameTask(ref, unquote(new))


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


@dataclass(frozen=True)
class Rule:
    """One way of saying something: its patterns, and how a match becomes an intent (None: not this)."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    build: Callable[[re.Match[str], Context], Intent | None]
    # Small talk also matches the message as typed ("no" is politeness the cleaning would remove).
    also_raw: bool = False


# The order the rules are tried in; the first one that answers an intent wins.
RULES: tuple[Rule, ...] = (
    Rule("help", (_HELP,), _always(Help()), also_raw=True),
    Rule("greeting", (_GREETING,), _always(Greeting()), also_raw=True),
    Rule("thanks", (_THANKS,), _always(Thanks()), also_raw=True),
    Rule("yes", (_YES,), _always(Yes()), also_raw=True),
    Rule("never mind", (_NEVER_MIND,), _always(NeverMind()), also_raw=True),
    # "add ...", "task: ..." and "remind me ..." say what they want up front, whatever follows.
    Rule("add up front", tuple(_EARLY_ADD), _add),
    # Before "... is due friday" (a reschedule) reads "what is due today" as a task called "what".
    Rule("due question", (_DUE_QUESTION,), _due_question),
    Rule("ordered list", (_ORDERED,), _ordered),
    Rule("reschedule", tuple(_RESCHEDULE), _reschedule),
    Rule("rename", (_RENAME,), _rename),
    Rule("change", (_CHANGE,), _change),
    Rule("priority", tuple(_PRIORITY), _set_priority),
    Rule("reopen", tuple(_REOPEN), _reopen),
    Rule("complete", tuple(_COMPLETE), _complete),
    Rule("delete", (_DELETE,), _delete),
    Rule("add without a title", (_ADD_WITHOUT_TITLE,), _always(MissingTitle())),
    Rule("add", tuple(_ADD), _add),
    Rule("search", (_SEARCH,), _search),
    Rule("done list", (_DONE_LIST, _DONE_QUESTIONS), _always(ListTasks(status="done"))),
    Rule("list question", (_LIST_QUESTIONS,), _always(ListTasks(status="open"))),
    Rule("list", (_LIST_GENERIC,), _generic_list),
    Rule("list verb", (_LIST_VERB_ONLY,), _verb_only_list),
    Rule("done suffix", (_COMPLETE_SUFFIX,), _complete_suffix),
    # Last: a command word with a typo gets a question, never a guessed action.
    Rule("typo", (re.compile(r".+"),), _typo),
)


def parse(message: str, today: date) -> Intent:
    """What ``message`` asks for; ``today`` anchors relative dates such as "tomorrow"."""
    return parse_with_rule(message, today)[0]


def parse_with_rule(message: str, today: date) -> tuple[Intent, str]:
    """``parse``, and the name of the rule that answered ("" when none did)."""
    raw = " ".join(message.replace("’", "'").split())
    bare = raw.strip(" !.?,")
    text = clean(message)
    context = Context(today=today, raw=raw)
    for rule in RULES:
        if not text and not rule.also_raw:
            return (Help() if "?" in raw else Unknown(raw)), ""
        for pattern in rule.patterns:
            for candidate in (bare, text) if rule.also_raw else (text,):
                match = pattern.match(candidate)
                intent = rule.build(match, context) if match else None
                if intent is not None:
                    return intent, rule.name
    return Unknown(raw), ""
