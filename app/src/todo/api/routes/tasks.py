"""Task CRUD for the logged-in user; thin wrappers over the shared task service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.exc import IntegrityError

from todo.core import tasks
from todo.core.models import Id, NoNul, Offset, TaskCreate, TaskPage, TaskPublic, TaskStatus, TaskUpdate

from ..deps import CurrentUserId, SessionDep

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=TaskPage)
def list_tasks(
    user_id: CurrentUserId,
    session: SessionDep,
    status: TaskStatus = TaskStatus.open,
    q: Annotated[str | None, Query(max_length=200), NoNul] = None,
    limit: Annotated[int, Query(ge=1, le=tasks.LIST_LIMIT_MAX)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> TaskPage:
    """List the user's tasks: filter by status, search title and description, paginate."""
    return tasks.list_tasks(session, user_id, status=status, q=q, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TaskPublic)
def create_task(body: TaskCreate, user_id: CurrentUserId, session: SessionDep) -> TaskPublic:
    """Add a task."""
    try:
        return tasks.create_task(session, user_id, body)
    except IntegrityError:
        # The only constraint a valid task can break: the signed-in account was deleted.
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "account no longer exists; register again"
        ) from None


@router.get("/{task_id}", response_model=TaskPublic)
def get_task(task_id: Id, user_id: CurrentUserId, session: SessionDep) -> TaskPublic:
    """One task; 404 when it is missing or not the user's."""
    return tasks.get_task(session, user_id, task_id)


@router.patch("/{task_id}", response_model=TaskPublic)
def update_task(task_id: Id, body: TaskUpdate, user_id: CurrentUserId, session: SessionDep) -> TaskPublic:
    """Change title, description, due date or priority (only the fields sent)."""
    return tasks.update_task(session, user_id, task_id, body)


@router.post("/{task_id}/complete", response_model=TaskPublic)
def complete_task(task_id: Id, user_id: CurrentUserId, session: SessionDep) -> TaskPublic:
    """Mark a task done."""
    return tasks.complete_task(session, user_id, task_id)


@router.post("/{task_id}/reopen", response_model=TaskPublic)
def reopen_task(task_id: Id, user_id: CurrentUserId, session: SessionDep) -> TaskPublic:
    """Mark a task not done."""
    return tasks.reopen_task(session, user_id, task_id)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task(task_id: Id, user_id: CurrentUserId, session: SessionDep) -> None:
    """Delete a task."""
    tasks.delete_task(session, user_id, task_id)
