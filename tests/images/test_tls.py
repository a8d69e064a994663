"""The backend and MCP images talk TLS to PostgreSQL through the base image's OpenSSL.

app/requirements/slim_site_packages.py replaces psycopg-binary's vendored libssl/libcrypto with
links to the OpenSSL the base image ships for Python's ssl module. These tests prove, on the built
images and a real PostgreSQL serving TLS only, that the links are in place, that a connected psycopg
maps the base's OpenSSL and no copy of its own, and that TLS (with certificate verification) works
from both images, for a one-off psycopg connection and for the services themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.postgres import PostgresServer, self_signed_certificate

from . import dockerkit as dk
from .conftest import BuiltImage, RunSecrets

# Loopback ports of this module's TLS-only PostgreSQL (kept apart from the tier's plain one).
TLS_PG_PORTS = range(16100, 16110)
PYTHON_IMAGES = ["backend", "mcp"]
SERVICES = {"backend": "todo-api", "mcp": "todo-mcp"}
# An OpenSSL library file: the system's libssl.so.3 or a wheel's hashed copy libssl-6a9b88ec.so.3.
OPENSSL_FILE = r"(libssl|libcrypto)(-[0-9a-f]+)?\.so\.[0-9.]+"

# Shared by the in-container probes: the OpenSSL files this process maps, by library.
_MAPPED_OPENSSL = r"""
import re
from pathlib import Path

def mapped_openssl(pattern):
    found = {}
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            match = re.fullmatch(pattern, Path(fields[-1].strip()).name) if len(fields) == 6 else None
            if match:
                found.setdefault(match[1], set()).add(fields[-1].strip())
    return {name: sorted(paths) for name, paths in found.items()}
"""

# In the base image: the OpenSSL Python's own ssl module loads.
BASE_PROBE = (
    _MAPPED_OPENSSL
    + r"""
import json, ssl, sys
print(json.dumps({"mapped": mapped_openssl(sys.argv[1]), "openssl": ssl.OPENSSL_VERSION}))
"""
)

# In a project image: psycopg's vendored OpenSSL files, then what a connected psycopg maps.
LINK_PROBE = (
    _MAPPED_OPENSSL
    + r"""
import json, os, sys
import psycopg, psycopg_binary
libs = Path(psycopg_binary.__file__).parent.parent / "psycopg_binary.libs"
vendored = {}
for path in libs.iterdir():
    if re.fullmatch(sys.argv[1], path.name):
        link = os.readlink(path) if path.is_symlink() else None
        vendored[path.name] = {"link": link, "regular": path.is_file() and link is None}
with psycopg.connect(sys.argv[2], connect_timeout=10) as conn:
    one = conn.execute("SELECT 1").fetchone()[0]
report = {"impl": psycopg.pq.__impl__, "vendored": vendored, "one": one}
print(json.dumps(report | {"mapped": mapped_openssl(sys.argv[1])}))
"""
)

# In a project image: TLS with verify-full against the server's certificate, then two connections
# that must be refused (an unrelated root certificate; no TLS at all).
TLS_PROBE = (
    _MAPPED_OPENSSL
    + r"""
import json, os, sys
import psycopg
dsn = sys.argv[2]
for name in ("good", "wrong"):
    Path(f"/tmp/{name}.crt").write_text(os.environ[f"ROOT_CERT_{name.upper()}"])
with psycopg.connect(dsn, sslmode="verify-full", sslrootcert="/tmp/good.crt", connect_timeout=10) as conn:
    row = conn.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    in_use = conn.pgconn.ssl_in_use
refused = {}
attempts = {
    "wrong_root": {"sslmode": "verify-full", "sslrootcert": "/tmp/wrong.crt"},
    "no_tls": {"sslmode": "disable"},
}
for mode, extra in attempts.items():
    try:
        psycopg.connect(dsn, connect_timeout=10, **extra).close()
        refused[mode] = None
    except psycopg.OperationalError as error:
        refused[mode] = str(error)
print(json.dumps({
    "impl": psycopg.pq.__impl__, "server_ssl": list(row), "ssl_in_use": in_use, "refused": refused,
    "mapped": mapped_openssl(sys.argv[1]),
}))
"""
)


def _run_json(image: str, script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a Python probe in a hardened container on the host network; answer its JSON line."""
    code, output = dk.run_once(image, ["python3", "-c", script, *args], env or {})
    assert code == 0, f"probe in {image} failed ({code}):\n{output}"
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _library(file: str) -> str:
    """``libssl`` or ``libcrypto`` for an OpenSSL file name."""
    match = re.fullmatch(OPENSSL_FILE, file)
    assert match is not None, file
    return match[1]


@pytest.fixture(scope="module")
def base_openssl(images: dict[str, BuiltImage]) -> dict[str, dict[str, list[str]]]:
    """Per Python image: the OpenSSL files its base image's Python maps for ``import ssl``."""
    found: dict[str, dict[str, list[str]]] = {}
    for name in PYTHON_IMAGES:
        report = _run_json(images[name].build_args["PYTHON_IMAGE"], BASE_PROBE, OPENSSL_FILE)
        mapped = report["mapped"]
        assert set(mapped) == {"libssl", "libcrypto"}, report
        assert all(len(paths) == 1 and paths[0].startswith("/usr/") for paths in mapped.values()), report
        found[name] = mapped
    return found


@pytest.fixture(scope="module")
def tls_postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL that serves TLS only (a TCP client without TLS is refused)."""
    with PostgresServer(ports=TLS_PG_PORTS, ssl=True) as server:
        yield server


@pytest.fixture(scope="module")
def tls_database(tls_postgres: PostgresServer, run_secrets: RunSecrets) -> str:
    """A database on the TLS-only server, owned by a password-protected role; its libpq URL."""
    url = tls_postgres.create_database("todo_tls", owner=("todo_tls", run_secrets.db_password))
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_psycopg_links_and_maps_the_base_images_openssl(
    images: dict[str, BuiltImage],
    postgres: PostgresServer,
    base_openssl: dict[str, dict[str, list[str]]],
    name: str,
) -> None:
    report = _run_json(images[name].tag, LINK_PROBE, OPENSSL_FILE, postgres.dsn("postgres"))
    assert report["impl"] == "binary" and report["one"] == 1, report
    vendored: dict[str, dict[str, Any]] = report["vendored"]
    assert {_library(file) for file in vendored} == {"libssl", "libcrypto"}, (
        f"psycopg_binary.libs should still name its libssl and libcrypto (as links): {vendored}"
    )
    copies = sorted(file for file, entry in vendored.items() if entry["regular"])
    assert not copies, (
        f"{name}: psycopg_binary.libs ships its own OpenSSL ({copies}), not links to the base image's; "
        "see app/requirements/slim_site_packages.py"
    )
    base = base_openssl[name]
    for file, entry in vendored.items():
        target = base[_library(file)][0]
        assert entry["link"] == target, f"{file} links to {entry['link']}, not the base's {target}"
    assert report["mapped"] == base, (
        f"a connected psycopg maps {report['mapped']}, not only the base's {base}"
    )


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_tls_connection_from_image_verifies_the_server_through_the_base_openssl(
    images: dict[str, BuiltImage],
    tls_postgres: PostgresServer,
    tls_database: str,
    base_openssl: dict[str, dict[str, list[str]]],
    name: str,
) -> None:
    assert tls_postgres.ssl_certificate is not None
    unrelated, _ = self_signed_certificate("127.0.0.1")
    env = {"ROOT_CERT_GOOD": tls_postgres.ssl_certificate.decode(), "ROOT_CERT_WRONG": unrelated.decode()}
    report = _run_json(images[name].tag, TLS_PROBE, OPENSSL_FILE, tls_database, env=env)
    assert report["impl"] == "binary", report
    server_ssl, version = report["server_ssl"]
    assert server_ssl is True and str(version).startswith("TLSv1."), f"the server saw no TLS: {report}"
    assert report["ssl_in_use"] is True, report
    refused = report["refused"]
    assert refused["wrong_root"] and "certificate verify failed" in refused["wrong_root"], (
        f"verify-full accepted a server certificate no given root signed: {refused}"
    )
    assert refused["no_tls"] and "no encryption" in refused["no_tls"], refused
    assert report["mapped"] == base_openssl[name], f"TLS went through {report['mapped']}"


@pytest.fixture(scope="module")
def tls_migrated(images: dict[str, BuiltImage], tls_database: str, service_env: dict[str, str]) -> str:
    """todo-migrate from the backend image, over TLS (the URL requires it)."""
    env = service_env | {"TODO_DATABASE_URL": tls_database + "?sslmode=require"}
    code, output = dk.run_once(images["backend"].tag, ["todo-migrate"], env)
    assert code == 0, f"todo-migrate over TLS failed ({code}):\n{output}"
    return output


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_service_reaches_readyz_over_tls(
    images: dict[str, BuiltImage],
    tls_postgres: PostgresServer,
    tls_database: str,
    tls_migrated: str,
    service_env: dict[str, str],
    name: str,
) -> None:
    port = dk.free_port()
    env = service_env | {"TODO_DATABASE_URL": f"{tls_database}?sslmode=require", "TODO_PORT": str(port)}
    with psycopg.connect(tls_postgres.dsn("postgres"), autocommit=True) as connection:
        # The server's clock: only sessions this container opens count.
        started = connection.execute("SELECT clock_timestamp()").fetchone()
        with dk.running(images[name].tag, env=env, command=[SERVICES[name]]) as container:
            dk.wait_http_ok(f"http://127.0.0.1:{port}/readyz", 30.0, container.id)
            rows = connection.execute(
                "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                "WHERE a.usename = 'todo_tls' AND a.backend_start >= %s",
                started,
            ).fetchall()
    assert rows, f"{SERVICES[name]} answered /readyz but holds no connection to the TLS server"
    assert all(ssl and str(version).startswith("TLSv1.") for ssl, version in rows), rows


def test_tls_postgres_refuses_plain_connections(tls_postgres: PostgresServer, tmp_path: Path) -> None:
    """The TLS tests mean something only if the server turns a client without TLS away."""
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(tls_postgres.dsn("postgres") + "?sslmode=disable", connect_timeout=5).close()
    assert tls_postgres.ssl_certificate is not None
    root = tmp_path / "root.crt"
    root.write_bytes(tls_postgres.ssl_certificate)
    with psycopg.connect(
        tls_postgres.dsn("postgres") + f"?sslmode=verify-full&sslrootcert={root}", connect_timeout=5
    ) as connection:
        assert connection.pgconn.ssl_in_use
