"""The shared task service (todo.core.tasks) against real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from todo.core import tasks
from todo.core.models import Priority, TaskCreate, TaskOrder, TaskStatus, TaskUpdate, User


def test_create_get_and_defaults(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.id is not None
    created = tasks.create_task(session, user.id, TaskCreate(title="  buy   milk "))
    assert created.title == "buy milk"
    assert created.description == ""
    assert created.priority is Priority.medium
    assert created.completed is False and created.completed_at is None
    assert created.created_at.tzinfo is not None
    assert tasks.get_task(session, user.id, created.id) == created


def test_list_filters_search_and_pagination(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.id is not None
    ids = [tasks.create_task(session, user.id, TaskCreate(title=f"task {n}")).id for n in range(5)]
    tasks.create_task(session, user.id, TaskCreate(title="Call mom", description="about 100% of it"))
    tasks.complete_task(session, user.id, ids[1])

    open_page = tasks.list_tasks(session, user.id, status=TaskStatus.open)
    assert open_page.total == 5
    assert [t.id for t in open_page.items][:4] == [ids[0], ids[2], ids[3], ids[4]]
    done = tasks.list_tasks(session, user.id, status=TaskStatus.done)
    assert [t.id for t in done.items] == [ids[1]] and done.total == 1
    every = tasks.list_tasks(session, user.id, status=TaskStatus.all)
    assert every.total == 6 and every.items[-1].id == ids[1]  # done ones last

    assert [t.title for t in tasks.list_tasks(session, user.id, q="MOM").items] == ["Call mom"]
    # LIKE wildcards in the query are literal characters.
    assert tasks.list_tasks(session, user.id, q="100%").total == 1
    assert tasks.list_tasks(session, user.id, q="%").total == 1
    assert tasks.list_tasks(session, user.id, q="_").total == 0

    page = tasks.list_tasks(session, user.id, status=TaskStatus.all, limit=2, offset=2)
    assert page.total == 6 and [t.id for t in page.items] == [ids[3], ids[4]]
    with pytest.raises(tasks.InvalidTaskQuery, match="limit"):
        tasks.list_tasks(session, user.id, limit=0)
    with pytest.raises(tasks.InvalidTaskQuery, match="offset"):
        tasks.list_tasks(session, user.id, offset=-1)


def test_list_orders_and_due_ranges(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.id is not None
    specs = [
        ("b later", date(2030, 1, 9), Priority.low),
        ("A undated", None, Priority.high),
        ("c sooner", date(2030, 1, 2), Priority.medium),
        ("d sooner too", date(2030, 1, 2), Priority.high),
    ]
    for title, due, priority in specs:
        tasks.create_task(session, user.id, TaskCreate(title=title, due_date=due, priority=priority))

    def titles(order: TaskOrder, **filters: date) -> list[str]:
        page = tasks.list_tasks(session, user.id, order=order, **filters)  # type: ignore[arg-type]
        return [task.title for task in page.items]

    created = ["b later", "A undated", "c sooner", "d sooner too"]
    assert titles(TaskOrder.default) == created
    assert titles(TaskOrder.oldest) == created
    assert titles(TaskOrder.newest) == created[::-1]
    assert titles(TaskOrder.due_date) == ["c sooner", "d sooner too", "b later", "A undated"]
    assert titles(TaskOrder.priority) == ["d sooner too", "A undated", "c sooner", "b later"]
    assert titles(TaskOrder.alphabetical) == ["A undated", "b later", "c sooner", "d sooner too"]
    # Due ranges are inclusive and never match a task without a due date.
    assert titles(TaskOrder.due_date, due_to=date(2030, 1, 2)) == ["c sooner", "d sooner too"]
    assert titles(TaskOrder.due_date, due_from=date(2030, 1, 3)) == ["b later"]
    assert titles(TaskOrder.due_date, due_from=date(2030, 1, 2), due_to=date(2030, 1, 9)) == [
        "c sooner", "d sooner too", "b later",
    ]  # fmt: skip
    assert tasks.list_tasks(session, user.id, due_to=date(2029, 12, 31)).total == 0


def test_update_complete_reopen_delete(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user()
    assert user.id is not None
    task = tasks.create_task(session, user.id, TaskCreate(title="a", due_date=date(2030, 1, 2)))
    updated = tasks.update_task(
        session, user.id, task.id, TaskUpdate(title="b", priority=Priority.high, description="d")
    )
    assert (updated.title, updated.priority, updated.description) == ("b", Priority.high, "d")
    assert updated.due_date == date(2030, 1, 2)  # untouched: not given
    assert updated.updated_at > task.updated_at
    cleared = tasks.update_task(session, user.id, task.id, TaskUpdate(due_date=None))
    assert cleared.due_date is None and cleared.title == "b"

    done = tasks.complete_task(session, user.id, task.id)
    assert done.completed and done.completed_at is not None
    assert tasks.complete_task(session, user.id, task.id).completed_at == done.completed_at
    reopened = tasks.reopen_task(session, user.id, task.id)
    assert not reopened.completed and reopened.completed_at is None

    deleted = tasks.delete_task(session, user.id, task.id)
    assert deleted.title == "b"
    with pytest.raises(tasks.TaskNotFound):
        tasks.get_task(session, user.id, task.id)


def test_other_users_task_is_not_found(session: Session, make_user: Callable[..., User]) -> None:
    alice, bob = make_user(), make_user()
    assert alice.id is not None and bob.id is not None
    task = tasks.create_task(session, alice.id, TaskCreate(title="alice's secret"))
    for operation in (tasks.get_task, tasks.complete_task, tasks.reopen_task, tasks.delete_task):
        with pytest.raises(tasks.TaskNotFound) as caught:
            operation(session, bob.id, task.id)
        assert caught.value.task_id == task.id
    with pytest.raises(tasks.TaskNotFound):
        tasks.update_task(session, bob.id, task.id, TaskUpdate(title="mine now"))
    with pytest.raises(tasks.TaskNotFound):
        tasks.get_task(session, alice.id, 999_999)
    assert tasks.list_tasks(session, bob.id, status=TaskStatus.all).total == 0
    assert tasks.get_task(session, alice.id, task.id).title == "alice's secret"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "   "}, "title", "must not be empty"),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"title": "a", "priority": "urgent"}, "priority", "low"),
        ({"title": "a", "due_date": "tomorrow"}, "due_date", "date"),
        ({"title": "a", "colour": "red"}, "colour", "not permitted"),
    ],
)
def test_create_validation_names_the_field(payload: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TaskCreate.model_validate(payload)
    error = caught.value.errors()[0]
    assert error["loc"] == (field,)
    assert message in error["msg"].lower()


def test_update_refuses_null_title() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        TaskUpdate.model_validate({"title": None})
