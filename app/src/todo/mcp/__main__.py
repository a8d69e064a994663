"""``todo-mcp``: run the MCP task server on TODO_HOST:TODO_PORT until SIGTERM."""

from __future__ import annotations

import logging

import uvicorn

from todo.core.db import dispose_engines, safe_url
from todo.core.logging import configure_logging, uvicorn_log_config
from todo.core.settings import McpSettings, settings_from_env
from todo.mcp.app import MCP_PATH, create_app

log = logging.getLogger("todo.mcp")

# In-flight tool calls get this long to finish after SIGTERM (the pod grace period is longer).
GRACEFUL_SHUTDOWN_SECONDS = 20


def main() -> None:
    """Start the server; uvicorn stops accepting on SIGTERM and lets running requests finish."""
    settings = settings_from_env(McpSettings)
    configure_logging(settings.log_level)
    app = create_app(settings)
    log.info(
        "MCP task server listening",
        extra={
            "host": settings.host,
            "port": settings.port,
            "path": MCP_PATH,
            "database": safe_url(settings.database_url.get_secret_value()),
        },
    )
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            loop=settings.server_loop,
            http=settings.server_http,
            log_config=uvicorn_log_config(),
            log_level=settings.log_level,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            proxy_headers=False,
        )
    finally:
        dispose_engines()


if __name__ == "__main__":
    main()
