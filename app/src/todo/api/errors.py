"""Error answers: JSON ``{"detail": ..., "request_id": ...}``; 422s name the field; never a stack trace.

Overload (no free database connection, queue full) answers 503 with ``Retry-After``; anything
unexpected answers 500, and ``RequestContextMiddleware`` logs it with the same request id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from todo.core.conversations import ConversationNotFound
from todo.core.http import INTERNAL_ERROR_DETAIL, error_body
from todo.core.overload import POOL_TIMEOUT_DETAIL, Overloaded, PoolTimeout, overloaded_response
from todo.core.tasks import InvalidTaskQuery, TaskNotFound

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
    return JSONResponse(error_body(detail, errors=problems), status_code=422)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body(str(exc)), status_code=status.HTTP_404_NOT_FOUND)


async def _invalid_query(request: Request, exc: Exception) -> JSONResponse:
    detail = str(exc)
    field, _, message = detail.partition(": ")
    return JSONResponse(error_body(detail, errors=[{"field": field, "message": message}]), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(error_body(exc.detail), status_code=exc.status_code, headers=exc.headers)


async def _overloaded(request: Request, exc: Exception) -> JSONResponse:
    return overloaded_response(str(exc))


async def _pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    return overloaded_response(POOL_TIMEOUT_DETAIL)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Logged once, with the traceback, by RequestContextMiddleware (Starlette re-raises to it).
    return JSONResponse(error_body(INTERNAL_ERROR_DETAIL), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Overloaded, _overloaded)
    app.add_exception_handler(PoolTimeout, _pool_timeout)
    app.add_exception_handler(TaskNotFound, _not_found)
    app.add_exception_handler(ConversationNotFound, _not_found)
    app.add_exception_handler(InvalidTaskQuery, _invalid_query)
    app.add_exception_handler(Exception, _unexpected)
