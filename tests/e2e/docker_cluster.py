"""Run the pods `kube2docker` describes as containers on one user-defined Docker network.

`DockerCluster` is the impure half of the e2e tier: it creates the network, starts pods (init
containers to completion first, like the kubelet), waits on the probes the manifests declare,
runs Jobs and test pods to completion, and removes everything it made. Every container and the
network carry the label `io.todo-chatbot.e2e=<run id>`, so `scripts/tiers/e2e.sh` can remove them
even when the test process dies.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.kube2docker import ContainerRun, HttpProbe

# Debian's client: a newer docker first on PATH may insist on a buildx plugin (docs: DESIGN.md).
DOCKER_CLI = os.environ.get("TODO_E2E_DOCKER_CLI", "/usr/bin/docker")
RUN_LABEL = "io.todo-chatbot.e2e"


class ClusterError(RuntimeError):
    """A container did not do what its manifest promised; the message says which and why."""


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced, for error messages that quote logs."""
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, "<redacted>")
    return text


@dataclass
class Pod:
    """The running containers of one pod and its network address."""

    name: str
    containers: list[str]
    ip: str
    runs: list[ContainerRun] = field(repr=False)
    # time.monotonic() when its container started: the startup probe's budget counts from here.
    started: float = 0.0


class DockerCluster:
    """A Docker network that stands in for a cluster namespace."""

    def __init__(self, run_id: str, secrets: Sequence[str] = ()) -> None:
        self.run_id = run_id
        self.network = f"todo-e2e-{run_id}"
        self.secrets = list(secrets)
        self._env_dir = Path(tempfile.mkdtemp(prefix="todo-e2e-env-"))
        os.chmod(self._env_dir, 0o700)
        self.subnet: ipaddress.IPv4Network | None = None

    # -- docker CLI ---------------------------------------------------------------------------------

    def docker(self, *args: str, check: bool = True, stdin: str | None = None, timeout: float = 300) -> str:
        """Run the docker client; on failure the error quotes its (redacted) stderr."""
        result = subprocess.run(
            [DOCKER_CLI, *args], input=stdin, capture_output=True, text=True, check=False, timeout=timeout
        )
        if check and result.returncode != 0:
            shown = " ".join(args[:3])
            raise ClusterError(
                f"docker {shown} ... failed ({result.returncode}): "
                f"{redact(result.stderr, self.secrets).strip()}"
            )
        return result.stdout

    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.run_id}

    # -- network ------------------------------------------------------------------------------------

    def create_network(self) -> None:
        """A bridge network with a subnet of our own, so a replacement pod can keep a Service's address."""
        last = ""
        for attempt in range(20):
            # 10.231.0.0/16 split into /24s; the start depends on the run id so parallel runs differ.
            third = (sum(self.run_id.encode()) + attempt * 37) % 256
            subnet = ipaddress.IPv4Network(f"10.231.{third}.0/24")
            result = subprocess.run(
                [DOCKER_CLI, "network", "create", "--driver", "bridge", "--subnet", str(subnet),
                 "--label", f"{RUN_LABEL}={self.run_id}", self.network],
                capture_output=True, text=True, check=False, timeout=60,
            )  # fmt: skip
            if result.returncode == 0:
                self.subnet = subnet
                return
            last = result.stderr.strip()
        raise ClusterError(f"could not create docker network {self.network} in 10.231.0.0/16: {last}")

    # -- containers ---------------------------------------------------------------------------------

    def _start(
        self, run: ContainerRun, aliases: Sequence[str], publish: Sequence[str], ip: str | None
    ) -> None:
        env_file = self._env_dir / f"{run.name}.env"
        fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(run.env_file_text())
        try:
            args = run.docker_run_args(
                network=self.network, aliases=aliases, env_file=str(env_file),
                extra_labels=self.labels(), publish=publish, ip=ip,
            )  # fmt: skip
            self.docker("run", *args)
        finally:
            # The client read the file when it sent the container config; nothing secret stays on disk.
            env_file.unlink(missing_ok=True)

    def run_to_completion(self, run: ContainerRun, timeout: float) -> tuple[int, str]:
        """Start one container and wait for it to exit: (exit code, logs). The container is kept."""
        self._start(run, aliases=(), publish=(), ip=None)
        try:
            code = self.docker("wait", run.name, timeout=timeout).strip()
        except subprocess.TimeoutExpired:
            self.docker("kill", run.name, check=False)
            raise ClusterError(
                f"{run.name} did not finish within {timeout:g}s; logs:\n{self.logs(run.name)[-2000:]}"
            ) from None
        return int(code), self.logs(run.name)

    def run_pod_to_completion(
        self, runs: Sequence[ContainerRun], timeout: float
    ) -> list[tuple[ContainerRun, int, str]]:
        """A Job's or test pod's containers in order; stops at the first non-zero exit (as the pod would)."""
        results = []
        for run in runs:
            code, logs = self.run_to_completion(run, timeout)
            results.append((run, code, logs))
            if code != 0:
                break
        return results

    def start_pod(
        self,
        runs: Sequence[ContainerRun],
        aliases: Sequence[str],
        publish: Mapping[str, Sequence[str]] | None = None,
        ip: str | None = None,
    ) -> Pod:
        """Init containers to completion (each must exit 0), then the long-running containers.

        A pod has one IP shared by its containers; the chart's pods have one container each,
        so each container gets the pod's aliases and a pod with two would be an error here.
        """
        init = [run for run in runs if run.is_init]
        main = [run for run in runs if not run.is_init]
        if len(main) != 1:
            raise ClusterError(
                f"pod {runs[0].pod}: {len(main)} containers; the e2e runs single-container pods"
            )
        for run in init:
            code, logs = self.run_to_completion(run, timeout=300)
            if code != 0:
                raise ClusterError(
                    f"init container {run.name} exited {code}; logs:\n{redact(logs, self.secrets)[-2000:]}"
                )
        started = time.monotonic()
        self._start(main[0], aliases=aliases, publish=(publish or {}).get(main[0].container, ()), ip=ip)
        return Pod(
            name=main[0].pod,
            containers=[main[0].name],
            ip=self.ip_of(main[0].name),
            runs=list(runs),
            started=started,
        )

    def ip_of(self, container: str) -> str:
        address = self.docker(
            "inspect",
            "--format",
            f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}',
            container,
        ).strip()
        if not address:
            raise ClusterError(f"{container} has no address on network {self.network}")
        return address

    def running(self, container: str) -> bool:
        return (
            self.docker("inspect", "--format", "{{.State.Running}}", container, check=False).strip() == "true"
        )

    def logs(self, container: str) -> str:
        result = subprocess.run(
            [DOCKER_CLI, "logs", container], capture_output=True, text=True, check=False, timeout=60
        )
        return result.stdout + result.stderr

    def kill(self, container: str) -> None:
        self.docker("kill", container)

    def remove(self, container: str) -> None:
        self.docker("rm", "--force", container, check=False)

    def containers(self) -> list[str]:
        """Names of every container of this run (running or not)."""
        out = self.docker(
            "ps", "--all", "--filter", f"label={RUN_LABEL}={self.run_id}", "--format", "{{.Names}}"
        )
        return sorted(line for line in out.splitlines() if line)

    # -- probes -------------------------------------------------------------------------------------

    def wait_for_probes(self, pod: Pod) -> float:
        """Startup probe within its budget, then readiness within its budget: seconds it took.

        Probes go from this host to the pod IP, as the kubelet's go from the node.
        """
        run = next(r for r in pod.runs if not r.is_init)
        if run.readiness_probe is None and run.startup_probe is None:
            raise ClusterError(
                f"{run.name} declares no startup or readiness probe; nothing says when it is ready"
            )
        since = pod.started
        for kind, probe in (("startup", run.startup_probe), ("readiness", run.readiness_probe)):
            if probe is not None:
                self._wait_probe(pod, run, kind, probe, since)
                since = time.monotonic()
        return time.monotonic() - pod.started

    def _wait_probe(self, pod: Pod, run: ContainerRun, kind: str, probe: HttpProbe, since: float) -> None:
        url = f"http://{pod.ip}:{probe.port}{probe.path}"
        deadline = since + probe.budget_seconds
        last = "no answer yet"
        while True:
            if not self.running(run.name):
                raise ClusterError(
                    f"{run.name} exited while waiting for its {kind} probe ({url}); logs:\n"
                    f"{redact(self.logs(run.name), self.secrets)[-3000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=probe.timeout_seconds) as answer:
                    if 200 <= answer.status < 400:
                        return
                    last = f"HTTP {answer.status}"
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
            except OSError as error:
                last = str(error)
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{run.name}: {kind} probe GET {url} did not pass within the manifest's "
                    f"{probe.budget_seconds:g}s (periodSeconds x failureThreshold); last: {last}; logs:\n"
                    f"{redact(self.logs(run.name), self.secrets)[-3000:]}"
                )
            # Polling faster than periodSeconds only finds readiness sooner; the budget is the manifest's.
            time.sleep(min(0.5, probe.period_seconds))

    # -- teardown -----------------------------------------------------------------------------------

    def cleanup(self) -> None:
        """Remove every container and the network of this run, and the env-file directory."""
        names = self.containers()
        if names:
            self.docker("rm", "--force", "--volumes", *names, check=False)
        self.docker("network", "rm", self.network, check=False)
        with contextlib.suppress(OSError):
            for leftover in self._env_dir.iterdir():
                leftover.unlink()
            self._env_dir.rmdir()
