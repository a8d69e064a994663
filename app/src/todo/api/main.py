"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from todo.agent import TurnFunction, load_engine
from todo.core.db import autocommit, engine_for
from todo.core.http import RequestContextMiddleware
from todo.core.overload import AdmissionGate, ShedWhenFull
from todo.core.settings import ApiSettings

from .body_limit import BodyLimit
from .errors import install_error_handlers
from .routes import auth, chat, conversations, health, tasks

log = logging.getLogger("todo.api")


def load_chat_engine(settings: ApiSettings) -> TurnFunction:
    """Import the configured chat engine (the openai engine's SDK takes ~1.4 s)."""
    return load_engine(settings.agent_engine)


class TodoApi(FastAPI):
    """FastAPI with ``RequestContextMiddleware`` outside Starlette's last-resort error handler.

    There, the request id is set while that handler answers a 500, and the exception it re-raises
    ends in the middleware instead of in uvicorn, which would drop the keep-alive connection.
    Right inside it, ``ShedWhenFull`` refuses ``/api/`` requests cheaply while the queue is full, and
    then ``BodyLimit`` refuses an oversized body with 413 before anything reads it whole.
    """

    def build_middleware_stack(self) -> ASGIApp:
        limited = BodyLimit(super().build_middleware_stack())
        shed = ShedWhenFull(limited, self.state.admission, prefix="/api/")
        return cast(ASGIApp, RequestContextMiddleware(shed))


def create_app(settings: ApiSettings) -> FastAPI:
    """Build the app for ``settings``; no I/O happens until the first request."""
    engine = engine_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The chat engine loads in a worker thread while the server already answers probes and the
        # task API; a chat turn that arrives first waits for it (deps.chat_engine_loaded).
        loading = asyncio.ensure_future(asyncio.to_thread(load_chat_engine, settings))

        def loaded(future: asyncio.Future[TurnFunction]) -> None:
            if not future.cancelled() and (error := future.exception()) is not None:
                app.state.chat_engine_failed = True
                log.error("chat engine failed to load; /readyz answers 503", exc_info=error)

        loading.add_done_callback(loaded)
        app.state.chat_engine_loading = loading
        yield
        if not loading.done():
            await asyncio.wait([loading])
        # The chat engine's pooled MCP connections belong to this event loop: close them with it.
        from todo.agent.task_tools import close_shared_http_client

        await close_shared_http_client()
        # Close pooled connections so PostgreSQL sees a clean goodbye on shutdown.
        engine.dispose()

    app = TodoApi(
        title="Todo Chatbot API",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.chat_engine_failed = False
    app.state.engine = engine
    app.state.request_engine = autocommit(engine)
    # Every request that uses the database holds a slot of this gate meanwhile (deps.get_session).
    app.state.admission = AdmissionGate.from_settings(settings)

    api = APIRouter(prefix="/api")
    for module in (auth, tasks, chat, conversations):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    install_error_handlers(app)
    return app
