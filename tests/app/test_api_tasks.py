"""Task CRUD through the HTTP API: filters, search, pagination, validation and user isolation."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.app.conftest import error_detail, register


def _add(client: TestClient, **body: object) -> dict[str, object]:
    response = client.post("/api/tasks", json=body)
    assert response.status_code == 201, response.text
    task: dict[str, object] = response.json()
    return task


def test_crud_round_trip(client: TestClient) -> None:
    register(client)
    task = _add(client, title="Buy milk", description="2 litres", due_date="2030-05-01", priority="high")
    assert set(task) == {
        "id", "title", "description", "due_date", "priority", "completed", "completed_at",
        "created_at", "updated_at",
    }  # fmt: skip
    assert (task["title"], task["due_date"], task["priority"], task["completed"]) == (
        "Buy milk", "2030-05-01", "high", False,
    )  # fmt: skip
    url = f"/api/tasks/{task['id']}"
    assert client.get(url).json() == task

    patched = client.patch(url, json={"title": "Buy oat milk", "due_date": None}).json()
    assert (patched["title"], patched["due_date"], patched["description"]) == (
        "Buy oat milk",
        None,
        "2 litres",
    )

    done = client.post(f"{url}/complete").json()
    assert done["completed"] is True and done["completed_at"] is not None
    reopened = client.post(f"{url}/reopen").json()
    assert reopened["completed"] is False and reopened["completed_at"] is None

    assert client.delete(url).status_code == 204
    missing = client.get(url)
    assert missing.status_code == 404 and error_detail(missing) == f"task {task['id']} not found"
    assert client.delete(url).status_code == 404


def test_list_filters_search_and_pagination(client: TestClient) -> None:
    register(client)
    ids = [_add(client, title=f"chore {n}")["id"] for n in range(7)]
    _add(client, title="Call mom", description="birthday")
    for task_id in ids[:2]:
        client.post(f"/api/tasks/{task_id}/complete")

    default = client.get("/api/tasks").json()  # status defaults to open
    assert default["total"] == 6
    assert [t["id"] for t in default["items"]][:5] == ids[2:]
    assert client.get("/api/tasks?status=done").json()["total"] == 2
    assert client.get("/api/tasks?status=all").json()["total"] == 8
    found = client.get("/api/tasks", params={"q": "BIRTHDAY", "status": "all"}).json()
    assert [t["title"] for t in found["items"]] == ["Call mom"] and found["total"] == 1

    page1 = client.get("/api/tasks?status=all&limit=3&offset=0").json()
    page3 = client.get("/api/tasks?status=all&limit=3&offset=6").json()
    assert page1["total"] == page3["total"] == 8
    assert len(page1["items"]) == 3 and len(page3["items"]) == 2
    assert client.get("/api/tasks?status=all&offset=100").json() == {"items": [], "total": 8}


@pytest.mark.parametrize(
    ("method", "path", "body", "detail"),
    [
        ("POST", "/api/tasks", {"title": ""}, "title: must not be empty"),
        ("POST", "/api/tasks", {"title": "   "}, "title: must not be empty"),
        ("POST", "/api/tasks", {}, "title: is required"),
        ("POST", "/api/tasks", {"title": "x" * 201}, "title: must be at most 200 characters"),
        ("POST", "/api/tasks", {"title": "a", "priority": "urgent"}, "priority: Input should be 'low'"),
        (
            "POST",
            "/api/tasks",
            {"title": "a", "due_date": "next week"},
            "due_date: Input should be a valid date",
        ),
        ("POST", "/api/tasks", {"title": "a", "owner": 2}, "owner: is not a known field"),
        ("POST", "/api/tasks", None, "body: is required"),
        ("GET", "/api/tasks?limit=0", None, "limit: Input should be greater than or equal to 1"),
        ("GET", "/api/tasks?limit=500", None, "limit: Input should be less than or equal to 200"),
        ("GET", "/api/tasks?offset=-1", None, "offset: Input should be greater than or equal to 0"),
        ("GET", "/api/tasks?status=later", None, "status: Input should be 'open', 'done' or 'all'"),
        ("GET", "/api/tasks/abc", None, "task_id: Input should be a valid integer"),
        ("PATCH", "/api/tasks/1", {"title": None}, "title: must not be empty"),
    ],
)
def test_validation_answers_422_naming_the_field(
    client: TestClient, method: str, path: str, body: object, detail: str
) -> None:
    register(client)
    _add(client, title="first")
    response = client.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(detail)


def test_invalid_json_is_422(client: TestClient) -> None:
    register(client)
    response = client.post("/api/tasks", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == "body: is not valid JSON"
    listed = client.post("/api/tasks", json=["a"])
    assert listed.status_code == 422 and listed.json()["detail"] == "body: must be a JSON object"


def test_users_cannot_see_or_touch_each_others_tasks(api_app: FastAPI) -> None:
    with TestClient(api_app) as alice, TestClient(api_app) as bob:
        register(alice, "alice@example.com")
        register(bob, "bob@example.com")
        secret = _add(alice, title="alice's surprise party")
        url = f"/api/tasks/{secret['id']}"
        for method, path, body in [
            ("GET", url, None),
            ("PATCH", url, {"title": "hijacked"}),
            ("POST", f"{url}/complete", None),
            ("POST", f"{url}/reopen", None),
            ("DELETE", url, None),
        ]:
            response = bob.request(method, path, json=body)
            assert response.status_code == 404, (method, path)
            assert "surprise" not in response.text
        assert bob.get("/api/tasks?status=all").json() == {"items": [], "total": 0}
        assert bob.get("/api/tasks?q=surprise&status=all").json()["total"] == 0
        untouched = alice.get(url).json()
        assert untouched == secret
