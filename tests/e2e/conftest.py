"""Fixtures of the e2e tier: one running release per test session, removed at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.docker_cluster import redact
from tests.e2e.stack import E2EConfig, Stack, StackUnavailable


@pytest.fixture(scope="session")
def e2e_config() -> E2EConfig:
    """What the tier built; outside `scripts/test e2e` the stack tests skip (inside it they fail)."""
    try:
        return E2EConfig.from_environment()
    except StackUnavailable as error:
        if os.environ.get("TODO_E2E_REQUIRED") == "1":
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def stack(e2e_config: E2EConfig) -> Iterator[Stack]:
    """PostgreSQL, the Secrets, the rendered chart, one migration run and every Deployment ready."""
    running = Stack.create(e2e_config)
    try:
        running.cluster.create_network()
        running.start_database()
        running.render()
        for result in running.run_migrations():
            if result.exit_code != 0:
                logs = redact(result.logs, running.secret_values)[-3000:]
                pytest.fail(f"migration hook container {result.container} exited {result.exit_code}:\n{logs}")
        running.deploy()
        yield running
    finally:
        running.cluster.cleanup()
