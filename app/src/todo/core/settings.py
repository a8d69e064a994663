"""Runtime settings, declared once for every service.

Every environment variable a service reads is a field below (prefix ``TODO_``). The Helm chart
sets exactly these names and a test proves it, so the chart and the application cannot drift.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"

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


class McpSettings(CoreSettings):
    """Settings of the MCP task server."""

    host: str = "0.0.0.0"  # noqa: S104 - containers must listen on all interfaces
    port: int = Field(default=8001, ge=1, le=65535)
    mcp_token: SecretStr = Field(description="shared service token the backend sends as a Bearer token")

    @model_validator(mode="after")
    def _secrets_are_real(self) -> McpSettings:
        self._refuse_placeholder("mcp_token", self.mcp_token, 24)
        return self


class ApiSettings(CoreSettings):
    """Settings of the FastAPI backend (also used by the migration command)."""

    host: str = "0.0.0.0"  # noqa: S104 - containers must listen on all interfaces
    port: int = Field(default=8000, ge=1, le=65535)
    jwt_secret: SecretStr = Field(description="HMAC key that signs session tokens")
    session_ttl_minutes: int = Field(default=60 * 24 * 7, ge=5, le=60 * 24 * 90)
    cookie_secure: bool = False
    mcp_url: str = "http://localhost:8001/mcp"
    mcp_token: SecretStr = Field(description="service token sent to the MCP server")
    agent_engine: AgentEngine = AgentEngine.rules
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4.1-mini"
    openai_base_url: str | None = None
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _secrets_are_real(self) -> ApiSettings:
        self._refuse_placeholder("jwt_secret", self.jwt_secret, 32)
        self._refuse_placeholder("mcp_token", self.mcp_token, 24)
        if self.agent_engine is AgentEngine.openai and self.openai_api_key is None:
            raise ValueError(
                "TODO_AGENT_ENGINE=openai needs TODO_OPENAI_API_KEY; set it or use TODO_AGENT_ENGINE=rules"
            )
        return self
