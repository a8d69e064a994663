"""scripts/up and scripts/down: a missing prerequisite gives an actionable message, never a half-run."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.program.harness import REPO

TOOLS = ("docker", "minikube", "kubectl", "pulumi", "python3")


def _bin(tmp_path: Path, *, os_name: str | None = None, present: dict[str, int] | None = None) -> Path:
    """A PATH directory with only `uname` (real or faked) and stub tools exiting with the given codes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    uname = bin_dir / "uname"
    if os_name is None:
        uname.symlink_to(shutil.which("uname") or "/bin/uname")
    else:
        uname.write_text(f"#!/bin/sh\necho {os_name}\n")
        uname.chmod(0o755)
    for tool, code in (present or {}).items():
        stub = bin_dir / tool
        stub.write_text(f"#!/bin/sh\nexit {code}\n")
        stub.chmod(0o755)
    return bin_dir


def _bash(script: Path, path: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(script), *args],
        env={"PATH": path, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _run(script: str, bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A project script with only the stub tools on PATH."""
    return _bash(REPO / "scripts" / script, str(bin_dir), bin_dir.parent, *args)


@pytest.mark.parametrize(
    ("os_name", "hints"),
    [
        (None, ["sudo apt-get install docker.io", "get.pulumi.com", "python3-venv", "install-kubectl-linux"]),
        ("Darwin", ["brew install --cask docker", "brew install minikube", "brew install pulumi/tap/pulumi"]),
    ],
)
def test_up_names_every_missing_tool_with_how_to_install_it(
    tmp_path: Path, os_name: str | None, hints: list[str]
) -> None:
    result = _run("up", _bin(tmp_path, os_name=os_name))
    assert result.returncode == 1
    assert f"scripts/up needs {' '.join(TOOLS)}, which are not on PATH" in result.stderr
    for tool in TOOLS:
        assert f"  - {tool}: " in result.stderr
    for hint in hints:
        assert hint in result.stderr
    assert "Then run scripts/up again." in result.stderr
    assert "line " not in result.stderr and "command not found" not in result.stderr


def test_up_names_only_the_tool_that_is_missing(tmp_path: Path) -> None:
    result = _run("up", _bin(tmp_path, present={t: 0 for t in TOOLS if t != "pulumi"}))
    assert result.returncode == 1
    assert "scripts/up needs pulumi, which is not on PATH" in result.stderr
    assert "  - docker" not in result.stderr


def test_up_stops_when_the_docker_daemon_does_not_answer(tmp_path: Path) -> None:
    result = _run("up", _bin(tmp_path, present={**dict.fromkeys(TOOLS, 0), "docker": 1}))
    assert result.returncode == 1
    assert "docker is installed but its daemon does not answer" in result.stderr
    assert "systemctl start docker" in result.stderr


def test_up_refuses_an_old_python(tmp_path: Path) -> None:
    result = _run("up", _bin(tmp_path, present={**dict.fromkeys(TOOLS, 0), "python3": 1}))
    assert result.returncode == 1
    assert "needs Python 3.11 or newer" in result.stderr


def test_down_without_pulumi_says_so(tmp_path: Path) -> None:
    result = _run("down", _bin(tmp_path))
    assert result.returncode == 1
    assert "pulumi is not on PATH" in result.stderr


def test_down_rejects_unknown_options(tmp_path: Path) -> None:
    result = _run("down", _bin(tmp_path), "--delete-everything")
    assert result.returncode == 1
    assert (
        "unknown option '--delete-everything'; usage: scripts/down [--delete-cluster | --context CONTEXT]"
        in result.stderr
    )


def _logging_bin(tmp_path: Path, *tools: str) -> tuple[Path, Path]:
    """A PATH directory whose stub tools append their argv to a log and succeed, put before the
    system's own directories (sed, cat, ps...): the log shows every external tool a script ran."""
    bin_dir = tmp_path / "stubs"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for tool in tools:
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >>"{log}"\n')
        stub.chmod(0o755)
    return bin_dir, log


def _run_with_system_path(script: Path, bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A script with the stub tools before the system's own directories."""
    return _bash(script, f"{bin_dir}:/usr/bin:/bin", bin_dir.parent, *args)


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("up", ["--context CTX --registry"]),
        ("down", ["--delete-cluster"]),
        ("test", ["usage: scripts/test [TIER...]", "engine live minikube all"]),
        ("engine", ["build", "check"]),
        ("cluster", ["usage: scripts/cluster COMMAND", "kubeconfig"]),
        ("minikube", ["build", "daemon-up"]),
    ],
)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_does_nothing_else(
    tmp_path: Path, script: str, words: list[str], flag: str
) -> None:
    bin_dir, log = _logging_bin(tmp_path, *TOOLS, "helm", "go", "apt-get", "dockerd")
    result = _run_with_system_path(REPO / "scripts" / script, bin_dir, flag)
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout
    # The usage is the script's header comment and nothing past it (once a stray `set -euo pipefail`).
    assert "set -euo pipefail" not in result.stdout
    assert "#!/usr/bin/env" not in result.stdout and "shellcheck" not in result.stdout
    assert not log.exists(), f"scripts/{script} {flag} ran: {log.read_text()}"


def _scratch_down(tmp_path: Path) -> Path:
    """scripts/down in a scratch checkout, so its .cache/up state is the test's own."""
    script = tmp_path / "repo" / "scripts" / "down"
    shutil.copytree(REPO / "scripts" / "lib", script.parent / "lib")
    shutil.copy(REPO / "scripts" / "down", script)
    return script


def test_down_delete_cluster_works_without_pulumi(tmp_path: Path) -> None:
    bin_dir, log = _logging_bin(tmp_path, "minikube", "docker")
    result = _run_with_system_path(_scratch_down(tmp_path), bin_dir, "--delete-cluster")
    assert result.returncode == 0, result.stderr
    assert "skipping pulumi destroy" in result.stderr
    assert "minikube delete -p minikube" in log.read_text()


def test_down_leaves_a_process_that_reuses_the_port_forwards_pid_alone(tmp_path: Path) -> None:
    script = _scratch_down(tmp_path)
    state = tmp_path / "repo" / ".cache" / "up"
    state.mkdir(parents=True)
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        (state / "registry-port-forward.pid").write_text(f"{bystander.pid}\n")
        bin_dir, _ = _logging_bin(tmp_path, "minikube", "docker", "pulumi")
        result = _run_with_system_path(script, bin_dir)
        assert result.returncode == 0, result.stderr
        assert f"not stopping PID {bystander.pid}" in result.stderr
        assert bystander.poll() is None, "scripts/down killed a process that was not its port-forward"
        assert not (state / "registry-port-forward.pid").exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_down_stops_its_own_port_forward(tmp_path: Path) -> None:
    script = _scratch_down(tmp_path)
    state = tmp_path / "repo" / ".cache" / "up"
    state.mkdir(parents=True)
    # A process whose command line is the one scripts/up starts (argv[0] renamed by exec -a).
    forward = subprocess.Popen(
        [
            "bash",
            "-c",
            "exec -a 'kubectl --context minikube -n kube-system port-forward service/registry 5000:80' "
            "sleep 300",
        ]
    )
    try:
        time.sleep(0.2)
        (state / "registry-port-forward.pid").write_text(f"{forward.pid}\n")
        bin_dir, _ = _logging_bin(tmp_path, "minikube", "docker", "pulumi")
        result = _run_with_system_path(script, bin_dir)
        assert result.returncode == 0, result.stderr
        assert forward.wait(timeout=10) != 0
    finally:
        forward.kill()
        forward.wait()


# A stand-in registry: answers GET /v2/ with 200, as any registry (or an unrelated one) would.
FAKE_REGISTRY = """
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def _up_in_own_network(tmp_path: Path, holder: str, runs: int = 1) -> tuple[list[str], str]:
    """scripts/up of a scratch checkout, `runs` times, in a network namespace of its own (so port
    5000 is its own, never the machine's registry), with stub tools and HOLDER (a shell line
    started first, or empty) listening there. Returns each run's stderr and the stub log."""
    if shutil.which("unshare") is None or shutil.which("ss") is None:
        pytest.fail(
            "unshare and ss (util-linux, iproute2) give scripts/up a port 5000 of its own; install them"
        )
    repo = tmp_path / "repo"
    # The whole library, as _scratch_down copies it: a hand list misses what scripts/up sources next.
    shutil.copytree(REPO / "scripts" / "lib", repo / "scripts" / "lib")
    shutil.copy(REPO / "scripts" / "up", repo / "scripts" / "up")
    (repo / "requirements.txt").write_text("")
    # The program's .venv counts as installed, so a run goes on past the registry to `pulumi`.
    stamp = subprocess.run(["cksum"], input="", capture_output=True, text=True, check=True).stdout.split()[0]
    (repo / ".venv").mkdir()
    (repo / ".venv" / f".installed-program-{stamp}").touch()
    fake = tmp_path / "fake_registry.py"
    fake.write_text(FAKE_REGISTRY)
    bin_dir, log = _logging_bin(tmp_path, "docker", "minikube", "python3")
    # pulumi fails at once: each run stops right after the registry step.
    (bin_dir / "pulumi").write_text(f'#!/bin/sh\necho "pulumi $*" >>"{log}"\nexit 1\n')
    # kubectl's port-forward is a stand-in registry under the real command line.
    (bin_dir / "kubectl").write_text(
        f'#!/bin/bash\necho "kubectl $*" >>"{log}"\n'
        f'case "$*" in *port-forward*) exec -a "kubectl $*" /usr/bin/python3 {fake} 5000 ;; esac\n'
    )
    for stub in ("pulumi", "kubectl"):
        (bin_dir / stub).chmod(0o755)
    driver = tmp_path / "driver.sh"
    driver.write_text(
        f"""set -u
{shutil.which("ip")} link set lo up
{holder}
for _ in $(seq 50); do
  [ {int(bool(holder))} = 0 ] || [ -n "$(ss -Hltn 'sport = :5000')" ] && break; sleep 0.1
done
for run in $(seq {runs}); do
  /bin/bash {repo}/scripts/up 2>"{tmp_path}/stderr.$run"
  echo "exit $?" >>"{tmp_path}/stderr.$run"
done
pidfile={repo}/.cache/up/registry-port-forward.pid
[ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
kill $(jobs -p) 2>/dev/null
wait
"""
    )
    subprocess.run(
        ["unshare", "-rn", "/bin/bash", str(driver)],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=120,
        check=True,
    )
    stderrs = [(tmp_path / f"stderr.{run}").read_text() for run in range(1, runs + 1)]
    return stderrs, log.read_text() if log.exists() else ""


def test_up_refuses_a_registry_on_port_5000_that_is_not_its_port_forward(tmp_path: Path) -> None:
    fake = tmp_path / "fake_registry.py"
    holding = f"/usr/bin/python3 {fake} 5000 & echo $! >{tmp_path}/holder.pid"
    (stderr,), log = _up_in_own_network(tmp_path, holding)
    holder = (tmp_path / "holder.pid").read_text().strip()
    assert stderr.endswith("exit 1\n"), stderr
    assert f"localhost:5000 is held by PID {holder} (/usr/bin/python3 {fake} 5000)" in stderr
    assert f"To free it: kill {holder}; then run scripts/up again." in stderr
    assert "port-forward" not in log, "scripts/up started a port-forward onto a taken port"
    assert "pulumi" not in log, "scripts/up went on to deploy with pushes bound for a foreign registry"


def test_up_refuses_a_port_5000_taken_by_something_that_is_no_registry(tmp_path: Path) -> None:
    listener = (
        "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 5000)); s.listen(); time.sleep(99)"
    )
    (stderr,), log = _up_in_own_network(tmp_path, f'/usr/bin/python3 -c "{listener}" &')
    assert "localhost:5000 is held by PID" in stderr and "not by scripts/up's port-forward" in stderr, stderr
    assert "port-forward" not in log and "pulumi" not in log


def test_up_pushes_through_its_own_port_forward_and_reuses_it(tmp_path: Path) -> None:
    (first, second), log = _up_in_own_network(tmp_path, "", runs=2)
    assert "forwarding localhost:5000 to Minikube's registry" in first, first
    assert "registry answers at http://localhost:5000/v2/" in first
    pid = (tmp_path / "repo" / ".cache" / "up" / "registry-port-forward.pid").read_text().strip()
    assert f"localhost:5000 is forwarded to Minikube's registry (PID {pid})" in second, second
    assert "registry answers at http://localhost:5000/v2/" in second
    assert log.count("port-forward service/registry 5000:80") == 1, log
    # Both runs went on past the registry (to the stub pulumi, which fails).
    assert [run.count("pulumi login --local failed") for run in (first, second)] == [1, 1]
