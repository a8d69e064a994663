"""Run the whole backend stack as REAL processes on loopback: PostgreSQL, todo-migrate, todo-mcp, todo-api.

Command line (the frontend's browser test, the benchmarks and anyone who wants a live backend):

    .venv/bin/python -m tests.support.stack --port-base 15460 --json-out /tmp/stack.json

starts PostgreSQL on PORT_BASE+2, migrates it, starts the MCP server on PORT_BASE+1 and the API on
PORT_BASE, all with development settings and freshly generated secrets; once every ``/readyz``
answers it writes ``{"api": "http://127.0.0.1:P", "mcp": "http://127.0.0.1:P/mcp",
"database_url": "postgresql+psycopg://...", "api_replicas": [...]}`` to the JSON file and runs
until SIGTERM/SIGINT, then stops everything and deletes the database. Without ``--port-base``
free ports are picked.
``--env KEY=VALUE`` adds settings (e.g. ``--env TODO_AGENT_ENGINE=openai``) to the API and MCP server;
``--log-file`` collects the services' JSON logs there instead of on stderr; ``--api-replicas 2``
starts a second todo-api on the same database (ports after PostgreSQL's).

In Python, ``Stack`` does the same as a context manager and can start extra API instances.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from tests.support.postgres import PostgresServer, PostgresUnavailable, free_port, stop_with_parent

BIN = Path(sys.executable).parent


class StackError(RuntimeError):
    """A service of the stack failed to start; the message names it and why."""


class Stack:
    """PostgreSQL + todo-migrate + todo-mcp + todo-api on 127.0.0.1."""

    def __init__(
        self,
        port_base: int | None = None,
        *,
        extra_env: dict[str, str] | None = None,
        log: IO[bytes] | None = None,
        durable_db: bool = False,
        api_replicas: int = 1,
    ) -> None:
        self.port_base = port_base
        self.extra_env = dict(extra_env or {})
        self.log = log
        self.durable_db = durable_db
        self.api_replicas = api_replicas
        self.jwt_secret = secrets.token_hex(32)
        self.mcp_token = secrets.token_hex(32)
        self.postgres: PostgresServer | None = None
        self.database_url = ""
        self.api_url = ""
        self.api_urls: list[str] = []
        self.mcp_url = ""
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def _port(self, offset: int) -> int:
        return self.port_base + offset if self.port_base is not None else free_port()

    def env(self, **values: str) -> dict[str, str]:
        """The environment every service of this stack runs with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TODO_")}
        env.update(
            TODO_ENVIRONMENT="development",
            TODO_DATABASE_URL=self.database_url,
            TODO_JWT_SECRET=self.jwt_secret,
            TODO_MCP_TOKEN=self.mcp_token,
            TODO_HOST="127.0.0.1",
        )
        env.update(self.extra_env)
        env.update(values)
        return env

    def start(self, timeout: float = 60.0) -> Stack:
        try:
            self.postgres = PostgresServer(
                self.port_base + 2 if self.port_base is not None else None, durable=self.durable_db
            ).start()
            self.database_url = self.postgres.create_database("todo")
            migrate = subprocess.run(
                [str(BIN / "todo-migrate"), "--wait", "30"], env=self.env(), capture_output=True, timeout=120
            )
            if migrate.returncode != 0:
                raise StackError(f"todo-migrate failed: {migrate.stderr.decode(errors='replace').strip()}")
            mcp_port = self._port(1)
            # Extra replicas take ports after PostgreSQL's (N+3, ...) or free ones.
            api_ports = [self._port(0)] + [self._port(2 + n) for n in range(1, self.api_replicas)]
            self.mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
            # All start at once (an API needs the MCP server only when a chat turn runs).
            self._spawn("todo-mcp", TODO_PORT=str(mcp_port))
            for port in api_ports:
                self._spawn("todo-api", TODO_PORT=str(port), TODO_MCP_URL=self.mcp_url)
            self._wait_ready(self.processes[0][1], "todo-mcp", f"http://127.0.0.1:{mcp_port}/readyz", timeout)
            for (_, process), port in zip(self.processes[1:], api_ports, strict=True):
                url = f"http://127.0.0.1:{port}"
                self._wait_ready(process, "todo-api", f"{url}/readyz", timeout)
                self.api_urls.append(url)
            self.api_url = self.api_urls[0]
        except BaseException:
            self.stop()
            raise
        return self

    def start_api(self, port: int | None = None, timeout: float = 60.0) -> str:
        """Start one more todo-api process on this stack (another 'replica'); answer its URL."""
        port = port if port is not None else free_port()
        process = self._spawn("todo-api", TODO_PORT=str(port), TODO_MCP_URL=self.mcp_url)
        url = f"http://127.0.0.1:{port}"
        self._wait_ready(process, "todo-api", f"{url}/readyz", timeout)
        self.api_urls.append(url)
        return url

    def start_variant(self, env: dict[str, str], timeout: float = 60.0) -> str:
        """Start one more todo-mcp and a todo-api that uses it, both with ``env`` on top of the stack's
        settings, on the same database (benchmarks compare such pairs side by side); answer the API's URL."""
        mcp_port = free_port()
        mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
        mcp = self._spawn("todo-mcp", **env, TODO_PORT=str(mcp_port))
        self._wait_ready(mcp, "todo-mcp", f"http://127.0.0.1:{mcp_port}/readyz", timeout)
        api_port = free_port()
        api = self._spawn("todo-api", **env, TODO_PORT=str(api_port), TODO_MCP_URL=mcp_url)
        url = f"http://127.0.0.1:{api_port}"
        self._wait_ready(api, "todo-api", f"{url}/readyz", timeout)
        self.api_urls.append(url)
        return url

    def api_process(self, url: str) -> subprocess.Popen[bytes]:
        """The todo-api process serving ``url``."""
        return [p for name, p in self.processes if name == "todo-api"][self.api_urls.index(url)]

    def _spawn(self, command: str, **env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [str(BIN / command)],
            env=self.env(**env),
            stdout=self.log or None,
            stderr=self.log or None,
            # SIGTERM (their graceful shutdown) if this launcher dies without cleaning up.
            preexec_fn=lambda: stop_with_parent(signal.SIGTERM),
        )
        self.processes.append((command, process))
        return process

    def _wait_ready(self, process: subprocess.Popen[bytes], name: str, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"{name} exited with code {process.returncode} before it was ready")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise StackError(f"{name} did not answer {url} within {timeout:g}s")

    def failed(self) -> str | None:
        """The name of a service that exited on its own, if any."""
        for name, process in self.processes:
            if process.poll() is not None:
                return f"{name} exited with code {process.returncode}"
        return None

    def stop(self) -> None:
        """SIGTERM the services (API first), wait for their graceful exit, then drop PostgreSQL."""
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes.clear()
        self.api_urls.clear()
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None

    def describe(self) -> dict[str, object]:
        return {
            "api": self.api_url,
            "mcp": self.mcp_url,
            "database_url": self.database_url,
            "api_replicas": list(self.api_urls),
        }

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("TODO_"):
            raise SystemExit(f"stack: --env takes TODO_NAME=VALUE, got {pair!r}")
        env[key] = value
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.stack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--port-base", type=int, help="API on N, MCP on N+1, PostgreSQL on N+2")
    parser.add_argument("--json-out", type=Path, required=True, help="where to write the URLs once ready")
    parser.add_argument("--env", action="append", default=[], metavar="TODO_NAME=VALUE")
    parser.add_argument("--api-replicas", type=int, default=1, help="todo-api processes (default 1)")
    parser.add_argument("--log-file", type=Path, help="write the services' logs here (default: stderr)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log = args.log_file.open("ab") if args.log_file else None
    stack = Stack(args.port_base, extra_env=_parse_env(args.env), log=log, api_replicas=args.api_replicas)
    try:
        try:
            stack.start()
        except (StackError, PostgresUnavailable, OSError) as error:
            print(f"stack: {error}", file=sys.stderr)
            return 1
        tmp = args.json_out.with_name(args.json_out.name + ".tmp")
        tmp.write_text(json.dumps(stack.describe()))
        tmp.replace(args.json_out)  # atomic: readers never see a half-written file
        print(f"stack: ready {json.dumps(stack.describe())}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            failure = stack.failed()
            if failure:
                print(f"stack: {failure}; stopping", file=sys.stderr)
                return 1
        return 0
    finally:
        stack.stop()
        args.json_out.unlink(missing_ok=True)
        if log is not None:
            log.close()


if __name__ == "__main__":
    sys.exit(main())
