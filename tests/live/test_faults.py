"""`scripts/up` survives being interrupted, and the cluster's parts failing under it (issue 19 §6).

One stack in its own namespace takes every fault in turn, each triggered at a precise point by a
condition, never by a sleep: the Helm release's record appearing in pending-install or
pending-upgrade (the release install), or a push request waiting at a frozen registry (the registry
is stopped with SIGSTOP the moment the docker daemon tags a built image, so the push that follows
hangs at its first request until the fault has been dealt). After each fault the next `scripts/up`
must converge: it exits 0, the release is deployed, every pod is Ready, a preview plans no change,
the state has no pending operation and no process of the interrupted run is left. Tests run in
file order on the one deployment; the module leaves the cluster as it found it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest

from tests.live.deployment import REPO, Client, Deployment, env_var, port_forward, start_deployment
from tests.support.wait import wait_for

NAMESPACE = "todo-faults"
RELEASE = "faults"
FRONTEND_PORT = 8080
DOCKER = "/usr/bin/docker"


@dataclass
class Run:
    """A `scripts/up` started in its own session, as a terminal starts it: Ctrl-C goes to its group."""

    process: subprocess.Popen[str]
    log: Path
    _out: IO[str]

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal_group(self, sig: signal.Signals) -> None:
        os.killpg(self.process.pid, sig)

    def kill_session(self) -> None:
        """SIGKILL to every process of the run, the plugins in their own groups too (a crash of all)."""

        def all_dead() -> bool:
            pids = processes(lambda stat: stat["session"] == self.process.pid)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return not pids

        wait_for("every process of the run's session to die", all_dead, 30, interval=0.05)

    def finish(self, what: str, timeout: float = 240) -> int:
        """Waits for the script to exit, then for its process group to be empty; returns its exit code."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"scripts/up did not exit within {timeout:g} s after {what}:\n{self.output[-3000:]}")
        self._out.close()
        wait_for(
            f"every process of scripts/up's group to end after {what}",
            lambda: not processes(lambda stat: stat["pgrp"] == self.process.pid),
            30,
            seen=lambda: str(processes(lambda stat: stat["pgrp"] == self.process.pid)),
        )
        return code


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] != "Z"


def processes(match: Callable[[dict[str, int]], bool]) -> list[int]:
    """Live (non-zombie) PIDs whose /proc stat matches (keys ppid, pgrp, session)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, ppid, pgrp, session = text[text.rindex(")") + 2 :].split()[:4]
        if state != "Z" and match({"ppid": int(ppid), "pgrp": int(pgrp), "session": int(session)}):
            found.append(int(stat.parent.name))
    return found


def plugins_of(root: Path) -> list[str]:
    """Pulumi plugins running with ``root`` as their working directory: "name (pid N)"."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            program = Path((proc / "cmdline").read_bytes().split(b"\0")[0].decode()).name
            if (
                program.startswith(("pulumi-resource-", "pulumi-language-"))
                and (proc / "cwd").resolve() == root
            ):
                found.append(f"{program} (pid {proc.name})")
        except OSError:
            continue
    return found


class Registry:
    """The tier's registry (scripts/toolchain/docker.sh): frozen, thawed, stopped and started by its PID."""

    def __init__(self) -> None:
        self.dir = Path(env_var("TODO_LIVE_REGISTRY_DIR"))
        self.port = int(env_var("TODO_LIVE_REGISTRY").rsplit(":", 1)[1])

    @property
    def pid(self) -> int:
        pid = int((self.dir / "registry.pid").read_text())
        if Path(f"/proc/{pid}/comm").read_text().strip() != "docker-registry":
            pytest.fail(f"{self.dir}/registry.pid names pid {pid}, which is not the registry", pytrace=False)
        return pid

    def freeze(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def kill(self) -> None:
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        wait_for(f"the registry (pid {pid}) to be gone", lambda: not alive(pid), 30)

    def thaw_if_frozen(self) -> None:
        """A failed test must not leave the shared registry stopped."""
        try:
            pid = self.pid
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (OSError, ValueError):
            return
        if stat[stat.rindex(")") + 2] == "T":
            os.kill(pid, signal.SIGCONT)

    def start(self) -> None:
        script = (
            f'source "{REPO}/scripts/toolchain/common.sh"; '
            f'source "{REPO}/scripts/toolchain/docker.sh"; ensure_registry'
        )
        subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True, timeout=120)

    def waiting_bytes(self) -> int:
        """Bytes clients sent that the registry has not read: a request waiting at a frozen registry."""
        waiting = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == self.port and fields[3] == "01":  # ESTABLISHED
                    waiting += int(fields[4].split(":")[1], 16)
        return waiting


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    registry = Registry()
    yield registry
    registry.thaw_if_frozen()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Iterator[Deployment]:
    deployment = start_deployment(tmp_path_factory.mktemp("faults"), {}, namespace=NAMESPACE, release=RELEASE)
    deployment.root = deployment.root.resolve()
    yield deployment
    if not deployment.down:
        deployment.script("down", check=False)
    assert NAMESPACE not in deployment.kubectl("get", "namespaces", "-o", "name").split("namespace/")


def start_up(deployment: Deployment, name: str) -> Run:
    log = deployment.root.parent / f"{name}.log"
    out = log.open("w")
    process = subprocess.Popen(
        [
            str(deployment.root / "scripts/up"),
            "--context",
            deployment.context,
            "--registry",
            "localhost:5000",
        ],
        cwd=deployment.root,
        env=deployment.env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # A terminal's shell has Ctrl-C at its default; a suite started in the background has it ignored,
        # which bash would pass on (and refuse to trap).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    return Run(process, log, out)


def release_records(deployment: Deployment) -> list[tuple[int, str]]:
    """(revision, status) of each stored revision of the release, oldest first."""
    listed = deployment.json("-n", NAMESPACE, "get", "secrets", "-l", f"owner=helm,name={RELEASE}")
    return sorted(
        (int(s["metadata"]["labels"]["version"]), s["metadata"]["labels"]["status"]) for s in listed["items"]
    )


def wait_for_release(deployment: Deployment, run: Run, status: str) -> None:
    wait_for(
        f"the Helm release's newest record to be {status}",
        lambda: (
            run.process.poll() is None
            and (records := release_records(deployment))
            and records[-1][1] == status
        ),
        600,
        interval=0.25,
        seen=lambda: (
            f"{release_records(deployment)}; scripts/up exit {run.process.poll()}: {run.output[-1500:]}"
        ),
    )


def up_held_at_the_push(deployment: Deployment, registry: Registry, marker: str) -> Run:
    """A frontend change, then `scripts/up`; the registry is frozen as the daemon tags the first built
    image of the stack; returns once a push request waits at the frozen registry."""
    change_the_frontend(deployment, marker)
    events = subprocess.Popen(
        [DOCKER, "events", "--filter", "type=image", "--filter", "event=tag", "--format", "{{json .}}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    frozen = threading.Event()

    def freeze_on_tag() -> None:
        assert events.stdout is not None
        for line in events.stdout:
            if "localhost:5000/todo-" in line:
                registry.freeze()
                frozen.set()
                return

    threading.Thread(target=freeze_on_tag, daemon=True).start()
    run = start_up(deployment, f"push-{marker}")
    try:
        wait_for(
            "the docker daemon to tag a built image of the stack",
            lambda: frozen.is_set() or run.process.poll() is not None,
            600,
            interval=0.1,
        )
        assert frozen.is_set(), f"scripts/up ended before any image was tagged:\n{run.output[-3000:]}"
        wait_for(
            "a push request to wait at the frozen registry",
            lambda: registry.waiting_bytes() > 0,
            120,
            interval=0.1,
        )
    except BaseException:
        run.kill_session()
        registry.thaw_if_frozen()
        raise
    finally:
        events.terminate()
        events.wait(timeout=10)
    return run


def change_the_frontend(deployment: Deployment, marker: str) -> None:
    """A file the frontend image carries byte for byte: a new layer and tag, a release upgrade."""
    source = deployment.root / "frontend/nginx/security-headers.conf"
    source.write_text(source.read_text() + f"# live faults: {marker}\n")


def change_the_chart(deployment: Deployment, marker: str) -> None:
    """A Service annotation: the release upgrades (with its pre-upgrade migration hook), no image rebuilds."""
    services = deployment.root / "charts/todo-chatbot/templates/services.yaml"
    labels = '    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}\n'
    text = services.read_text()
    if "todo-chatbot/live-fault" in text:
        start = text.index("  annotations:\n    todo-chatbot/live-fault")
        text = text[:start] + text[text.index("\n", text.index("live-fault")) + 1 :]
    services.write_text(
        text.replace(labels, labels + f"  annotations:\n    todo-chatbot/live-fault: {marker}\n", 1)
    )


def assert_converged(deployment: Deployment, done: subprocess.CompletedProcess[str]) -> None:
    """The run that follows a fault finished the deploy and left nothing behind."""
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "the Todo Chatbot is up" in output, output[-5000:]
    assert release_records(deployment)[-1][1] == "deployed", release_records(deployment)
    for pod in deployment.json("-n", NAMESPACE, "get", "pods")["items"]:
        if pod["status"].get("phase") == "Succeeded" or pod["metadata"].get("deletionTimestamp"):
            continue
        ready = [c for c in pod["status"].get("conditions", []) if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", f"{pod['metadata']['name']} is not Ready"
    state = json.loads(deployment.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("pending_operations"), state["deployment"]["pending_operations"]
    preview = json.loads(deployment.pulumi("preview", "--json").stdout)
    assert set(preview.get("changeSummary", {})) == {"same"}, preview.get("changeSummary")
    wait_for(
        "the plugins of the finished runs to exit",
        lambda: not plugins_of(deployment.root),
        30,
        seen=lambda: str(plugins_of(deployment.root)),
    )


def service_marker(deployment: Deployment) -> str:
    """The annotation change_the_chart put on the backend Service, as the cluster has it."""
    service = deployment.json("-n", NAMESPACE, "get", "service", f"{deployment.fullname}-backend")
    return str(service["metadata"].get("annotations", {}).get("todo-chatbot/live-fault", ""))


def test_killed_during_the_first_install_the_next_up_converges(deployment: Deployment) -> None:
    run = start_up(deployment, "first-install")
    wait_for_release(deployment, run, "pending-install")
    # Everything the run started dies at once, its provider plugins too: the install stays pending.
    run.kill_session()
    run.finish("SIGKILL during the install")
    assert release_records(deployment)[-1][1] == "pending-install"
    done, _ = deployment.up(check=False)
    output = done.stdout + done.stderr
    assert "is still locked by a pulumi that no longer runs" in output, output[-5000:]
    assert f"Helm release {NAMESPACE}/{RELEASE} was left pending-install" in output, output[-5000:]
    assert "operation(s) unfinished in stack 'dev': release-chart (creating)" in output, output[-5000:]
    assert_converged(deployment, done)


def test_ctrl_c_during_a_release_upgrade_then_up_converges(deployment: Deployment) -> None:
    change_the_chart(deployment, "ctrl-c")
    before = release_records(deployment)
    run = start_up(deployment, "ctrl-c-upgrade")
    wait_for_release(deployment, run, "pending-upgrade")
    run.signal_group(signal.SIGINT)
    code = run.finish("Ctrl-C during the upgrade")
    assert code != 0 and "scripts/up was interrupted" in run.output, run.output[-4000:]
    # The provider cancelled Helm, whose atomic upgrade rolled back: nothing is left pending.
    assert not any(status.startswith("pending-") for _, status in release_records(deployment)), (
        release_records(deployment)
    )
    assert release_records(deployment)[-1][0] > before[-1][0]
    done, _ = deployment.up(check=False)
    assert_converged(deployment, done)
    assert service_marker(deployment) == "ctrl-c"


def test_killed_during_a_release_upgrade_then_up_converges(deployment: Deployment) -> None:
    change_the_chart(deployment, "sigkill")
    run = start_up(deployment, "killed-upgrade")
    wait_for_release(deployment, run, "pending-upgrade")
    run.kill_session()
    run.finish("SIGKILL during the upgrade")
    done, _ = deployment.up(check=False)
    output = done.stdout + done.stderr
    assert f"Helm release {NAMESPACE}/{RELEASE} was left pending-upgrade" in output, output[-5000:]
    assert "another operation" not in output, output[-5000:]
    assert_converged(deployment, done)
    assert service_marker(deployment) == "sigkill"


def test_ctrl_c_during_the_image_push_then_up_converges(deployment: Deployment, registry: Registry) -> None:
    before = release_records(deployment)
    run = up_held_at_the_push(deployment, registry, "ctrl-c")
    try:
        run.signal_group(signal.SIGINT)
        # pulumi lets the step in flight finish; the push resumes once the registry does.
        wait_for(
            "pulumi to acknowledge the Ctrl-C",
            lambda: "^C received; cancelling" in run.output,
            30,
            interval=0.1,
        )
    finally:
        registry.thaw()
    code = run.finish("Ctrl-C during the push")
    assert code != 0 and "scripts/up was interrupted" in run.output, run.output[-4000:]
    assert release_records(deployment) == before, "the release changed although the push was interrupted"
    done, _ = deployment.up(check=False)
    assert_converged(deployment, done)


def test_killed_during_the_image_push_then_up_converges(deployment: Deployment, registry: Registry) -> None:
    before = release_records(deployment)
    run = up_held_at_the_push(deployment, registry, "sigkill")
    try:
        # SIGKILL to the group (a killed terminal, `kill -9 -PGID`): the plugins, in groups of their
        # own, live on with no engine to report to.
        run.signal_group(signal.SIGKILL)
        run.finish("SIGKILL during the push")
    finally:
        registry.thaw()
    orphans = plugins_of(deployment.root)
    assert orphans, "no plugin outlived the killed run: the orphan case is not exercised"
    assert release_records(deployment) == before
    done, _ = deployment.up(check=False)
    output = done.stdout + done.stderr
    assert "plugins of the interrupted pulumi are still running" in output, output[-5000:]
    assert "is still locked by a pulumi that no longer runs" in output, output[-5000:]
    assert_converged(deployment, done)


def test_the_registry_down_during_the_push_is_named_and_nothing_is_half_deployed(
    deployment: Deployment, registry: Registry
) -> None:
    before, pods = release_records(deployment), deployment.pods()
    run = up_held_at_the_push(deployment, registry, "registry-down")
    registry.kill()
    try:
        code = run.finish("the registry went down", timeout=420)
    finally:
        registry.start()
    output = run.output
    assert code != 0, output[-4000:]
    assert "the registry localhost:5000 stopped answering during the deploy" in output, output[-4000:]
    assert "Start it again" in output and "Then run scripts/up again" in output, output[-4000:]
    # The last word is scripts/up's, naming the registry and the fix (pulumi's own report comes before).
    last = output.rstrip().splitlines()[-1]
    assert last.startswith("error: the registry localhost:5000 stopped answering"), output[-4000:]
    assert release_records(deployment) == before and deployment.pods() == pods, "the release moved on"
    done, _ = deployment.up(check=False)
    assert_converged(deployment, done)


def test_an_api_server_restart_during_the_upgrade_then_up_converges(deployment: Deployment) -> None:
    change_the_chart(deployment, "api-restart")
    run = start_up(deployment, "api-restart")
    wait_for_release(deployment, run, "pending-upgrade")
    subprocess.run(
        [str(REPO / "scripts/cluster"), "restart", "kube-apiserver"],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    code = run.finish("the API server restarted", timeout=600)
    if code != 0:
        # Helm may ride out a short restart; when the run fails, it must say why.
        said = run.output
        assert f"the API server of context '{deployment.context}' did not answer" in said, said[-4000:]
    done, _ = deployment.up(check=False)
    assert_converged(deployment, done)
    assert service_marker(deployment) == "api-restart"


def test_a_kubelet_restart_keeps_every_pod_and_the_data(deployment: Deployment) -> None:
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        user.call("POST", "/api/tasks", {"title": "survive the kubelet"})
    before = _containers(deployment)
    restarted = datetime.now(UTC).replace(microsecond=0)
    subprocess.run(
        [str(REPO / "scripts/cluster"), "restart", "kubelet"],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    wait_for(
        "the restarted kubelet to report its node Ready",
        lambda: _node_ready_since(deployment) >= restarted,
        120,
        interval=1,
    )
    wait_for(
        "every pod of the release to be Ready again, the same pods with no container restarted",
        lambda: _containers(deployment) == before,
        180,
        interval=1,
        seen=lambda: str(_containers(deployment)),
    )
    deployment.wait_serving()
    with port_forward(deployment, f"service/{deployment.fullname}-frontend", FRONTEND_PORT) as url:
        user.base = url

        def titles() -> list[str] | None:
            # Right after the restart the API can still show the kubelet's Ready from before it; the
            # frontend answers 502/503 until the backend answers again (one full run here saw a 502).
            try:
                return [t["title"] for t in user.call("GET", "/api/tasks")["items"]]
            except urllib.error.HTTPError as error:
                if error.code in (502, 503):
                    return None
                raise

        answered = wait_for("the backend to answer through the frontend again", titles, 60)
        assert answered == ["survive the kubelet"]


def _node_ready_since(deployment: Deployment) -> datetime:
    """When the node last said it was Ready (its kubelet's heartbeat); the epoch when it is not Ready."""
    (node,) = deployment.json("get", "nodes")["items"]
    (ready,) = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    if ready["status"] != "True":
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromisoformat(ready["lastHeartbeatTime"].replace("Z", "+00:00"))


def _containers(deployment: Deployment) -> dict[str, Any]:
    """Per running pod: its UID, each container's restart count, and whether the pod is Ready."""
    found: dict[str, Any] = {}
    for pod in deployment.json("-n", NAMESPACE, "get", "pods")["items"]:
        if pod["status"].get("phase") == "Succeeded":
            continue
        ready = any(
            c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
        )
        restarts = {c["name"]: c["restartCount"] for c in pod["status"].get("containerStatuses", [])}
        found[pod["metadata"]["name"]] = (pod["metadata"]["uid"], restarts, ready)
    return found


def test_down_after_the_faults_leaves_nothing(deployment: Deployment) -> None:
    deployment.script("down")
    deployment.down = True
    assert not plugins_of(deployment.root)
