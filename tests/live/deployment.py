"""What the live tier's test modules share: a scratch copy of the project deployed with
`scripts/up --context` to the cluster of `scripts/cluster`, and the ways tests reach it (kubectl,
`kubectl port-forward` on loopback, an API client through the frontend's /api proxy).
"""

from __future__ import annotations

import contextlib
import functools
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from components.names import component_name
from components.services import SERVICE_NAMES
from tests.support import ports
from tests.support.pulumi_cli import copy_project
from tests.support.up_timings import UP_TIMINGS
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]
DEPLOYMENTS = SERVICE_NAMES
APP_SECRETS = ("todo-chatbot-app", "todo-chatbot-database")
FRONTEND_PORT = 8080
METRICS: dict[str, Any] = {}


def env_var(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run the live tier through `scripts/test live`")
    return value


def failure_excerpt(done: subprocess.CompletedProcess[str], tail: int = 4000) -> str:
    """What a failed script said: every line naming an error (a Pulumi diagnostic is often far above
    a long shutdown traceback), then the end of the output."""
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if re.search(r"\berror\b|\bfailed\b|✗", line, re.I)]
    head = "\n".join(errors[:60])
    return f"--- lines naming an error ---\n{head}\n--- last {tail} characters ---\n{output[-tail:]}"


@dataclass
class Deployment:
    """The scratch project, its Pulumi backend and the cluster it deployed to."""

    root: Path
    env: dict[str, str]
    context: str
    namespace: str = "todo"
    release: str = "todo-chatbot"
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    down: bool = False
    # True: the README's plain `scripts/up` on Minikube (no --context, no --registry).
    minikube: bool = False

    @property
    def fullname(self) -> str:
        """Every object's name prefix: the program hands the release name down as fullnameOverride."""
        return self.release

    def script(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        flags = () if self.minikube else ("--context", self.context)
        done = subprocess.run(
            [str(self.root / "scripts" / name), *flags, *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        self.runs.append(done)
        # Every run's whole output beside the project copy, for reading a failure or a metric later.
        log = self.root.parent / f"run-{len(self.runs):02d}-{name}.log"
        log.write_text(f"$ scripts/{name} {' '.join(args)}\n{done.stdout}\n--- stderr ---\n{done.stderr}")
        if check and done.returncode != 0:
            raise AssertionError(f"scripts/{name} failed ({done.returncode}):\n{failure_excerpt(done)}")
        return done

    def up(self, *args: str, check: bool = True) -> tuple[subprocess.CompletedProcess[str], float]:
        """`scripts/up`; on success also waits until every Service of the release serves its pods."""
        start = time.monotonic()
        registry = () if self.minikube else ("--registry", "localhost:5000")
        done = self.script("up", *registry, *args, check=check)
        seconds = time.monotonic() - start
        if done.returncode == 0:
            self.wait_serving()
        return done, seconds

    def phases(self) -> dict[str, float]:
        """Seconds per phase of the last scripts/up, from the CLI's per-resource lines."""
        output = self.runs[-1].stdout + self.runs[-1].stderr
        phases: dict[str, float] = UP_TIMINGS.phases(UP_TIMINGS.steps(output.splitlines()))
        return phases

    def wait_serving(self, *components: str) -> None:
        """Helm's wait ends when pods are Ready, not when their Service reaches them: wait until each
        component's Service lists exactly its Ready pods and kube-proxy forwards to them."""
        services = {component: component_name(self.release, component) for component in components}
        if not components:
            # Every component the release runs (no database Service in external mode).
            listed = {
                s["metadata"]["name"] for s in self.json("-n", self.namespace, "get", "services")["items"]
            }
            every = {c: component_name(self.release, c) for c in (*DEPLOYMENTS, "postgresql")}
            services = {c: name for c, name in every.items() if name in listed}
        for component, service in services.items():
            wait_for(
                f"Service {service} to serve the Ready pods of {component}",
                functools.partial(
                    serves,
                    self.json,
                    self.namespace,
                    service,
                    component,
                    self.context if self.minikube else None,
                ),
                120,
                seen=lambda: self.kubectl("-n", self.namespace, "get", "endpointslices,pods", "-o", "wide"),
            )

    def pulumi(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", *args, "--stack", "dev", "--non-interactive"],
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )

    def kubectl(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["kubectl", "--context", self.context, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json"))

    def pods(self) -> dict[str, dict[str, str]]:
        """Running pods of the release by component, terminating ones left out: {component: {name: uid}}."""
        listed = self.json("-n", self.namespace, "get", "pods")
        by_component: dict[str, dict[str, str]] = {}
        for pod in listed["items"]:
            if pod["status"].get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
                continue
            component = pod["metadata"]["labels"].get("app.kubernetes.io/component", "")
            by_component.setdefault(component, {})[pod["metadata"]["name"]] = pod["metadata"]["uid"]
        return by_component


def ready_endpoints(get_json: Callable[..., Any], namespace: str, service: str) -> set[str]:
    """Addresses of the Service's ready endpoints, as its EndpointSlices list them."""
    slices = get_json("-n", namespace, "get", "endpointslices", "-l", f"kubernetes.io/service-name={service}")
    return {
        address
        for found in slices["items"]
        for endpoint in found.get("endpoints") or []
        if (endpoint.get("conditions") or {}).get("ready")
        for address in endpoint.get("addresses", [])
    }


def proxy_forwards_to(address: str, node: str | None = None) -> bool:
    """kube-proxy (iptables mode) has a DNAT rule to ``address``: an endpoint it programmed. Its
    rules are this machine's (scripts/cluster), or those of Minikube's ``node`` container (reached
    through the Docker daemon of the caller's DOCKER_HOST)."""
    command = ["iptables-save", "-t", "nat"]
    if node is not None:
        command = ["/usr/bin/docker", "exec", node, *command]
    rules = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return f"--to-destination {address}:" in rules


def serves(
    get_json: Callable[..., Any], namespace: str, service: str, component: str, node: str | None = None
) -> bool:
    """The Service lists the component's Ready, non-terminating pods (some), no other, and, unless it
    is headless, kube-proxy (on this machine, or in Minikube's ``node``) forwards to each of them."""
    pods = get_json("-n", namespace, "get", "pods", "-l", f"app.kubernetes.io/component={component}")["items"]
    ready = {
        p["status"]["podIP"]
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))
    }
    if not ready or ready_endpoints(get_json, namespace, service) != ready:
        return False
    headless = get_json("-n", namespace, "get", "service", service)["spec"].get("clusterIP") == "None"
    return headless or all(proxy_forwards_to(address, node) for address in ready)


# Loopback ports of the live tier's port-forwards.
PORT_RANGE = range(15700, 15800)


@contextlib.contextmanager
def port_forward(deployment: Deployment, target: str, remote: int) -> Iterator[str]:
    """`kubectl port-forward` on loopback, the only way tests reach the cluster's pods."""
    local = ports.free_port(PORT_RANGE)
    process = subprocess.Popen(
        [
            "kubectl",
            "--context",
            deployment.context,
            "-n",
            deployment.namespace,
            "port-forward",
            "--address",
            "127.0.0.1",
            target,
            f"{local}:{remote}",
        ],
        env=deployment.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{local}"

    def answers() -> bool:
        if process.poll() is not None:
            said = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"kubectl port-forward to {target} exited: {said}")
        with urllib.request.urlopen(f"{url}/healthz", timeout=2):
            return True

    try:
        wait_for(
            f"port-forward to {target} to answer {url}/healthz",
            answers,
            30,
            interval=0.3,
            retry_on=(OSError,),
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


class Client:
    """A signed-in API user (cookie session), through the frontend's /api proxy."""

    PASSWORD = "a long live password"

    def __init__(self, base: str) -> None:
        self.base = base
        self.email = ""
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def register(self) -> None:
        self.email = f"live-{secrets.token_hex(4)}@example.com"
        self.call(
            "POST",
            "/api/auth/register",
            {"email": self.email, "password": self.PASSWORD, "name": "Live"},
        )

    def login(self) -> None:
        """Sign in again as the registered user (a new session cookie)."""
        self.call("POST", "/api/auth/login", {"email": self.email, "password": self.PASSWORD})

    def chat(self, message: str, conversation_id: int | None = None) -> dict[str, Any]:
        reply: dict[str, Any] = self.call(
            "POST", "/api/chat", {"message": message, "conversation_id": conversation_id}
        )
        return reply


def start_deployment(
    tmp: Path,
    settings: dict[str, str],
    secret_settings: dict[str, str] | None = None,
    *,
    namespace: str = "todo",
    release: str = "todo-chatbot",
    minikube: bool = False,
) -> Deployment:
    """A scratch copy of the project with its own file backend and a `dev` stack configured with the
    stand-in base images (never Docker Hub) plus ``settings``; nothing deployed yet. With
    ``minikube`` the kubeconfig and context are the minikube tier's (TODO_MINIKUBE_*)."""
    root = copy_project(tmp / "project")
    (tmp / "home").mkdir()
    (tmp / "state").mkdir()
    env = {
        **os.environ,
        "KUBECONFIG": env_var("TODO_MINIKUBE_KUBECONFIG" if minikube else "TODO_LIVE_KUBECONFIG"),
        "PULUMI_HOME": os.environ.get("PULUMI_HOME") or str(tmp / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
        "NO_COLOR": "1",
    }
    context = env_var("TODO_MINIKUBE_PROFILE" if minikube else "TODO_LIVE_CONTEXT")
    deployment = Deployment(root, env, context, namespace=namespace, release=release, minikube=minikube)
    deployment.pulumi("stack", "init")
    base = {
        "pythonBaseImage": env_var("TODO_STANDIN_PYTHON_IMAGE"),
        "nodeBaseImage": env_var("TODO_STANDIN_NODE_IMAGE"),
        "nginxBaseImage": env_var("TODO_STANDIN_NGINX_IMAGE"),
        "postgresImage": env_var("TODO_LIVE_POSTGRES_IMAGE"),
        "helmTimeoutSeconds": "300",
        "namespace": namespace,
        "releaseName": release,
    }
    for key, value in {**base, **settings}.items():
        deployment.pulumi("config", "set", key, value)
    for key, value in (secret_settings or {}).items():
        deployment.pulumi("config", "set", "--secret", key, value)
    return deployment


def helm(deployment: Deployment, *args: str) -> str:
    """`helm ARGS` against the deployment's release namespace and context; fails loudly."""
    done = subprocess.run(
        ["helm", *args, "-n", deployment.namespace, "--kube-context", deployment.context],
        env=deployment.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout
