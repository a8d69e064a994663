"""The three images for linux/arm64 (an Apple Silicon laptop's Minikube node), built on this amd64
machine as a user's `platform: linux/arm64` builds them, then run under qemu-user emulation: each is
an arm64 image whose native libraries load, and answers its probes as the amd64 build does.

The builder stages run on the build machine's platform (no installer runs emulated); only the slim
step and these runs are emulated. Needs binfmt_misc with qemu-aarch64 (scripts/toolchain/docker.sh
ensure_arm64_standins registers it, as root); where it cannot, these tests are skipped with why.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import dockerkit as dk
from .conftest import BuiltImage

ARM64 = "linux/arm64"
# Emulated Python starts several times slower than native (docs/benchmarks.md "Images").
EMULATED_START_TIMEOUT = 180.0
# ELF e_machine of an AArch64 object (the ELF specification's EM_AARCH64).
EM_AARCH64 = 0xB7


@pytest.fixture(scope="module")
def arm64_images(
    docker_ready: None, build_context: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, BuiltImage]]:
    unavailable = os.environ.get("TODO_ARM64_UNAVAILABLE")
    if unavailable:
        pytest.skip(f"arm64 programs cannot run on this machine: {unavailable}")
    names = sorted({env for bases in dk.ARM64_BASES.values() for env in bases.values()})
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set; run through `scripts/test images` "
            "(scripts/toolchain/docker.sh ensure_arm64_standins builds the arm64 stand-ins and exports them)"
        )
    logs = tmp_path_factory.mktemp("arm64-build-logs")
    built: dict[str, BuiltImage] = {}
    for name, bases in dk.ARM64_BASES.items():
        dockerfile = dk.IMAGES[name][0]
        args = {arg: os.environ[env] for arg, env in bases.items()}
        tag = f"todo-{name}:images-test-arm64"
        result = dk.build(
            dockerfile, tag, context=build_context, build_args=args, log=logs / f"{name}.log", platform=ARM64
        )
        built[name] = BuiltImage(name, result.tag, result.image_id, dockerfile, args, result.seconds)
    yield built
    for image in built.values():
        dk.docker("image", "rm", "-f", image.tag, check=False)


@pytest.mark.parametrize("name", sorted(dk.ARM64_BASES))
def test_arm64_image_is_labelled_and_runs_as_arm64(arm64_images: dict[str, BuiltImage], name: str) -> None:
    image = dk.inspect(arm64_images[name].tag)
    assert (image["Os"], image["Architecture"]) == ("linux", "arm64"), image["Architecture"]
    exit_code, output = dk.run_once(
        arm64_images[name].tag, ["-c", "uname -m"], {}, entrypoint="sh", platform=ARM64
    )
    assert exit_code == 0 and output.strip().splitlines()[-1] == "aarch64", output


def _elf_machine(header: bytes) -> int:
    """e_machine of an ELF header (little-endian, at offset 18)."""
    assert header[:4] == b"\x7fELF", header[:4]
    machine: int = struct.unpack_from("<H", header, 18)[0]
    return machine


@pytest.mark.parametrize("name", ["backend", "mcp"])
def test_arm64_python_image_carries_arm64_wheels_that_load(
    arm64_images: dict[str, BuiltImage], name: str
) -> None:
    """Every native library of the venv is AArch64 (the builder installed the target's wheels, not
    its own), and the compiled packages import: pydantic-core, psycopg's libpq with the shared OpenSSL."""
    code = (
        "import glob, sys, pydantic_core, psycopg; from psycopg import pq; "
        "libs = glob.glob('/opt/venv/lib/python*/site-packages/**/*.so*', recursive=True); "
        "print(len(libs), pq.__impl__); "
        "[print(p, open(p, 'rb').read(20).hex()) for p in libs]"
    )
    exit_code, output = dk.run_once(
        arm64_images[name].tag, ["python3", "-c", code], {}, timeout=300, platform=ARM64
    )
    assert exit_code == 0, output
    lines = output.strip().splitlines()
    count, impl = lines[0].split()
    assert int(count) > 0 and impl == "binary", lines[0]
    machines = {line.split()[0]: _elf_machine(bytes.fromhex(line.split()[1])) for line in lines[1:]}
    assert len(machines) == int(count)
    wrong = {path: hex(machine) for path, machine in machines.items() if machine != EM_AARCH64}
    assert not wrong, f"native libraries not built for AArch64: {wrong}"


@pytest.mark.parametrize("name", ["backend", "mcp"])
def test_arm64_python_service_answers_its_probes(
    arm64_images: dict[str, BuiltImage], migrated: str, service_env: dict[str, str], name: str
) -> None:
    port = dk.free_port()
    env = service_env | {"TODO_PORT": str(port)}
    with dk.running(arm64_images[name].tag, env=env, platform=ARM64) as container:
        for probe in ("/healthz", "/readyz"):
            dk.wait_http_ok(f"http://127.0.0.1:{port}{probe}", EMULATED_START_TIMEOUT, container.id)
        uids = container.top_uids()
        assert uids and all(uid == 10001 for uid in uids), uids


def test_arm64_frontend_serves_the_app_and_proxies_the_api(
    arm64_images: dict[str, BuiltImage],
    images: dict[str, BuiltImage],
    migrated: str,
    service_env: dict[str, str],
) -> None:
    backend_port, frontend_port = dk.free_port(), dk.free_port()
    with (
        dk.running(images["backend"].tag, env=service_env | {"TODO_PORT": str(backend_port)}) as backend,
        dk.running(
            arm64_images["frontend"].tag,
            env={
                "TODO_BACKEND_URL": f"http://127.0.0.1:{backend_port}",
                "TODO_FRONTEND_LISTEN": f"127.0.0.1:{frontend_port}",
            },
            platform=ARM64,
        ) as frontend,
    ):
        dk.wait_http_ok(f"http://127.0.0.1:{backend_port}/readyz", 30.0, backend.id)
        dk.wait_http_ok(f"http://127.0.0.1:{frontend_port}/healthz", EMULATED_START_TIMEOUT, frontend.id)
        status, body = dk.http_get(f"http://127.0.0.1:{frontend_port}/")
        assert status == 200 and b'<div id="root">' in body
        status, _ = dk.http_get(f"http://127.0.0.1:{frontend_port}/api/auth/me")
        assert status == 401
