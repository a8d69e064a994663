"""The whole system end to end: the chart's rendered manifests as containers, driven through nginx.

Tests run in file order against one session `stack`; the secret-leak check comes last so it sees
the logs of every container the others started (including the killed backend).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.docker_cluster import redact
from tests.e2e.stack import Stack

BACKEND = "todo-todo-chatbot-backend"
MCP = "todo-todo-chatbot-mcp"
FRONTEND = "todo-todo-chatbot-frontend"


def _inspect(stack: Stack, container: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(stack.cluster.docker("inspect", container))
    return data[0]


def _schema(stack: Stack) -> str:
    return stack.psql(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY 1, 2;\nSELECT version_num FROM alembic_version;"
    )


def test_migration_hook_job_succeeds_and_a_second_run_is_a_no_op(stack: Stack) -> None:
    first = stack.migrations[0]
    assert [(r.container, r.exit_code) for r in first] == [("wait-for-database", 0), ("migrate", 0)]
    assert "accepts connections" in first[0].logs
    before = _schema(stack)
    assert "alembic_version" in before and "tasks" in before, before

    second = stack.run_migrations()

    assert [(r.container, r.exit_code) for r in second] == [("wait-for-database", 0), ("migrate", 0)]
    assert "already current" in second[1].logs, redact(second[1].logs, stack.secret_values)
    assert _schema(stack) == before


@pytest.mark.parametrize("deployment", [BACKEND, MCP, FRONTEND])
def test_pods_run_with_the_rendered_security_context(stack: Stack, deployment: str) -> None:
    container = stack.pods[deployment][0].containers[0]
    config = _inspect(stack, container)
    host = config["HostConfig"]

    assert config["Config"]["User"] == "10001:10001"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert "/tmp" in host["Tmpfs"] and "size=67108864" in host["Tmpfs"]["/tmp"]
    assert host["Memory"] > 0 and host["NanoCpus"] > 0
    # The process really is 10001, cannot write its root filesystem, and can write /tmp.
    assert stack.cluster.docker("exec", container, "id", "-u").strip() == "10001"
    denied = stack.cluster.docker(
        "exec", container, "sh", "-c", "touch /e2e-probe 2>&1; echo $?", check=False
    )
    assert denied.strip().endswith("1"), denied
    assert (
        stack.cluster.docker("exec", container, "sh", "-c", "touch /tmp/e2e-probe && echo ok").strip() == "ok"
    )


def test_only_the_frontend_is_published_and_only_on_loopback(stack: Stack) -> None:
    for deployment, pods in stack.pods.items():
        ports = _inspect(stack, pods[0].containers[0])["HostConfig"]["PortBindings"] or {}
        if deployment == FRONTEND:
            assert ports == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(stack.frontend_port)}]}
        else:
            assert ports == {}, f"{deployment} publishes {ports}"


def _chat(client: httpx.Client, message: str, conversation_id: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    answer = client.post("/api/chat", json=body)
    assert answer.status_code == 200, f"chat {message!r}: {answer.status_code} {answer.text}"
    reply: dict[str, Any] = answer.json()
    return reply


def _tasks(client: httpx.Client) -> dict[str, dict[str, Any]]:
    answer = client.get("/api/tasks", params={"status": "all"})
    assert answer.status_code == 200, answer.text
    return {task["title"]: task for task in answer.json()["items"]}


def _register(client: httpx.Client, name: str) -> dict[str, Any]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.test"
    answer = client.post(
        "/api/auth/register", json={"email": email, "password": "e2e-" + uuid.uuid4().hex, "name": name}
    )
    assert answer.status_code == 201, answer.text
    assert "todo_session" in answer.cookies, answer.headers
    user: dict[str, Any] = answer.json()
    return user


def test_chat_scenario_through_nginx_survives_a_new_backend_pod(stack: Stack) -> None:
    with httpx.Client(base_url=stack.frontend_url, timeout=30) as alice:
        user = _register(alice, "alice")
        me = alice.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["id"] == user["id"], me.text

        added = _chat(alice, "add buy milk", None)
        conversation = added["conversation_id"]
        assert [call["name"] for call in added["tool_calls"]] == ["add_task"], added
        reminded = _chat(alice, "remind me to call mom tomorrow", conversation)
        assert reminded["conversation_id"] == conversation
        assert [call["name"] for call in reminded["tool_calls"]] == ["add_task"], reminded

        tasks = _tasks(alice)
        assert set(tasks) == {"buy milk", "call mom"}, tasks
        today = datetime.now(UTC).date()
        # The container's "tomorrow" is its own clock's; allow the run to straddle midnight UTC.
        assert tasks["call mom"]["due_date"] in {
            str(today + timedelta(days=1)),
            str(today + timedelta(days=2)),
        }

        left = _chat(alice, "what's left?", conversation)
        assert "buy milk" in left["reply"] and "call mom" in left["reply"], left["reply"]
        done = _chat(alice, "mark buy milk as done", conversation)
        assert [call["name"] for call in done["tool_calls"]][-1] == "complete_task", done
        tasks = _tasks(alice)
        assert tasks["buy milk"]["completed"] is True and tasks["call mom"]["completed"] is False, tasks

        old, new = stack.replace_pod(BACKEND)
        assert new.name != old.name and not stack.cluster.running(old.containers[0])

        # Same session cookie (same JWT key from the same Secret), same conversation, same data.
        assert alice.get("/api/auth/me").json()["id"] == user["id"]
        after = _chat(alice, "what's left?", conversation)
        assert after["conversation_id"] == conversation
        assert "call mom" in after["reply"] and "buy milk" not in after["reply"], after["reply"]
        assert _tasks(alice) == tasks
        history = alice.get(f"/api/conversations/{conversation}")
        assert history.status_code == 200, history.text
        messages = history.json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 5
        assert messages[0]["content"] == "add buy milk" and messages[-2]["content"] == "what's left?"

    with httpx.Client(base_url=stack.frontend_url, timeout=30) as bob:
        _register(bob, "bob")
        assert _tasks(bob) == {}
        assert bob.get("/api/conversations").json()["items"] == []
        assert bob.get(f"/api/conversations/{conversation}").status_code == 404
        for task in tasks.values():
            assert bob.get(f"/api/tasks/{task['id']}").status_code == 404
        own = _chat(bob, "what's left?", None)
        # The MCP server scopes by the X-Todo-User-Id the backend sends: bob's list is empty.
        listed = [call for call in own["tool_calls"] if call["name"] == "list_tasks"]
        assert listed and all(call["result"]["total"] == 0 for call in listed), own
        assert "call mom" not in own["reply"], own["reply"]


def test_helm_test_pod_passes(stack: Stack) -> None:
    results = stack.run_test_pods()

    shown = "\n".join(redact(r.logs, stack.secret_values) for r in results)
    assert [r.exit_code for r in results] == [0] * len(results), shown
    assert "ok: " in shown and "FAILED" not in shown, shown


def test_no_secret_value_in_rendered_manifests_or_any_container_log(stack: Stack) -> None:
    assert stack.secret_values and all(len(value) >= 32 for value in stack.secret_values)
    leaks = [
        f"rendered manifests hold secret #{i}"
        for i, v in enumerate(stack.secret_values)
        if v in stack.rendered
    ]
    containers = stack.cluster.containers()
    # Every container of the run, exited ones included (Jobs, a killed pod, the helm test pod).
    running = {name for pods in stack.pods.values() for pod in pods for name in pod.containers}
    assert running | {stack.db_host} <= set(containers), containers
    for container in containers:
        logs = stack.cluster.logs(container)
        leaks += [
            f"docker logs {container} hold secret #{i}"
            for i, v in enumerate(stack.secret_values)
            if v in logs
        ]
    assert not leaks
