"""The program's probe of the stack's kube context, on real loopback sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from components.kubecontext import context_problem


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def _kubeconfig(path: Path, servers: dict[str, str]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": f"c-{n}", "cluster": {"server": s}} for n, s in servers.items()],
                "contexts": [{"name": n, "context": {"cluster": f"c-{n}", "user": "u"}} for n in servers],
            }
        )
    )
    return path


def test_a_context_whose_server_answers_is_fine(
    tmp_path: Path, listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _kubeconfig(tmp_path / "a", {"up": f"https://127.0.0.1:{listener}"})
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{config}")
    assert context_problem("up") is None


def test_a_silent_server_and_an_unknown_context_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = f"https://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "a", {"down": server})))
    assert f"'down' does not answer at {server}" in (context_problem("down") or "")
    assert "'minikube' is not in your kubeconfig" in (context_problem("minikube") or "")
