"""The images survive a round trip through a real registry (Debian's docker-registry, started by
`scripts/test images` on 127.0.0.1:5000): push, delete the local copies, pull back BY DIGEST
(as the chart references them), and the pulled image runs."""

from __future__ import annotations

import json
import urllib.request

import pytest

from . import dockerkit as dk
from .conftest import BuiltImage


@pytest.fixture(scope="module")
def registry() -> str:
    try:
        with urllib.request.urlopen(f"http://{dk.REGISTRY}/v2/", timeout=3) as response:
            assert response.status == 200
    except OSError as error:
        pytest.fail(
            f"no registry answers on {dk.REGISTRY} ({error}); run `scripts/test images`, which starts one"
        )
    return dk.REGISTRY


def _manifest_digest(registry: str, repository: str, tag: str) -> str:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        method="HEAD",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.headers["Docker-Content-Digest"])


def test_push_remove_pull_by_digest_and_run(
    images: dict[str, BuiltImage], registry: str, migrated: str, service_env: dict[str, str]
) -> None:
    pushed: dict[str, str] = {}
    for name, image in images.items():
        remote = f"{registry}/todo-{name}:images-test"
        dk.docker("tag", image.tag, remote)
        dk.docker("push", remote)
        digest = _manifest_digest(registry, f"todo-{name}", "images-test")
        repo_digests = dk.inspect(remote)["RepoDigests"]
        assert f"{registry}/todo-{name}@{digest}" in repo_digests, (digest, repo_digests)
        pushed[name] = f"{registry}/todo-{name}@{digest}"

    # Remove every local copy: the only way back is the registry.
    for name, image in images.items():
        dk.docker("rmi", f"{registry}/todo-{name}:images-test", image.tag)
        assert not dk.image_exists(image.image_id), f"todo-{name} is still present locally"

    for name, reference in pushed.items():
        dk.docker("pull", reference)
        # Same content-addressed image id as the one built: the registry round trip is lossless.
        assert dk.inspect(reference)["Id"] == images[name].image_id
        dk.docker("tag", reference, images[name].tag)

    port = dk.free_port()
    with dk.running(pushed["backend"], env=service_env | {"TODO_PORT": str(port)}) as container:
        dk.wait_http_ok(f"http://127.0.0.1:{port}/readyz", 30, container.id)
        status, body = dk.http_get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok"}
