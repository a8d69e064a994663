"""The e2e release: PostgreSQL, the Secrets, `helm template`, the migration hook and the Deployments.

`Stack` does, with containers, what `pulumi up` does on Minikube for an external database:
create the Secrets (generated values, as `components/secrets.py` does), render the chart with the
values the program sets, run the migration hook Job, start every Deployment and wait on its
probes. Only the frontend Service (the one that is not ClusterIP) is published, on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets as random_source
import shutil
import socket
import string
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.e2e.docker_cluster import ClusterError, DockerCluster, Pod
from tests.e2e.kube2docker import ContainerRun, Obj, Release

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "todo-chatbot"
VALUES_FILE = Path(__file__).with_name("values.yaml")
# Release name and namespace the Pulumi program uses (docs/contracts.md).
RELEASE = "todo"
NAMESPACE = "todo"
# Loopback ports the e2e tier owns.
PORTS = range(15800, 15900)
DATABASE_USER = "todo"
DATABASE_NAME = "todo"
_ALPHANUMERIC = string.ascii_letters + string.digits


class StackUnavailable(RuntimeError):
    """A prerequisite of the e2e tier is missing; the message says how to get it."""


@dataclass(frozen=True)
class E2EConfig:
    """What `scripts/tiers/e2e.sh` built and exported for the tests."""

    run_id: str
    images: dict[str, dict[str, str]]
    postgres_image: str
    helm: str

    @classmethod
    def from_environment(cls) -> E2EConfig:
        images_json = os.environ.get("TODO_E2E_IMAGES", "")
        postgres_image = os.environ.get("TODO_E2E_POSTGRES_IMAGE", "")
        helm = shutil.which("helm") or str(REPO_ROOT / ".cache" / "bin" / "helm")
        if not images_json or not postgres_image:
            raise StackUnavailable(
                "TODO_E2E_IMAGES / TODO_E2E_POSTGRES_IMAGE are not set; run `scripts/test e2e`, which builds "
                "the images, pushes them to the local registry and exports both"
            )
        if not Path(helm).exists():
            raise StackUnavailable("helm is not on PATH; run `scripts/test e2e` (it builds the pinned helm)")
        images = json.loads(images_json)
        return cls(
            run_id=os.environ.get("TODO_E2E_RUN_ID", f"e2e{os.getpid()}"),
            images={service: dict(ref) for service, ref in images.items()},
            postgres_image=postgres_image,
            helm=helm,
        )


def generate(length: int) -> str:
    """An alphanumeric random value, like the program's `random.RandomPassword(special=False)`."""
    return "".join(random_source.choice(_ALPHANUMERIC) for _ in range(length))


def free_port() -> int:
    """A loopback port of the e2e range that nobody listens on right now."""
    ports = list(PORTS)
    start = os.getpid() % len(ports)
    for port in ports[start:] + ports[:start]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise StackUnavailable(f"no free loopback port in {PORTS.start}-{PORTS.stop - 1}")


def helm_template(helm: str, *values_files: Path) -> str:
    """`helm template` of the chart, offline (no repositories, no cluster), hooks and tests included."""
    cache = REPO_ROOT / ".cache" / "helm"
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(cache / "cache"),
        "HELM_CONFIG_HOME": str(cache / "config"),
        "HELM_DATA_HOME": str(cache / "data"),
        "KUBECONFIG": os.devnull,
    }
    args = [helm, "template", RELEASE, str(CHART_DIR), "--namespace", NAMESPACE]
    for path in values_files:
        args += ["--values", str(path)]
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=120)
    if result.returncode != 0:
        raise ClusterError(f"helm template failed for {[str(p) for p in values_files]}:\n{result.stderr}")
    return result.stdout


@dataclass(frozen=True)
class JobResult:
    """One container of a run-to-completion pod."""

    container: str
    exit_code: int
    logs: str


@dataclass
class Stack:
    """The running e2e release. `secret_values` are the values no log or manifest may contain."""

    config: E2EConfig
    cluster: DockerCluster
    secrets: dict[str, dict[str, str]] = field(repr=False)
    db_host: str
    db_password: str = field(repr=False)
    rendered: str = ""
    release: Release | None = None
    pods: dict[str, list[Pod]] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    frontend_port: int = 0
    migrations: list[list[JobResult]] = field(default_factory=list)
    startup_seconds: dict[str, float] = field(default_factory=dict)
    _generation: int = 0

    @classmethod
    def create(cls, config: E2EConfig) -> Stack:
        db_host = f"{config.run_id}-postgres"
        db_password = generate(32)
        secrets = {
            "todo-app": {"jwt-secret": generate(64), "mcp-token": generate(48)},
            # External mode: the user's URL from secret stack config, here our PostgreSQL container's.
            "todo-database": {
                "database-url": f"postgresql+psycopg://{DATABASE_USER}:{db_password}@{db_host}:5432/{DATABASE_NAME}",
            },
        }
        values = [value for data in secrets.values() for value in data.values()] + [db_password]
        return cls(
            config=config,
            cluster=DockerCluster(config.run_id, values),
            secrets=secrets,
            db_host=db_host,
            db_password=db_password,
        )

    @property
    def secret_values(self) -> list[str]:
        return list(self.cluster.secrets)

    @property
    def frontend_url(self) -> str:
        return f"http://127.0.0.1:{self.frontend_port}"

    def rel(self) -> Release:
        if self.release is None:
            raise ClusterError("the chart is not rendered yet; call Stack.render() first")
        return self.release

    # -- steps --------------------------------------------------------------------------------------

    def start_database(self) -> None:
        """PostgreSQL on the network, with the role and database the database URL names."""
        password = self.db_password
        self.cluster.docker(
            "run", "--detach", "--name", self.db_host, "--network", self.cluster.network,
            "--label", f"io.todo-chatbot.e2e={self.config.run_id}", "--tmpfs", "/tmp:rw,size=256m,mode=1777",
            self.config.postgres_image,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            ready = subprocess.run(
                ["/usr/bin/docker", "exec", self.db_host, "pg_isready", "-q", "-h", "/tmp", "-U", "postgres"],
                capture_output=True, check=False, timeout=30,
            )  # fmt: skip
            if ready.returncode == 0:
                break
            if time.monotonic() > deadline:
                logs = self.cluster.logs(self.db_host)[-2000:]
                raise ClusterError(
                    f"PostgreSQL ({self.config.postgres_image}) not ready within 60s; logs:\n{logs}"
                )
            time.sleep(0.5)
        # SQL on stdin keeps the password out of every process's argument list.
        sql = (
            f"CREATE ROLE {DATABASE_USER} LOGIN PASSWORD '{password}';\n"
            f"CREATE DATABASE {DATABASE_NAME} OWNER {DATABASE_USER};\n"
        )
        self.cluster.docker(
            "exec", "-i", self.db_host, "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "/tmp", "-U", "postgres",
            "-d", "postgres", stdin=sql,
        )  # fmt: skip

    def psql(self, query: str) -> str:
        """One query as the superuser over the local socket; tuples only, `|`-separated."""
        return self.cluster.docker(
            "exec", "-i", self.db_host, "psql", "-At", "-v", "ON_ERROR_STOP=1", "-h", "/tmp",
            "-U", "postgres",
            "-d", DATABASE_NAME, stdin=query,
        )  # fmt: skip

    def render(self) -> None:
        """`helm template` with the program's values plus the images it built and pushed."""
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="todo-e2e-images-") as images_file:
            yaml.safe_dump({"images": self.config.images}, images_file)
            images_file.flush()
            self.rendered = helm_template(self.config.helm, VALUES_FILE, Path(images_file.name))
        self.release = Release.parse(self.rendered, NAMESPACE)
        self.aliases = self.release.service_aliases(self.release.deployments)

    def run_migrations(self) -> list[JobResult]:
        """The hook Jobs of an install (external database: pre-install) run to completion, in order."""
        release = self.rel()
        jobs = release.hook_jobs("pre-install") or release.hook_jobs("post-install")
        if not jobs:
            raise ClusterError(
                "the rendered release has no pre-install or post-install hook Job to migrate with"
            )
        results: list[JobResult] = []
        for job in jobs:
            results += self._run_once(job)
        self.migrations.append(results)
        return results

    def run_test_pods(self) -> list[JobResult]:
        """What `helm test` runs: every test-hook Pod to completion."""
        pods = self.rel().test_pods()
        if not pods:
            raise ClusterError("the rendered release has no `helm test` Pod (helm.sh/hook: test)")
        results: list[JobResult] = []
        for pod in pods:
            results += self._run_once(pod)
        return results

    def _run_once(self, workload: Obj) -> list[JobResult]:
        self._generation += 1
        runs = self.rel().pod_containers(workload, self.secrets, self._pod_name(workload, self._generation))
        return [
            JobResult(run.container, code, logs)
            for run, code, logs in self.cluster.run_pod_to_completion(runs, timeout=300)
        ]

    def deploy(self) -> None:
        """Every Deployment's pods started at once (as a rollout does), then each waited on its probes."""
        release = self.rel()
        self.frontend_port = free_port()
        published = self._published_ports()
        started: list[tuple[str, Pod]] = []
        for deployment in release.deployments:
            self.pods[deployment.name] = []
            for index in range(deployment.replicas()):
                runs = release.pod_containers(deployment, self.secrets, self._pod_name(deployment, index))
                pod = self.cluster.start_pod(
                    runs, self.aliases[deployment.name], published.get(deployment.name)
                )
                self.pods[deployment.name].append(pod)
                started.append((deployment.name, pod))
        for name, pod in started:
            self.startup_seconds[pod.name] = self.cluster.wait_for_probes(pod)
            self.startup_seconds.setdefault(name, self.startup_seconds[pod.name])

    def replace_pod(self, deployment_name: str) -> tuple[Pod, Pod]:
        """`docker kill` the first pod of a Deployment and start a new pod from the same rendered spec.

        The new container takes the killed one's address: in a cluster the Service name is a
        stable ClusterIP, and nginx (the frontend) resolves the backend's name once at start.
        """
        release = self.rel()
        old = self.pods[deployment_name][0]
        for container in old.containers:
            self.cluster.kill(container)
        self._generation += 1
        deployment = release.get("Deployment", deployment_name)
        runs = release.pod_containers(deployment, self.secrets, self._pod_name(deployment, self._generation))
        published = self._published_ports().get(deployment_name)
        new = self.cluster.start_pod(runs, self.aliases[deployment_name], published, ip=old.ip)
        self.startup_seconds[new.name] = self.cluster.wait_for_probes(new)
        self.pods[deployment_name][0] = new
        return old, new

    def _pod_name(self, workload: Obj, index: int) -> str:
        return f"{self.config.run_id}-{workload.name}-{index}"

    def _published_ports(self) -> dict[str, dict[str, list[str]]]:
        """Deployment -> container -> `--publish` specs, for Services that are not ClusterIP."""
        release = self.rel()
        published: dict[str, dict[str, list[str]]] = {}
        for service in release.of_kind("Service"):
            spec = service.body.get("spec") or {}
            if spec.get("type", "ClusterIP") == "ClusterIP":
                continue
            for deployment in release.deployments:
                if service.name not in self.aliases.get(deployment.name, []):
                    continue
                _, pod_spec = deployment.pod_template()
                for container in pod_spec.get("containers") or []:
                    for port in container.get("ports") or []:
                        target = f"127.0.0.1:{self.frontend_port}:{port['containerPort']}"
                        published.setdefault(deployment.name, {}).setdefault(container["name"], []).append(
                            target
                        )
        if len(published) != 1:
            raise ClusterError(
                "expected exactly one published (non-ClusterIP) Service workload, the frontend; "
                f"got {sorted(published)}"
            )
        return published

    def all_runs(self) -> list[ContainerRun]:
        return [run for pods in self.pods.values() for pod in pods for run in pod.runs]
