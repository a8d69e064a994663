"""Auth through the HTTP API: register, login, logout, me, cookie flags, bad and expired sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import jwt
import pytest
from fastapi.testclient import TestClient

from tests.app.conftest import error_detail, register
from todo.api.main import create_app
from todo.core.settings import ApiSettings


def _cookie(set_cookie: str) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(set_cookie)
    return cookie


def test_register_sets_an_httponly_lax_cookie_and_returns_no_token(client: TestClient) -> None:
    response = client.post(
        "/api/auth/register", json={"email": " Ann@Example.COM ", "password": "correct horse", "name": "Ann"}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name"}
    assert body["email"] == "ann@example.com" and body["name"] == "Ann"
    header = response.headers["set-cookie"]
    morsel = _cookie(header)["todo_session"]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/api"
    assert int(morsel["max-age"]) == 60 * 24 * 7 * 60
    assert not morsel["secure"]  # TODO_COOKIE_SECURE defaults to false (plain-HTTP Minikube)
    assert morsel.value not in response.text  # the token never reaches JavaScript
    assert client.get("/api/auth/me").json() == body


def test_secure_cookie_when_configured(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(settings)) as secure_client:
        response = secure_client.post(
            "/api/auth/register", json={"email": "s@example.com", "password": "correct horse"}
        )
    assert response.status_code == 201
    assert _cookie(response.headers["set-cookie"])["todo_session"]["secure"] is True


def test_duplicate_email_is_409_case_insensitively(client: TestClient) -> None:
    register(client, "ann@example.com")
    again = client.post("/api/auth/register", json={"email": "ANN@example.com", "password": "another one"})
    assert again.status_code == 409
    assert again.json()["detail"].startswith("email: ann@example.com is already registered")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"email": "not-an-email", "password": "correct horse"}, "email: must be an e-mail address"),
        ({"email": "a@example.com", "password": "short"}, "password: String should have at least 8"),
        ({"password": "correct horse"}, "email: is required"),
        ({"email": "a@example.com", "password": "correct horse", "admin": True}, "admin: is not a known"),
    ],
)
def test_register_validation_names_the_field(
    client: TestClient, body: dict[str, object], detail: str
) -> None:
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert response.json()["errors"][0]["field"] == detail.split(":")[0]


def test_login_logout_and_wrong_credentials(client: TestClient) -> None:
    register(client, "bob@example.com", "bobs password")
    client.post("/api/auth/logout")
    assert client.get("/api/auth/me").status_code == 401

    wrong = client.post("/api/auth/login", json={"email": "bob@example.com", "password": "nope nope"})
    unknown = client.post("/api/auth/login", json={"email": "who@example.com", "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert error_detail(wrong) == error_detail(unknown) == "wrong e-mail or password"
    assert "set-cookie" not in wrong.headers

    ok = client.post("/api/auth/login", json={"email": "BOB@example.com", "password": "bobs password"})
    assert ok.status_code == 200 and ok.json()["email"] == "bob@example.com"
    assert client.get("/api/auth/me").status_code == 200

    out = client.post("/api/auth/logout")
    assert out.status_code == 204
    assert 'todo_session=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert error_detail(client.get("/api/auth/me")) == "not logged in"


def _token(secret: str, sub: str, expires: timedelta, algorithm: str = "HS256") -> str:
    now = datetime.now(UTC)
    claims = {"sub": sub, "sid": "A" * 43, "iat": now, "exp": now + expires}
    return jwt.encode(claims, secret, algorithm=algorithm)


def test_expired_forged_and_garbage_sessions_are_401(client: TestClient, api_settings: ApiSettings) -> None:
    user_id = register(client)
    secret = api_settings.jwt_secret.get_secret_value()
    cases = {
        _token(secret, str(user_id), timedelta(minutes=-1)): "session expired; log in again",
        _token("another-secret-of-enough-length-32b", str(user_id), timedelta(hours=1)): "invalid session",
        jwt.encode({"sub": str(user_id)}, secret, algorithm="HS256"): "invalid session",  # no exp
        "garbage": "invalid session",
        _token(secret, "admin", timedelta(hours=1)): "invalid session",
    }
    for token, detail in cases.items():
        client.cookies.clear()
        client.cookies.set("todo_session", token, path="/api")
        response = client.get("/api/tasks")
        assert response.status_code == 401, token
        assert response.json()["detail"].startswith(detail)
    client.cookies.clear()
    # Validly signed, but no session this server issued (for an account that does not exist, too).
    client.cookies.set("todo_session", _token(secret, "987654", timedelta(hours=1)), path="/api")
    for method, path in [("GET", "/api/auth/me"), ("POST", "/api/tasks"), ("GET", "/api/tasks")]:
        gone = client.request(method, path, json={"title": "orphan"} if method == "POST" else None)
        assert gone.status_code == 401 and gone.json()["detail"] == "session ended; log in again", path


def test_unauthenticated_requests_are_401(client: TestClient) -> None:
    for method, path in [("GET", "/api/tasks"), ("POST", "/api/tasks"), ("GET", "/api/conversations"),
                         ("POST", "/api/chat"), ("GET", "/api/tasks/1")]:  # fmt: skip
        assert client.request(method, path, json={}).status_code == 401, path
