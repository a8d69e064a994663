"""No secret-looking file or value is baked into any layer of any image, nor into its config.

Every layer (the base's too) is read from `docker save`. The build context these images came from
had decoy secret files planted in it (conftest.DECOY_PATHS) holding this session's run-time
secrets, so a .dockerignore or COPY regression that lets one in makes this test fail.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

import pytest

from components.services import SERVICE_NAMES

from . import dockerkit as dk
from .conftest import DECOY_KEY, BuiltImage, RunSecrets

# File names that hold credentials by convention.
SECRET_NAMES = re.compile(
    r"^(\.env(\..+)?|\.npmrc|\.pypirc|\.netrc|\.git-credentials|id_(rsa|dsa|ecdsa|ed25519)|.+\.key)$"
)
# Values that look like credentials, each found by a cheap literal anchor first, then confirmed.
SECRET_VALUES: dict[bytes, re.Pattern[bytes]] = {
    # A key has a base64 body; libraries that merely name the header (cryptography, gnutls) do not.
    b"PRIVATE KEY-----": re.compile(
        rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{64,}-----END"
    ),
    b"AKIA": re.compile(rb"AKIA[0-9A-Z]{16}(?![0-9A-Z])"),
    b"_authToken=": re.compile(rb"_authToken=[^\s$]{8,}"),
    b"gh": re.compile(rb"gh[pousr]_[A-Za-z0-9]{36,}"),
    b"xox": re.compile(rb"xox[abprs]-[A-Za-z0-9-]{10,}"),
}
MAX_SCANNED_FILE = 64 * 1024 * 1024
# Known, public test keys inside distribution libraries of the base images: path -> why it is fine.
ALLOWED = {
    re.compile(r"^usr/lib/x86_64-linux-gnu/libgnutls\.so\.[0-9.]+$"): (
        "GnuTLS's FIPS self-test key, compiled into Debian's libgnutls (a base-layer dependency of curl)"
    ),
}


@dataclass(frozen=True)
class Finding:
    layer: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.layer}: /{self.path}: {self.reason}"


def _scan_bytes(data: bytes, literals: list[bytes]) -> list[str]:
    reasons = [f"contains a run-time secret ({value[:4].decode()}...)" for value in literals if value in data]
    for anchor, pattern in SECRET_VALUES.items():
        if anchor in data and (match := pattern.search(data)):
            reasons.append(f"secret-looking value {match.group()[:24]!r}...")
    return reasons


def _scan_layer(layer: str, stream: IO[bytes], literals: list[bytes]) -> list[Finding]:
    findings: list[Finding] = []
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            path = member.name.removeprefix("./")
            name = PurePosixPath(path).name
            if name.startswith(".wh."):
                continue
            if name == ".git" or SECRET_NAMES.match(name):
                findings.append(Finding(layer, path, "secret-looking file name"))
            if any(pattern.match(path) for pattern in ALLOWED):
                continue
            if member.isfile() and member.size <= MAX_SCANNED_FILE:
                handle = tar.extractfile(member)
                data = handle.read() if handle else b""
                findings += [Finding(layer, path, reason) for reason in _scan_bytes(data, literals)]
    return findings


def scan_image(ref: str, literals: list[bytes], seen_layers: set[str]) -> list[Finding]:
    """Stream `docker save REF` and scan each layer once (layers shared between images are skipped)."""
    process = subprocess.Popen([dk.DOCKER, "save", ref], stdout=subprocess.PIPE)
    assert process.stdout is not None
    findings: list[Finding] = []
    with tarfile.open(fileobj=process.stdout, mode="r|") as outer:
        for member in outer:
            handle = outer.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            if member.name.endswith("layer.tar"):
                if member.name in seen_layers:
                    continue
                seen_layers.add(member.name)
                findings += _scan_layer(f"{ref} layer {member.name.split('/')[0][:12]}", handle, literals)
            elif member.name.endswith(".json"):
                # The image config (env, labels, history with build args) and the manifest.
                data = handle.read()
                findings += [Finding(ref, member.name, r) for r in _scan_bytes(data, literals)]
    assert process.wait(timeout=60) == 0, f"docker save {ref} failed"
    return findings


@pytest.fixture(scope="module")
def findings(images: dict[str, BuiltImage], run_secrets: RunSecrets) -> dict[str, list[Finding]]:
    literals = [value.encode() for value in run_secrets.values()]
    seen: set[str] = set()
    return {name: scan_image(image.tag, literals, seen) for name, image in images.items()}


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_no_secret_in_any_layer_or_config(findings: dict[str, list[Finding]], name: str) -> None:
    found = findings[name]
    assert not found, f"{len(found)} secret-looking things in todo-{name}:\n" + "\n".join(
        map(str, found[:20])
    )


def test_scanner_finds_a_planted_secret(run_secrets: RunSecrets) -> None:
    """The scanner itself works: a layer holding a decoy key and a run-time secret is flagged."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in {
            "app/.env": f"TODO_JWT_SECRET={run_secrets.jwt_secret}\n".encode(),
            "opt/key.txt": DECOY_KEY.encode(),
            "opt/header-only.py": b'HEADER = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n',
            "opt/fine.txt": b"nothing to see",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    found = _scan_layer("synthetic", buffer, [run_secrets.jwt_secret.encode()])
    assert {f.path for f in found} == {"app/.env", "opt/key.txt"}
    assert any("run-time secret" in f.reason for f in found)
