"""The MCP tools: thin, typed wrappers around ``todo.core.tasks`` acting as one user.

Each tool is one typed function and its one home, as in the MCP SDK: the name is the function's,
the description its docstring, the input schema its hints and the result model its return
annotation. Everything else derives from ``TOOLS``: the server's registrations, the agent's typed
client (``todo.agent.task_tools``), recall's single-task tools and the table in docs/contracts.md.

The acting user's id never is a tool argument: over HTTP it comes from the ``X-Todo-User-Id``
header (checked by ``todo.mcp.app.ServiceAuthMiddleware``), so neither a user's words nor an LLM
can choose whose tasks a tool touches. In-process callers (tests) set it with ``act_as``.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, TypeVar, get_type_hints

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from todo.core import tasks
from todo.core.db import session_scope
from todo.core.models import (
    Id,
    Offset,
    Priority,
    TaskCreate,
    TaskOrder,
    TaskPage,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
    TextInput,
)
from todo.core.overload import POOL_TIMEOUT_DETAIL, PoolTimeout

SERVER_NAME = "todo-tasks"
# Where ServiceAuthMiddleware leaves the checked user id in the ASGI scope's state.
USER_ID_STATE_KEY = "todo_user_id"
# Set in the scope's state when a tool found no free database connection in time; the app's
# AdmissionMiddleware then answers the whole request 503 + Retry-After instead of a tool error.
POOL_TIMEOUT_STATE_KEY = "todo_pool_timeout"

SERVER_INSTRUCTIONS = (
    "Tools to read and change the current user's to-do list. Refer to tasks by the id that "
    "list_tasks or add_task returned; dates are YYYY-MM-DD."
)

_in_process_user: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "todo_mcp_in_process_user", default=None
)


# Clients compile each output schema once per session; a draft-07 schema compiles ~10x faster than
# the 2020-12 default and our schemas use nothing newer.
_SCHEMA_DIALECT = ConfigDict(json_schema_extra={"$schema": "http://json-schema.org/draft-07/schema#"})


class TaskResult(TaskPublic):
    """A task, as every single-task tool answers it."""

    model_config = _SCHEMA_DIALECT | ConfigDict(from_attributes=True)


class TaskPageResult(TaskPage):
    """One page of the user's tasks and how many match in total."""

    model_config = _SCHEMA_DIALECT


def _task(task: TaskPublic) -> TaskResult:
    return TaskResult.model_validate(task)


def _page(page: TaskPage) -> TaskPageResult:
    return TaskPageResult(items=page.items, total=page.total)


@dataclass(frozen=True)
class ToolState:
    """What every tool call needs besides its arguments (the MCP server's lifespan state)."""

    engine: Engine


ToolContext = Context[ToolState, Any]
T = TypeVar("T")

TaskId = Annotated[Id, Field(description="the task's id, as list_tasks or add_task returned it")]
Title = Annotated[TextInput, Field(description="short title of the task, e.g. 'buy milk'")]
DueDate = Annotated[date | None, Field(description="due date as YYYY-MM-DD, or null for none")]


@contextmanager
def act_as(user_id: int) -> Iterator[None]:
    """Run in-process tool calls (no HTTP request) as ``user_id``."""
    token = _in_process_user.set(user_id)
    try:
        yield
    finally:
        _in_process_user.reset(token)


def acting_user_id(ctx: ToolContext) -> int:
    """The user this tool call acts for: from the HTTP request, or ``act_as`` when in-process."""
    request = ctx.request_context.request
    if request is not None:
        # Over HTTP only the middleware-checked header counts, never the in-process fallback.
        user_id = getattr(request, "scope", {}).get("state", {}).get(USER_ID_STATE_KEY)
    else:
        user_id = _in_process_user.get()
    if not isinstance(user_id, int) or user_id < 1:
        raise tasks_error("no acting user: send the X-Todo-User-Id header with a positive user id")
    return user_id


def tasks_error(message: str) -> ToolError:
    """A tool failure the caller sees as its message (not as an internal error)."""
    return ToolError(message)


def _call(ctx: ToolContext, action: Callable[[Session, int], T]) -> T:
    """Run one task-service call for the acting user; known failures become readable tool errors."""
    user_id = acting_user_id(ctx)
    try:
        with session_scope(ctx.request_context.lifespan_context.engine) as session:
            return action(session, user_id)
    except tasks.TaskNotFound as error:
        raise tasks_error(
            f"task {error.task_id} not found; call list_tasks to see the user's tasks"
        ) from None
    except tasks.InvalidTaskQuery as error:
        raise tasks_error(str(error)) from None
    except ValidationError as error:
        raise tasks_error(_describe(error)) from None
    except PoolTimeout:
        request = ctx.request_context.request
        if request is not None:
            getattr(request, "scope", {}).setdefault("state", {})[POOL_TIMEOUT_STATE_KEY] = True
        raise tasks_error(POOL_TIMEOUT_DETAIL) from None


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "input"
    return f"{field}: {str(first['msg']).removeprefix('Value error, ')}"


def add_task(
    title: Title,
    ctx: ToolContext,
    description: TextInput = "",
    due_date: DueDate = None,
    priority: Priority = Priority.medium,
) -> TaskResult:
    """Add a task to the user's to-do list."""
    data = {"title": title, "description": description, "due_date": due_date, "priority": priority}
    return _task(_call(ctx, lambda s, uid: tasks.create_task(s, uid, TaskCreate.model_validate(data))))


def list_tasks(
    ctx: ToolContext,
    status: Literal["open", "done", "all"] = "open",
    search: Annotated[
        TextInput | None, Field(description="only tasks whose title or description contains this")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=tasks.LIST_LIMIT_MAX)] = 50,
    offset: Offset = 0,
    order: Annotated[
        TaskOrder, Field(description="sort order; default is open tasks first, then oldest first")
    ] = TaskOrder.default,
    due_from: Annotated[
        date | None, Field(description="only tasks due on or after this day (YYYY-MM-DD)")
    ] = None,
    due_to: Annotated[
        date | None, Field(description="only tasks due on or before this day (YYYY-MM-DD)")
    ] = None,
) -> TaskPageResult:
    """List the user's tasks: open (default), done or all, optionally only those matching a search text."""
    page = _call(
        ctx,
        lambda s, uid: tasks.list_tasks(
            s,
            uid,
            status=TaskStatus(status),
            q=search,
            limit=limit,
            offset=offset,
            order=order,
            due_from=due_from,
            due_to=due_to,
        ),
    )
    return _page(page)


def get_task(task_id: TaskId, ctx: ToolContext) -> TaskResult:
    """Get one of the user's tasks by id."""
    return _task(_call(ctx, lambda s, uid: tasks.get_task(s, uid, task_id)))


def complete_task(task_id: TaskId, ctx: ToolContext) -> TaskResult:
    """Mark one of the user's tasks as done."""
    return _task(_call(ctx, lambda s, uid: tasks.complete_task(s, uid, task_id)))


def reopen_task(task_id: TaskId, ctx: ToolContext) -> TaskResult:
    """Mark one of the user's done tasks as not done again."""
    return _task(_call(ctx, lambda s, uid: tasks.reopen_task(s, uid, task_id)))


def update_task(
    task_id: TaskId,
    ctx: ToolContext,
    title: Annotated[TextInput | None, Field(description="new title")] = None,
    description: Annotated[TextInput | None, Field(description="new description")] = None,
    due_date: DueDate = None,
    clear_due_date: Annotated[bool, Field(description="true to remove the due date")] = False,
    priority: Priority | None = None,
) -> TaskResult:
    """Change a task's title, description, due date or priority (only the fields given change)."""
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("title", title),
            ("description", description),
            ("due_date", due_date),
            ("priority", priority),
        )
        if value is not None
    }
    if clear_due_date:
        changes["due_date"] = None
    return _task(
        _call(ctx, lambda s, uid: tasks.update_task(s, uid, task_id, TaskUpdate.model_validate(changes)))
    )


def delete_task(task_id: TaskId, ctx: ToolContext) -> TaskResult:
    """Delete one of the user's tasks for good and return what it was."""
    return _task(_call(ctx, lambda s, uid: tasks.delete_task(s, uid, task_id)))


# Every tool the server offers, in the order it lists them.
TOOLS: tuple[Callable[..., BaseModel], ...] = (
    add_task,
    list_tasks,
    get_task,
    complete_task,
    reopen_task,
    update_task,
    delete_task,
)
# The tools that only read: a question is answered through these alone (the agent's ``ReadTools``).
READING_TOOLS: frozenset[Callable[..., BaseModel]] = frozenset({list_tasks, get_task})


def result_model(tool: Callable[..., BaseModel]) -> type[BaseModel]:
    """What ``tool`` answers on success: its return annotation (also its MCP output schema)."""
    model: type[BaseModel] = get_type_hints(tool)["return"]
    return model


# Names (plain text, as recorded calls carry them) of the tools whose result is the one task acted on.
SINGLE_TASK_TOOLS: frozenset[str] = frozenset(
    tool.__name__ for tool in TOOLS if issubclass(result_model(tool), TaskPublic)
)


def build_server(engine: Engine) -> MCPServer[ToolState]:
    """The MCP server with every task tool, acting on the database behind ``engine``."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[ToolState]) -> AsyncIterator[ToolState]:
        yield ToolState(engine=engine)

    server: MCPServer[ToolState] = MCPServer(
        SERVER_NAME, instructions=SERVER_INSTRUCTIONS, lifespan=lifespan, log_level="WARNING"
    )
    for tool in TOOLS:
        server.add_tool(tool)
    return server
