"""Small helpers around Debian's docker client for the image tests and the image benchmark.

Everything goes through ``/usr/bin/docker`` with BuildKit on (a newer client earlier on PATH
insists on a buildx plugin that cannot be installed here), against the daemon that
``scripts/toolchain/docker.sh`` started.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import ports

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKER = "/usr/bin/docker"
REGISTRY = os.environ.get("TODO_REGISTRY_ADDR", "127.0.0.1:5000")
# Loopback ports the images tier owns (PostgreSQL takes the low ten).
PG_PORTS = range(15700, 15710)
SERVICE_PORTS = range(15710, 15800)
# The user every project image runs as (docs/contracts.md "Images").
APP_USER = "10001:10001"
# How every container of the tests runs: the chart's pod security settings, in docker terms.
HARDENED = (
    "--read-only",
    "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m",
    "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges",
    "--user", APP_USER,
)  # fmt: skip

# Image name -> (Dockerfile, build args naming its base images -> stand-in env var).
IMAGES: dict[str, tuple[str, dict[str, str]]] = {
    "backend": ("dockerfiles/backend.Dockerfile", {"PYTHON_IMAGE": "STANDIN_PYTHON_IMAGE"}),
    "mcp": ("dockerfiles/mcp.Dockerfile", {"PYTHON_IMAGE": "STANDIN_PYTHON_IMAGE"}),
    "frontend": (
        "dockerfiles/frontend.Dockerfile",
        {"NODE_IMAGE": "STANDIN_NODE_IMAGE", "NGINX_IMAGE": "STANDIN_NGINX_IMAGE"},
    ),
}
# Each image's build args naming its base images -> the stand-in env var for an arm64 build: the
# runtime bases are the arm64 stand-ins, the builder bases the machine's own.
ARM64_BASES = {
    "backend": {"PYTHON_IMAGE": "STANDIN_PYTHON_IMAGE_ARM64", "BUILD_PYTHON_IMAGE": "STANDIN_PYTHON_IMAGE"},
    "mcp": {"PYTHON_IMAGE": "STANDIN_PYTHON_IMAGE_ARM64", "BUILD_PYTHON_IMAGE": "STANDIN_PYTHON_IMAGE"},
    "frontend": {"NGINX_IMAGE": "STANDIN_NGINX_IMAGE_ARM64", "NODE_IMAGE": "STANDIN_NODE_IMAGE"},
}
# Every image the tier builds: the three above (backend with its default AGENT_ENGINE=rules) and the
# backend built for the openai chat engine, as the Pulumi program builds it for agentEngine=openai.
IMAGE_BUILDS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    **{name: (dockerfile, bases, {}) for name, (dockerfile, bases) in IMAGES.items()},
    "backend-openai": (IMAGES["backend"][0], IMAGES["backend"][1], {"AGENT_ENGINE": "openai"}),
}


class DockerError(RuntimeError):
    """A docker command failed; the message has the command and its last output lines."""


def docker(*args: str, check: bool = True, timeout: float = 600, input: bytes | None = None) -> str:
    """Run ``docker ARGS`` and answer its stdout (text)."""
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    result = subprocess.run(
        [DOCKER, *args], capture_output=True, env=env, timeout=timeout, input=input, check=False
    )
    if check and result.returncode != 0:
        tail = (result.stderr or result.stdout).decode(errors="replace").strip().splitlines()[-15:]
        raise DockerError(
            f"docker {' '.join(args[:4])} ... failed ({result.returncode}):\n" + "\n".join(tail)
        )
    return result.stdout.decode(errors="replace").strip()


def daemon_problem() -> str | None:
    """None when the daemon answers, else a sentence saying how to get one."""
    if not Path(DOCKER).exists():
        return f"{DOCKER} is missing; run `scripts/test images` (it installs docker.io and starts dockerd)"
    try:
        docker("info", "--format", "{{.ServerVersion}}", timeout=20)
    except (DockerError, subprocess.TimeoutExpired) as error:
        return f"no Docker daemon answers ({error}); run `scripts/test images`, which starts one"
    return None


def inspect(ref: str) -> dict[str, Any]:
    """``docker image inspect`` of one image."""
    data: list[dict[str, Any]] = json.loads(docker("image", "inspect", ref))
    return data[0]


def image_exists(ref: str) -> bool:
    return subprocess.run([DOCKER, "image", "inspect", ref], capture_output=True, check=False).returncode == 0


def standin_bases() -> dict[str, str]:
    """Build args that point the Dockerfiles at the stand-in bases ``ensure_standin_bases`` exported."""
    names = {"STANDIN_PYTHON_IMAGE", "STANDIN_NODE_IMAGE", "STANDIN_NGINX_IMAGE"}
    missing = sorted(name for name in names if not os.environ.get(name))
    if missing:
        raise DockerError(
            f"{', '.join(missing)} not set; run through `scripts/test images` "
            "(scripts/toolchain/docker.sh ensure_standin_bases builds the stand-in bases and exports them)"
        )
    return {name: os.environ[name] for name in names}


@dataclass(frozen=True)
class Build:
    """One finished ``docker build``: tag, image id and wall-clock seconds."""

    tag: str
    image_id: str
    seconds: float


def build(
    dockerfile: str,
    tag: str,
    *,
    context: Path = REPO_ROOT,
    build_args: Mapping[str, str] | None = None,
    log: Path | None = None,
    no_cache: bool = False,
    platform: str | None = None,
) -> Build:
    """``docker build`` with BuildKit; the full plain-progress log goes to ``log`` when given.
    ``platform`` (e.g. linux/arm64) builds for another architecture (docs/deploy.md "Apple Silicon")."""
    args = ["build", "--progress=plain", "-f", str(context / dockerfile), "-t", tag]
    if platform is not None:
        args += ["--platform", platform]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    if no_cache:
        args.append("--no-cache")
    started = time.monotonic()
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    result = subprocess.run(
        [DOCKER, *args, str(context)], capture_output=True, env=env, timeout=1200, check=False
    )
    seconds = time.monotonic() - started
    output = (result.stdout + result.stderr).decode(errors="replace")
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(output)
    if result.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-25:])
        where = f" (full log: {log})" if log else ""
        raise DockerError(f"building {tag} from {dockerfile} failed{where}:\n{tail}")
    return Build(tag=tag, image_id=inspect(tag)["Id"], seconds=seconds)


def free_port(candidates: Sequence[int] = SERVICE_PORTS) -> int:
    """A free loopback port of the images tier's range (tests.support.ports)."""
    try:
        return ports.free_port(candidates)
    except ports.NoFreePort as error:
        raise DockerError(str(error)) from None


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body of a GET (HTTP errors are answers, not exceptions)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_http_ok(url: str, timeout: float, container: str | None = None) -> float:
    """Poll ``url`` until it answers 200; answer the seconds it took. Fails early if the container exits."""
    started = time.monotonic()
    last = "no answer"
    while time.monotonic() - started < timeout:
        try:
            status, body = http_get(url, timeout=1.0)
            if status == 200:
                return time.monotonic() - started
            last = f"HTTP {status}: {body[:200]!r}"
        except OSError as error:
            last = str(error)
        if container and docker("inspect", "-f", "{{.State.Running}}", container, check=False) != "true":
            raise DockerError(f"container exited before {url} answered; logs:\n{logs(container)}")
        time.sleep(0.05)
    detail = f"; logs:\n{logs(container)}" if container else ""
    raise DockerError(f"{url} did not answer 200 within {timeout:g}s (last: {last}){detail}")


def logs(container: str, lines: int = 40) -> str:
    result = subprocess.run(
        [DOCKER, "logs", "--tail", str(lines), container], capture_output=True, check=False, timeout=30
    )
    return (result.stdout + result.stderr).decode(errors="replace")


@dataclass
class Container:
    """A running container started by :func:`running`."""

    id: str
    image: str
    env: dict[str, str] = field(default_factory=dict)

    def top_uids(self) -> list[int]:
        """Real UIDs of every process in the container, read by the host's ps (docker top)."""
        out = docker("top", self.id, "-eo", "uid,pid")
        return [int(line.split()[0]) for line in out.splitlines()[1:] if line.strip()]

    def health(self) -> str:
        return docker("inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", self.id)

    def stop_with_sigterm(self, timeout: float = 15.0) -> tuple[float, int]:
        """Send SIGTERM (what Kubernetes sends) and wait; answer (seconds to exit, exit code)."""
        started = time.monotonic()
        docker("kill", "--signal", "TERM", self.id)
        code = int(docker("wait", self.id, timeout=timeout))
        return time.monotonic() - started, code


@contextmanager
def running(
    image: str,
    *,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    command: Sequence[str] = (),
    hardened: bool = True,
    platform: str | None = None,
) -> Iterator[Container]:
    """``docker run -d`` on the host network (PostgreSQL and the probes are on loopback); removed on exit.
    ``platform`` runs another architecture's image (under qemu-user, registered in binfmt_misc)."""
    run_args = ["run", "-d", "--network", "host", *(HARDENED if hardened else ()), *args]
    if platform is not None:
        run_args += ["--platform", platform]
    for key, value in (env or {}).items():
        run_args += ["-e", f"{key}={value}"]
    container = Container(id=docker(*run_args, image, *command), image=image, env=dict(env or {}))
    try:
        yield container
    finally:
        docker("rm", "-f", "-v", container.id, check=False)


def run_once(
    image: str,
    command: Sequence[str],
    env: Mapping[str, str],
    timeout: float = 120,
    entrypoint: str | None = None,
    platform: str | None = None,
) -> tuple[int, str]:
    """Run a one-off command in a hardened container; answer (exit code, combined output)."""
    run_args = ["run", "--rm", "--network", "host", *HARDENED]
    if platform is not None:
        run_args += ["--platform", platform]
    if entrypoint is not None:
        run_args += ["--entrypoint", entrypoint]
    for key, value in env.items():
        run_args += ["-e", f"{key}={value}"]
    result = subprocess.run(
        [DOCKER, *run_args, image, *command], capture_output=True, timeout=timeout, check=False
    )
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace")


# Paths a build context copy leaves out: large, or never part of an image (.dockerignore allowlists).
_COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", ".cache", "node_modules", "__pycache__", ".mypy_cache")


def copy_build_context(destination: Path) -> Path:
    """A copy of the repository to build from (tests plant decoy secrets in it; the repo stays clean)."""
    shutil.copytree(REPO_ROOT, destination, ignore=_COPY_IGNORE, symlinks=True)
    return destination
