"""arm64 beside amd64 (docs/benchmarks.md "arm64 images"): the three images built for each platform on
this amd64 machine, then started to /readyz (or /healthz), natively and under qemu-user emulation.

Run it through bench/images/run.sh --arm64 (dockerd, the amd64 and arm64 stand-in bases, binfmt_misc).
Builds use --no-cache, so every step reruns, while the pip and npm cache mounts stay warm (no
downloads: the comparison is the build work, not the network).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from components.services import SERVICE_NAMES  # noqa: E402
from tests.images import dockerkit as dk  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

START_RUNS = 5
# Each platform's build args naming its bases -> stand-in env vars (tests/images/dockerkit.py).
BASES = {
    "linux/amd64": {name: dict(bases) for name, (_, bases) in dk.IMAGES.items()},
    "linux/arm64": dk.ARM64_BASES,
}
PROBE = {"backend": "/readyz", "mcp": "/readyz", "frontend": "/healthz"}


def start_to_ready(tag: str, target: str, service: str, env: dict[str, str]) -> list[float]:
    """Seconds from `docker run` to the first 200 on the service's probe, over START_RUNS containers."""
    samples = []
    for _ in range(START_RUNS):
        port = dk.free_port()
        listen = (
            {"TODO_FRONTEND_LISTEN": f"127.0.0.1:{port}"}
            if service == "frontend"
            else {"TODO_PORT": str(port)}
        )
        started = time.monotonic()
        with dk.running(tag, env=env | listen, platform=target) as container:
            dk.wait_http_ok(f"http://127.0.0.1:{port}{PROBE[service]}", 300, container.id)
            samples.append(time.monotonic() - started)
    return samples


def main() -> int:
    unavailable = os.environ.get("TODO_ARM64_UNAVAILABLE")
    if unavailable:
        print(f"arm64 programs cannot run on this machine: {unavailable}", file=sys.stderr)
        return 2
    logs = Path(tempfile.mkdtemp(prefix="bench-arm64-"))
    load_before = os.getloadavg()
    builds: dict[tuple[str, str], float] = {}
    for target, per_service in BASES.items():
        for service in SERVICE_NAMES:
            args = {arg: os.environ[env] for arg, env in per_service[service].items()}
            tag = f"todo-{service}:bench-{target.split('/')[1]}"
            dockerfile = dk.IMAGES[service][0]
            log = logs / f"{service}-{target.replace('/', '-')}.log"
            builds[(service, target)] = dk.build(
                dockerfile, tag, build_args=args, log=log, no_cache=True, platform=target
            ).seconds
            print(f"build {service} for {target}: {builds[(service, target)]:.1f}s", file=sys.stderr)
    starts: dict[tuple[str, str], list[float]] = {}
    with PostgresServer(ports=dk.PG_PORTS) as pg:
        env = {
            "TODO_DATABASE_URL": pg.create_database("bench"),
            "TODO_JWT_SECRET": os.urandom(32).hex(),
            "TODO_MCP_TOKEN": os.urandom(24).hex(),
        }
        code, output = dk.run_once("todo-backend:bench-amd64", ["todo-migrate"], env)
        assert code == 0, output
        frontend_env = {"TODO_BACKEND_URL": "http://127.0.0.1:9"}  # /healthz needs no backend
        for target in BASES:
            for service in SERVICE_NAMES:
                tag = f"todo-{service}:bench-{target.split('/')[1]}"
                starts[(service, target)] = start_to_ready(
                    tag, target, service, frontend_env if service == "frontend" else env
                )
    load_after = os.getloadavg()

    print(
        f"\nMachine: {platform.node()}, {platform.machine()}, {os.cpu_count()} cores; load average before "
        f"{load_before[0]:.2f}, after {load_after[0]:.2f} (1 min). Bases: Debian trixie stand-ins."
    )
    print(
        "\n| image | build for linux/amd64 s | build for linux/arm64 s "
        "| start amd64 (native), median / worst s | start arm64 (emulated), median / worst s |"
    )
    print("|---|---|---|---|---|")
    for service in SERVICE_NAMES:
        cells = [f"{builds[(service, t)]:.1f}" for t in BASES]
        for target in BASES:
            samples = starts[(service, target)]
            cells.append(f"{statistics.median(samples):.2f} / {max(samples):.2f}")
        print(f"| {service} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
