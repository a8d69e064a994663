"""docs/operations.md's kubectl-ai prompts, run with the REAL kubectl-ai against a real deployment.

Each prompt is taken from the runbook and given to kubectl-ai the way the runbook says (its
kubeconfig from the runbook's own `runbook:ai-kubeconfig` block, `--quiet` for reads, interactive
with approvals for writes). The model is FakeOpenAIServer (a test double for the paid LLM), scripted
per prompt with the tool calls a model would make for that task; kubectl-ai executes them against
the cluster and the test checks their effect, as test_runbook.py does for the plain commands. This
proves the wiring and the commands, not any model's judgement (the runbook says so).

SKIPPED, with the command that builds it, where kubectl-ai is not built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from components.names import APP_SECRET, component_name
from components.release import CHART_PATH
from tests.app.fake_llm import FakeOpenAIServer, FakeStep, FakeText, FakeToolCalls
from tests.live.deployment import Client, Deployment, helm, port_forward
from tests.live.kubectl_ai import REFUSED, Answer, KubectlAI, binary, tool_results
from tests.live.runbook import ai_tasks, deployment_status, revision, run_block, runbook_deployment
from tests.support.wait import wait_for

FRONTEND_PORT = 8080
TESTED: set[str] = set()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    binary()  # skips before anything is deployed
    with runbook_deployment(tmp_path_factory.mktemp("runbook-ai")) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def kubectl_ai(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> KubectlAI:
    runtime = tmp_path_factory.mktemp("runtime")
    run_block(deployment, "ai-kubeconfig", XDG_RUNTIME_DIR=str(runtime))
    (kubeconfig,) = runtime.glob("*.kubeconfig")
    return KubectlAI(binary(), kubeconfig, runtime / "home", deployment.env)


def prompt(task: str, **names: str) -> str:
    """The runbook's kubectl-ai prompt for ``task`` (its first plain block's name), filled in."""
    TESTED.add(task)
    return ai_tasks()[task].prompt_with(**names)


def kubectl(*commands: str) -> FakeToolCalls:
    """One model turn calling kubectl-ai's kubectl tool once per command (a model also guesses
    modifies_resource; kubectl-ai decides by parsing the command itself)."""
    return FakeToolCalls([("kubectl", {"command": c, "modifies_resource": "unknown"}) for c in commands])


def shell(command: str) -> FakeToolCalls:
    """One call of kubectl-ai's bash tool (how it runs helm)."""
    return FakeToolCalls([("bash", {"command": command, "modifies_resource": "unknown"})])


def _asked(llm: FakeOpenAIServer, text: str) -> None:
    """The runbook's prompt reached the model as the user's message."""
    users = [m for m in llm.requests[0]["body"]["messages"] if m.get("role") == "user"]
    assert any(text in json.dumps(m["content"]) for m in users), users


def _ok(answer: Answer, llm: FakeOpenAIServer, commands: list[str]) -> list[dict[str, Any]]:
    """kubectl-ai ran exactly ``commands``, each succeeded, and it went through the whole script."""
    assert answer.returncode == 0, answer.output
    assert answer.ran() == commands, answer.output
    results = tool_results(llm)
    assert [r.get("exit_code", 0) for r in results] == [0] * len(commands), results
    assert not llm.script, f"kubectl-ai stopped before the end of the script:\n{answer.output}"
    return results


def test_scale_is_refused_in_read_only_use_and_runs_once_approved(
    deployment: Deployment, kubectl_ai: KubectlAI
) -> None:
    text = prompt("scale")
    scale = "kubectl scale deployment/todo-chatbot-frontend -n todo --replicas=2"
    status = "kubectl rollout status deployment/todo-chatbot-frontend -n todo --timeout=120s"

    with FakeOpenAIServer(script=[kubectl(scale), FakeText("Scaled.")]) as llm:
        refused = kubectl_ai.ask(llm, text)
    _asked(llm, text)
    assert refused.returncode == 1 and REFUSED in refused.output and scale in refused.output, refused.output
    assert refused.ran() == [] and tool_results(llm) == []
    assert deployment_status(deployment, "frontend") == (1, 1)

    with FakeOpenAIServer(script=[kubectl(scale), FakeText("Not scaled, as you asked.")]) as llm:
        declined = kubectl_ai.converse(llm, text, approve=[False])
    assert declined.approvals == [[scale]] and declined.ran() == [], declined.output
    assert [r["status"] for r in tool_results(llm)] == ["declined"]
    assert deployment_status(deployment, "frontend") == (1, 1)

    script: list[FakeStep] = [
        kubectl(scale),
        kubectl(status),
        FakeText("todo-chatbot-frontend runs 2 replicas."),
    ]
    try:
        with FakeOpenAIServer(script=script) as llm:
            answer = kubectl_ai.converse(llm, text, approve=[True])
        assert answer.approvals == [[scale]], answer.output
        results = _ok(answer, llm, [scale, status])
        assert "scaled" in results[0]["stdout"] and "successfully rolled out" in results[1]["stdout"]
        assert "todo-chatbot-frontend runs 2 replicas." in answer.output
        assert deployment_status(deployment, "frontend") == (2, 2)
    finally:
        deployment.kubectl("-n", "todo", "scale", "deployment/todo-chatbot-frontend", "--replicas=1")


def test_logs_of_every_backend_pod_are_read(deployment: Deployment, kubectl_ai: KubectlAI) -> None:
    logs = (
        "kubectl logs -n todo -l app.kubernetes.io/instance=todo-chatbot,app.kubernetes.io/component=backend"
        " --prefix --tail=100"
    )
    result = _read_only(kubectl_ai, prompt("logs"), logs, "No errors in the last 100 lines.")
    for pod in deployment.pods()["backend"]:
        assert f"[pod/{pod}/" in result["stdout"], result


def test_why_a_pod_is_not_ready_reads_its_events_and_logs(
    deployment: Deployment, kubectl_ai: KubectlAI
) -> None:
    database = f"statefulset/{component_name(deployment.release, 'postgresql')}"
    deployment.kubectl("-n", "todo", "scale", database, "--replicas=0")
    try:
        (pod, *_) = wait_for(
            "a backend pod to become unready without its database",
            lambda: [p for p, ready in _backend_readiness(deployment).items() if not ready],
            120,
            interval=1,
        )
        text = prompt("not-ready", POD=pod)
        commands = [
            f"kubectl describe pod {pod} -n todo",
            f"kubectl get events -n todo --field-selector involvedObject.name={pod}",
            f"kubectl logs {pod} -n todo --all-containers --tail=50",
        ]
        script: list[FakeStep] = [
            kubectl(*commands),
            FakeText("Its readiness probe gets 503: the database is unreachable."),
        ]
        with FakeOpenAIServer(script=script) as llm:
            answer = kubectl_ai.ask(llm, text)
        _asked(llm, text)
        described, events, logs = (r["stdout"] for r in _ok(answer, llm, commands))
        assert "Readiness probe failed" in events and "statuscode: 503" in events, events
        assert "Conditions:" in described and "database unreachable" in logs, (described, logs)
    finally:
        deployment.kubectl("-n", "todo", "scale", database, "--replicas=1")
    deployment.wait_serving()


def _backend_readiness(deployment: Deployment) -> dict[str, bool]:
    listed = deployment.json("-n", "todo", "get", "pods", "-l", "app.kubernetes.io/component=backend")
    return {
        p["metadata"]["name"]: any(
            c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", [])
        )
        for p in listed["items"]
        if not p["metadata"].get("deletionTimestamp")
    }


def test_rollback_to_the_chosen_revision_once_approved(deployment: Deployment, kubectl_ai: KubectlAI) -> None:
    first = revision(deployment)
    wanted = _values(deployment, first)
    # The bad change to roll back: a Helm upgrade of the live release (what a `scripts/up` would be).
    helm(
        deployment,
        "upgrade",
        deployment.release,
        str(deployment.root / CHART_PATH),
        "--reuse-values",
        "--set",
        "backend.replicas=2",
        "--wait",
        "--timeout",
        "5m",
    )
    assert revision(deployment) == first + 1 and deployment_status(deployment, "backend") == (2, 2)
    text = prompt("rollback", REVISION=str(first))
    rollback = f"helm rollback todo-chatbot {first} -n todo --wait --timeout 5m"
    history = "helm history todo-chatbot -n todo"
    # Every helm command is a write for kubectl-ai, the history too: read-only use refuses it.
    with FakeOpenAIServer(script=[shell(history), FakeText("Here is the history.")]) as llm:
        refused = kubectl_ai.ask(llm, text)
    assert refused.returncode == 1 and REFUSED in refused.output and tool_results(llm) == [], refused.output
    script: list[FakeStep] = [shell(rollback), shell(history), FakeText(f"Rolled back to revision {first}.")]
    with FakeOpenAIServer(script=script) as llm:
        answer = kubectl_ai.converse(llm, text, approve=[True, True])
    _asked(llm, text)
    assert answer.approvals == [[rollback], [history]], answer.output
    _, listed = (r["stdout"] for r in _ok(answer, llm, [rollback, history]))
    assert f"Rollback to {first}" in listed, listed
    assert revision(deployment) == first + 2
    assert _values(deployment, first + 2) == wanted
    wait_for(
        "the backend to be back at 1 replica", lambda: deployment_status(deployment, "backend") == (1, 1), 180
    )


def _values(deployment: Deployment, number: int) -> Any:
    return json.loads(
        helm(deployment, "get", "values", deployment.release, "--revision", str(number), "-o", "json")
    )


def test_which_pods_read_the_app_secret(deployment: Deployment, kubectl_ai: KubectlAI) -> None:
    columns = (
        "kubectl get pods -n todo -o 'custom-columns=NAME:.metadata.name,STARTED:.status.startTime,"
        "SECRETS:.spec.containers[*].env[*].valueFrom.secretKeyRef.name'"
    )
    result = _read_only(kubectl_ai, prompt("rotate-app"), columns, "The backend and MCP pods read it.")
    rows = {row.split()[0]: row.split() for row in result["stdout"].splitlines()[1:]}
    secret = component_name(deployment.release, APP_SECRET)
    readers = {
        p["metadata"]["name"]
        for p in deployment.json("-n", "todo", "get", "pods")["items"]
        if f'"{secret}"' in json.dumps(p["spec"]["containers"])
    }
    pods = deployment.pods()
    assert set(pods["backend"]) | set(pods["mcp"]) <= readers, readers
    shown = {name for name, row in rows.items() if secret in row[-1].split(",")}
    assert shown == readers, result["stdout"]
    for name in readers:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[name][1]), rows[name]


def test_table_row_counts_need_approval_and_match_the_database(
    deployment: Deployment, kubectl_ai: KubectlAI
) -> None:
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        for title in ("pay the rent", "water the plants"):
            user.call("POST", "/api/tasks", {"title": title})
    text = prompt("backup")
    psql = "psql -h /var/run/postgresql -U todo -d todo -At -c"
    query = "SELECT 'tasks', count(*) FROM tasks UNION ALL SELECT 'users', count(*) FROM users"
    count = f'kubectl exec todo-chatbot-postgresql-0 -n todo -c postgresql -- {psql} "{query}"'

    def script() -> list[FakeStep]:
        return [kubectl(count), FakeText("tasks and users, with their row counts.")]

    with FakeOpenAIServer(script=script()) as llm:
        refused = kubectl_ai.ask(llm, text)
    assert refused.returncode == 1 and REFUSED in refused.output and tool_results(llm) == [], refused.output

    with FakeOpenAIServer(script=script()) as llm:
        answer = kubectl_ai.converse(llm, text, approve=[True])
    _asked(llm, text)
    # kubectl-ai renders the approval request as Markdown: `(*)` loses its star there (not when run).
    assert answer.approvals == [[count.replace("(*)", "()")]], answer.output
    (result,) = _ok(answer, llm, [count])
    counted = dict(line.split("|") for line in result["stdout"].split())
    pod = ("-n", "todo", "exec", "todo-chatbot-postgresql-0", "-c", "postgresql", "--")
    plain = deployment.kubectl(*pod, *psql.split(), "SELECT count(*) FROM tasks")
    assert counted["tasks"] == plain.strip() and int(counted["tasks"]) >= 2 and int(counted["users"]) >= 1


def _read_only(kubectl_ai: KubectlAI, text: str, command: str, summary: str) -> dict[str, Any]:
    """The prompt in read-only use, answered with one read ``command`` then ``summary``: its result."""
    with FakeOpenAIServer(script=[kubectl(command), FakeText(summary)]) as llm:
        answer = kubectl_ai.ask(llm, text)
    _asked(llm, text)
    (result,) = _ok(answer, llm, [command])
    assert summary in answer.output
    return result


def test_every_prompt_ran() -> None:
    binary()
    assert set(ai_tasks()) == TESTED, f"runbook prompts no test ran: {set(ai_tasks()) - TESTED}"
