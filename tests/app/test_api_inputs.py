"""No input makes the API or the MCP tools answer 500: each class of bad input, over every field of it.

The fields come from the OpenAPI document the API serves (and the MCP tools' own input schemas), not
from a hand list: a text field or id added later is covered the day it is added.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import httpx2
import jwt
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from sqlalchemy import Engine

from tests.app.conftest import error_detail, register
from tests.app.mcp_server import ServerThread
from todo.api.body_limit import MAX_BODY_BYTES, BodyLimit
from todo.api.main import create_app
from todo.api.security import ALGORITHM, SESSION_COOKIE
from todo.core.models import ID_MAX, OFFSET_MAX, User
from todo.core.settings import ApiSettings
from todo.mcp.tools import act_as, build_server

# Fixtures are function-scoped on purpose (a fresh database per test); the examples share them.
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        target: Any = document
        for part in str(schema["$ref"]).split("/")[1:]:
            target = target[part]
        return _resolve(document, target)
    return schema


def _types(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a (possibly nullable) property takes."""
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        return set().union(*(_types(document, option) for option in schema["anyOf"]))
    kind = schema.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


def _takes(document: dict[str, Any], schema: dict[str, Any], json_type: str) -> bool:
    """Whether a property takes any value of ``json_type``: for strings, free text (no enum, no format)."""
    schema = _resolve(document, schema)
    if "anyOf" in schema:
        return any(_takes(document, option, json_type) for option in schema["anyOf"])
    if json_type == "string" and ({"enum", "format", "const"} & set(schema)):
        return False
    return json_type in _types(document, schema)


Field = tuple[str, str, str, str]  # (method, path, "body" | "query" | "path", field name)


def _fields(document: dict[str, Any], json_type: str) -> list[Field]:
    """Every input field of the API of ``json_type``: body properties, query and path parameters."""
    found: list[Field] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if _takes(document, parameter["schema"], json_type):
                    found.append((method, path, parameter["in"], parameter["name"]))
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                body = _resolve(document, content["schema"])
                for name, prop in body.get("properties", {}).items():
                    if _takes(document, prop, json_type):
                        found.append((method, path, "body", name))
    return found


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The OpenAPI document (it needs no database: no request reaches a route)."""
    app = create_app(
        ApiSettings(
            database_url="postgresql+psycopg://unused@127.0.0.1:1/unused",  # type: ignore[arg-type]
            jwt_secret="x" * 32,  # type: ignore[arg-type]
            mcp_token="x" * 32,  # type: ignore[arg-type]
        )
    )
    openapi: dict[str, Any] = app.openapi()
    return openapi


def _request(client: TestClient, field: Field, value: Any) -> httpx2.Response:
    method, path, where, name = field
    url = path.replace("{" + name + "}", str(value)) if where == "path" else path
    # Other path parameters get an id that exists for nobody.
    for other in ("task_id", "conversation_id"):
        url = url.replace("{" + other + "}", "1")
    kwargs: dict[str, Any] = {}
    if where == "query":
        kwargs["params"] = {name: value}
    if where == "body":
        kwargs["json"] = {name: value}
    elif method in {"post", "patch", "put"}:
        kwargs["json"] = {}
    return client.request(method.upper(), url, **kwargs)


def test_the_inputs_are_found(document: dict[str, Any]) -> None:
    """The derivation sees the fields it must: a broken walk would make the tests below vacuous."""
    texts = {(path, name) for _, path, _, name in _fields(document, "string")}
    assert {("/api/tasks", "title"), ("/api/tasks", "q"), ("/api/chat", "message")} <= texts
    assert {("/api/auth/register", "email"), ("/api/auth/register", "name")} <= texts
    ints = {(path, name) for _, path, _, name in _fields(document, "integer")}
    assert {("/api/tasks/{task_id}", "task_id"), ("/api/chat", "conversation_id")} <= ints
    assert ("/api/tasks", "offset") in ints


# --- NUL (PostgreSQL text cannot hold it) -------------------------------------------------------------

_around = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


@FUZZ
@given(data=st.data(), before=_around, after=_around)
def test_nul_in_any_text_field_is_a_422_naming_the_field(
    document: dict[str, Any], client: TestClient, data: st.DataObject, before: str, after: str
) -> None:
    if not client.cookies.get(SESSION_COOKIE):
        register(client)
    field = data.draw(st.sampled_from(_fields(document, "string")), label="field")
    # Long enough for every minimum length, short enough for every maximum: only the NUL is wrong.
    response = _request(client, field, f"long enough {before}\x00{after}")
    assert response.status_code == 422, (field, response.text)
    problems = response.json()["errors"]
    assert any(p["field"] == field[3] and "NUL" in p["message"] for p in problems), (field, problems)
    error_detail(response)


@pytest.mark.anyio
async def test_nul_in_any_mcp_tool_argument_is_refused_naming_it(
    engine: Engine, make_user: Callable[..., User]
) -> None:
    user = make_user()
    assert user.id is not None
    with act_as(user.id):
        async with Client(build_server(engine)) as client:
            tools = (await client.list_tools()).tools
            checked = 0
            for tool in tools:
                for name, prop in tool.input_schema.get("properties", {}).items():
                    if not _takes(tool.input_schema, prop, "string"):
                        continue
                    arguments: dict[str, Any] = {name: "a\x00b"}
                    if "task_id" in tool.input_schema.get("properties", {}):
                        arguments["task_id"] = 1
                    result = await client.call_tool(tool.name, arguments)
                    text = result.content[0]
                    assert result.is_error and text.type == "text", (tool.name, name)
                    assert name in text.text and "NUL" in text.text, (tool.name, name, text.text)
                    checked += 1
    assert checked >= 4  # add_task title/description, list_tasks search, update_task title/description


# --- integers a PostgreSQL column cannot hold -----------------------------------------------------------

_out_of_range = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=ID_MAX + 1),
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1]),
)


@FUZZ
@given(data=st.data(), value=_out_of_range)
def test_ids_and_offsets_beyond_the_columns_are_404_or_422(
    document: dict[str, Any], client: TestClient, data: st.DataObject, value: int
) -> None:
    if not client.cookies.get(SESSION_COOKIE):
        register(client)
    field = data.draw(st.sampled_from(_fields(document, "integer")), label="field")
    if field[3] == "offset" and 0 <= value <= OFFSET_MAX:
        value = OFFSET_MAX + 1 + abs(value)
    response = _request(client, field, value)
    assert response.status_code in {404, 422}, (field, value, response.text)
    error_detail(response)


def test_the_largest_offset_postgresql_takes_is_an_empty_page(client: TestClient) -> None:
    register(client)
    client.post("/api/tasks", json={"title": "one"})
    page = client.get("/api/tasks", params={"offset": OFFSET_MAX})
    assert page.status_code == 200 and page.json() == {"items": [], "total": 1}


# --- session tokens ---------------------------------------------------------------------------------


_claim = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=30),
    st.sampled_from(["1", "²", "٣", "1e3", " 1", "-1", "0", str(ID_MAX + 1), "9" * 40, "1.0"]),
    st.lists(st.integers(), max_size=2),
)


@FUZZ
@given(subject=_claim, session_id=_claim)
def test_a_signed_token_that_is_not_a_live_session_is_401(
    client: TestClient, api_settings: ApiSettings, subject: Any, session_id: Any
) -> None:
    claims: dict[str, Any] = {"exp": 4_000_000_000}
    if subject is not None:
        claims["sub"] = subject
    if session_id is not None:
        claims["sid"] = session_id
    token = jwt.encode(claims, api_settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token, path="/api")
    for path in ("/api/auth/me", "/api/tasks"):
        response = client.get(path)
        assert response.status_code == 401, (claims, response.text)
        error_detail(response)
    chat = client.post("/api/chat", json={"message": "hi"})
    assert chat.status_code == 401, (claims, chat.text)


def test_a_well_formed_token_of_a_session_never_issued_is_401(
    client: TestClient, api_settings: ApiSettings
) -> None:
    user_id = register(client)
    claims = {"sub": str(user_id), "sid": "A" * 43, "exp": 4_000_000_000}
    token = jwt.encode(claims, api_settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token, path="/api")
    response = client.get("/api/auth/me")
    assert response.status_code == 401 and error_detail(response) == "session ended; log in again"


# --- logout and password change end sessions ---------------------------------------------------------


def test_logout_ends_the_session_on_the_server(api_app: Any) -> None:
    with TestClient(api_app) as browser, TestClient(api_app) as thief:
        register(browser)
        thief.cookies.set(SESSION_COOKIE, browser.cookies[SESSION_COOKIE], path="/api")
        assert thief.get("/api/auth/me").status_code == 200
        assert browser.post("/api/auth/logout").status_code == 204
        # The copied cookie (the old value, which the browser no longer holds) is refused now.
        for path in ("/api/auth/me", "/api/tasks", "/api/conversations"):
            response = thief.get(path)
            assert response.status_code == 401 and error_detail(response) == "session ended; log in again"
        assert thief.post("/api/chat", json={"message": "add milk"}).status_code == 401


def test_a_password_change_ends_every_other_session(api_app: Any) -> None:
    password, new = "correct horse", "battery staple"
    with TestClient(api_app) as laptop, TestClient(api_app) as phone:
        register(laptop, password=password)
        phone.post("/api/auth/login", json={"email": "ann@example.com", "password": password})
        assert phone.get("/api/auth/me").status_code == 200
        wrong = laptop.post("/api/auth/password", json={"current_password": "nope", "new_password": new})
        assert wrong.status_code == 403 and "current_password" in error_detail(wrong)
        changed = laptop.post("/api/auth/password", json={"current_password": password, "new_password": new})
        assert changed.status_code == 204, changed.text
        assert laptop.get("/api/auth/me").status_code == 200  # this browser got a new session
        assert phone.get("/api/auth/me").status_code == 401  # the other one must log in again
        old = phone.post("/api/auth/login", json={"email": "ann@example.com", "password": password})
        assert old.status_code == 401
        again = phone.post("/api/auth/login", json={"email": "ann@example.com", "password": new})
        assert again.status_code == 200


# --- concurrency ------------------------------------------------------------------------------------


@pytest.fixture
def served(api_app: Any) -> Iterator[str]:
    server = ServerThread(api_app).start()
    try:
        yield server.base_url
    finally:
        server.stop()


def test_two_concurrent_deletes_of_one_task_are_one_204_and_one_404(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        register(client)  # type: ignore[arg-type]  # httpx.Client has the TestClient calls register uses
        for _ in range(10):
            task_id = client.post("/api/tasks", json={"title": "once"}).json()["id"]
            start = threading.Barrier(2)
            statuses: list[int] = []

            def delete(task_id: int, start: threading.Barrier, statuses: list[int]) -> None:
                with httpx.Client(base_url=served, timeout=30, cookies=client.cookies) as own:
                    start.wait()
                    statuses.append(own.delete(f"/api/tasks/{task_id}").status_code)

            workers = [threading.Thread(target=delete, args=(task_id, start, statuses)) for _ in range(2)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=30)
            assert sorted(statuses) == [204, 404], statuses


# --- oversized bodies ------------------------------------------------------------------------------


def test_an_oversized_body_is_refused_with_413_before_it_is_read(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        register(client)  # type: ignore[arg-type]
        declared = client.post(
            "/api/tasks",
            content=b"{" + b" " * MAX_BODY_BYTES + b"}",
            headers={"content-type": "application/json"},
        )
        assert declared.status_code == 413 and "larger than" in error_detail(declared)

        # Chunked (no Content-Length): counted as it arrives. Small enough that the client finishes
        # sending before it reads the answer; the 50 MB case is below, at the ASGI level.
        chunked = client.post(
            "/api/chat", content=iter([b" " * 32768] * 3), headers={"content-type": "application/json"}
        )
        assert chunked.status_code == 413 and "larger than" in error_detail(chunked)
        padded = b'{"title": "fits"' + b" " * (MAX_BODY_BYTES - 18) + b"}"
        assert len(padded) == MAX_BODY_BYTES - 1
        fits = client.post("/api/tasks", content=padded, headers={"content-type": "application/json"})
        assert fits.status_code == 201, fits.text


@pytest.mark.anyio
async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    chunk = {"type": "http.request", "body": b" " * 65536, "more_body": True}
    received = 0
    sent: list[dict[str, Any]] = []
    reached_app = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        return chunk  # a 50 MB upload would go on for 800 chunks

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached_app
        reached_app = True

    scope = {"type": "http", "method": "POST", "path": "/api/chat", "headers": []}
    await BodyLimit(app)(scope, receive, send)  # type: ignore[arg-type]
    assert not reached_app and sent[0]["status"] == 413
    assert received == MAX_BODY_BYTES // 65536 + 1  # read up to the first byte too many, no further
