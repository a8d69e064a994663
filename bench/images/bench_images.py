"""Image benchmark: layer sizes on top of the base, cold build, one-line-change rebuild, start to /readyz.

Run it through bench/images/run.sh (starts dockerd, the stand-in bases, the registry). It clears
the BuildKit cache first (`docker builder prune -af`) so the cold build downloads every
dependency, and prints a Markdown table for docs/benchmarks.md "Images".
With --keep-build-cache (a daemon shared with other builds) it prunes nothing and builds cold with
--no-cache instead: every step reruns, but the pip/npm cache mounts stay warm (no downloads).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from components.services import SERVICE_NAMES  # noqa: E402
from tests.images import dockerkit as dk  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

NAIVE = "bench/images/naive-backend.Dockerfile"
BUDGET_MB = {"backend": 60, "backend-openai": 60, "mcp": 45, "frontend": 5}
# The three images `pulumi up` builds by default (backend with AGENT_ENGINE=rules) and the budgets' subject.
THREE = SERVICE_NAMES
START_RUNS = 5
# The one-line code change per image (a file its last layers copy).
CODE_CHANGE = {
    "backend": "app/src/todo/api/main.py",
    "backend-openai": "app/src/todo/api/main.py",
    "mcp": "app/src/todo/mcp/app.py",
    "frontend": "frontend/src/App.tsx",
}


def mb(size: float) -> str:
    return f"{size / 1e6:.1f}"


def added_sizes(tag: str, base: str) -> tuple[int, int]:
    """(unpacked, compressed as pushed) bytes of the layers an image adds on top of its base."""
    unpacked = int(dk.inspect(tag)["Size"]) - int(dk.inspect(base)["Size"])
    base_layers = len(dk.inspect(base)["RootFS"]["Layers"])
    repository = "bench/" + tag.split(":")[0]
    remote = f"{dk.REGISTRY}/{repository}:bench"
    dk.docker("tag", tag, remote)
    dk.docker("push", remote)
    request = urllib.request.Request(
        f"http://{dk.REGISTRY}/v2/{repository}/manifests/bench",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        manifest = json.load(response)
    dk.docker("rmi", remote)
    compressed = sum(int(layer["size"]) for layer in manifest["layers"][base_layers:])
    return unpacked, compressed


# Runs inside an image: bytes of /opt/venv by kind, and the five biggest top-level entries.
BREAKDOWN = """
import json, os, collections
kinds, tops = collections.Counter(), collections.Counter()
for d, _, files in os.walk('/opt/venv'):
    for f in files:
        size = os.lstat(os.path.join(d, f)).st_size
        kind = 'pyc' if f.endswith('.pyc') else 'py' if f.endswith('.py') else (
            'native' if f.endswith('.so') or '.so.' in f else 'other')
        kinds[kind] += size
        rel = os.path.relpath(d, '/opt/venv').split(os.sep)
        tops[rel[3] if len(rel) > 3 and rel[2] == 'site-packages' else '/'.join(rel[:2])] += size
print(json.dumps({'kinds': kinds, 'top': tops.most_common(6)}))
"""


def venv_breakdown(tag: str) -> str:
    """One table row: the image's /opt/venv in MB by kind of file, and its biggest entries."""
    code, output = dk.run_once(tag, ["python3", "-c", BREAKDOWN], {})
    assert code == 0, output
    data = json.loads(output.strip().splitlines()[-1])
    kinds = data["kinds"]
    top = ", ".join(f"{name} {mb(size)}" for name, size in data["top"])
    return " | ".join(mb(kinds.get(k, 0)) for k in ("native", "pyc", "py", "other")) + f" | {top}"


def start_to_ready(tag: str, env: dict[str, str]) -> list[float]:
    """Seconds from `docker run` to the first 200 on /readyz, over START_RUNS fresh containers."""
    samples = []
    for _ in range(START_RUNS):
        port = dk.free_port()
        started = time.monotonic()
        with dk.running(tag, env=env | {"TODO_PORT": str(port)}) as container:
            dk.wait_http_ok(f"http://127.0.0.1:{port}/readyz", 60, container.id)
            samples.append(time.monotonic() - started)
    return samples


def main() -> int:
    bases = dk.standin_bases()
    base_of = {
        "backend": bases["STANDIN_PYTHON_IMAGE"],
        "backend-openai": bases["STANDIN_PYTHON_IMAGE"],
        "mcp": bases["STANDIN_PYTHON_IMAGE"],
        "frontend": bases["STANDIN_NGINX_IMAGE"],
        "naive-backend": bases["STANDIN_PYTHON_IMAGE"],
    }
    logs = Path(tempfile.mkdtemp(prefix="bench-images-"))
    load_before = os.getloadavg()
    keep_cache = "--keep-build-cache" in sys.argv[1:]
    if not keep_cache:
        print("clearing the BuildKit cache for a cold build", file=sys.stderr)
        dk.docker("builder", "prune", "-af")

    def args_for(name: str) -> dict[str, str]:
        if name == "naive-backend":
            return {"PYTHON_IMAGE": bases["STANDIN_PYTHON_IMAGE"]}
        _, base_args, variant_args = dk.IMAGE_BUILDS[name]
        return {arg: bases[env] for arg, env in base_args.items()} | variant_args

    cold: dict[str, float] = {}
    for name, (dockerfile, _, _) in dk.IMAGE_BUILDS.items():
        cold[name] = dk.build(
            dockerfile, f"todo-{name}:bench", build_args=args_for(name), log=logs / name, no_cache=keep_cache
        ).seconds
        print(f"cold build {name}: {cold[name]:.1f}s", file=sys.stderr)
    naive = dk.build(
        NAIVE,
        "todo-naive-backend:bench",
        build_args=args_for("naive-backend"),
        log=logs / "naive",
        no_cache=keep_cache,
    )
    print(f"cold build naive-backend: {naive.seconds:.1f}s", file=sys.stderr)

    sizes = {
        name: added_sizes(f"todo-{name}:bench", base_of[name])
        for name in ["backend", "backend-openai", "naive-backend", "mcp", "frontend"]
    }

    # One-line change in application code, in a copy of the repository (the work tree stays untouched).
    rebuild: dict[str, float] = {}
    naive_rebuild = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-context-") as tmp:
        context = dk.copy_build_context(Path(tmp) / "repo")
        for name, (dockerfile, _, _) in dk.IMAGE_BUILDS.items():
            dk.build(dockerfile, f"todo-{name}:bench", context=context, build_args=args_for(name))
        dk.build(NAIVE, "todo-naive-backend:bench", context=context, build_args=args_for("naive-backend"))
        # A fresh token per run: a line some earlier run already built would be a BuildKit cache hit.
        token = os.urandom(8).hex()
        for path in CODE_CHANGE.values():
            with (context / path).open("a") as handle:
                handle.write(
                    f"\n// one-line change {token}\n"
                    if path.endswith(".tsx")
                    else f"\n# one-line change {token}\n"
                )
        for name, (dockerfile, _, _) in dk.IMAGE_BUILDS.items():
            rebuild[name] = dk.build(
                dockerfile, f"todo-{name}:bench", context=context, build_args=args_for(name)
            ).seconds
            print(f"rebuild after a one-line change {name}: {rebuild[name]:.1f}s", file=sys.stderr)
        naive_rebuild = dk.build(
            NAIVE, "todo-naive-backend:bench", context=context, build_args=args_for("naive-backend")
        ).seconds

    # Rebuilt from the unchanged work tree, so start-up is measured on the committed code.
    for name, (dockerfile, _, _) in dk.IMAGE_BUILDS.items():
        dk.build(dockerfile, f"todo-{name}:bench", build_args=args_for(name))
    with PostgresServer(ports=dk.PG_PORTS) as pg:
        env = {
            "TODO_DATABASE_URL": pg.create_database("bench"),
            "TODO_JWT_SECRET": os.urandom(32).hex(),
            "TODO_MCP_TOKEN": os.urandom(24).hex(),
        }
        code, output = dk.run_once("todo-backend:bench", ["todo-migrate"], env)
        assert code == 0, output
        starts = {name: start_to_ready(f"todo-{name}:bench", env) for name in ["backend", "mcp"]}
        # The openai variant as deployed with agentEngine=openai (no LLM is called: no chat turn).
        fake_key = "sk-" + os.urandom(20).hex()
        openai_env = env | {"TODO_AGENT_ENGINE": "openai", "TODO_OPENAI_API_KEY": fake_key}
        starts["backend-openai"] = start_to_ready("todo-backend-openai:bench", openai_env)
    load_after = os.getloadavg()

    print(
        f"\nMachine: {platform.node()}, {os.cpu_count()} cores; load average before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f} (1 min). Bases: Debian trixie stand-ins "
        f"({', '.join(sorted(set(base_of.values())))})."
    )
    print("\n| image | added on top of base, unpacked MB | added, compressed as pushed MB | budget MB |")
    print("|---|---|---|---|")
    for name, (unpacked, compressed) in sizes.items():
        budget = BUDGET_MB.get(name)
        print(f"| {name} | {mb(unpacked)} | {mb(compressed)} | {budget if budget else '(baseline)'} |")
    print("\n| image | /opt/venv native .so MB | bytecode .pyc MB | sources .py MB | other MB | biggest MB |")
    print("|---|---|---|---|---|---|")
    for name in ["backend", "backend-openai", "mcp"]:
        print(f"| {name} | {venv_breakdown(f'todo-{name}:bench')} |")
    total = sum(cold[name] for name in THREE)
    print("\n| step | seconds | budget |")
    print("|---|---|---|")
    cold_kind = (
        "--no-cache, cache mounts warm: no downloads"
        if keep_cache
        else "BuildKit cache cleared, downloads included"
    )
    print(
        f"| cold build, all three ({cold_kind}) | {total:.0f} "
        f"({', '.join(f'{n} {cold[n]:.0f}' for n in THREE)}) | 240 |"
    )
    print(
        "| cold build, backend-openai (after the three: reuses the backend's build-tools stage) | "
        f"{cold['backend-openai']:.0f} | |"
    )
    print(f"| cold build, naive backend (after the three, base cached) | {naive.seconds:.0f} | |")
    for name, seconds in rebuild.items():
        print(f"| rebuild {name} after a one-line change in {CODE_CHANGE[name]} | {seconds:.1f} | 20 |")
    print(f"| rebuild naive backend after the same change | {naive_rebuild:.1f} | |")
    for name, samples in starts.items():
        print(
            f"| {name}: `docker run` to first 200 on /readyz, median (max) of {START_RUNS} | "
            f"{statistics.median(samples):.2f} ({max(samples):.2f}) | 3 |"
        )
    print(f"\nbuild logs: {logs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
