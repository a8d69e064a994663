"""Runtime settings, declared once for every service.

Every environment variable a service reads is a field below (prefix ``TODO_``). The Helm chart
sets exactly these names and a test proves it, so the chart and the application cannot drift.
"""

from __future__ import annotations

import importlib.util
import sys
from enum import StrEnum
from typing import Any, Literal, NoReturn, TypeVar, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody set this" and must never protect a real deployment.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "changethis", "secret", "password", "dev"})


class Environment(StrEnum):
    """Where the process runs; only ``development`` accepts placeholder secrets."""

    development = "development"
    production = "production"


class AgentEngine(StrEnum):
    """Which chat agent answers: offline rules, or an OpenAI-compatible LLM."""

    rules = "rules"
    openai = "openai"


class CoreSettings(BaseSettings):
    """Settings every service shares: database, environment and logging."""

    model_config = SettingsConfigDict(env_prefix="TODO_", extra="ignore", frozen=True)

    environment: Environment = Environment.production
    database_url: SecretStr = Field(
        description="SQLAlchemy URL, e.g. postgresql+psycopg://todo:PASSWORD@localhost:5432/todo",
        examples=["postgresql+psycopg://todo:PASSWORD@localhost:5432/todo"],
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Overload: requests beyond the pool wait in a bounded queue, then get 503 + Retry-After.
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description="PostgreSQL connections this process keeps; at most this many requests use them at once",
        examples=[10],
    )
    db_queue_size: int = Field(
        default=200,
        ge=0,
        le=10_000,
        description="requests that may wait for a free connection; more are refused at once with 503",
        examples=[200],
    )
    db_queue_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="longest wait for a free connection before the request gets 503",
        examples=[3],
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if not url.startswith(("postgresql://", "postgresql+psycopg://")):
            raise ValueError("must be a PostgreSQL URL starting with postgresql+psycopg://")
        return value

    def _refuse_placeholder(self, name: str, value: SecretStr, min_length: int) -> None:
        """Refuse weak or placeholder secrets outside development."""
        if self.environment is Environment.development:
            return
        secret = value.get_secret_value()
        if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < min_length:
            raise ValueError(
                f"TODO_{name.upper()} is a placeholder or shorter than {min_length} characters; "
                "set a random value (e.g. `openssl rand -hex 32`) or TODO_ENVIRONMENT=development"
            )


class ServerSettings(CoreSettings):
    """Settings every HTTP service shares: where it listens and how uvicorn serves."""

    host: str = "0.0.0.0"  # noqa: S104 - containers must listen on all interfaces
    # uvloop + httptools cut the chat p99 (docs/benchmarks.md); the pure-Python pair stays as a fallback.
    server_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="uvicorn's event loop", examples=["uvloop"]
    )
    server_http: Literal["httptools", "h11"] = Field(
        default="httptools", description="uvicorn's HTTP/1.1 parser", examples=["httptools"]
    )


class McpSettings(ServerSettings):
    """Settings of the MCP task server."""

    port: int = Field(default=8001, ge=1, le=65535)
    mcp_token: SecretStr = Field(
        description="shared service token the backend sends as a Bearer token",
        examples=["$(openssl rand -hex 32)"],
    )

    @model_validator(mode="after")
    def _secrets_are_real(self) -> McpSettings:
        self._refuse_placeholder("mcp_token", self.mcp_token, 24)
        return self


class ApiSettings(ServerSettings):
    """Settings of the FastAPI backend (also used by the migration command)."""

    port: int = Field(default=8000, ge=1, le=65535)
    jwt_secret: SecretStr = Field(
        description="HMAC key that signs session tokens", examples=["$(openssl rand -hex 32)"]
    )
    session_ttl_minutes: int = Field(default=60 * 24 * 7, ge=5, le=60 * 24 * 90)
    cookie_secure: bool = False
    mcp_url: str = "http://localhost:8001/mcp"
    mcp_token: SecretStr = Field(
        description="service token sent to the MCP server", examples=["$(openssl rand -hex 32)"]
    )
    agent_engine: AgentEngine = AgentEngine.rules
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4.1-mini"
    openai_base_url: str | None = None
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _secrets_are_real(self) -> ApiSettings:
        self._refuse_placeholder("jwt_secret", self.jwt_secret, 32)
        self._refuse_placeholder("mcp_token", self.mcp_token, 24)
        if self.agent_engine is AgentEngine.openai and not openai_engine_installed():
            raise ValueError(
                "TODO_AGENT_ENGINE=openai, but this image has no OpenAI Agents SDK (it was built for the "
                "rules engine): rebuild the backend image with --build-arg AGENT_ENGINE=openai (the Pulumi "
                "program does when agentEngine is openai) or use TODO_AGENT_ENGINE=rules"
            )
        if self.agent_engine is AgentEngine.openai and self.openai_api_key is None:
            raise ValueError(
                "TODO_AGENT_ENGINE=openai needs TODO_OPENAI_API_KEY; set it or use TODO_AGENT_ENGINE=rules"
            )
        return self


def openai_engine_installed() -> bool:
    """Whether the OpenAI Agents SDK is importable (backend images built with AGENT_ENGINE=openai)."""
    return importlib.util.find_spec("agents") is not None


SettingsT = TypeVar("SettingsT", bound=CoreSettings)

# An example for fields whose Field() declares none, so every error line can show one.
_FALLBACK_EXAMPLES: dict[str, str] = {
    "environment": "production",
    "log_level": "info",
    "host": "0.0.0.0",
    "port": "8000",
    "session_ttl_minutes": "10080",
    "cookie_secure": "true",
    "mcp_url": "http://localhost:8001/mcp",
    "agent_engine": "rules",
    "openai_api_key": "sk-...",
    "openai_model": "gpt-4.1-mini",
    "openai_base_url": "https://api.openai.com/v1",
    "llm_timeout_seconds": "30",
}


def describe_settings_error(cls: type[CoreSettings], error: ValidationError) -> str:
    """One line naming the first bad variable, what is wrong with it and an example value."""
    problems = error.errors(include_url=False)
    lines: list[str] = []
    names: list[str] = []
    for problem in problems:
        loc = problem["loc"]
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not loc:
            # Model-level checks already name their variables in the message.
            lines.append(message)
            names.append("settings")
            continue
        field = str(loc[0])
        name = f"TODO_{field.upper()}"
        names.append(name)
        info = cls.model_fields.get(field)
        examples: list[Any] = (info.examples or []) if info is not None else []
        example = str(examples[0]) if examples else _FALLBACK_EXAMPLES.get(field, "")
        is_secret = info is not None and _is_secret(info.annotation)
        if problem["type"] == "missing":
            text = f"{name} is not set"
        elif is_secret:
            # Never echo a secret, even a wrong one.
            text = f"{name} is invalid: {message}"
        else:
            text = f"{name}={problem['input']!r} is invalid: {message}"
        lines.append(f"{text} (example: {name}={example})" if example else text)
    line = lines[0]
    if len(lines) > 1:
        line += f"; also wrong: {', '.join(names[1:])}"
    return line


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def settings_from_env(cls: type[SettingsT]) -> SettingsT:
    """Read settings from the environment, or exit 2 with one actionable line (no traceback)."""
    try:
        return cls()  # type: ignore[call-arg]  # pydantic-settings fills required fields from the environment
    except ValidationError as error:
        _exit_with(f"configuration error: {describe_settings_error(cls, error)}")


def _exit_with(message: str) -> NoReturn:
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2)
