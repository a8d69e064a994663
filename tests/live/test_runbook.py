"""docs/operations.md cannot rot: its plain commands, taken from the document itself, run against a
real deployment of the `dev` stack, and each one's effect is checked.

Every fenced block tagged ``bash runbook:<task>`` is run as written by bash (errexit, pipefail) from
the scratch project's root, with the variables the runbook tells the reader to set (CTX, REGISTRY)
and the ones a task names (POD, REVISION) supplied here. Tests run in file order on one deployment;
the module deploys its own stack and leaves the cluster empty (test_deploy.py's conventions).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
import subprocess
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.names import APP_SECRET, DATABASE_SECRET, LLM_SECRET, component_name
from tests.live.deployment import DEPLOYMENTS, Client, Deployment, port_forward
from tests.live.runbook import (
    RAN,
    RUNBOOK,
    deployment_status,
    revision,
    run_block,
    runbook_blocks,
    runbook_deployment,
)
from tests.support.wait import wait_for

FRONTEND_PORT = 8080


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with runbook_deployment(tmp_path_factory.mktemp("runbook")) as deployment:
        yield deployment


def _secret_digests(deployment: Deployment, name: str) -> dict[str, str]:
    """Per key, a hash of the Secret's value: compared across a rotation, never printed."""
    data = deployment.json("-n", "todo", "get", "secret", name)["data"]
    return {key: hashlib.sha256(base64.b64decode(value)).hexdigest() for key, value in data.items()}


def _changes(deployment: Deployment, *args: str) -> set[str]:
    preview = json.loads(deployment.pulumi("preview", "--json", *args).stdout)
    return set(preview.get("changeSummary", {}))


def _component_pods(deployment: Deployment, component: str) -> list[dict[str, Any]]:
    """The component's pods, terminating ones left out."""
    listed = deployment.json("-n", "todo", "get", "pods", "-l", f"app.kubernetes.io/component={component}")
    return [p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")]


def _wait_ready(deployment: Deployment, component: str, timeout: float = 180) -> None:
    wait_for(
        f"every {component} pod to be Ready",
        lambda: (pods := _component_pods(deployment, component)) and all(_is_ready(p) for p in pods),
        timeout,
        interval=1,
        seen=lambda: str([p["metadata"]["name"] for p in _component_pods(deployment, component)]),
    )


def _is_ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def _checksum(deployment: Deployment, pod: str) -> str:
    annotations = deployment.json("-n", "todo", "get", "pod", pod)["metadata"]["annotations"]
    return str(annotations["checksum/secret"])


def _titles(user: Client) -> list[str]:
    return sorted(task["title"] for task in user.call("GET", "/api/tasks")["items"])


def test_the_runbooks_names_are_the_deployments(deployment: Deployment) -> None:
    text = RUNBOOK.read_text()
    assert deployment.fullname == "todo-chatbot"
    for component in (*DEPLOYMENTS, "postgresql"):
        assert f"`{component_name(deployment.release, component)}`" in text, component
        assert deployment.json("-n", "todo", "get", "pods", "-l", f"app.kubernetes.io/component={component}")[
            "items"
        ], f"no pod labelled app.kubernetes.io/component={component}"
    for secret in (APP_SECRET, DATABASE_SECRET, LLM_SECRET):
        assert f"`{component_name(deployment.release, secret)}`" in text, secret
    urns = set(deployment.pulumi("stack", "--show-urns").stdout.split())
    for urn in set(re.findall(r"urn:pulumi:[^'`\s]+", text)):
        if "..." not in urn:
            assert urn in urns, f"the runbook names {urn}, which the dev stack does not have"
    for task, body in runbook_blocks().items():
        for line in body.splitlines():
            command = line.lstrip("| ")
            if command.startswith("kubectl ") and "--kubeconfig" not in command:
                assert command.startswith('kubectl --context "$CTX" '), f"runbook:{task}: {line}"
            if command.startswith("helm "):
                assert command.startswith('helm --kube-context "$CTX" -n todo '), f"runbook:{task}: {line}"


def test_ai_kubeconfig_holds_only_the_stacks_context(deployment: Deployment, tmp_path: Path) -> None:
    out = run_block(deployment, "ai-kubeconfig", XDG_RUNTIME_DIR=str(tmp_path))
    assert out.strip().splitlines()[-1] == deployment.context
    written = tmp_path / "todo-ops.kubeconfig"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    contexts = subprocess.run(
        ["kubectl", "--kubeconfig", str(written), "config", "get-contexts", "-o", "name"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert contexts == [deployment.context]


def test_scale_now_then_durably(deployment: Deployment) -> None:
    run_block(deployment, "scale-now")
    assert deployment_status(deployment, "frontend") == (2, 2)
    out = run_block(deployment, "scale")
    assert "replicas" in out, out
    assert deployment_status(deployment, "backend") == (2, 2)
    # The release upgrade set the kubectl-scaled frontend back to the stack's count, as the runbook says.
    assert deployment_status(deployment, "frontend")[0] == 1
    assert revision(deployment) == 2
    assert _changes(deployment) == {"same"}


def test_logs_of_every_service(deployment: Deployment) -> None:
    out = run_block(deployment, "logs")
    for component in ("backend", "mcp", "postgresql"):
        prefix = f"[pod/{component_name(deployment.release, component)}-"
        assert any(line.startswith(prefix) for line in out.splitlines()), f"no {component} log line:\n{out}"


def test_why_a_pod_is_not_ready(deployment: Deployment) -> None:
    database = f"statefulset/{component_name(deployment.release, 'postgresql')}"
    deployment.kubectl("-n", "todo", "scale", database, "--replicas=0")
    try:
        unready = wait_for(
            "a backend pod to become unready without its database",
            lambda: [
                p["metadata"]["name"] for p in _component_pods(deployment, "backend") if not _is_ready(p)
            ],
            120,
            interval=1,
        )
        out = run_block(deployment, "not-ready", POD=unready[0])
        assert "Readiness probe failed" in out and "statuscode: 503" in out, out
        assert "database unreachable" in out, out
    finally:
        deployment.kubectl("-n", "todo", "scale", database, "--replicas=1")
    for component in ("postgresql", "backend", "mcp"):
        _wait_ready(deployment, component)


def test_rollback_with_helm_then_the_stack(deployment: Deployment) -> None:
    run_block(deployment, "rollback", REVISION="1")
    assert revision(deployment) == 3
    assert deployment_status(deployment, "backend")[0] == 1
    # Helm rolled back behind Pulumi: a preview does not see it, a refreshing one does.
    assert _changes(deployment) == {"same"}
    assert "update" in _changes(deployment, "--refresh")
    before = deployment.pods()
    out = run_block(deployment, "rollback-stack")
    assert "release-chart" in out, out
    assert revision(deployment) == 4
    assert deployment_status(deployment, "backend") == (1, 1)
    assert deployment.pods() == before, "writing the rollback back into the stack rolled pods"
    assert _changes(deployment, "--refresh") == {"same"}


def test_rotating_the_app_secret_rolls_pods_and_ends_sessions(deployment: Deployment) -> None:
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        user.chat("add buy milk")
        app, database = (
            _secret_digests(deployment, "todo-chatbot-app"),
            _secret_digests(deployment, "todo-chatbot-database"),
        )
        before = deployment.pods()
        checksum = _checksum(deployment, next(iter(before["backend"])))
        out = run_block(deployment, "rotate-app")
        deployment.wait_serving()
        after_app = _secret_digests(deployment, "todo-chatbot-app")
        assert set(after_app) == {"jwt-secret", "mcp-token"}
        assert all(after_app[key] != app[key] for key in app), "a key of todo-chatbot-app kept its value"
        assert _secret_digests(deployment, "todo-chatbot-database") == database
        after = deployment.pods()
        for component in ("backend", "mcp", "postgresql"):
            assert set(after[component].values()).isdisjoint(before[component].values()), f"{component} kept"
        assert after["frontend"] == before["frontend"], "the frontend reads no Secret but rolled"
        # The block's last command prints NAME STARTED CHECKSUM rows after scripts/up's own output.
        rows = [line.split() for line in out.splitlines()]
        shown = {row[0]: row[-1] for row in rows if row and row[0].startswith(f"{deployment.fullname}-")}
        rolled = {shown[pod] for component in ("backend", "mcp", "postgresql") for pod in after[component]}
        assert len(rolled) == 1 and checksum not in rolled and "<none>" not in rolled, out
        # The session cookie was signed with the old key: 401 until the user signs in again.
        with pytest.raises(urllib.error.HTTPError) as refused:
            user.call("GET", "/api/tasks")
        assert refused.value.code == 401
        user.login()
        assert _titles(user) == ["buy milk"]
        assert "buy milk" in user.chat("what's left?")["reply"], "the backend and MCP disagree on the token"


def test_a_plain_replace_of_the_database_password_breaks_restarts_and_the_runbook_recovers(
    deployment: Deployment,
) -> None:
    (urn,) = set(re.findall(r"urn:pulumi:\S+::secrets-db-password", RUNBOOK.read_text()))
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        user.chat("add call the plumber")
    database = _secret_digests(deployment, "todo-chatbot-database")
    before = deployment.pods()
    # The trap the runbook warns about: the upgrade fails and rolls back, the Secret keeps the new value.
    deployment.pulumi("config", "set", "helmTimeoutSeconds", "60")
    try:
        failed, _ = deployment.up("--replace", urn, check=False)
    finally:
        deployment.pulumi("config", "set", "helmTimeoutSeconds", "300")
    assert failed.returncode != 0, (failed.stdout + failed.stderr)[-3000:]
    revision(deployment)  # deployed again: the atomic release rolled back
    assert deployment.pods()["backend"] == before["backend"], "the rollback did not keep the old pods"
    trapped = _secret_digests(deployment, "todo-chatbot-database")
    assert all(trapped[key] != database[key] for key in database)
    (old,) = before["backend"]
    deployment.kubectl("-n", "todo", "delete", "pod", old, "--wait=false")
    _assert_stays_unready(deployment, "backend", set(before["backend"]))

    run_block(deployment, "rotate-database")
    deployment.wait_serving()
    after_database = _secret_digests(deployment, "todo-chatbot-database")
    assert all(after_database[key] != trapped[key] for key in trapped), "todo-chatbot-database kept a value"
    after = deployment.pods()
    for component in ("backend", "mcp"):
        assert set(after[component].values()).isdisjoint(before[component].values()), f"{component} kept"
    assert _changes(deployment) == {"same"}
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        # New pods reach the database with the new password; the session (JWT key unchanged) holds.
        user.base = url
        assert _titles(user) == ["call the plumber"]
        assert "call the plumber" in user.chat("what's left?")["reply"]


def _assert_stays_unready(deployment: Deployment, component: str, old: set[str]) -> None:
    """A replacement pod of ``component`` runs, says in its log that it cannot reach the database, and
    its readiness probe fails: never Ready on the way."""

    def refused() -> bool:
        new = [p for p in _component_pods(deployment, component) if p["metadata"]["name"] not in old]
        assert not any(_is_ready(p) for p in new), "a restarted pod reached the database with an old password"
        running = [p["metadata"]["name"] for p in new if p["status"].get("phase") == "Running"]
        return any(
            "database unreachable" in deployment.kubectl("-n", "todo", "logs", pod, "--tail=50", check=False)
            and _probe_failed(deployment, pod)
            for pod in running
        )

    wait_for(
        f"a replacement {component} pod to fail its database check and its readiness probe", refused, 120
    )


def _probe_failed(deployment: Deployment, pod: str) -> bool:
    """The kubelet reported a failed readiness probe of ``pod`` (an event)."""
    events = deployment.json("-n", "todo", "get", "events", "--field-selector", f"involvedObject.name={pod}")
    return any("Readiness probe failed" in event.get("message", "") for event in events["items"])


def test_backup_then_restore_after_a_delete(deployment: Deployment) -> None:
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        for title in ("pay the rent", "water the plants"):
            user.call("POST", "/api/tasks", {"title": title})
        out = run_block(deployment, "backup")
        for table in ("users", "tasks", "conversations", "messages"):
            assert f"TABLE DATA public {table} " in out, out
        assert (deployment.root / "todo-backup.dump").read_bytes().startswith(b"PGDMP")
        rent = next(t for t in user.call("GET", "/api/tasks")["items"] if t["title"] == "pay the rent")
        user.call("DELETE", f"/api/tasks/{rent['id']}")
        late = Client(url)
        late.register()
        assert _titles(user) == ["water the plants"]
        run_block(deployment, "restore")
        deployment.wait_serving()
        assert deployment_status(deployment, "backend") == (1, 1)
        assert deployment_status(deployment, "mcp") == (1, 1)
        assert _titles(user) == ["pay the rent", "water the plants"]
        # The account registered after the backup is gone with everything else written since.
        with pytest.raises(urllib.error.HTTPError) as refused:
            late.login()
        assert refused.value.code == 401
    assert _changes(deployment) == {"same"}


def test_every_runbook_block_ran() -> None:
    assert set(runbook_blocks()) == RAN, f"runbook blocks no test ran: {set(runbook_blocks()) - RAN}"
