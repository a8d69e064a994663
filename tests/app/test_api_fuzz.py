"""Every endpoint fuzzed from the API's own OpenAPI document (schemathesis), on the real app.

The app runs under uvicorn on loopback, on the real PostgreSQL, with a real MCP server behind the chat.
Schemathesis generates valid and invalid requests for every operation; each one is sent signed in
(a fresh session each time, so a generated logout or password change cannot sign the rest out).
Whatever the input, the answer is 2xx, or a 4xx JSON error whose request id is the one in the
``X-Request-ID`` header: never a 5xx. Seeded and budgeted, so a run is repeatable and takes seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlmodel import Session

from tests.app.mcp_server import ServerThread, run_mcp_server, with_mcp_url
from todo.api.main import create_app
from todo.api.security import SESSION_COOKIE, issue_token
from todo.core import sessions
from todo.core.db import engine_for
from todo.core.models import User
from todo.core.settings import ApiSettings

# Enough to reach every operation in both modes many times over; ~20 s on the 2-core machine.
MAX_EXAMPLES = 300


@pytest.fixture
def served(api_settings: ApiSettings) -> Iterator[tuple[str, ApiSettings]]:
    with run_mcp_server(api_settings) as mcp:
        settings = with_mcp_url(api_settings, mcp.url)
        server = ServerThread(create_app(settings)).start()
        try:
            yield server.base_url, settings
        finally:
            server.stop()


def _signed_in(settings: ApiSettings, user_id: int) -> str:
    """A session cookie of a new session, made directly (no password hashing per example)."""
    with Session(engine_for(settings)) as session:
        session_id = sessions.start_session(session, user_id, timedelta(hours=1))
    return issue_token(settings, user_id, session_id)


def test_no_input_to_any_endpoint_gets_a_5xx(served: tuple[str, ApiSettings]) -> None:
    base_url, api_settings = served
    with Session(engine_for(api_settings)) as session:
        user = User(email="fuzz@example.com", name="Fuzz", password_hash="!not-a-hash")
        session.add(user)
        session.commit()
        user_id = user.id
    assert user_id is not None
    # The document is the one the app serves, fetched like any client would.
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    cases = st.one_of(
        schema.as_strategy(generation_mode=GenerationMode.POSITIVE),
        schema.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    seen: set[str] = set()

    @seed(19)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def fuzz(case: Any) -> None:
        seen.add(f"{case.method} {case.path}")
        response = case.call(
            base_url=base_url, cookies={SESSION_COOKIE: _signed_in(api_settings, user_id)}, timeout=30
        )
        assert response.status_code < 500, (case.as_curl_command(), response.status_code, response.text)
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("detail"), str), (case.as_curl_command(), body)
            # schemathesis's response keeps every header as a list of its values.
            assert [body["request_id"]] == response.headers["x-request-id"], (case.as_curl_command(), body)

    fuzz()
    operations = {
        f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items() for method in item
    }
    assert seen == operations, f"not fuzzed: {operations - seen}"
