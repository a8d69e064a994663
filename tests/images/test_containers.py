"""The built images run as the chart runs them: read-only root, /tmp tmpfs, no capabilities,
no privilege escalation, UID 10001; each answers its probes, its health check turns healthy and
SIGTERM stops it promptly and cleanly."""

from __future__ import annotations

import json
import time

import pytest

from . import dockerkit as dk
from .conftest import BuiltImage

# Seconds a service may take from `docker run` to answering its probe (the benchmark has the budget).
START_TIMEOUT = 30.0
# SIGTERM to exit: uvicorn and nginx both stop at once when idle.
STOP_BUDGET_SECONDS = 5.0
# The Python images (the backend in both chat-engine variants) and the command each one runs.
PYTHON_IMAGES = {"backend": "todo-api", "backend-openai": "todo-api", "mcp": "todo-mcp"}


@pytest.mark.parametrize("name", ["backend", "backend-openai", "mcp", "frontend"])
def test_image_metadata(images: dict[str, BuiltImage], name: str) -> None:
    image = images[name]
    config = dk.inspect(image.tag)["Config"]
    assert config["User"] == dk.APP_USER
    port = {"backend": "8000/tcp", "backend-openai": "8000/tcp", "mcp": "8001/tcp", "frontend": "8080/tcp"}
    assert config["ExposedPorts"] == {port[name]: {}}
    assert config["Healthcheck"]["Test"][0] == "CMD", "exec-form HEALTHCHECK"
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == image.build_args["VERSION"]
    assert labels["org.opencontainers.image.revision"] == image.build_args["REVISION"]
    assert labels["org.opencontainers.image.source"] == image.build_args["SOURCE"]
    process = (config.get("Entrypoint") or []) + (config.get("Cmd") or [])
    assert process and process[0] not in {"/bin/sh", "sh", "/bin/bash"}, (
        f"PID 1 must be the service: {process}"
    )
    if name in PYTHON_IMAGES:
        assert process == [PYTHON_IMAGES[name]]
        assert "PYTHONDONTWRITEBYTECODE=1" in config["Env"]


def _import_check(image: str, modules: list[str]) -> dict[str, bool]:
    code = (
        "import importlib.util, json, sys; "
        "print(json.dumps({m: importlib.util.find_spec(m) is not None for m in sys.argv[1:]}))"
    )
    exit_code, output = dk.run_once(image, ["python3", "-c", code, *modules], {})
    assert exit_code == 0, output
    result: dict[str, bool] = json.loads(output.strip().splitlines()[-1])
    return result


def test_each_python_image_carries_only_its_service_dependencies(images: dict[str, BuiltImage]) -> None:
    web = ["fastapi", "alembic", "argon2"]
    llm_sdk = ["agents", "openai"]
    shared = ["todo", "sqlmodel", "psycopg", "uvicorn", "mcp"]
    found = {name: _import_check(images[name].tag, web + llm_sdk + shared) for name in PYTHON_IMAGES}
    missing = {name: [m for m in web + shared if not ok[m]] for name, ok in found.items() if name != "mcp"}
    assert not any(missing.values()), f"backend images are missing: {missing}"
    assert all(found["mcp"][m] for m in shared), found["mcp"]
    carried = [m for m in web + llm_sdk if found["mcp"][m]]
    assert not carried, f"MCP image carries {carried}"
    assert not any(found["backend"][m] for m in llm_sdk), "AGENT_ENGINE=rules must not install the LLM SDK"
    assert all(found["backend-openai"][m] for m in llm_sdk), found["backend-openai"]


# Every module a service may import, lazily imported ones included (the openai engine loads on first use).
_BACKEND_MODULES = ["todo.api.main", "todo.core.migrate", "todo.agent.rules_engine"]
SERVICE_MODULES = {
    "backend": _BACKEND_MODULES,
    "backend-openai": [*_BACKEND_MODULES, "todo.agent.openai_engine", "agents.sandbox.sandboxes.unix_local"],
    "mcp": ["todo.mcp.app", "todo.mcp.tools"],
}


@pytest.mark.parametrize("name", sorted(PYTHON_IMAGES))
def test_every_service_module_imports_from_the_slimmed_venv(images: dict[str, BuiltImage], name: str) -> None:
    """Third-party modules ship as bytecode only (app/requirements/slim_site_packages.py): each still
    imports on a read-only root, and anyio keeps the lazy imports it builds from its own sources."""
    code = (
        "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]; "
        # anyio's lazy importer (built from its own sources) sets __dir__; its eager fallback does not.
        "import anyio; print('lazy' if '__dir__' in vars(anyio) else 'eager')"
    )
    exit_code, output = dk.run_once(
        images[name].tag, ["python3", "-c", code, *SERVICE_MODULES[name]], {"TODO_JWT_SECRET": "x" * 32}
    )
    assert exit_code == 0, f"importing {SERVICE_MODULES[name]} failed:\n{output}"
    assert output.strip().splitlines()[-1] == "lazy", f"anyio fell back to eager imports:\n{output}"


@pytest.mark.parametrize("name", sorted(PYTHON_IMAGES))
def test_python_runtime_has_no_build_tools(images: dict[str, BuiltImage], name: str) -> None:
    script = (
        "for tool in pip pip3 gcc cc hatchling uv; do command -v $tool; done; "
        "ls /opt/venv/bin; ls -d /root/.cache /opt/build-tools /src /requirements 2>/dev/null; true"
    )
    code, output = dk.run_once(images[name].tag, ["sh", "-c", script], {})
    assert code == 0, output
    found = [
        line
        for line in output.split()
        if line.split("/")[-1] in {"pip", "pip3", "gcc", "cc", "hatchling", "uv"}
    ]
    assert not found, f"build tools in the runtime image: {found}"
    assert not any(p in output for p in ("/root/.cache", "/opt/build-tools", "/src", "/requirements")), output


def test_frontend_runtime_has_no_node_or_sources(images: dict[str, BuiltImage]) -> None:
    script = (
        "command -v node npm; ls /opt/todo-frontend /opt/todo-frontend/html; ls -d /build 2>/dev/null; true"
    )
    code, output = dk.run_once(images["frontend"].tag, ["-c", script], {}, entrypoint="sh")
    assert code == 0, output
    assert "node" not in output.split() and "/build" not in output and "package.json" not in output, output
    assert "index.html" in output and "start.sh" in output


def test_migrations_run_from_backend_image_and_are_idempotent(
    images: dict[str, BuiltImage], migrated: str, service_env: dict[str, str]
) -> None:
    assert "migrated" in migrated or "up to date" in migrated, migrated
    code, output = dk.run_once(images["backend"].tag, ["todo-migrate"], service_env)
    assert code == 0, f"second todo-migrate run failed:\n{output}"


def _check_running_service(container: dk.Container, port: int, probes: list[str]) -> None:
    for probe in probes:
        dk.wait_http_ok(f"http://127.0.0.1:{port}{probe}", START_TIMEOUT, container.id)
    uids = container.top_uids()
    assert uids and all(uid == 10001 for uid in uids), f"process UIDs in the container: {uids}"


def _check_sigterm(container: dk.Container) -> None:
    seconds, code = container.stop_with_sigterm()
    assert code == 0, f"exit code {code} after SIGTERM; logs:\n{dk.logs(container.id)}"
    assert seconds < STOP_BUDGET_SECONDS, f"SIGTERM took {seconds:.1f}s to stop the container"


@pytest.mark.parametrize("name", sorted(PYTHON_IMAGES))
def test_python_service_runs_hardened_and_stops_on_sigterm(
    images: dict[str, BuiltImage], migrated: str, service_env: dict[str, str], name: str
) -> None:
    port = dk.free_port()
    env = service_env | {"TODO_PORT": str(port)}
    if name == "backend-openai":
        # The engine's SDK loads at start; no LLM is called until a chat turn (none here).
        env |= {"TODO_AGENT_ENGINE": "openai", "TODO_OPENAI_API_KEY": "sk-" + "0" * 40}
    with dk.running(images[name].tag, env=env, args=["--health-interval", "1s"]) as container:
        _check_running_service(container, port, ["/healthz", "/readyz"])
        _wait_healthy(container)
        _check_sigterm(container)


def test_frontend_runs_hardened_proxies_api_and_stops_on_sigterm(
    images: dict[str, BuiltImage], migrated: str, service_env: dict[str, str]
) -> None:
    backend_port, frontend_port = dk.free_port(), dk.free_port()
    with (
        dk.running(images["backend"].tag, env=service_env | {"TODO_PORT": str(backend_port)}) as backend,
        dk.running(
            images["frontend"].tag,
            env={
                "TODO_BACKEND_URL": f"http://127.0.0.1:{backend_port}",
                "TODO_FRONTEND_LISTEN": f"127.0.0.1:{frontend_port}",
            },
            args=["--health-interval", "1s"],
        ) as frontend,
    ):
        dk.wait_http_ok(f"http://127.0.0.1:{backend_port}/readyz", START_TIMEOUT, backend.id)
        _check_running_service(frontend, frontend_port, ["/healthz", "/"])
        status, body = dk.http_get(f"http://127.0.0.1:{frontend_port}/")
        assert status == 200 and b'<div id="root">' in body
        # The backend's own 401 answer, through nginx: TODO_BACKEND_URL was rendered and proxied.
        status, body = dk.http_get(f"http://127.0.0.1:{frontend_port}/api/auth/me")
        assert status == 401 and "detail" in json.loads(body), body
        _wait_healthy(frontend)
        _check_sigterm(frontend)


def test_rules_backend_refuses_the_openai_engine_with_the_build_arg_to_use(
    images: dict[str, BuiltImage], service_env: dict[str, str]
) -> None:
    env = service_env | {"TODO_AGENT_ENGINE": "openai", "TODO_OPENAI_API_KEY": "sk-" + "0" * 40}
    code, output = dk.run_once(images["backend"].tag, ["todo-api"], env)
    assert code == 2, output
    assert "Traceback" not in output, output
    assert (
        output.strip()
        .splitlines()[-1]
        .startswith("configuration error: TODO_AGENT_ENGINE=openai, but this image has no OpenAI Agents SDK")
    ), output
    assert "--build-arg AGENT_ENGINE=openai" in output


def test_backend_refuses_to_start_without_its_secrets(images: dict[str, BuiltImage]) -> None:
    code, output = dk.run_once(
        images["backend"].tag, ["todo-api"], {"TODO_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/x"}
    )
    assert code == 2, output
    assert "TODO_JWT_SECRET" in output and "Traceback" not in output, output


def _wait_healthy(container: dk.Container, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = container.health()
        if status == "healthy":
            return
        time.sleep(0.25)
    raise AssertionError(
        f"docker HEALTHCHECK is {status!r} after {timeout:g}s; logs:\n{dk.logs(container.id)}"
    )
