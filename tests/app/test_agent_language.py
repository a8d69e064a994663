"""The rules engine's language understanding and title matching: pure functions, no servers."""

from __future__ import annotations

import calendar
from datetime import date, time, timedelta
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from todo.agent.language import typos
from todo.agent.language.dates import parse_date, split_trailing_date
from todo.agent.language.intents import (
    AddTask,
    AddTasks,
    AllTasks,
    BadDate,
    ByPosition,
    ByPronoun,
    ByTitle,
    CompleteTask,
    DeleteTask,
    DidYouMean,
    DueWindow,
    Greeting,
    Help,
    Intent,
    ListOrder,
    ListTasks,
    MissingTitle,
    NeverMind,
    RenameTask,
    ReopenTask,
    RescheduleTask,
    SetPriority,
    Thanks,
    Unknown,
    Yes,
)
from todo.agent.language.priorities import split_priority
from todo.agent.language.refs import parse_ref
from todo.agent.language.rules import RULES, confirms, parse
from todo.agent.matching import Ambiguous, Found, NotFound, TaskView, match_task, score
from todo.core.models import TaskOrder

TODAY = date(2025, 5, 14)  # a Wednesday
TOMORROW = TODAY + timedelta(days=1)
FRIDAY = date(2025, 5, 16)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # the phrasings the product promises
        ("add buy milk", AddTask("buy milk")),
        ("remind me to call mom tomorrow", AddTask("call mom", due_date=TOMORROW)),
        ("what's on my list?", ListTasks("open")),
        ("what's left?", ListTasks("open")),
        ("mark buy milk as done", CompleteTask(ByTitle("buy milk"))),
        ("complete the second one", CompleteTask(ByPosition(2))),
        ("mark it done", CompleteTask(ByPronoun())),
        ("delete call mom", DeleteTask(ByTitle("call mom"))),
        ("rename buy milk to buy oat milk", RenameTask(ByTitle("buy milk"), "buy oat milk")),
        ("show completed tasks", ListTasks("done")),
        # adding, with dates and priorities picked out of the words
        ("Add buy milk to my list", AddTask("buy milk")),
        ("please add 'buy milk' to the shopping list, thanks!", AddTask("buy milk")),
        ("add buy milk high priority", AddTask("buy milk", priority="high")),
        ("add buy milk tomorrow with low priority", AddTask("buy milk", due_date=TOMORROW, priority="low")),
        ("add pay rent by friday, it's urgent", AddTask("pay rent", due_date=FRIDAY, priority="high")),
        ("remind me to call mom tomorrow, it is urgent", AddTask("call mom", TOMORROW, "high")),
        ("remind me tomorrow to call mom", AddTask("call mom", due_date=TOMORROW)),
        ("remind me to go to the store", AddTask("go to the store")),
        ("add read book in 3 days", AddTask("read book", due_date=date(2025, 5, 17))),
        ("add call bob on May 3", AddTask("call bob", due_date=date(2026, 5, 3))),
        ("add call bob on 2025-06-01", AddTask("call bob", due_date=date(2025, 6, 1))),
        ("add dentist next friday", AddTask("dentist", due_date=date(2025, 5, 23))),
        ("add Monday meeting notes", AddTask("Monday meeting notes")),
        ("add send important email", AddTask("send important email")),
        ("new task: water the plants", AddTask("water the plants")),
        ("create a task called renew passport", AddTask("renew passport")),
        ("I need to book flights tonight", AddTask("book flights", due_date=TODAY)),
        ("don't forget to feed the cat", AddTask("feed the cat")),
        ("add", MissingTitle()),
        ("remind me", MissingTitle()),
        # listing
        ("what is on my todo list", ListTasks("open")),
        ("show my tasks", ListTasks("open")),
        ("list", ListTasks("open")),
        ("tasks", ListTasks("open")),
        ("what do I have to do today?", ListTasks("open")),
        ("anything left?", ListTasks("open")),
        ("show all tasks", ListTasks("all")),
        ("show everything", ListTasks("all")),
        ("finished tasks", ListTasks("done")),
        ("what have I done so far?", ListTasks("done")),
        ("list done tasks", ListTasks("done")),
        ("find milk", ListTasks("all", search="milk")),
        ("show tasks about the garden", ListTasks("all", search="the garden")),
        # completing and reopening
        ("Mark Buy Milk done", CompleteTask(ByTitle("Buy Milk"))),
        ("done with buy milk", CompleteTask(ByTitle("buy milk"))),
        ("check off buy milk", CompleteTask(ByTitle("buy milk"))),
        ("tick the first one off", CompleteTask(ByPosition(1))),
        ("finish #3", CompleteTask(ByPosition(3))),
        ("I finished the last one", CompleteTask(ByPosition(-1))),
        ("buy milk is done", CompleteTask(ByTitle("buy milk"))),
        ("complete that one", CompleteTask(ByPronoun())),
        ("reopen buy milk", ReopenTask(ByTitle("buy milk"))),
        ("mark buy milk as not done", ReopenTask(ByTitle("buy milk"))),
        ("undo it", ReopenTask(ByPronoun())),
        # deleting, renaming, rescheduling, reprioritising
        ("remove the 2nd task from my list", DeleteTask(ByPosition(2))),
        ("get rid of the one about taxes", DeleteTask(ByTitle("taxes"))),
        ("change the second one to buy bread", RenameTask(ByPosition(2), "buy bread", partial=True)),
        ("change call mom to tomorrow", RescheduleTask(ByTitle("call mom"), TOMORROW)),
        ("move call mom to friday", RescheduleTask(ByTitle("call mom"), FRIDAY)),
        ("call mom is due tomorrow", RescheduleTask(ByTitle("call mom"), TOMORROW)),
        ("remove the due date of call mom", RescheduleTask(ByTitle("call mom"), None)),
        ("make buy milk urgent", SetPriority(ByTitle("buy milk"), "high")),
        ("set the priority of call mom to low", SetPriority(ByTitle("call mom"), "low")),
        ("make it high priority", SetPriority(ByPronoun(), "high")),
        # small talk and nonsense
        ("help", Help()),
        ("what can you do?", Help()),
        ("?", Help()),
        ("hi", Greeting()),
        ("Hello!", Greeting()),
        ("thanks!", Thanks()),
        ("ok", Thanks()),
        ("never mind", NeverMind()),
        ("forget it", NeverMind()),
        ("enjoy the sun", Unknown("enjoy the sun")),
        ("make dinner", Unknown("make dinner")),
        ("asdf qwerty", Unknown("asdf qwerty")),
        ("", Unknown("")),
    ],
)
def test_parse(message: str, expected: Intent) -> None:
    assert parse(message, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the second one", ByPosition(2)),
        ("2nd", ByPosition(2)),
        ("number 4", ByPosition(4)),
        ("task 3", ByPosition(3)),
        ("#12", ByPosition(12)),
        ("the last one", ByPosition(-1)),
        ("the third item on the list", ByPosition(3)),
        ("it", ByPronoun()),
        ("that one", ByPronoun()),
        ("the task buy milk", ByTitle("buy milk")),
        ('"call mom"', ByTitle("call mom")),
        ("the one about taxes", ByTitle("taxes")),
    ],
)
def test_parse_ref(text: str, expected: object) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("tonight", TODAY),
        ("tomorrow", TOMORROW),
        ("the day after tomorrow", TODAY + timedelta(days=2)),
        ("in a week", TODAY + timedelta(weeks=1)),
        ("in two days", TODAY + timedelta(days=2)),
        ("in 1 month", date(2025, 6, 14)),
        ("next week", date(2025, 5, 19)),
        ("this weekend", date(2025, 5, 17)),
        ("friday", FRIDAY),
        ("on Friday", FRIDAY),
        ("wednesday", TODAY + timedelta(days=7)),
        ("this wednesday", TODAY),
        ("next monday", date(2025, 5, 19)),
        ("May 20th", date(2025, 5, 20)),
        ("20 May 2027", date(2027, 5, 20)),
        ("the 3rd of june", date(2025, 6, 3)),
        ("January 2", date(2026, 1, 2)),
        ("2025-12-31", date(2025, 12, 31)),
        ("february 30", None),
        ("2025-13-01", None),
        ("someday soon", None),
        ("the sun", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


def test_dates_and_priorities_come_off_the_end_only() -> None:
    assert split_trailing_date("call mom tomorrow", TODAY) == ("call mom", TOMORROW)
    assert split_trailing_date("tomorrow", TODAY) == ("tomorrow", None)
    assert split_trailing_date("plan friday party", TODAY) == ("plan friday party", None)
    assert split_priority("buy milk (high priority)") == ("buy milk", "high")
    assert split_priority("buy milk, priority: low") == ("buy milk", "low")
    assert split_priority("buy milk ASAP") == ("buy milk", "high")
    assert split_priority("important call") == ("important call", None)


# --- matching ------------------------------------------------------------------------------------

MILK = TaskView(1, "buy milk")
OAT = TaskView(2, "buy oat milk")
MOM = TaskView(3, "call mom")
MOM_DONE = TaskView(4, "call mom", completed=True)
TAXES = TaskView(5, "file the taxes")


def test_exact_title_beats_a_longer_one() -> None:
    assert match_task("buy milk", [OAT, MILK, MOM]) == Found(MILK)
    assert match_task("Buy Milk!", [OAT, MILK, MOM]) == Found(MILK)


def test_words_of_the_title_and_typos_find_it() -> None:
    assert match_task("mom", [MILK, MOM, TAXES]) == Found(MOM)
    assert match_task("call mum", [MILK, MOM, TAXES]) == Found(MOM)
    assert match_task("taxes", [MILK, MOM, TAXES]) == Found(TAXES)
    assert match_task("the taxes task", [MILK, MOM, TAXES]) == Found(TAXES)


def test_two_similar_titles_are_ambiguous() -> None:
    assert match_task("milk", [MILK, OAT, MOM]) == Ambiguous((MILK, OAT))


def test_a_preference_breaks_ties_between_equal_titles() -> None:
    assert match_task("call mom", [MOM, MOM_DONE]) == Ambiguous((MOM, MOM_DONE))
    assert match_task("call mom", [MOM_DONE, MOM], prefer=lambda t: not t.completed) == Found(MOM)
    assert match_task("call mom", [MOM, MOM_DONE], prefer=lambda t: t.completed) == Found(MOM_DONE)


def test_unrelated_words_find_nothing() -> None:
    assert match_task("walk the dog", [MILK, OAT, MOM, TAXES]) == NotFound()
    assert match_task("anything", []) == NotFound()
    assert score("", "buy milk") == 0.0


def test_task_views_come_from_tool_results_only_when_well_formed() -> None:
    assert TaskView.from_result({"id": 1, "title": "x", "completed": True}) == TaskView(1, "x", True)
    assert TaskView.from_result({"id": "1", "title": "x"}) is None
    assert TaskView.from_result(None) is None
    assert TaskView.list_from_result({"items": [{"id": 2, "title": "y"}, {"bad": 1}], "total": 2}) == [
        TaskView(2, "y")
    ]
    assert TaskView.list_from_result({"total": 0}) is None


# --- what people actually type (issue 12): times of day, bulk, due and done questions, orders ----

NINE = time(9, 0)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("remind me to call the dentist tomorrow at 9am", AddTask("call the dentist", TOMORROW, at=NINE)),
        ("remind me tomorrow at 9am to call the dentist", AddTask("call the dentist", TOMORROW, at=NINE)),
        ("remind me at 9 a.m. to call the dentist", AddTask("call the dentist", TODAY, at=NINE)),
        ("add call bob at 14:30", AddTask("call bob", TODAY, at=time(14, 30))),
        ("add lunch with ann on friday at noon", AddTask("lunch with ann", FRIDAY, at=time(12, 0))),
        ("add lunch with ann at noon on friday", AddTask("lunch with ann", FRIDAY, at=time(12, 0))),
        ("add call bob tomorrow 9:30pm", AddTask("call bob", TOMORROW, at=time(21, 30))),
        ("add pay rent friday at 5 pm, urgent", AddTask("pay rent", FRIDAY, "high", at=time(17, 0))),
        ("add take pills tonight at midnight", AddTask("take pills", TODAY, at=time(0, 0))),
        ("add meet sam at 7 o'clock", AddTask("meet sam", TODAY, at=time(19, 0))),
        ("add call mom at 5", AddTask("call mom", TODAY, at=time(17, 0))),
        ("add gym at 6:30", AddTask("gym", TODAY, at=time(6, 30))),
        ("add gym at 9", AddTask("gym", TODAY, at=time(9, 0))),
        ("remind me to put the bins out tonight at 8", AddTask("put the bins out", TODAY, at=time(20, 0))),
        ("add call tomorrow evening at 7:30", AddTask("call", TOMORROW, at=time(19, 30))),
        ("move call mom to friday at 5pm", RescheduleTask(ByTitle("call mom"), FRIDAY, time(17, 0))),
        ("change call mom to tomorrow at 9am", RescheduleTask(ByTitle("call mom"), TOMORROW, NINE)),
        # numbers that are not times stay in the title
        ("add read chapter 9", AddTask("read chapter 9")),
        ("add buy 2 apples tomorrow", AddTask("buy 2 apples", due_date=TOMORROW)),
        ("add john 3:16 study", AddTask("john 3:16 study")),
    ],
)
def test_dates_with_a_time_of_day(message: str, expected: Intent) -> None:
    assert parse(message, TODAY) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("clear completed", DeleteTask(AllTasks("done"))),
        ("delete everything", DeleteTask(AllTasks("all"))),
        ("remove all done tasks", DeleteTask(AllTasks("done"))),
        ("delete all completed tasks", DeleteTask(AllTasks("done"))),
        ("clear my list", DeleteTask(AllTasks("all"))),
        ("delete all my tasks", DeleteTask(AllTasks("all"))),
        ("remove the finished ones", DeleteTask(AllTasks("done"))),
        ("mark all as done", CompleteTask(AllTasks("all"))),
        ("mark everything as done", CompleteTask(AllTasks("all"))),
        ("complete all tasks", CompleteTask(AllTasks("all"))),
        ("check off everything", CompleteTask(AllTasks("all"))),
        ("reopen all", ReopenTask(AllTasks("all"))),
        # other changes to everything are refused by the engine, but understood here
        ("move everything to tomorrow", RescheduleTask(AllTasks("all"), TOMORROW)),
        ("make all of them high priority", SetPriority(AllTasks("all"), "high")),
        # a list, not a bulk change
        ("finished tasks", ListTasks("done")),
        ("delete all milk", DeleteTask(ByTitle("all milk"))),
    ],
)
def test_bulk_requests(message: str, expected: Intent) -> None:
    assert parse(message, TODAY) == expected


SUNDAY = date(2025, 5, 18)
YESTERDAY = TODAY - timedelta(days=1)
THIS_WEEK = DueWindow("this week", end=SUNDAY)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # finished tasks
        ("what did I finish?", ListTasks("done")),
        ("show completed", ListTasks("done")),
        ("what have I completed this week", ListTasks("done")),
        ("which tasks did I complete?", ListTasks("done")),
        ("what's done?", ListTasks("done")),
        ("completed", ListTasks("done")),
        # what is due
        ("what's due today?", ListTasks(order="due_date", due=DueWindow("today", end=TODAY))),
        ("what is due today", ListTasks(order="due_date", due=DueWindow("today", end=TODAY))),
        ("anything due today?", ListTasks(order="due_date", due=DueWindow("today", end=TODAY))),
        (
            "what do I have due this week?",
            ListTasks(order="due_date", due=DueWindow("this week", end=SUNDAY)),
        ),
        ("tasks due this week", ListTasks(order="due_date", due=DueWindow("this week", end=SUNDAY))),
        (
            "what's due tomorrow",
            ListTasks(order="due_date", due=DueWindow("tomorrow", start=TOMORROW, end=TOMORROW)),
        ),
        (
            "what's due next week",
            ListTasks(order="due_date", due=DueWindow("next week", date(2025, 5, 19), date(2025, 5, 25))),
        ),
        ("what's due by friday?", ListTasks(order="due_date", due=DueWindow("by friday", end=FRIDAY))),
        ("what's due on friday?", ListTasks(order="due_date", due=DueWindow("on friday", FRIDAY, FRIDAY))),
        ("what's due?", ListTasks(order="due_date")),
        ("show me today's tasks", ListTasks(order="due_date", due=DueWindow("today", end=TODAY))),
        ("this week's list", ListTasks(order="due_date", due=THIS_WEEK)),
        ("what's overdue?", ListTasks(order="due_date", due=DueWindow("overdue", end=YESTERDAY))),
        ("anything overdue?", ListTasks(order="due_date", due=DueWindow("overdue", end=YESTERDAY))),
        ("show overdue tasks", ListTasks(order="due_date", due=DueWindow("overdue", end=YESTERDAY))),
        ("which tasks are overdue", ListTasks(order="due_date", due=DueWindow("overdue", end=YESTERDAY))),
        # "... is due" still reschedules a named task
        ("pay rent is due friday", RescheduleTask(ByTitle("pay rent"), FRIDAY)),
        # asking for an order
        ("show my tasks sorted by due date", ListTasks(order="due_date")),
        ("oldest first", ListTasks(order="oldest")),
        ("what's on my list, oldest first?", ListTasks(order="oldest")),
        ("list my tasks by priority", ListTasks(order="priority")),
        ("sort by priority", ListTasks(order="priority")),
        ("sort my list by due date", ListTasks(order="due_date")),
        ("show all tasks alphabetically", ListTasks("all", order="alphabetical")),
        ("list done tasks newest first", ListTasks("done", order="newest")),
        ("what did I finish, most recent first", ListTasks("done", order="newest")),
        (
            "what's due this week, most important first",
            ListTasks(order="priority", due=DueWindow("this week", end=SUNDAY)),
        ),
        # an order phrase on something that is not a listing changes nothing
        ("add pay rent by friday", AddTask("pay rent", due_date=FRIDAY)),
    ],
)
def test_questions_about_done_due_and_order(message: str, expected: Intent) -> None:
    assert parse(message, TODAY) == expected


@pytest.mark.parametrize(
    ("message", "suggestion"),
    [
        ("delte buy milk", "delete buy milk"),
        ("compelte buy milk", "complete buy milk"),
        ("ad milk", "add milk"),
        ("shwo my tasks", "show my tasks"),
        ("remvoe call mom", "remove call mom"),
        ("mrak buy milk as done", "mark buy milk as done"),
        ("finsh the second one", "finish the second one"),
        ("lsit", "list"),
        ("Delet the second one", "delete the second one"),
    ],
)
def test_typos_of_command_words_ask_instead_of_acting(message: str, suggestion: str) -> None:
    assert parse(message, TODAY) == DidYouMean(message, suggestion)


@pytest.mark.parametrize(
    "message",
    [
        "lost keys",
        "and then some",
        "park the car",
        "enjoy the sun",
        "asdf qwerty",
        "bad idea",
    ],
)
def test_words_near_a_command_that_would_still_mean_nothing_stay_unknown(message: str) -> None:
    assert parse(message, TODAY) == Unknown(message)


def test_a_title_that_starts_like_a_command_is_still_a_title() -> None:
    assert parse("lost keys is done", TODAY) == CompleteTask(ByTitle("lost keys"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("yes", True), ("Yes!", True), ("y", True), ("yeah, go ahead", True), ("ok", True),
        ("sure", True), ("yes, delete them", True), ("do it", True), ("yes please", True),
        ("no", False), ("nope", False), ("cancel", False), ("no, keep them", False), ("don't", False),
        ("never mind", False),
        ("delete buy milk", None), ("what's on my list?", None), ("yes but only the first", None),
    ],
)  # fmt: skip
def test_confirmations(message: str, expected: bool | None) -> None:
    assert confirms(message) is expected


def test_yes_alone_is_its_own_intent_and_ok_stays_thanks() -> None:
    assert parse("yes", TODAY) == Yes()
    assert parse("ok", TODAY) == Thanks()


def test_typo_distance_counts_a_swap_as_one_edit() -> None:
    assert typos.edit_distance("compelte", "complete") == 1
    assert typos.edit_distance("ad", "add") == 1
    assert typos.edit_distance("delete", "delete") == 0
    assert typos.closest_command("delete") is None  # a real command word is no typo
    assert typos.closest_command("xyz") is None


def test_list_orders_are_the_task_services_orders() -> None:
    assert set(get_args(ListOrder)) == {order.value for order in TaskOrder}


def test_every_rule_has_a_unique_name_and_the_typo_rule_comes_last() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert names[-1] == "typo"


# --- issue 19: several tasks per message, date forms, impossible dates (generated) ---------------

ITEM_WORDS = (
    "eggs",
    "flour",
    "sugar",
    "call mom",
    "pay rent",
    "walk the dog",
    "water plants",
    "book flights",
)
items = st.lists(st.sampled_from(ITEM_WORDS), min_size=2, max_size=5, unique=True)


@settings(max_examples=200, deadline=None)
@given(
    items, st.sampled_from(["; ", ";", "\n", "\n- ", "\n• ", " ; "]), st.sampled_from(["add ", "please add "])
)
def test_several_tasks_separated_by_lines_or_semicolons_are_each_added(
    names: list[str], separator: str, verb: str
) -> None:
    intent = parse(verb + separator.join(names), TODAY)
    assert isinstance(intent, AddTasks)
    assert [task.title for task in intent.tasks] == names


DAYS = {"today": TODAY, "tomorrow": TOMORROW, "on friday": FRIDAY, "next monday": date(2025, 5, 19)}


@settings(max_examples=200, deadline=None)
@given(items, st.lists(st.sampled_from(sorted(DAYS)), min_size=2, max_size=5))
def test_tasks_joined_by_and_each_keep_their_own_date(names: list[str], days: list[str]) -> None:
    pairs = list(zip(names, days, strict=False))
    intent = parse("add " + " and ".join(f"{name} {day}" for name, day in pairs), TODAY)
    assert isinstance(intent, AddTasks)
    assert [(task.title, task.due_date) for task in intent.tasks] == [
        (name, DAYS[day]) for name, day in pairs
    ]


DATE_FORMS = ["{m}/{d}", "{month} {d}", "the {d}{th} of {month}", "{y}-{mm}-{dd}", "{m}/{d}/{y}"]


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=TODAY, max_value=date(2026, 5, 13)),
    st.sampled_from(["for", "on", "by", "due"]),
    st.sampled_from(DATE_FORMS),
)
def test_every_date_form_sets_the_due_date_and_leaves_the_title(day: date, prefix: str, form: str) -> None:
    th = "th" if 11 <= day.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    text = form.format(
        m=day.month, d=day.day, y=day.year, mm=f"{day.month:02}", dd=f"{day.day:02}", th=th,
        month=calendar.month_name[day.month],
    )  # fmt: skip
    assert parse(f"add pay rent {prefix} {text}", TODAY) == AddTask("pay rent", due_date=day)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 31), st.sampled_from(["on the", "by the", "for the"]))
def test_an_ordinal_day_is_the_next_such_day(day: int, prefix: str) -> None:
    th = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    intent = parse(f"add water plants {prefix} {day}{th}", TODAY)
    assert isinstance(intent, AddTask) and intent.title == "water plants"
    assert intent.due_date is not None and intent.due_date.day == day and intent.due_date >= TODAY
    assert (intent.due_date - TODAY).days < 62


IMPOSSIBLE = [(m, d) for m in range(1, 13) for d in range(28, 33) if d > calendar.monthrange(2025, m)[1]]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(IMPOSSIBLE),
    st.sampled_from(["{month} {d}", "the {d}th of {month}", "{m}/{d}"]),
    st.sampled_from(["add party on ", "move party to "]),
)
def test_an_impossible_date_is_flagged_not_kept_in_the_title(
    case: tuple[int, int], form: str, verb: str
) -> None:
    month, day = case
    text = form.format(month=calendar.month_name[month], d=day, m=month)
    intent = parse(verb + text, TODAY)
    assert isinstance(intent, BadDate), intent
    assert "no " in intent.reason


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("add call bob by the end of the quarter", AddTask("call bob by the end of the quarter",
                                                          unparsed_date="by the end of the quarter")),
        ("add pay rent on the 3th of never",
         AddTask("pay rent on the 3th of never", unparsed_date="on the 3th")),
        ("add file taxes by 11/31/2025", BadDate("file taxes by 11/31/2025",
                                                 "November has 30 days, so there is no November 31")),
        ("add Monday meeting notes", AddTask("Monday meeting notes")),
    ],
)  # fmt: skip
def test_date_like_words_not_understood_are_named(message: str, expected: Intent) -> None:
    assert parse(message, TODAY) == expected
