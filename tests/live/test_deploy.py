"""The README's main command for real: `scripts/up --context` against the single-node cluster of
`scripts/cluster`, then what the mocks and the container harness could only assume.

Run through ``scripts/test live``: it builds nothing, starts the cluster, dockerd and the registry,
and exports TODO_LIVE_* (kubeconfig, context, the PostgreSQL stand-in) and TODO_STANDIN_*_IMAGE.
Tests run in file order: each builds on the deployment the previous ones left.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from components.services import SERVICE_NAMES
from tests.live.deployment import Client, Deployment, port_forward, start_deployment
from tests.support.pulumi_cli import release_objects, retagged
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]
# The dev stack's defaults (Pulumi.yaml): namespace, release name, and the objects' name prefix.
NAMESPACE = "todo"
RELEASE = "todo-chatbot"
FULLNAME = "todo-chatbot"
DEPLOYMENTS = SERVICE_NAMES
FRONTEND_PORT = 8080
METRICS: dict[str, Any] = {}
# Every preview's whole output, searched at the end for the values of the stack's Secrets.
PREVIEWS: list[str] = []


def preview(deployment: Deployment, *args: str) -> dict[str, Any]:
    """`pulumi preview --json`; its output and the PR comment it writes (TODO_PREVIEW_REPORT) are kept."""
    report = deployment.root.parent / "preview-report.md"
    report.unlink(missing_ok=True)
    done = deployment.pulumi("preview", "--json", *args, TODO_PREVIEW_REPORT=str(report))
    PREVIEWS.append(done.stdout + done.stderr)
    if report.exists():
        PREVIEWS.append(report.read_text())
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = start_deployment(tmp_path_factory.mktemp("live"), {})
    assert (deployment.namespace, deployment.release, deployment.fullname) == (NAMESPACE, RELEASE, FULLNAME)
    done, seconds = deployment.up()
    METRICS["cold_up_s"] = round(seconds, 1)
    METRICS["cold_up_phases_s"] = deployment.phases()
    yield deployment
    if not deployment.down:
        deployment.script("down", check=False)
    metrics = os.environ.get("TODO_LIVE_METRICS")
    if metrics:
        Path(metrics).write_text(json.dumps(METRICS, indent=2) + "\n")


def test_up_prints_how_to_open_the_app(deployment: Deployment) -> None:
    output = deployment.runs[0].stdout + deployment.runs[0].stderr
    assert "the Todo Chatbot is up" in output
    assert (
        f"kubectl --context {deployment.context} -n {NAMESPACE} port-forward service/{FULLNAME}-frontend"
        in output
    )


def test_every_pod_became_ready_and_times_are_recorded(deployment: Deployment) -> None:
    # The cold up's phases, read from the CLI's per-resource lines (scripts/lib/up_timings.py).
    phases = METRICS["cold_up_phases_s"]
    assert phases["images_build_and_push"] > 0 and phases["release_install_and_rollout"] > 0, phases
    listed = deployment.json("-n", NAMESPACE, "get", "pods")
    ready: dict[str, float] = {}
    for pod in listed["items"]:
        if pod["status"].get("phase") == "Succeeded":
            continue
        condition = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert condition["status"] == "True", pod["metadata"]["name"]
        created = pod["metadata"]["creationTimestamp"]
        component = pod["metadata"]["labels"].get("app.kubernetes.io/component", "")
        ready[component] = _seconds_between(created, condition["lastTransitionTime"])
    assert set(DEPLOYMENTS) <= set(ready) and "postgresql" in ready
    METRICS["pod_created_to_ready_s"] = ready


def _seconds_between(start: str, end: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


def test_the_app_works_through_the_frontend_in_a_browser(deployment: Deployment, tmp_path: Path) -> None:
    with port_forward(deployment, f"service/{FULLNAME}-frontend", FRONTEND_PORT) as url:
        done = subprocess.run(
            ["npx", "vitest", "run", "--config", "vitest.e2e.config.ts", "e2e/chat.e2e.ts"],
            cwd=REPO / "frontend",  # the checkout's node_modules has playwright-core
            env={**os.environ, "E2E_FRONTEND_URL": url, "E2E_SCREENSHOT_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


def test_secrets_reach_the_pods_by_name_only(deployment: Deployment) -> None:
    state = json.loads(deployment.pulumi("stack", "export", "--show-secrets").stdout)
    generated = [
        r["outputs"]["result"]
        for r in state["deployment"]["resources"]
        if r["type"] == "random:index/randomPassword:RandomPassword"
    ]
    generated = [g["plaintext"].strip('"') if isinstance(g, dict) else g for g in generated]
    assert len(generated) == 3
    values = subprocess.run(
        [
            "helm",
            "get",
            "values",
            RELEASE,
            "--all",
            "-n",
            NAMESPACE,
            "--kube-context",
            deployment.context,
            "-o",
            "json",
        ],
        env=deployment.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    records = deployment.json("-n", NAMESPACE, "get", "secrets", "-l", "owner=helm")["items"]
    assert records, "no Helm release record found"
    decoded = [
        gzip.decompress(base64.b64decode(base64.b64decode(r["data"]["release"]))).decode() for r in records
    ]
    for value in generated:
        assert value not in values, "a generated secret is in the Helm values"
        for record in decoded:
            assert value not in record, "a generated secret is in the Helm release record"
    assert (
        '"existingSecret": "todo-chatbot-app"' in values.replace('":"', '": "')
        or "todo-chatbot-app" in values
    )
    for pod in deployment.json("-n", NAMESPACE, "get", "pods")["items"]:
        for container in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
            name = f"{pod['metadata']['name']}/{container['name']}"
            log = deployment.kubectl(
                "-n", NAMESPACE, "logs", pod["metadata"]["name"], "-c", container["name"]
            )
            assert not [value for value in generated if value in log], (
                f"a generated secret is in the log of {name}"
            )


def test_the_api_server_enforces_restricted_pod_security(deployment: Deployment) -> None:
    labels = deployment.json("get", "namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # A pod the API server itself would take (not privileged), but that runs as root with the default
    # capabilities and no seccomp profile: only the namespace's Pod Security level refuses it.
    refused = subprocess.run(
        [
            "kubectl",
            "--context",
            deployment.context,
            "-n",
            NAMESPACE,
            "run",
            "root-probe",
            "--image=registry.k8s.io/pause:3.10.1",
            "--restart=Never",
            "--dry-run=server",
        ],
        env=deployment.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and 'violates PodSecurity "restricted' in refused.stderr, refused.stderr
    for pod in deployment.json("-n", NAMESPACE, "get", "pods")["items"]:
        for container in pod["spec"]["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"], pod["metadata"]["name"]
            assert context["allowPrivilegeEscalation"] is False


def test_network_policies_are_present(deployment: Deployment) -> None:
    names = {
        p["metadata"]["name"] for p in deployment.json("-n", NAMESPACE, "get", "networkpolicies")["items"]
    }
    assert names, "the chart's NetworkPolicies are missing"
    # The cluster's CNI is the reference bridge plugin, which does NOT enforce NetworkPolicies: this
    # proves they are declared and accepted by the API server, not that traffic is filtered.


def test_a_second_up_changes_nothing_and_rolls_nothing(deployment: Deployment) -> None:
    before = deployment.pods()
    planned = preview(deployment)
    assert set(planned.get("changeSummary", {})) == {"same"}, planned.get("changeSummary")
    assert release_objects(planned) == "", "a no-op preview listed release objects"
    _, seconds = deployment.up()
    METRICS["noop_up_s"] = round(seconds, 1)
    assert deployment.pods() == before


def test_a_refresh_then_preview_still_changes_nothing(deployment: Deployment) -> None:
    # pulumi-kubernetes#2660: a Helm Release once showed a diff after every refresh.
    deployment.pulumi("refresh", "--yes")
    planned = preview(deployment)
    assert set(planned.get("changeSummary", {})) == {"same"}, planned.get("changeSummary")
    assert release_objects(planned) == ""


def _object_lines(diff: str) -> list[str]:
    """The lines naming an object (+ ~ - !), without the field lines, hooks and notes."""
    return [line.strip() for line in diff.splitlines() if line[:3] in ("  +", "  ~", "  -", "  !")]


def _field_lines(diff: str) -> list[str]:
    return [line.strip() for line in diff.splitlines() if line.startswith("    ")]


def test_a_template_only_change_previews_as_exactly_that_field(deployment: Deployment) -> None:
    # The release's object diff (components/release_preview.py): one literal in one template.
    template = deployment.root / "charts/todo-chatbot/templates/postgresql.yaml"
    text = template.read_text()
    probe = "            periodSeconds: 5\n            timeoutSeconds: 3\n            failureThreshold: 2\n"
    assert text.count(probe) == 1
    template.write_text(text.replace(probe, probe.replace("periodSeconds: 5", "periodSeconds: 7")))
    try:
        start = time.monotonic()
        planned = preview(deployment)
        METRICS["preview_with_object_diff_s"] = round(time.monotonic() - start, 1)
    finally:
        template.write_text(text)
    diff = release_objects(planned)
    # What the diff itself cost, as its note says: the dry runs against the running release.
    cost = re.search(
        r"compared with the cluster in ([0-9.]+) s, after (?:one|two) renders? in ([0-9.]+) s", diff
    )
    assert cost, diff
    METRICS["object_diff_dry_runs_s"], METRICS["object_diff_render_s"] = float(cost[1]), float(cost[2])
    assert diff.splitlines()[0] == "release objects: 1 to update", diff
    assert _object_lines(diff)[0] == f"~ StatefulSet {NAMESPACE}/{FULLNAME}-postgresql", diff
    assert _field_lines(diff) == [
        "~ spec.template.spec.containers[postgresql].readinessProbe.periodSeconds: 5 => 7"
    ], diff


def test_a_values_change_previews_the_deployment_and_what_follows_from_it(deployment: Deployment) -> None:
    live = deployment.json("-n", NAMESPACE, "get", "deployment", f"{FULLNAME}-backend")
    replicas = live["spec"]["replicas"]
    deployment.pulumi("config", "set", "backendReplicas", str(replicas + 1))
    try:
        diff = release_objects(preview(deployment))
    finally:
        deployment.pulumi("config", "rm", "backendReplicas")
    objects = _object_lines(diff)
    assert f"~ Deployment {NAMESPACE}/{FULLNAME}-backend" in objects, diff
    assert f"~ spec.replicas: {replicas} => {replicas + 1}" in _field_lines(diff), diff
    # More than one pod brings the PodDisruptionBudget (charts/todo-chatbot/templates/pdb.yaml).
    if replicas == 1:
        assert f"+ PodDisruptionBudget {NAMESPACE}/{FULLNAME}-backend" in objects, diff
    others = [
        o for o in objects if o.startswith(("~ Deployment", "+ Deployment")) and not o.endswith("-backend")
    ]
    assert others == [] and f"Job {NAMESPACE}/{FULLNAME}-migrate" in diff, diff


def test_a_new_ingress_previews_as_one_object_to_create(deployment: Deployment) -> None:
    deployment.pulumi("config", "set", "ingressEnabled", "true")
    deployment.pulumi("config", "set", "ingressHost", "todo.example.test")
    try:
        diff = release_objects(preview(deployment))
    finally:
        deployment.pulumi("config", "rm", "ingressEnabled")
        deployment.pulumi("config", "rm", "ingressHost")
    creates = [o for o in _object_lines(diff) if o.startswith("+ ")]
    assert creates == [f"+ Ingress {NAMESPACE}/{FULLNAME}-frontend"] or (
        len(creates) == 1 and creates[0].startswith("+ Ingress ")
    ), diff


def test_a_rotated_secret_previews_by_key_name_only(deployment: Deployment) -> None:
    state = json.loads(deployment.pulumi("stack", "export").stdout)
    [jwt] = [r["urn"] for r in state["deployment"]["resources"] if r["urn"].endswith("::secrets-jwt-secret")]
    diff = release_objects(preview(deployment, "--replace", jwt))
    # The generated value is made by up: the Secret's key, never a value; the pods roll for it.
    assert f"~ Secret {NAMESPACE}/todo-chatbot-app" in _object_lines(diff), diff
    assert "~ data.jwt-secret: (hidden) => (known after up)" in _field_lines(diff), diff
    assert "mcp-token" not in diff, diff


def test_a_hand_scaled_deployment_previews_as_drift(deployment: Deployment) -> None:
    name = f"{FULLNAME}-mcp"
    replicas = deployment.json("-n", NAMESPACE, "get", "deployment", name)["spec"]["replicas"]
    deployment.kubectl("-n", NAMESPACE, "scale", "deployment", name, f"--replicas={replicas + 1}")
    try:
        planned = preview(deployment)
    finally:
        deployment.kubectl("-n", NAMESPACE, "scale", "deployment", name, f"--replicas={replicas}")
        deployment.kubectl("-n", NAMESPACE, "rollout", "status", "deployment", name, "--timeout=120s")
    # Pulumi sees no change (the Release's inputs are the same); the diff names the drift.
    assert set(planned.get("changeSummary", {})) == {"same"}, planned.get("changeSummary")
    diff = release_objects(planned)
    assert _object_lines(diff)[0] == f"! Deployment {NAMESPACE}/{name}", diff
    assert _field_lines(diff) == [
        f"~ spec.replicas: {replicas + 1} => {replicas}  (drift: changed in the cluster, not by this change)"
    ], diff


def test_a_change_in_the_local_chart_reaches_the_release(deployment: Deployment) -> None:
    # pulumi-kubernetes#2118: template changes of a local chart were once not picked up. (A change
    # to NOTES.txt alone is not: the provider diffs what the chart renders into the cluster.)
    before = deployment.pods()
    services = deployment.root / "charts/todo-chatbot/templates/services.yaml"
    labels = '    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}\n'
    text = services.read_text()
    services.write_text(
        text.replace(labels, labels + "  annotations:\n    todo-chatbot/live-tier: marker\n", 1)
    )
    planned = preview(deployment)
    steps = planned["steps"]
    changed = {s["urn"].rsplit("::", 1)[1] for s in steps if s["op"] != "same"}
    # The Release, and its component whose input is the rendered objects (for the policy pack).
    assert changed == {"release", "release-chart"} and not retagged(steps), changed
    # The object diff: that annotation on each Service the shared template renders, and nothing else.
    diff = release_objects(planned)
    assert set(_field_lines(diff)) == {'+ metadata.annotations["todo-chatbot/live-tier"]: "marker"'}, diff
    assert {o.split()[1] for o in _object_lines(diff)} == {"Service"}, diff
    deployment.up()
    service = deployment.json("-n", NAMESPACE, "get", "service", f"{FULLNAME}-backend")
    assert service["metadata"].get("annotations", {}).get("todo-chatbot/live-tier") == "marker"
    assert deployment.pods() == before, "a Service annotation rolled pods"


def test_a_one_line_change_rolls_only_that_deployment(deployment: Deployment) -> None:
    before = deployment.pods()
    # A file the image carries byte for byte (a comment in main.tsx would be minified away: a new
    # tag, the same digest, and rightly no roll).
    source = deployment.root / "frontend/nginx/security-headers.conf"
    source.write_text(source.read_text() + "# live tier: a one-line change\n")
    planned = preview(deployment)
    steps = planned["steps"]
    assert retagged(steps) == {"images-frontend"}, steps
    # The digest is made by the push: the diff shows the image as known after up, on that Deployment only.
    diff = release_objects(planned)
    assert [o for o in _object_lines(diff) if "Deployment" in o] == [
        f"~ Deployment {NAMESPACE}/{FULLNAME}-frontend"
    ], diff
    assert "~ spec.template.spec.containers[frontend].image: " in diff and "=> (known after up)" in diff, diff
    assert any(s["op"] == "update" and s["urn"].endswith("::release-chart") for s in steps), (
        "no release update"
    )
    _, seconds = deployment.up()
    METRICS["one_service_up_s"] = round(seconds, 1)
    after = deployment.pods()
    assert set(after["frontend"].values()).isdisjoint(before["frontend"].values()), (
        "the frontend did not roll"
    )
    for component in ("backend", "mcp", "postgresql"):
        assert after[component] == before[component], f"{component} rolled"


def test_a_killed_backend_pod_loses_nothing(deployment: Deployment) -> None:
    with port_forward(deployment, f"service/{FULLNAME}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        first = user.chat("add buy milk")
        (pod,) = deployment.pods()["backend"]
        start = time.monotonic()
        deployment.kubectl("-n", NAMESPACE, "delete", "pod", pod, "--wait=false")
        reply = wait_for(
            "the backend to answer a chat turn after its pod was deleted",
            lambda: user.chat("what's left?", first["conversation_id"]),
            120,
            retry_on=(OSError,),
        )
        METRICS["killed_backend_to_serving_s"] = round(time.monotonic() - start, 1)
        assert "buy milk" in reply["reply"]
        # Then the replacement pod alone serves the same conversation from PostgreSQL.
        wait_for(
            f"a replacement of backend pod {pod} to be Ready",
            lambda: (
                set(deployment.pods().get("backend", {})) not in (set(), {pod})
                and _ready(deployment, "backend")
            ),
            180,
            seen=lambda: str(deployment.pods().get("backend")),
        )
        METRICS["killed_backend_replacement_ready_s"] = round(time.monotonic() - start, 1)
        reply = user.chat("what's left?", first["conversation_id"])
        assert "buy milk" in reply["reply"]
        conversation = user.call("GET", f"/api/conversations/{first['conversation_id']}")
        assert len(conversation["messages"]) == 6


def _ready(deployment: Deployment, component: str) -> bool:
    """Every pod of the component is Ready (a terminating one has left the list)."""
    listed = deployment.json("-n", NAMESPACE, "get", "pods", "-l", f"app.kubernetes.io/component={component}")
    pods = [p for p in listed["items"] if not p["metadata"].get("deletionTimestamp")]
    return bool(pods) and all(
        any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        for p in pods
    )


def test_a_restarted_database_keeps_the_data(deployment: Deployment) -> None:
    with port_forward(deployment, f"service/{FULLNAME}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        user.chat("add water the plants")
        (old,) = deployment.pods()["postgresql"].values()
        deployment.kubectl("-n", NAMESPACE, "delete", "pod", f"{FULLNAME}-postgresql-0")
        # The StatefulSet recreates the pod under the same name: wait for the new one (another UID).
        wait_for(
            "the recreated database pod to be Ready",
            lambda: (
                set(deployment.pods().get("postgresql", {}).values()) - {old}
                and _ready(deployment, "postgresql")
            ),
            180,
            interval=1,
        )
        tasks = wait_for(
            "the API to list tasks again after the database restart",
            lambda: user.call("GET", "/api/tasks"),
            60,
            interval=1,
            retry_on=(OSError,),
        )
        assert [t["title"] for t in tasks["items"]] == ["water the plants"]


def test_helm_test_passes(deployment: Deployment) -> None:
    done = subprocess.run(
        ["helm", "test", RELEASE, "-n", NAMESPACE, "--kube-context", deployment.context, "--timeout", "3m"],
        env=deployment.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_image_rolls_back_and_up_names_the_failing_pod(deployment: Deployment) -> None:
    before = deployment.pods()
    deployment.pulumi("config", "set", "helmTimeoutSeconds", "90")
    source = deployment.root / "app/src/todo/mcp/tools.py"
    healthy = source.read_text()
    source.write_text(healthy + "\nraise SystemExit('live tier: a broken MCP image')\n")
    try:
        done, _ = deployment.up(check=False)
    finally:
        source.write_text(healthy)
        deployment.pulumi("config", "set", "helmTimeoutSeconds", "300")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "the rollout failed; what was not ready" in output, output[-4000:]
    assert f"{FULLNAME}-mcp-" in output and ("CrashLoopBackOff" in output or "Error" in output), output[
        -4000:
    ]
    status = json.loads(
        subprocess.run(
            ["helm", "status", RELEASE, "-n", NAMESPACE, "--kube-context", deployment.context, "-o", "json"],
            env=deployment.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert status["info"]["status"] == "deployed", "the atomic release did not roll back"
    assert deployment.pods()["mcp"] == before["mcp"], "the old MCP pods did not survive the rollback"
    deployment.up()


def test_no_preview_printed_a_secret_value(deployment: Deployment) -> None:
    assert len(PREVIEWS) >= 10  # previews and the PR comments they wrote
    values = []
    for secret in deployment.json(
        "-n", NAMESPACE, "get", "secrets", "-l", "app.kubernetes.io/part-of=todo-chatbot"
    )["items"]:
        values += [base64.b64decode(v).decode() for v in (secret.get("data") or {}).values()]
    assert len(values) >= 3, "the stack's Secrets were not found"
    for value in values:
        assert all(value not in output for output in PREVIEWS), "a preview printed a Secret's value"


def test_down_leaves_nothing_behind(deployment: Deployment) -> None:
    start = time.monotonic()
    deployment.script("down")
    deployment.down = True
    METRICS["down_s"] = round(time.monotonic() - start, 1)
    assert NAMESPACE not in deployment.kubectl("get", "namespaces", "-o", "name").split("namespace/")
    leftovers = deployment.kubectl("get", "pvc,secrets", "-A", "-o", "name", check=False)
    assert f"{FULLNAME}" not in leftovers and "todo-chatbot-app" not in leftovers, leftovers
    releases = subprocess.run(
        ["helm", "list", "-A", "--kube-context", deployment.context, "-q"],
        env=deployment.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert RELEASE not in releases
