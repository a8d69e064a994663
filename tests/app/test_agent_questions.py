"""A question never changes data: the rules engine's invariant, proved over its own grammar.

The mutating rules are derived from the engine, not listed here: every rule's examples
(``Rule.examples``) are parsed, and the rules whose examples parse to a ``Change`` are the ones
that could change tasks. Hypothesis then asks each of them as a question (a trailing "?" or an
interrogative opening, with titles that themselves begin "how many", "is", "what"...), first
against the parser alone, then end to end through the REAL MCP server and PostgreSQL, asserting
that only reading tools are called and that no task changed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.app.mcp_server import RunningMcp, with_mcp_url
from todo.agent import HistoryMessage, ToolCall, rules_engine, run_turn
from todo.agent.language import intents as intents_module
from todo.agent.language.intents import Change, ConfirmRequest, Intent
from todo.agent.language.rules import RULES, Rule, parse, parse_with_rule, question_form
from todo.agent.task_tools import ReadTools, TaskTools
from todo.core import tasks
from todo.core.db import session_scope
from todo.core.models import TaskCreate, TaskStatus, User
from todo.core.settings import ApiSettings
from todo.mcp.tools import READING_TOOLS, TOOLS

TODAY = date(2025, 5, 14)
EXAMPLE_TITLE = "buy milk"


def _statement(example: str, title: str = EXAMPLE_TITLE) -> str:
    return example.replace("{title}", title)


def mutating_rules() -> list[tuple[Rule, str]]:
    """(rule, example) for every example of a rule that, said as a statement, changes tasks."""
    found = []
    for rule in RULES:
        for example in rule.examples:
            text = _statement(example)
            if question_form(text) is None and isinstance(parse(text, TODAY), Change):
                found.append((rule, example))
    return found


MUTATING = mutating_rules()
# Openings that make a message a question; "" relies on the trailing "?" alone.
OPENINGS = (
    "", "is", "are", "was", "did I", "do I", "does", "have I", "has", "how", "how many", "what",
    "which", "when", "where", "who", "why", "can you", "could you", "would you", "will you",
    "should I", "can I", "shall I", "Hello! could you", "hi, can you please", "so, is", "ok what if I",
    "tell me if", "could you tell me whether", "let me know if",
)  # fmt: skip
# Title words chosen to collide with the grammar: question words, command words, list nouns.
TITLE_WORDS = (
    "how many", "is", "what", "which", "done", "milk", "buy", "the", "eggs", "delete", "add",
    "mark", "are", "tasks", "open", "it", "rent", "can", "do", "when", "due", "friday", "all",
)  # fmt: skip
titles = st.one_of(
    st.lists(st.sampled_from(TITLE_WORDS), min_size=1, max_size=4).map(" ".join),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz '-", min_size=1, max_size=20).filter(str.strip),
)


@st.composite
def questions(draw: st.DrawFn) -> tuple[str, str, str]:
    """(question, the title it names, the rule it was made from)."""
    rule, example = draw(st.sampled_from(MUTATING))
    title = draw(titles).strip()
    opening = draw(st.sampled_from(OPENINGS))
    mark = "?" if not opening else draw(st.sampled_from(["?", "", " ?", "?!"]))
    statement = _statement(example, title)
    return f"{opening} {statement}{mark}".strip(), title, rule.name


def test_the_mutating_rules_are_found_in_the_engine_itself() -> None:
    names = {rule.name for rule, _ in MUTATING}
    assert {"add up front", "add", "complete", "reopen", "delete", "rename", "change", "reschedule"} <= names
    assert {"priority", "note", "restore", "again", "done suffix"} <= names
    # Every rule that can build a Change has examples saying so (else the property would skip it).
    assert all(rule.examples for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_every_rule_example_is_answered_by_its_rule(rule: Rule) -> None:
    for example in rule.examples:
        assert parse_with_rule(_statement(example), TODAY)[1] == rule.name, example


def test_every_change_intent_has_a_writer_and_every_other_intent_a_reader_or_a_static_reply() -> None:
    intents = {
        value
        for value in vars(intents_module).values()
        if isinstance(value, type) and issubclass(value, Intent) and value not in (Intent, Change)
    }
    changes = {intent for intent in intents if issubclass(intent, Change)}
    assert set(rules_engine.WRITERS) == changes
    readers, static = set(rules_engine.READERS), set(rules_engine.STATIC_REPLIES)
    assert readers | static == intents - changes
    assert not readers & static and not (readers | static) & changes


@pytest.mark.anyio
async def test_read_tools_refuse_every_tool_that_changes_tasks(api_settings: ApiSettings) -> None:
    calls: list[ToolCall] = []
    async with AsyncExitStack() as stack:
        read_tools = ReadTools(TaskTools(api_settings, calls, stack))
        writers = [tool for tool in TOOLS if tool not in READING_TOOLS]
        assert writers and READING_TOOLS < set(TOOLS)
        for tool in writers:
            with pytest.raises(TypeError, match="a question may only read"):
                await read_tools.call(tool, task_id=1)
    assert calls == []


@settings(max_examples=600, deadline=None)
@given(questions())
def test_a_question_never_parses_to_a_change(case: tuple[str, str, str]) -> None:
    message, _, _ = case
    assert question_form(message) is not None, message
    assert not isinstance(parse(message, TODAY), Change), message


@pytest.mark.parametrize(
    "message",
    ["is the milk done?", "how many are done?", "is buy milk done", "has buy milk been done?",
     "why is milk done?", "did I delete the milk?", "can you mark it done?", "delete buy milk?",
     "tell me if buy milk is due friday", "could you tell me if the milk is done?"],
)  # fmt: skip
def test_the_reported_questions_read(message: str) -> None:
    assert not isinstance(parse(message, TODAY), Change)


def test_a_polite_request_is_confirmed_not_done() -> None:
    assert parse("could you add milk?", TODAY) == ConfirmRequest("could you add milk?", "add milk")
    assert parse("Hello! can you please mark it done", TODAY) == ConfirmRequest(
        "Hello! can you please mark it done", "mark it done"
    )


# --- end to end: the real MCP server and PostgreSQL ------------------------------------------------


def _snapshot(engine: Engine, user_id: int) -> list[tuple[Any, ...]]:
    with session_scope(engine) as session:
        page = tasks.list_tasks(session, user_id, status=TaskStatus.all, limit=200)
        return [(t.id, t.title, t.completed, t.due_date, t.priority, t.description) for t in page.items]


def _seed(engine: Engine, user_id: int, title: str) -> None:
    with session_scope(engine) as session:
        for name in dict.fromkeys([title, EXAMPLE_TITLE, "how many eggs to buy"]):
            if name.strip():
                tasks.create_task(session, user_id, TaskCreate(title=name[:200]))
        done = tasks.create_task(session, user_id, TaskCreate(title="pay rent"))
        tasks.complete_task(session, user_id, done.id)


@pytest.mark.anyio
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case=questions(), after=st.sampled_from(["", "delete everything", "what's on my list?", "delte buy milk"])
)
async def test_a_question_calls_no_mutating_tool_end_to_end(
    api_settings: Any, mcp: RunningMcp, engine: Engine, make_user: Callable[..., User],
    case: tuple[str, str, str], after: str,
) -> None:  # fmt: skip
    message, title, _ = case
    made = make_user()  # a fresh user per example: nothing carries over between examples
    assert made.id is not None
    user, settings_ = made.id, with_mcp_url(api_settings, mcp.url)
    _seed(engine, user, title)
    history: list[HistoryMessage] = []
    if after:  # a question asked while a yes/no (bulk, did-you-mean) is pending, or after a list
        turn = await run_turn(settings_, user, [], after)
        history = [HistoryMessage("user", after), HistoryMessage("assistant", turn.reply, turn.tool_calls)]
    before = _snapshot(engine, user)
    turn = await run_turn(settings_, user, history, message)
    assert {call.name for call in turn.tool_calls} <= {tool.__name__ for tool in READING_TOOLS}, message
    assert _snapshot(engine, user) == before, message
    assert "Error executing" not in turn.reply
