"""The MCP task tools' contract: the server's name, each tool's name and the model it answers.

The one home of these facts: the MCP server (``todo.mcp.tools``) registers its tools under these
names with these result models as output schemas, and the agent's client (``todo.agent.task_tools``)
validates every result against the same models; tests check the server against this module.
It lives in ``core`` because both sides depend on it and neither may import the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel

from todo.core.models import TaskPage, TaskPublic

SERVER_NAME = "todo-tasks"


class ToolName(StrEnum):
    """Every tool the MCP task server offers."""

    add_task = "add_task"
    list_tasks = "list_tasks"
    get_task = "get_task"
    complete_task = "complete_task"
    reopen_task = "reopen_task"
    update_task = "update_task"
    delete_task = "delete_task"


# What each tool answers on success.
RESULT_MODELS: Mapping[ToolName, type[BaseModel]] = MappingProxyType(
    {
        ToolName.add_task: TaskPublic,
        ToolName.list_tasks: TaskPage,
        ToolName.get_task: TaskPublic,
        ToolName.complete_task: TaskPublic,
        ToolName.reopen_task: TaskPublic,
        ToolName.update_task: TaskPublic,
        ToolName.delete_task: TaskPublic,
    }
)

# Names (plain text, as recorded calls carry them) of the tools whose result is the one task acted on.
SINGLE_TASK_TOOLS: frozenset[str] = frozenset(
    name.value for name, model in RESULT_MODELS.items() if model is TaskPublic
)

# The tools that only read: a question is answered through these alone (the agent's ``ReadTools``).
READING_TOOLS: frozenset[ToolName] = frozenset({ToolName.list_tasks, ToolName.get_task})
