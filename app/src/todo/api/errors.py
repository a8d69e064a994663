"""Error answers: always JSON ``{"detail": ...}``; 422s name the field; never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from todo.core.conversations import ConversationNotFound
from todo.core.logging import request_id_var
from todo.core.tasks import InvalidTaskQuery, TaskNotFound

log = logging.getLogger("todo.api.errors")

# Where a value came from is noise to a user: "title", not "body.title".
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


def _field(loc: Sequence[Any]) -> str:
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(parts) or "request"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "is not valid JSON"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind in {"model_attributes_type", "dict_type"}:
        return "must be a JSON object"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """(one-line detail naming the first bad field, every problem as {field, message})."""
    problems = [
        {
            # A JSON syntax error's location is a character offset, not a field.
            "field": "body" if error.get("type") == "json_invalid" else _field(error.get("loc", ())),
            "message": _message(error),
        }
        for error in errors
    ]
    if not problems:
        return "request is invalid", []
    first = problems[0]
    detail = f"{first['field']}: {first['message']}"
    if len(problems) > 1:
        detail += f" (and {len(problems) - 1} more)"
    return detail, problems


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail, problems = describe_validation_errors(exc.errors())
    return JSONResponse({"detail": detail, "errors": problems}, status_code=422)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)


async def _invalid_query(request: Request, exc: Exception) -> JSONResponse:
    detail = str(exc)
    field, _, message = detail.partition(": ")
    return JSONResponse({"detail": detail, "errors": [{"field": field, "message": message}]}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return JSONResponse(
        {
            "detail": "internal error; try again, and report the request id if it persists",
            "request_id": request_id_var.get(),
        },
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(TaskNotFound, _not_found)
    app.add_exception_handler(ConversationNotFound, _not_found)
    app.add_exception_handler(InvalidTaskQuery, _invalid_query)
    app.add_exception_handler(Exception, _unexpected)
