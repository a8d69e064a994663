"""Fixtures of the engine tier: the real Pulumi CLI on a scratch copy of the project, a local file
backend and a throwaway passphrase, the real API server of `scripts/cluster` under the context
names the stacks expect, the project's dockerd and a registry on loopback.

Run through ``scripts/test engine``: it checks the tools, starts what is missing and exports
TODO_ENGINE_KUBECONFIG, TODO_ENGINE_REGISTRY and TODO_STANDIN_*_IMAGE.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pulumi_cli import Workspace, make_workspace, write_kubeconfig


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: run the engine tier through `scripts/test engine`")
    return value


@pytest.fixture(scope="session")
def standins() -> dict[str, str]:
    """Stand-ins for the official base images (none can be pulled here), as stack config."""
    python = _env("TODO_STANDIN_PYTHON_IMAGE")
    return {
        "pythonBaseImage": python,
        "nodeBaseImage": _env("TODO_STANDIN_NODE_IMAGE"),
        "nginxBaseImage": _env("TODO_STANDIN_NGINX_IMAGE"),
        # The engine tier deploys no database; any local image proves the copy into the registry.
        "postgresImage": python,
    }


@pytest.fixture(scope="session")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kubeconfig(_env("TODO_ENGINE_KUBECONFIG"), tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture
def workspace(tmp_path: Path, kubeconfig: Path) -> Workspace:
    return make_workspace(tmp_path, kubeconfig)


@pytest.fixture(scope="module")
def module_workspace(tmp_path_factory: pytest.TempPathFactory, kubeconfig: Path) -> Iterator[Workspace]:
    yield make_workspace(tmp_path_factory.mktemp("ws"), kubeconfig)
