"""``todo-api``: serve the backend with uvicorn (one process; scale with replicas)."""

from __future__ import annotations

import logging

import uvicorn

from todo.core.logging import configure_logging, uvicorn_log_config
from todo.core.settings import ApiSettings, settings_from_env

from .main import create_app

# Kubernetes waits terminationGracePeriodSeconds (30 s by default) before SIGKILL; finish sooner.
GRACEFUL_SHUTDOWN_SECONDS = 20


def main() -> None:
    """Read settings (exit 2 with one line if they are wrong), then serve until SIGTERM."""
    settings = settings_from_env(ApiSettings)
    configure_logging(settings.log_level)
    logging.getLogger("todo.api").info(
        "starting todo-api",
        extra={"host": settings.host, "port": settings.port, "agent_engine": settings.agent_engine.value},
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop=settings.server_loop,
        http=settings.server_http,
        log_config=uvicorn_log_config(),
        access_log=False,
        # On SIGTERM uvicorn stops accepting, lets in-flight requests finish, then exits.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        proxy_headers=True,
        server_header=False,
    )


if __name__ == "__main__":
    main()
