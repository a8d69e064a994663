"""Dates and times of day in a message: "tomorrow", "next friday", "May 5", "at 9am", "at 14:30".

Everything is relative to a ``today`` the caller passes. Tasks carry a due date but no time of
day, so a time is picked out (it must not stay in a title) and handed back for the reply to mention.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, time, timedelta

from todo.agent.language.text import NOCASE, full

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

DATE_PHRASE = (
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
    r"|(?P<endof>(?:the )?end of (?:the |this )?(?P<endunit>week|month|year)|eow|eom)"
    rf"|(?P<numeric>(?P<num1>\d{{1,2}})/(?P<num2>\d{{1,2}})/(?P<numyear>\d{{4}}|\d{{2}}))"
)
# Dates read only after "on", "by", "due"...: "on the 3rd", "for 11/30" (bare, they may be titles).
PREFIXED_DATE = (
    r"(?:the )?(?P<ordday>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))"
    r"|(?P<shortnum1>\d{1,2})/(?P<shortnum2>\d{1,2})"
)
DATE_PREFIX = r"(?:(?:is |it's |its )?due(?: date)?(?: on| by)?|on|by|for|before|until|till|no later than)"
# A time of day: "9am", "9:30 pm", "noon"; "14:30" and a bare hour only after "at" ("at 9").
TIME_PHRASE = (
    r"(?:at |@ ?)?(?:(?P<hour>1[0-2]|0?[1-9])(?::(?P<minute>[0-5]\d))? ?(?P<ampm>[ap]\.?m\.?)"
    r"|(?P<noon>noon|midday)|(?P<midnight>midnight))"
    r"|(?:at |@ ?)(?:(?P<hour24>[01]?\d|2[0-3]):(?P<minute24>[0-5]\d)"
    r"|(?P<bare>[01]?\d|2[0-3])(?: ?o'?clock)?)"
)
# The same without group names, to embed where a pattern needs it more than once.
TIME_WORDS = re.sub(r"\(\?P<\w+>", "(?:", TIME_PHRASE)
# A date phrase at the end of a title (optionally introduced by "due", "on", "by"...).
_TRAILING_DATE = re.compile(
    rf"(?:^|[\s,;(-]+)(?:(?:{DATE_PREFIX} )?(?:{DATE_PHRASE})|{DATE_PREFIX} (?:{PREFIXED_DATE}))\)?$", NOCASE
)
_TRAILING_TIME = re.compile(rf"(?:^|[\s,;(-]+)(?:{TIME_PHRASE})\)?$", NOCASE)
# A date phrase opening a title: "on friday, call mom".
LEADING_DATE = re.compile(rf"^(?P<prefix>{DATE_PREFIX} )?(?:{DATE_PHRASE})(?P<sep>[\s,]+)(?=\S)", NOCASE)
# A message part that is nothing but a date ("tomorrow", "on friday", "no due date").
_WHOLE_DATE = re.compile(rf"^(?:{DATE_PREFIX} )?(?:{DATE_PHRASE}|{PREFIXED_DATE})$", NOCASE)
_WHOLE_TIME = re.compile(rf"^(?:{TIME_PHRASE})$", NOCASE)
_EVENING = re.compile(r"\b(?:tonight|evening|night|afternoon)\b", NOCASE)
NO_DATE = full(r"(?:no|without a|without|none|nothing|never|not)(?: due)?(?: date)?|someday|anytime")


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


def date_from(match: re.Match[str], today: date) -> date | None:
    """The date a match of ``DATE_PHRASE`` names."""
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
    if groups.get("endof"):
        return _end_of(today, (groups["endunit"] or groups["endof"]).lower())
    if groups.get("numeric") or groups.get("shortnum1"):
        first, second = groups.get("num1") or groups["shortnum1"], groups.get("num2") or groups["shortnum2"]
        month, day = _month_day(int(first), int(second))
        year = groups.get("numyear")
        full_year = None if year is None else str(int(year) + 2000 if len(year) == 2 else int(year))
        return _calendar_date(today, month, str(day), full_year)
    if groups.get("ordday"):
        return _next_day_of_month(today, int(re.sub(r"\D", "", groups["ordday"])))
    return None


def _month_day(first: int, second: int) -> tuple[int, int]:
    """Month and day of "11/30" (US order, as the replies are English) or of "30/11" (no month 30)."""
    return (second, first) if first > 12 >= second else (first, second)


def _end_of(today: date, unit: str) -> date:
    """The last day of this week (Sunday, as "this week" means in due questions), month or year."""
    if unit in ("week", "eow"):
        return today + timedelta(days=6 - today.weekday())
    if unit in ("month", "eom"):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return date(today.year, 12, 31)


def _next_day_of_month(today: date, day: int) -> date | None:
    """ "the 3rd": the next 3rd from today on (this month's if not past, else a later month's)."""
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _time_from(match: re.Match[str], evening: bool = False) -> time:
    """The time a match of ``TIME_PHRASE`` names; without am/pm, "at 5" and "tonight at 8" are pm."""
    groups = match.groupdict()
    if groups["noon"]:
        return time(12, 0)
    if groups["midnight"]:
        return time(0, 0)
    if groups["hour24"] or groups["bare"]:
        hour, minute = int(groups["hour24"] or groups["bare"]), int(groups["minute24"] or 0)
        if hour < 12 and (evening or (groups["bare"] and 1 <= hour <= 7)):
            hour += 12
        return time(hour, minute)
    hour = int(groups["hour"]) % 12 + (12 if groups["ampm"].lower().startswith("p") else 0)
    return time(hour, int(groups["minute"] or 0))


def parse_date(text: str, today: date) -> date | None:
    """The date ``text`` names in full ("tomorrow", "on friday", "May 5"), else None."""
    match = _WHOLE_DATE.match(" ".join(text.strip(" .!?,").split()))
    return date_from(match, today) if match else None


def parse_when(text: str, today: date) -> tuple[date, time | None] | None:
    """The date and time of day ``text`` names in full ("friday at noon"; "at 9am" alone is today)."""
    due = parse_date(text, today)
    if due is not None:
        return due, None
    rest, due, at = split_trailing_when(" ".join(text.strip(" .!?,").split()), today)
    if rest or at is None:
        return None
    return due or today, at


def split_trailing_date(text: str, today: date) -> tuple[str, date | None]:
    """``("call mom", tomorrow)`` from ``"call mom tomorrow"``; the text unchanged when it has none."""
    match = _TRAILING_DATE.search(text)
    if not match or match.start() == 0:
        return text, None
    due = date_from(match, today)
    if due is None:
        return text, None
    return text[: match.start()].rstrip(" ,;-("), due


def split_trailing_time(text: str, evening: bool = False) -> tuple[str, time | None]:
    """``("call mom", 09:00)`` from ``"call mom at 9am"``; the text unchanged when it has none."""
    match = _TRAILING_TIME.search(text)
    if not match:
        return text, None
    return text[: match.start()].rstrip(" ,;-("), _time_from(match, evening)


def split_trailing_when(text: str, today: date) -> tuple[str, date | None, time | None]:
    """A trailing date and time of day in either order ("tomorrow at 9am", "at noon on friday")."""
    due: date | None = None
    at: time | None = None
    evening = _EVENING.search(text) is not None
    for _ in range(2):
        if at is None:
            text, at = split_trailing_time(text, evening)
        if due is None:
            rest, due = split_trailing_date(text, today)
            if due is None and (match := _WHOLE_DATE.match(text)) and at is not None:
                rest, due = "", date_from(match, today)  # "tomorrow at 9" with nothing before it
            text = rest
    return text, due, at


_MONTH_NAMES = {index: name for index, name in enumerate(calendar.month_name) if name}
# Candidates for a date that does not exist: "april 31", "30th of february", "2025-02-30", "31/4".
_CALENDARISH = re.compile(
    rf"\b(?:(?P<month1>{_MONTH_RE})\.? (?P<day1>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<year1>\d{{4}}))?"
    rf"|(?:the )?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<month2>{_MONTH_RE})"
    r"(?:,? (?P<year2>\d{4}))?"
    r"|(?P<iso>(?P<isoyear>\d{4})-(?P<isomonth>\d{2})-(?P<isoday>\d{2}))"
    r"|(?:on|by|for|due|before|until|till) (?P<num1>\d{1,2})/(?P<num2>\d{1,2})(?:/(?P<numyear>\d{2,4}))?"
    # "on the 29th" alone; "on the 29th of february" is the month-and-day form above.
    r"|(?:on|by|for|due|before|until|till) the (?P<ordday>\d{1,3})(?:st|nd|rd|th)"
    rf"(?!(?: of)? (?:{_MONTH_RE})\b))\b",
    NOCASE,
)


def impossible_date(text: str, today: date) -> str | None:
    """Why a date in ``text`` cannot be ("April has 30 days, so there is no April 31"), else None."""
    for match in _CALENDARISH.finditer(text):
        groups = match.groupdict()
        if groups["ordday"]:
            day = int(groups["ordday"])
            if day > 31:
                return f"no month has {day} days"
            continue
        if groups["iso"]:
            year, month, day = int(groups["isoyear"]), int(groups["isomonth"]), int(groups["isoday"])
        elif groups["num1"]:
            month, day = _month_day(int(groups["num1"]), int(groups["num2"]))
            year = today.year
        else:
            month_word = (groups["month1"] or groups["month2"]).lower()
            month, day = _MONTHS[month_word], int(groups["day1"] or groups["day2"])
            year = int(groups["year1"] or groups["year2"] or today.year)
        if not 1 <= month <= 12:
            return f'"{match.group(0).strip()}" has no month {month}'
        length = calendar.monthrange(year, month)[1]
        if not 1 <= day <= length:
            name = _MONTH_NAMES[month]
            return f"{name} has {length} days, so there is no {name} {day}" + (
                f" in {year}" if month == 2 and day == 29 else ""
            )
    return None


# Date-like words a title may keep by mistake: "on the 3rd", "by 11/30", "by the end of the week".
_DATE_LIKE = re.compile(
    rf"\b(?:(?:(?:{DATE_PREFIX}) )?(?:the )?end of (?:the |this |next )?\w+"
    rf"|(?:{DATE_PREFIX}) (?:the )?(?:\d{{1,4}}(?:st|nd|rd|th)?(?:[/.-]\d{{1,4}})*|(?:{_MONTH_RE})\b"
    rf"|(?:{_WEEKDAY_RE})\b|next \w+|tomorrow|today|tonight)"
    r"|\d{1,2}/\d{1,2}/\d{2,4}|tomorrow|tonight)\b",
    NOCASE,
)


def date_like(text: str) -> str | None:
    """The first date-like words in ``text`` (a title whose dates were already taken out), else None."""
    match = _DATE_LIKE.search(text)
    return match.group(0) if match else None
