"""The task service: the ONE place tasks are read and written.

The API routes and the MCP tools both call these functions. Each takes the acting ``user_id`` and
raises ``TaskNotFound`` for a task that is missing or belongs to someone else, so no caller can
reach another user's task and no caller can tell the two cases apart. Every writing function
commits its own transaction and returns the ``TaskPublic`` shape of docs/contracts.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, or_
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from .models import (
    OFFSET_MAX,
    Task,
    TaskCreate,
    TaskOrder,
    TaskPage,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
    utcnow,
)

LIST_LIMIT_MAX = 200


class TaskNotFound(LookupError):
    """No task with this id belongs to the acting user."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class InvalidTaskQuery(ValueError):
    """A listing parameter is out of range; the message names it."""


def _owned(session: Session, user_id: int, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.user_id != user_id:
        raise TaskNotFound(task_id)
    return task


def _public(task: Task) -> TaskPublic:
    return TaskPublic.model_validate(task)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def create_task(session: Session, user_id: int, data: TaskCreate) -> TaskPublic:
    """Add a task for the user."""
    task = Task.model_validate(data, update={"user_id": user_id})
    session.add(task)
    session.commit()
    return _public(task)


def _order_by(order: TaskOrder) -> list[ColumnElement[Any]]:
    due_last = col(Task.due_date).asc().nulls_last()
    rank = case({"high": 0, "medium": 1, "low": 2}, value=col(Task.priority), else_=1)
    columns: dict[TaskOrder, list[ColumnElement[Any]]] = {
        TaskOrder.default: [col(Task.completed).asc()],
        TaskOrder.due_date: [due_last],
        TaskOrder.oldest: [col(Task.created_at).asc()],
        TaskOrder.newest: [col(Task.created_at).desc(), col(Task.id).desc()],
        TaskOrder.priority: [rank.asc(), due_last],
        TaskOrder.alphabetical: [func.lower(col(Task.title)).asc()],
    }
    return [*columns[order], col(Task.id).asc()]


def list_tasks(
    session: Session,
    user_id: int,
    *,
    status: TaskStatus = TaskStatus.open,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    order: TaskOrder = TaskOrder.default,
    due_from: date | None = None,
    due_to: date | None = None,
) -> TaskPage:
    """The user's tasks matching status, text and due dates (inclusive; a task without a due date
    never matches a due range), one page, in ``order`` (default: open ones first, then oldest)."""
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise InvalidTaskQuery(f"limit: must be between 1 and {LIST_LIMIT_MAX}, got {limit}")
    if not 0 <= offset <= OFFSET_MAX:
        raise InvalidTaskQuery(f"offset: must be between 0 and {OFFSET_MAX}, got {offset}")
    status = TaskStatus(status)
    conditions = [col(Task.user_id) == user_id]
    if status is TaskStatus.open:
        conditions.append(col(Task.completed).is_(False))
    elif status is TaskStatus.done:
        conditions.append(col(Task.completed).is_(True))
    text = (q or "").strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        conditions.append(
            or_(
                col(Task.title).ilike(pattern, escape="\\"),
                col(Task.description).ilike(pattern, escape="\\"),
            )
        )
    if due_from is not None:
        conditions.append(col(Task.due_date) >= due_from)
    if due_to is not None:
        conditions.append(col(Task.due_date) <= due_to)
    # One round trip: the total rides along on every row as a window count.
    rows = session.exec(
        select(Task, func.count().over().label("total"))
        .where(*conditions)
        .order_by(*_order_by(TaskOrder(order)))
        .limit(limit)
        .offset(offset)
    ).all()
    if rows:
        total = int(rows[0][1])
    elif offset == 0:
        total = 0
    else:
        # A page past the end has no rows to carry the total; ask for it.
        total = session.exec(select(func.count()).select_from(Task).where(*conditions)).one()
    return TaskPage(items=[_public(task) for task, _ in rows], total=total)


def _commit(session: Session, task: Task) -> None:
    """Write a changed task; ``TaskNotFound`` when a concurrent delete took it meanwhile."""
    session.add(task)
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise TaskNotFound(task.id or 0) from None


def get_task(session: Session, user_id: int, task_id: int) -> TaskPublic:
    """One of the user's tasks."""
    return _public(_owned(session, user_id, task_id))


def update_task(session: Session, user_id: int, task_id: int, data: TaskUpdate) -> TaskPublic:
    """Change the fields given in ``data`` (only those that were set)."""
    task = _owned(session, user_id, task_id)
    changes = data.model_dump(exclude_unset=True)
    if changes:
        for field, value in changes.items():
            setattr(task, field, value)
        task.updated_at = utcnow()
        _commit(session, task)
    return _public(task)


def complete_task(session: Session, user_id: int, task_id: int) -> TaskPublic:
    """Mark the task done (completing a done task keeps its first completion time)."""
    task = _owned(session, user_id, task_id)
    if not task.completed:
        now = utcnow()
        task.completed = True
        task.completed_at = now
        task.updated_at = now
        _commit(session, task)
    return _public(task)


def reopen_task(session: Session, user_id: int, task_id: int) -> TaskPublic:
    """Mark the task not done."""
    task = _owned(session, user_id, task_id)
    if task.completed:
        task.completed = False
        task.completed_at = None
        task.updated_at = utcnow()
        _commit(session, task)
    return _public(task)


def delete_task(session: Session, user_id: int, task_id: int) -> TaskPublic:
    """Delete the task and answer what it was; of two concurrent deletes only one finds it."""
    # One statement that deletes and answers the row, so the database decides who deleted it.
    task = session.scalars(
        delete(Task).where(col(Task.id) == task_id, col(Task.user_id) == user_id).returning(Task)
    ).first()
    session.commit()
    if task is None:
        raise TaskNotFound(task_id)
    return _public(task)
