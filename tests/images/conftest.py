"""Fixtures of the images tier: the three images built on the stand-in bases, a real PostgreSQL,
and the secrets the containers get at run time (which must never end up in an image).

Run through ``scripts/test images``: it starts dockerd, builds the stand-in bases and the registry.
"""

from __future__ import annotations

import base64
import secrets
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer

from . import dockerkit as dk

# Decoy files planted in the build context copy: each holds the session's secrets, and none may
# reach an image (the .dockerignore allowlist and the Dockerfiles' COPY lines keep them out).
DECOY_PATHS = (
    ".env",
    "app/.env",
    "app/src/todo/.env",
    "app/src/todo/id_rsa",
    "app/src/todo/deploy.pem",
    "frontend/.env.local",
    "frontend/.npmrc",
    "frontend/src/.env",
    "frontend/nginx/server.key",
    "app/requirements/.pypirc",
)

# Shaped like an OpenSSH private key (random bytes, not a key) for the decoys and the scanner's self-test.
DECOY_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + "\n".join(textwrap.wrap(base64.b64encode(secrets.token_bytes(300)).decode(), 70))
    + "\n-----END OPENSSH PRIVATE KEY-----"
)


@dataclass(frozen=True)
class RunSecrets:
    """Secrets handed to containers at run time only; random per test session."""

    jwt_secret: str
    mcp_token: str
    db_password: str
    decoy_token: str

    def values(self) -> list[str]:
        return [self.jwt_secret, self.mcp_token, self.db_password, self.decoy_token]


@dataclass(frozen=True)
class BuiltImage:
    """One of the project's images as built by this session."""

    name: str
    tag: str
    image_id: str
    dockerfile: str
    build_args: dict[str, str]
    seconds: float


@pytest.fixture(scope="session")
def docker_ready() -> None:
    problem = dk.daemon_problem()
    if problem:
        pytest.fail(problem)


@pytest.fixture(scope="session")
def run_secrets() -> RunSecrets:
    return RunSecrets(
        jwt_secret=secrets.token_hex(32),
        mcp_token=secrets.token_hex(24),
        db_password=secrets.token_hex(16),
        decoy_token="ghp_" + secrets.token_hex(18),
    )


@pytest.fixture(scope="session")
def build_context(tmp_path_factory: pytest.TempPathFactory, run_secrets: RunSecrets) -> Path:
    """A copy of the repository with decoy secret files planted in it."""
    context = dk.copy_build_context(tmp_path_factory.mktemp("context") / "repo")
    key_block = DECOY_KEY + "\n"
    for relative in DECOY_PATHS:
        path = context / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"TODO_JWT_SECRET={run_secrets.jwt_secret}\nTODO_MCP_TOKEN={run_secrets.mcp_token}\n"
            f"PGPASSWORD={run_secrets.db_password}\n//registry.npmjs.org/:_authToken={run_secrets.decoy_token}\n"
            + key_block
        )
    return context


def _revision() -> str:
    result = subprocess.run(
        ["git", "-C", str(dk.REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


@pytest.fixture(scope="session")
def images(
    docker_ready: None, build_context: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, BuiltImage]:
    """The three images, built from the decoy-planted context on the stand-in bases, plus the
    backend's openai variant (``backend-openai``: AGENT_ENGINE=openai adds the OpenAI Agents SDK)."""
    bases = dk.standin_bases()
    logs = tmp_path_factory.mktemp("build-logs")
    revision = _revision()
    built: dict[str, BuiltImage] = {}
    for name, (dockerfile, base_args, variant_args) in dk.IMAGE_BUILDS.items():
        args = {arg: bases[env] for arg, env in base_args.items()} | variant_args
        args |= {
            "VERSION": "0.1.0-test",
            "REVISION": revision,
            "SOURCE": "https://example.invalid/todo-chatbot",
        }
        result = dk.build(
            dockerfile,
            f"todo-{name}:images-test",
            context=build_context,
            build_args=args,
            log=logs / f"{name}.log",
        )
        built[name] = BuiltImage(name, result.tag, result.image_id, dockerfile, args, result.seconds)
    return built


@dataclass(frozen=True)
class Database:
    """A migrated PostgreSQL database reachable from host-network containers."""

    url: str


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer(ports=dk.PG_PORTS) as server:
        yield server


@pytest.fixture(scope="session")
def database_url(postgres: PostgresServer, run_secrets: RunSecrets) -> str:
    """A database owned by a password-protected role (the password is a run-time secret)."""
    return postgres.create_database("todo_images", owner=("todo", run_secrets.db_password))


@pytest.fixture(scope="session")
def service_env(database_url: str, run_secrets: RunSecrets) -> dict[str, str]:
    """Environment of the backend, the MCP server and todo-migrate (names from settings.py)."""
    return {
        "TODO_ENVIRONMENT": "production",
        "TODO_DATABASE_URL": database_url,
        "TODO_JWT_SECRET": run_secrets.jwt_secret,
        "TODO_MCP_TOKEN": run_secrets.mcp_token,
        "TODO_LOG_LEVEL": "info",
    }


@pytest.fixture(scope="session")
def migrated(images: dict[str, BuiltImage], service_env: dict[str, str]) -> str:
    """Runs todo-migrate from the backend image, hardened, as the chart's hook Job does."""
    code, output = dk.run_once(images["backend"].tag, ["todo-migrate"], service_env)
    assert code == 0, f"todo-migrate in the backend image failed ({code}):\n{output}"
    return output
