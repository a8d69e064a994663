"""Fixtures of the program tier: a stand-in build context for the Pulumi program under mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.program.fixture_repo import write_fixture_context

# Secret config the staging stack needs; FAKE values, only ever seen by the mocks.
STAGING_SECRETS = {
    "registryPassword": "fake-registry-token",
    "databaseUrl": "postgresql+psycopg://todo:fake-db-password@db.staging.example.com:5432/todo",
}


@pytest.fixture
def context(tmp_path: Path) -> Path:
    """A build context with the three Dockerfiles and a few sources, independent of the real ones."""
    return write_fixture_context(tmp_path / "repo")
