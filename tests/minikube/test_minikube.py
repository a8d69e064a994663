"""The README's first command for real: plain `scripts/up` on a real Minikube (docker driver),
from no Minikube at all, with only scripts/up's documented MINIKUBE_* overrides in the environment.

Run through ``scripts/test minikube``: it starts the Minikube dockerd, loads the stand-in images
and exports MINIKUBE_HOME, DOCKER_HOST (that dockerd), the overrides and TODO_MINIKUBE_* (kubeconfig,
profile, the images Minikube's cache carries into the node). Tests run in file order: each builds
on the cluster the previous ones left, the last deletes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.deployment import Client, Deployment, port_forward, start_deployment
from tests.support.pulumi_cli import retagged

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "todo"
FULLNAME = "todo-chatbot"
FRONTEND_PORT = 8080
METRICS: dict[str, Any] = {}


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run this tier through `scripts/test minikube`")
    return value


def minikube(deployment: Deployment, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["minikube", "-p", deployment.context, *args],
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"minikube {' '.join(args)} failed:\n{(done.stdout + done.stderr)[-4000:]}"
    return done


def docker(*args: str) -> str:
    """The Minikube dockerd (the tier's DOCKER_HOST), where the node container lives."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    profile = _env("TODO_MINIKUBE_PROFILE")
    # The tier's own profile, left by a run that was killed: from no Minikube at all means deleting it.
    if profile in docker("ps", "-a", "--format", "{{.Names}}").split():
        subprocess.run(["minikube", "-p", profile, "delete"], check=False, capture_output=True)
    assert profile not in docker("ps", "-a", "--format", "{{.Names}}").split(), (
        f"a node of profile {profile} exists and `minikube -p {profile} delete` did not remove it"
    )
    # The app's images build on the machine's dockerd, where the stand-in bases are.
    deployment = start_deployment(
        tmp_path_factory.mktemp("minikube"), {"docker:host": "unix:///var/run/docker.sock"}, minikube=True
    )
    deployment.env["MINIKUBE_PROFILE"] = profile
    try:
        yield from _deployed(deployment)
    finally:
        if not deployment.down:
            subprocess.run(
                ["minikube", "-p", profile, "delete"], env=deployment.env, check=False, capture_output=True
            )
            # scripts/up's port-forward to the registry outlives a failed run; down would stop it.
            forward = deployment.root / ".cache/up/registry-port-forward.pid"
            if forward.is_file():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(forward.read_text()), signal.SIGTERM)
        metrics = os.environ.get("TODO_LIVE_METRICS")
        if metrics:
            Path(metrics).write_text(json.dumps(METRICS, indent=2) + "\n")


def _deployed(deployment: Deployment) -> Iterator[Deployment]:
    deployment.pulumi("config", "set", "kubeContext", deployment.context)
    Path(deployment.env["KUBECONFIG"]).unlink(missing_ok=True)
    # Images this machine cannot pull: Minikube's own cache carries them into the node at start
    # (MINIKUBE_ALL, its --all: no cluster exists yet, so they only go into the cache and its list).
    subprocess.run(
        ["minikube", "cache", "add", *_env("TODO_MINIKUBE_CACHE_IMAGES").split()],
        env={**deployment.env, "MINIKUBE_ALL": "true"},
        check=True,
        capture_output=True,
    )
    done, seconds = deployment.up()
    METRICS["cold_up_with_minikube_start_s"] = round(seconds, 1)
    METRICS["cold_up_phases_s"] = deployment.phases()
    yield deployment


def _output(deployment: Deployment, run: int = 0) -> str:
    return deployment.runs[run].stdout + deployment.runs[run].stderr


@contextlib.contextmanager
def opened(deployment: Deployment) -> Iterator[str]:
    """The app at the URL scripts/up printed (`minikube service --url`: the node's NodePort)."""
    match = re.search(r"the Todo Chatbot is up: (http://\S+)", _output(deployment))
    assert match, _output(deployment)[-3000:]
    url = match[1]
    with urllib.request.urlopen(f"{url}/healthz", timeout=10):
        yield url


def test_up_starts_minikube_and_says_networkpolicies_are_not_enforced(deployment: Deployment) -> None:
    output = _output(deployment)
    assert "starting Minikube profile" in output
    assert "NetworkPolicies are NOT enforced" in output and "MINIKUBE_CNI=calico" in output
    node = json.loads(docker("inspect", deployment.context))[0]
    assert node["HostConfig"]["Privileged"] is True
    assert node["Config"]["Image"] == os.environ["MINIKUBE_BASE_IMAGE"]


def test_the_app_works_through_the_printed_url_in_a_browser(deployment: Deployment, tmp_path: Path) -> None:
    with opened(deployment) as url:
        done = subprocess.run(
            ["npx", "vitest", "run", "--config", "vitest.e2e.config.ts", "e2e/chat.e2e.ts"],
            cwd=REPO / "frontend",
            env={**os.environ, "E2E_FRONTEND_URL": url, "E2E_SCREENSHOT_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


def test_the_database_volume_is_bound_by_minikubes_provisioner(deployment: Deployment) -> None:
    (claim,) = deployment.json("-n", NAMESPACE, "get", "pvc")["items"]
    assert claim["status"]["phase"] == "Bound"
    volume = deployment.json("get", "pv", claim["spec"]["volumeName"])
    assert volume["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "k8s.io/minikube-hostpath"


def test_a_second_up_changes_nothing_and_rolls_nothing(deployment: Deployment) -> None:
    before = deployment.pods()
    preview = deployment.pulumi("preview", "--json")
    assert set(json.loads(preview.stdout).get("changeSummary", {})) == {"same"}, preview.stdout[-3000:]
    _, seconds = deployment.up()
    METRICS["noop_up_s"] = round(seconds, 1)
    assert deployment.pods() == before


def test_a_one_file_change_rolls_only_its_deployment(deployment: Deployment) -> None:
    before = deployment.pods()
    source = deployment.root / "frontend/nginx/security-headers.conf"
    source.write_text(source.read_text() + "# minikube tier: a one-line change\n")
    steps = json.loads(deployment.pulumi("preview", "--json").stdout)["steps"]
    assert retagged(steps) == {"images-frontend"}, steps
    _, seconds = deployment.up()
    METRICS["one_service_up_s"] = round(seconds, 1)
    METRICS["one_service_up_phases_s"] = deployment.phases()
    after = deployment.pods()
    assert set(after["frontend"].values()).isdisjoint(before["frontend"].values()), (
        "the frontend did not roll"
    )
    for component in ("backend", "mcp", "postgresql"):
        assert after[component] == before[component], f"{component} rolled"


def _all_ready(deployment: Deployment) -> bool:
    pods = deployment.json("-n", NAMESPACE, "get", "pods")["items"]
    return bool(pods) and all(
        any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
        for p in pods
        if p["status"].get("phase") != "Succeeded"
    )


def test_the_data_survives_minikube_stop_and_start(deployment: Deployment) -> None:
    with port_forward(deployment, f"service/{FULLNAME}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        user.chat("add water the plants")
    minikube(deployment, "stop")
    start = time.monotonic()
    minikube(deployment, "start")
    deadline = time.monotonic() + 300
    while not _all_ready(deployment):
        assert time.monotonic() < deadline, deployment.kubectl("-n", NAMESPACE, "get", "pods", "-o", "wide")
        time.sleep(5)
    METRICS["minikube_restart_to_ready_s"] = round(time.monotonic() - start, 1)
    with port_forward(deployment, f"service/{FULLNAME}-frontend", FRONTEND_PORT) as url:
        again = Client(url)
        again.email = user.email
        again.login()
        tasks = again.call("GET", "/api/tasks")
    assert [t["title"] for t in tasks["items"]] == ["water the plants"]


def test_down_then_delete_cluster_leaves_nothing_behind(deployment: Deployment) -> None:
    deployment.script("down")
    assert f"namespace/{NAMESPACE}" not in deployment.kubectl("get", "namespaces", "-o", "name").split()
    start = time.monotonic()
    deployment.script("down", "--delete-cluster")
    deployment.down = True
    METRICS["down_delete_cluster_s"] = round(time.monotonic() - start, 1)
    profile = deployment.context
    assert profile not in docker("ps", "-a", "--format", "{{.Names}}").split()
    assert profile not in docker("network", "ls", "--format", "{{.Name}}").split()
    assert profile not in docker("volume", "ls", "--format", "{{.Name}}").split()
    contexts = subprocess.run(
        ["kubectl", "config", "get-contexts", "-o", "name"],
        env=deployment.env,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert profile not in contexts
    forwards = subprocess.run(
        ["pgrep", "-af", "port-forward service/registry"], capture_output=True, text=True
    )
    assert deployment.context not in forwards.stdout, forwards.stdout
