"""The `helm test` pod's script, run for real against stand-in HTTP servers on loopback (FakeApp)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.chart.helm import Manifest, fullname, named

# The program's values for the dev stack set fullnameOverride to the release name.
DEV = fullname("dev-values")
APP_PAGE = b'<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head></html>'


def _server(routes: dict[str, tuple[int, bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            status, body = routes.get(self.path, (404, b'{"detail": "Not Found"}'))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class FakeApp:
    """A frontend and a backend stand-in on ephemeral loopback ports; tests fill in their routes."""

    frontend: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    backend: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    urls: tuple[str, str] = ("", "")


@pytest.fixture
def fake_app() -> Iterator[FakeApp]:
    app = FakeApp()
    started = [_server(app.frontend), _server(app.backend)]
    app.urls = (
        f"http://127.0.0.1:{started[0].server_address[1]}",
        f"http://127.0.0.1:{started[1].server_address[1]}",
    )
    yield app
    for server in started:
        server.shutdown()
        server.server_close()


def _run_test_pod(renders: dict[str, list[Manifest]], app: FakeApp) -> subprocess.CompletedProcess[str]:
    pod = named(renders["dev-values"], "Pod", f"{DEV}-test")
    command = pod.body["spec"]["containers"][0]["command"]
    assert command[0] == "python3"
    assert command[-3:-1] == [f"http://{DEV}-frontend:8080", f"http://{DEV}-backend:8000"]
    # The same script with the loopback URLs and one attempt per check.
    return subprocess.run(
        [sys.executable, "-c", command[2], *app.urls, "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_passes_when_the_app_answers(renders: dict[str, list[Manifest]], fake_app: FakeApp) -> None:
    fake_app.frontend["/"] = (200, APP_PAGE)
    fake_app.frontend["/api/openapi.json"] = (200, json.dumps({"openapi": "3.1.0"}).encode())
    fake_app.backend["/readyz"] = (200, b'{"status": "ok"}')
    result = _run_test_pod(renders, fake_app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok: ") == 3


def test_fails_naming_each_broken_check(renders: dict[str, list[Manifest]], fake_app: FakeApp) -> None:
    # The frontend serves the page but its proxy answers nginx's JSON 502; the database is down.
    fake_app.frontend["/"] = (200, APP_PAGE)
    fake_app.frontend["/api/openapi.json"] = (502, b'{"detail": "not reachable"}')
    fake_app.backend["/readyz"] = (503, b'{"status": "database unreachable"}')
    result = _run_test_pod(renders, fake_app)
    assert result.returncode == 1
    assert "ok: frontend serves the app" in result.stdout
    assert "FAILED: frontend proxies /api/ to the backend" in result.stdout and "HTTP 502" in result.stdout
    assert "FAILED: backend is ready (database reachable)" in result.stdout and "HTTP 503" in result.stdout
