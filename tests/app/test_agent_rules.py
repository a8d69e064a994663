"""The rules engine end to end against the REAL MCP server over HTTP (and PostgreSQL behind it).

Each test holds a conversation the way the API does: it keeps the history (messages plus the
tool calls stored with each answer) and hands it to ``run_turn`` again on the next message.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from tests.app.mcp_server import RunningMcp, free_port, run_mcp_server, with_mcp_url
from todo.agent import TEMPORARY_ERROR_REPLY, AgentTurn, HistoryMessage, replies, rules_engine, run_turn
from todo.core import tasks
from todo.core.db import session_scope
from todo.core.models import TaskCreate, TaskPublic, TaskStatus, User
from todo.core.settings import ApiSettings

pytestmark = pytest.mark.anyio


class Chat:
    """One conversation: stores every turn as the API would and replays the history."""

    def __init__(self, settings: ApiSettings, user_id: int) -> None:
        self.settings = settings
        self.user_id = user_id
        self.history: list[HistoryMessage] = []

    async def say(self, message: str) -> AgentTurn:
        turn = await run_turn(self.settings, self.user_id, self.history, message)
        self.history += [
            HistoryMessage("user", message),
            HistoryMessage("assistant", turn.reply, turn.tool_calls),
        ]
        return turn


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def chat(api_settings: ApiSettings, mcp: RunningMcp, user: User) -> Chat:
    assert user.id is not None
    return Chat(with_mcp_url(api_settings, mcp.url), user.id)


def stored(engine: Engine, user: User, status: TaskStatus = TaskStatus.all) -> list[TaskPublic]:
    assert user.id is not None
    with session_scope(engine) as session:
        return tasks.list_tasks(session, user.id, status=status, limit=200).items


def titles(engine: Engine, user: User, status: TaskStatus = TaskStatus.all) -> list[str]:
    return [task.title for task in stored(engine, user, status)]


async def test_add_buy_milk(chat: Chat, engine: Engine, user: User) -> None:
    turn = await chat.say("add buy milk")
    assert turn.reply == 'Added "buy milk" to your list.'
    assert [call.name for call in turn.tool_calls] == ["add_task"]
    assert turn.tool_calls[0].arguments == {"title": "buy milk"}
    assert turn.tool_calls[0].result["title"] == "buy milk"
    assert titles(engine, user) == ["buy milk"]


async def test_remind_me_tomorrow_sets_the_due_date(chat: Chat, engine: Engine, user: User) -> None:
    turn = await chat.say("remind me to call mom tomorrow")
    assert turn.reply == 'Added "call mom" to your list (due tomorrow).'
    (task,) = stored(engine, user)
    assert (task.title, task.due_date) == ("call mom", date.today() + timedelta(days=1))


async def test_add_with_priority(chat: Chat, engine: Engine, user: User) -> None:
    turn = await chat.say("add buy milk high priority")
    assert turn.reply == 'Added "buy milk" to your list (high priority).'
    assert stored(engine, user)[0].priority == "high"


@pytest.mark.parametrize("question", ["what's on my list?", "what's left?"])
async def test_listing_open_tasks(chat: Chat, question: str) -> None:
    for message in ("add buy milk", "add call mom", "add water plants", "complete water plants"):
        await chat.say(message)
    turn = await chat.say(question)
    assert turn.reply == "Here's what's on your list:\n1. buy milk\n2. call mom"
    assert [(call.name, call.arguments) for call in turn.tool_calls] == [("list_tasks", {"status": "open"})]


async def test_empty_list(chat: Chat) -> None:
    turn = await chat.say("what's on my list?")
    assert "Your list is empty" in turn.reply


async def test_mark_buy_milk_as_done(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add buy milk")
    await chat.say("add call mom")
    turn = await chat.say("mark buy milk as done")
    assert turn.reply == 'Nice work! I marked "buy milk" as done.'
    assert [call.name for call in turn.tool_calls] == ["list_tasks", "complete_task"]
    assert titles(engine, user, TaskStatus.done) == ["buy milk"]
    assert titles(engine, user, TaskStatus.open) == ["call mom"]


async def test_complete_the_second_one_uses_the_last_list_shown(
    chat: Chat, engine: Engine, user: User
) -> None:
    for message in ("add buy milk", "add call mom", "add pay rent"):
        await chat.say(message)
    await chat.say("what's on my list?")
    await chat.say("add walk the dog")  # not shown yet, so it does not shift the numbers
    turn = await chat.say("complete the second one")
    assert turn.reply == 'Nice work! I marked "call mom" as done.'
    assert [call.name for call in turn.tool_calls] == ["complete_task"]
    assert titles(engine, user, TaskStatus.done) == ["call mom"]
    turn = await chat.say("delete the last one")
    assert turn.reply == 'Deleted "pay rent".'


async def test_mark_it_done_means_the_task_last_referred_to(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add buy milk")
    await chat.say("add call mom")
    turn = await chat.say("mark it done")
    assert turn.reply == 'Nice work! I marked "call mom" as done.'
    assert titles(engine, user, TaskStatus.done) == ["call mom"]
    turn = await chat.say("actually, reopen it")
    assert turn.reply == 'I reopened "call mom"; it\'s back on your list.'


async def test_delete_call_mom(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add buy milk")
    await chat.say("remind me to call mom tomorrow")
    turn = await chat.say("delete call mom")
    assert turn.reply == 'Deleted "call mom".'
    assert titles(engine, user) == ["buy milk"]
    turn = await chat.say("mark it done")
    assert turn.reply == 'You already deleted "call mom". Which task do you mean?'


async def test_rename(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add buy milk")
    turn = await chat.say("rename buy milk to buy oat milk")
    assert turn.reply == 'Renamed "buy milk" to "buy oat milk".'
    assert titles(engine, user) == ["buy oat milk"]


async def test_show_completed_tasks(chat: Chat) -> None:
    for message in ("add buy milk", "add call mom", "mark call mom as done"):
        await chat.say(message)
    turn = await chat.say("show completed tasks")
    assert turn.reply == "Here's what you've completed:\n1. call mom (done)"
    assert turn.tool_calls[0].arguments == {"status": "done"}


async def test_reschedule_and_reprioritise(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add pay rent")
    turn = await chat.say("move pay rent to tomorrow")
    assert turn.reply == '"pay rent" is now due tomorrow.'
    turn = await chat.say("make it high priority")
    assert turn.reply == '"pay rent" is now high priority.'
    (task,) = stored(engine, user)
    assert (task.due_date, task.priority) == (date.today() + timedelta(days=1), "high")
    turn = await chat.say("remove the due date of pay rent")
    assert turn.reply == '"pay rent" no longer has a due date.'
    assert stored(engine, user)[0].due_date is None


async def test_ambiguous_title_asks_which_and_the_answer_picks_from_that_list(
    chat: Chat, engine: Engine, user: User
) -> None:
    for message in ("add buy milk", "add call mom", "add buy oat milk"):
        await chat.say(message)
    turn = await chat.say("complete milk")
    assert turn.reply.startswith('More than one task matches "milk":\n1. buy milk\n2. buy oat milk\n')
    assert "complete the first one" in turn.reply
    assert titles(engine, user, TaskStatus.done) == []
    turn = await chat.say("complete the second one")
    assert turn.reply == 'Nice work! I marked "buy oat milk" as done.'


async def test_fuzzy_titles_and_not_found(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add call mom")
    turn = await chat.say("mark call mum as done")
    assert turn.reply == 'Nice work! I marked "call mom" as done.'
    turn = await chat.say("delete walk the dog")
    assert turn.reply.startswith('I couldn\'t find a task called "walk the dog".')
    assert titles(engine, user) == ["call mom"]


async def test_positions_need_a_list_first(chat: Chat) -> None:
    turn = await chat.say("complete the second one")
    assert turn.reply.startswith("Which list do you mean?")
    assert turn.tool_calls == ()
    await chat.say("add buy milk")
    await chat.say("what's on my list?")
    turn = await chat.say("complete the 5th one")
    assert turn.reply == "The last list I showed you has 1 task, so there is no number 5."


async def test_unknown_message_says_so_and_gives_examples(chat: Chat) -> None:
    turn = await chat.say("what is the meaning of life")
    assert turn.reply.startswith('Sorry, I didn\'t understand "what is the meaning of life".')
    for example in replies.EXAMPLES:
        assert example in turn.reply
    assert turn.tool_calls == ()
    assert (await chat.say("help")).reply == replies.HELP_REPLY


async def test_a_user_cannot_touch_another_users_tasks_through_chat(
    api_settings: ApiSettings, mcp: RunningMcp, make_user: Callable[..., User], engine: Engine
) -> None:
    alice, bob = make_user(), make_user()
    assert alice.id is not None and bob.id is not None
    settings = with_mcp_url(api_settings, mcp.url)
    await Chat(settings, alice.id).say("add buy milk")
    bobs = Chat(settings, bob.id)
    assert (await bobs.say("delete buy milk")).reply.startswith("I couldn't find a task called")
    assert "Your list is empty" in (await bobs.say("what's on my list?")).reply
    assert titles(engine, alice) == ["buy milk"]


# --- the MCP server down, slow or refusing us ----------------------------------------------------


async def test_mcp_server_down_gives_a_temporary_error(
    api_settings: ApiSettings, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    assert user.id is not None
    settings = with_mcp_url(api_settings, f"http://127.0.0.1:{free_port()}/mcp")  # nothing listens
    with caplog.at_level(logging.WARNING, logger="todo.agent"):
        turn = await Chat(settings, user.id).say("add buy milk")
    assert turn.reply == TEMPORARY_ERROR_REPLY
    assert turn.tool_calls == ()
    assert any("could not reach the MCP server" in record.getMessage() for record in caplog.records)


async def test_slow_mcp_server_gives_a_temporary_error(
    api_settings: ApiSettings, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert user.id is not None
    monkeypatch.setattr(rules_engine, "TURN_TIMEOUT_SECONDS", 1.0)
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", free_port()))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = with_mcp_url(api_settings, f"http://127.0.0.1:{port}/mcp")
        turn = await Chat(settings, user.id).say("what's on my list?")
    assert turn.reply == TEMPORARY_ERROR_REPLY


async def test_wrong_service_token_gives_a_temporary_error_and_a_log_line(
    api_settings: ApiSettings, mcp: RunningMcp, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    assert user.id is not None
    from pydantic import SecretStr

    settings = with_mcp_url(api_settings, mcp.url, mcp_token=SecretStr("x" * 64))
    with caplog.at_level(logging.WARNING, logger="todo.agent"):
        turn = await Chat(settings, user.id).say("add buy milk")
    assert turn.reply == TEMPORARY_ERROR_REPLY
    assert "x" * 64 not in caplog.text


# --- what people actually type: times of day, bulk changes, due/done questions, orders, typos ----


def add_due(engine: Engine, user: User, title: str, days_from_today: int | None) -> None:
    """A task with a due date relative to the real today (the engine reads the real clock too)."""
    assert user.id is not None
    due = None if days_from_today is None else date.today() + timedelta(days=days_from_today)
    with session_scope(engine) as session:
        tasks.create_task(session, user.id, TaskCreate(title=title, due_date=due))


async def test_a_time_of_day_sets_the_due_date_and_the_reply_says_only_the_date_is_kept(
    chat: Chat, engine: Engine, user: User
) -> None:
    turn = await chat.say("remind me to call the dentist tomorrow at 9am")
    assert turn.reply == (
        'Added "call the dentist" to your list (due tomorrow). '
        "Tasks have a due date but no time of day, so I kept the date only (not 9:00)."
    )
    assert turn.tool_calls[0].arguments == {
        "title": "call the dentist",
        "due_date": (date.today() + timedelta(days=1)).isoformat(),
    }
    turn = await chat.say("move it to today at 14:30")
    assert turn.reply.startswith('"call the dentist" is now due today. Tasks have a due date but no time')
    (task,) = stored(engine, user)
    assert (task.title, task.due_date) == ("call the dentist", date.today())


async def test_clear_completed_asks_first_then_deletes_exactly_the_tasks_it_showed(
    chat: Chat, engine: Engine, user: User
) -> None:
    for message in ("add buy milk", "add call mom", "add pay rent", "complete buy milk", "complete call mom"):
        await chat.say(message)
    turn = await chat.say("clear completed")
    assert turn.reply == (
        "This will delete all 2 completed tasks:\n• buy milk\n• call mom\n"
        'Delete them? Say "yes" to go ahead or "no" to leave things as they are.'
    )
    assert [(call.name, call.arguments) for call in turn.tool_calls] == [
        ("list_tasks", {"status": "done", "limit": rules_engine.LOOKUP_LIMIT})
    ]
    assert len(titles(engine, user)) == 3  # nothing deleted before the yes
    assert user.id is not None
    with session_scope(engine) as session:  # finished elsewhere meanwhile: not what the user saw
        (rent,) = tasks.list_tasks(session, user.id, status=TaskStatus.open).items
        tasks.complete_task(session, user.id, rent.id)
    turn = await chat.say("yes")
    assert turn.reply == "Deleted 2 tasks."
    assert [call.name for call in turn.tool_calls] == ["delete_task", "delete_task"]
    assert titles(engine, user) == ["pay rent"]
    assert (await chat.say("yes")).reply == replies.YES_WITHOUT_QUESTION_REPLY


async def test_no_cancels_a_bulk_change_and_any_other_message_moves_on(
    chat: Chat, engine: Engine, user: User
) -> None:
    await chat.say("add buy milk")
    await chat.say("add call mom")
    assert (await chat.say("delete everything")).reply.startswith("This will delete all 2 tasks:")
    turn = await chat.say("no, keep them")
    assert (turn.reply, turn.tool_calls) == ("OK, I didn't change anything.", ())
    assert (await chat.say("delete everything")).reply.endswith('"no" to leave things as they are.')
    turn = await chat.say("what's on my list?")  # not a yes: the question lapses, the message is answered
    assert turn.reply == "Here's what's on your list:\n1. buy milk\n2. call mom"
    turn = await chat.say("yes")
    assert turn.reply == replies.YES_WITHOUT_QUESTION_REPLY
    assert titles(engine, user) == ["buy milk", "call mom"]


async def test_mark_all_as_done_and_reopen_all(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add buy milk")
    turn = await chat.say("mark all as done")
    assert turn.reply.startswith("This will mark your only open task as done:\n• buy milk\nMark it as done?")
    assert (await chat.say("ok")).reply == "Marked 1 task as done."
    assert titles(engine, user, TaskStatus.done) == ["buy milk"]
    assert (await chat.say("mark everything done")).reply == (
        "You have no open tasks, so there is nothing to mark."
    )
    assert (await chat.say("reopen all")).reply.startswith("This will reopen your only completed task:")
    assert (await chat.say("yes please")).reply == "Reopened 1 task."
    assert titles(engine, user, TaskStatus.open) == ["buy milk"]


async def test_other_changes_to_everything_are_refused_clearly(
    chat: Chat, engine: Engine, user: User
) -> None:
    await chat.say("add buy milk")
    turn = await chat.say("move everything to tomorrow")
    assert (turn.reply, turn.tool_calls) == (replies.BULK_REFUSED_REPLY, ())
    assert stored(engine, user)[0].due_date is None


async def test_questions_about_what_is_due(chat: Chat, engine: Engine, user: User) -> None:
    add_due(engine, user, "pay rent", -1)
    add_due(engine, user, "call mom", 0)
    add_due(engine, user, "water plants", 3)
    add_due(engine, user, "someday maybe", None)
    turn = await chat.say("what's due today?")
    assert turn.reply == "Due today:\n1. pay rent (due yesterday (overdue))\n2. call mom (due today)"
    assert turn.tool_calls[0].arguments == {
        "status": "open",
        "order": "due_date",
        "due_to": date.today().isoformat(),
    }
    assert (await chat.say("anything overdue?")).reply == "Overdue:\n1. pay rent (due yesterday (overdue))"
    assert (await chat.say("what's due tomorrow?")).reply == "Nothing is due tomorrow."
    await chat.say("complete pay rent")
    assert (await chat.say("what's overdue?")).reply == "Nothing is overdue. Well done!"
    in_three_days = await chat.say("what's due in 3 days?")
    assert in_three_days.reply.startswith("Due in 3 days:\n1. water plants")


async def test_what_did_i_finish_and_lists_in_the_order_asked(chat: Chat, engine: Engine, user: User) -> None:
    add_due(engine, user, "later", 5)
    add_due(engine, user, "undated", None)
    add_due(engine, user, "sooner", 1)
    turn = await chat.say("show my tasks sorted by due date")
    later = replies.describe_due(date.today() + timedelta(days=5), date.today())
    assert turn.reply == (
        "Here's what's on your list, soonest due first:\n"
        f"1. sooner (due tomorrow)\n2. later (due {later})\n3. undated"
    )
    # Positions mean the list as it was shown, sorted.
    assert (await chat.say("complete the second one")).reply == 'Nice work! I marked "later" as done.'
    assert (await chat.say("what did I finish?")).reply == "Here's what you've completed:\n1. later (done)"
    turn = await chat.say("newest first")
    assert turn.reply == "Here's what's on your list, newest first:\n1. sooner (due tomorrow)\n2. undated"


async def test_a_typo_in_a_command_gets_a_question_and_acts_only_on_yes(
    chat: Chat, engine: Engine, user: User
) -> None:
    await chat.say("add buy milk")
    turn = await chat.say("delte buy milk")
    assert (
        turn.reply
        == 'Did you mean "delete buy milk"? Say "yes" and I\'ll do that, or tell me what you meant.'
    )
    assert turn.tool_calls == ()
    assert titles(engine, user) == ["buy milk"]
    turn = await chat.say("no")
    assert turn.reply.startswith("OK, I did nothing.")
    await chat.say("compelte buy milk")
    assert (await chat.say("yes")).reply == 'Nice work! I marked "buy milk" as done.'
    await chat.say("ad call mom")
    await chat.say("what's on my list?")  # not a yes: the suggestion lapses
    assert (await chat.say("yes")).reply == replies.YES_WITHOUT_QUESTION_REPLY
    assert titles(engine, user) == ["buy milk"]
    await chat.say("shwo all tasks")
    listing = await chat.say("yes")
    assert listing.reply == "Here are all your tasks:\n1. buy milk (done)"
    # The confirmed listing counts as the list shown, so positions refer to it.
    assert (await chat.say("reopen the first one")).reply == 'I reopened "buy milk"; it\'s back on your list.'


# --- issue 19: several tasks, dates in titles, follow-ups, partial edits, notes, politeness ------


def due(engine: Engine, user: User) -> dict[str, date | None]:
    return {task.title: task.due_date for task in stored(engine, user)}


@pytest.mark.parametrize(
    "message",
    [
        "add eggs; flour; sugar",
        "add eggs\nflour\nsugar",
        "add eggs\n- flour\n- sugar",
        "add eggs;flour\nadd sugar",
    ],
)
async def test_several_tasks_in_one_message_are_added_each(
    chat: Chat, engine: Engine, user: User, message: str
) -> None:
    turn = await chat.say(message)
    assert turn.reply == 'Added 3 tasks to your list:\n• "eggs"\n• "flour"\n• "sugar"'
    assert [call.name for call in turn.tool_calls] == ["add_task"] * 3
    assert sorted(titles(engine, user)) == ["eggs", "flour", "sugar"]


async def test_each_of_several_tasks_keeps_its_own_date(chat: Chat, engine: Engine, user: User) -> None:
    turn = await chat.say("add call mom tomorrow and pay rent on friday")
    friday = replies.describe_due(
        date.today() + timedelta(days=(4 - date.today().weekday()) % 7 or 7), date.today()
    )
    assert (
        turn.reply == f'Added 2 tasks to your list:\n• "call mom" (due tomorrow)\n• "pay rent" (due {friday})'
    )
    assert due(engine, user)["call mom"] == date.today() + timedelta(days=1)
    assert due(engine, user)["pay rent"] is not None
    await chat.say("add bread and butter")  # no date on the left: one task with "and" in its title
    assert "bread and butter" in titles(engine, user)
    turn = await chat.say("add eggs, flour and sugar")  # one shopping task, or three: say how to split
    assert turn.reply == (
        'Added "eggs, flour and sugar" to your list. I added it as one task; for 3 separate tasks, '
        'say "add eggs; flour; sugar".'
    )


async def test_date_like_words_become_due_dates_or_are_said_plainly(
    chat: Chat, engine: Engine, user: User
) -> None:
    today = date.today()
    turn = await chat.say(f"add pay rent for {today.month}/{today.day}")
    assert turn.reply == 'Added "pay rent" to your list (due today).'
    await chat.say("add report by the end of the week")
    assert due(engine, user)["report"] == today + timedelta(days=6 - today.weekday())
    await chat.say("add water plants on the 1st")
    assert due(engine, user)["water plants"] is not None and due(engine, user)["water plants"].day == 1  # type: ignore[union-attr]
    turn = await chat.say("add call bob by the end of the quarter")
    assert turn.reply.startswith('Added "call bob by the end of the quarter" to your list.')
    assert 'I kept "by the end of the quarter" in the title, as I couldn\'t read it as a date' in turn.reply


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("add party on april 31", "April has 30 days, so there is no April 31"),
        ("add pay rent on the 32nd", "no month has 32 days"),
        ("add taxes for 2/30", "February has 2"),
    ],
)
async def test_impossible_dates_are_flagged_and_nothing_is_added(
    chat: Chat, engine: Engine, user: User, message: str, reason: str
) -> None:
    turn = await chat.say(message)
    assert turn.reply.startswith("I didn't change anything: ") and reason in turn.reply
    assert turn.tool_calls == () and titles(engine, user) == []
    await chat.say("add party")
    turn = await chat.say("move party to april 31")
    assert "April has 30 days" in turn.reply and stored(engine, user)[0].due_date is None


async def test_and_the_third_one_too_repeats_the_last_request(chat: Chat, engine: Engine, user: User) -> None:
    for message in ("add buy milk", "add call mom", "add pay rent", "what's on my list?"):
        await chat.say(message)
    await chat.say("complete the second one")
    turn = await chat.say("and the third one too")
    assert turn.reply == 'Nice work! I marked "pay rent" as done.'
    assert titles(engine, user, TaskStatus.open) == ["buy milk"]


async def test_actually_make_it_thursday_moves_the_task_just_added(
    chat: Chat, engine: Engine, user: User
) -> None:
    await chat.say("add call mom tomorrow")
    turn = await chat.say("actually make it Thursday")
    thursday = date.today() + timedelta(days=(3 - date.today().weekday()) % 7 or 7)
    assert turn.reply.startswith('"call mom" is now due ')
    assert due(engine, user)["call mom"] == thursday


@pytest.mark.parametrize("answer", ["2", "the second one", "buy oat milk", "#2"])
async def test_which_one_do_you_mean_is_answered_by_a_position_or_a_title(
    chat: Chat, engine: Engine, user: User, answer: str
) -> None:
    for message in ("add buy milk", "add call mom", "add buy oat milk"):
        await chat.say(message)
    assert "Which one do you mean?" in (await chat.say("delete milk")).reply
    turn = await chat.say(answer)
    assert turn.reply == 'Deleted "buy oat milk".'
    assert titles(engine, user) == ["buy milk", "call mom"]


async def test_a_bare_position_without_a_which_one_question_asks(
    chat: Chat, engine: Engine, user: User
) -> None:
    await chat.say("add buy milk")
    await chat.say("what's on my list?")
    turn = await chat.say("2")
    assert turn.reply.startswith("What should I do with that one?") and turn.tool_calls == ()


async def test_change_part_of_a_title_keeps_the_rest(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add buy bread")
    turn = await chat.say("change bread to rye bread")
    assert turn.reply == 'Renamed "buy bread" to "buy rye bread".'
    await chat.say("replace rye with spelt")
    assert titles(engine, user) == ["buy spelt bread"]
    await chat.say("rename buy spelt bread to bake a cake")  # "rename" names the whole new title
    assert titles(engine, user) == ["bake a cake"]


async def test_put_it_back_restores_the_task_just_deleted(chat: Chat, engine: Engine, user: User) -> None:
    await chat.say("add pay rent friday high priority")
    await chat.say("add a note to pay rent: landlord's new account")
    (before,) = stored(engine, user)
    await chat.say("delete pay rent")
    turn = await chat.say("put it back")
    assert turn.reply == 'I put "pay rent" back on your list.'
    (after,) = stored(engine, user)
    assert (after.title, after.due_date, after.priority, after.description) == (
        before.title, before.due_date, before.priority, before.description,
    )  # fmt: skip
    turn = await chat.say("put it back")
    assert turn.reply == '"pay rent" is already on your list; there is nothing to put back.'
    assert len(stored(engine, user)) == 1


async def test_put_it_back_with_nothing_deleted_says_it_cannot(
    chat: Chat, engine: Engine, user: User
) -> None:
    turn = await chat.say("put it back")
    assert (turn.reply, turn.tool_calls) == (replies.NOTHING_TO_RESTORE_REPLY, ())
    assert titles(engine, user) == []


async def test_clear_completed_then_put_them_back(chat: Chat, engine: Engine, user: User) -> None:
    for message in (
        "add buy milk",
        "add call mom",
        "complete buy milk",
        "complete call mom",
        "clear completed",
    ):
        await chat.say(message)
    await chat.say("yes")
    assert titles(engine, user) == []
    assert (await chat.say("put them back")).reply == 'I put "call mom" and "buy milk" back on your list.'
    assert sorted(titles(engine, user, TaskStatus.done)) == ["buy milk", "call mom"]


async def test_a_note_sets_the_description_and_never_adds_a_task(
    chat: Chat, engine: Engine, user: User
) -> None:
    await chat.say("add buy milk")
    turn = await chat.say("add a note to buy milk: the organic one")
    assert turn.reply == 'Added the note to "buy milk": "the organic one".'
    await chat.say("note on buy milk: two litres")
    (task,) = stored(engine, user)
    assert (task.title, task.description) == ("buy milk", "the organic one\ntwo litres")
    turn = await chat.say("add a note to walk the dog: use the long leash")
    assert turn.reply.startswith('I couldn\'t find a task called "walk the dog".')
    assert "I add notes only to tasks you have" in turn.reply
    assert titles(engine, user) == ["buy milk"]


async def test_chatty_openings_and_polite_requests_are_confirmed_then_done(
    chat: Chat, engine: Engine, user: User
) -> None:
    turn = await chat.say("Hello! Could you add buy milk to my list?")
    assert turn.reply.startswith('Do you want me to add buy milk to your list? Say "yes"')
    assert turn.tool_calls == () and titles(engine, user) == []
    assert (await chat.say("yes please")).reply == 'Added "buy milk" to your list.'
    await chat.say("hi, can you mark it done?")
    assert (await chat.say("no")).reply.startswith("OK, I did nothing.")
    assert titles(engine, user, TaskStatus.done) == []
    assert (await chat.say("Hey, please add call mom")).reply == 'Added "call mom" to your list.'


async def test_how_many_gives_the_number(chat: Chat, engine: Engine, user: User) -> None:
    add_due(engine, user, "how many eggs to buy", None)  # a title that starts like the question
    add_due(engine, user, "pay rent", -1)
    add_due(engine, user, "call mom", None)
    await chat.say("complete call mom")
    turn = await chat.say("how many tasks are open?")
    assert turn.reply.startswith("You have 2 open tasks:\n1. how many eggs to buy\n2. pay rent")
    assert (await chat.say("how many are done?")).reply.startswith("You have 1 completed task:")
    assert (await chat.say("how many are overdue?")).reply.startswith("You have 1 overdue task:")
    assert titles(engine, user, TaskStatus.done) == ["call mom"]


async def test_questions_about_a_task_are_answered_and_change_nothing(
    chat: Chat, engine: Engine, user: User
) -> None:
    add_due(engine, user, "buy milk", 1)
    turn = await chat.say("is the milk done?")
    assert (turn.reply, [call.name for call in turn.tool_calls]) == (
        'No, "buy milk" isn\'t done yet.',
        ["list_tasks"],
    )
    assert (await chat.say("when is buy milk due?")).reply == '"buy milk" is due tomorrow.'
    assert (await chat.say("did I delete the milk?")).reply == '"buy milk" is still on your list (open).'
    assert (
        await chat.say("do I need to buy milk?")
    ).reply == 'Tasks matching "buy milk":\n1. buy milk (due tomorrow)'
    await chat.say("complete buy milk")
    assert (await chat.say("has buy milk been done?")).reply == 'Yes, "buy milk" is done.'
    assert titles(engine, user, TaskStatus.done) == ["buy milk"]


async def test_a_tool_refusal_is_said_in_plain_words(chat: Chat, engine: Engine, user: User) -> None:
    turn = await chat.say("add " + "x" * 250)
    assert turn.reply == "I couldn't add that: the title must be at most 200 characters."
    assert titles(engine, user) == []


@pytest.mark.parametrize(
    "message",
    ["add buy milk", "what's on my list?", "complete buy milk", "how many tasks are open?", "is milk done?",
     "add eggs; flour", "delete buy milk", "add a note to milk: organic"],
)  # fmt: skip
async def test_a_failing_tool_layer_never_shows_internal_errors(
    api_settings: ApiSettings, user: User, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The MCP server is up but its database is not: every tool call fails inside the server."""
    assert user.id is not None
    broken = api_settings.model_copy(
        update={
            "database_url": api_settings.database_url.get_secret_value().rsplit("/", 1)[0] + "/no_such_db"
        }
    )
    with run_mcp_server(broken) as server, caplog.at_level(logging.WARNING, logger="todo.agent"):
        turn = await Chat(with_mcp_url(api_settings, server.url), user.id).say(message)
    for internal in (
        "Error executing",
        "tool",
        "psycopg",
        "Traceback",
        "no_such_db",
        "database",
        "sqlalchemy",
    ):
        assert internal.lower() not in turn.reply.lower(), turn.reply
    assert any(call.error for call in turn.tool_calls), "the tool layer itself should have failed"
    assert turn.reply.startswith("Sorry, something went wrong on our side"), turn.reply
