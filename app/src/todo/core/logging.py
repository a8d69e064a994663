"""Structured JSON logs with a request id, shared by the API and the MCP server.

``configure_logging`` makes every log record one JSON object on stderr; ``request_id_var`` is the
request id that ``todo.core.http.RequestContextMiddleware`` sets and every line carries.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("todo_request_id", default=None)

# Attributes every LogRecord has; anything else was passed via ``extra=`` and is logged as a field.
# uvicorn's "color_message" duplicates the message with terminal colour codes.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "info") -> None:
    """Route the root logger and uvicorn's loggers to one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # The middleware writes a richer access line (request id, duration); uvicorn's would duplicate it
    # and uvicorn re-enables its access logger on start-up, so drop those records at the handler.
    handler.addFilter(lambda record: record.name != "uvicorn.access")
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def uvicorn_log_config() -> dict[str, Any]:
    """A logging config for ``uvicorn.run`` that leaves our JSON handler in place."""
    return {"version": 1, "disable_existing_loggers": False}
