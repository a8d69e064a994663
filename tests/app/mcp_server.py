"""Helpers (no tests) to run REAL servers for the MCP, agent and chat tests: uvicorn on loopback.

``ServerThread`` serves any ASGI app with uvicorn in a background thread on a free port from this
layer's loopback range; ``run_mcp_server`` starts the MCP task server that way; ``mcp_client``
connects the SDK's streamable HTTP client to it with the service headers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from tests.support import ports
from todo.core.settings import ApiSettings, Environment, McpSettings
from todo.mcp.app import create_app

# Loopback ports the MCP/agent/chat tests own.
PORT_RANGE = range(15500, 15600)


def free_port() -> int:
    """A free loopback port of this layer's range (tests.support.ports)."""
    return ports.free_port(PORT_RANGE)


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 in a daemon thread until ``stop()``."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port if port is not None else free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass(frozen=True)
class RunningMcp:
    """An MCP task server listening on loopback."""

    url: str  # the /mcp endpoint
    base_url: str
    token: str


def mcp_settings_for(api_settings: ApiSettings) -> McpSettings:
    """MCP server settings sharing the backend's database and service token."""
    return McpSettings(
        environment=Environment.development,
        database_url=api_settings.database_url,
        mcp_token=api_settings.mcp_token,
        host="127.0.0.1",
        log_level="warning",
    )


@contextmanager
def run_mcp_server(api_settings: ApiSettings) -> Iterator[RunningMcp]:
    """The real MCP app served by uvicorn on loopback for the duration of the block."""
    thread = ServerThread(create_app(mcp_settings_for(api_settings))).start()
    try:
        yield RunningMcp(
            url=f"{thread.base_url}/mcp",
            base_url=thread.base_url,
            token=api_settings.mcp_token.get_secret_value(),
        )
    finally:
        thread.stop()


def with_mcp_url(api_settings: ApiSettings, url: str, **changes: Any) -> ApiSettings:
    """``api_settings`` pointed at the MCP server at ``url`` (plus any other field changes)."""
    return api_settings.model_copy(update={"mcp_url": url, **changes})


def secret(value: str) -> SecretStr:
    return SecretStr(value)


@asynccontextmanager
async def mcp_client(url: str, headers: dict[str, str]) -> AsyncIterator[Client]:
    """The SDK's streamable HTTP client, sending ``headers`` with every request."""
    async with (
        httpx2.AsyncClient(headers=headers, timeout=10) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client
