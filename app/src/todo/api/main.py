"""The FastAPI application factory."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from todo.core.db import autocommit, get_engine
from todo.core.logging import RequestContextMiddleware
from todo.core.settings import ApiSettings

from .errors import install_error_handlers
from .routes import auth, chat, conversations, health, tasks


def create_app(settings: ApiSettings) -> FastAPI:
    """Build the app for ``settings``; no I/O happens until the first request."""
    engine = get_engine(settings.database_url.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Load the chat engine before serving, so the first chat turn does not pay for the import.
        importlib.import_module(f"todo.agent.{settings.agent_engine.value}_engine")
        yield
        # The chat engine's pooled MCP connections belong to this event loop: close them with it.
        from todo.agent.task_tools import close_shared_http_client

        await close_shared_http_client()
        # Close pooled connections so PostgreSQL sees a clean goodbye on shutdown.
        engine.dispose()

    app = FastAPI(
        title="Todo Chatbot API",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.request_engine = autocommit(engine)

    api = APIRouter(prefix="/api")
    for module in (auth, tasks, chat, conversations):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    return app
