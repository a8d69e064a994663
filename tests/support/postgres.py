"""A throwaway, REAL PostgreSQL server for tests and benchmarks.

``PostgresServer`` runs Debian's PostgreSQL (``/usr/lib/postgresql/<N>/bin``) from a fresh data
directory in a temporary folder, listening on 127.0.0.1 only, and deletes everything on ``stop()``.
PostgreSQL refuses to run as root, so when we are root the server runs as the ``postgres`` OS user
(``Popen(user=...)``: the server stays our direct child and gets our signals). Durability is traded
for speed (``fsync=off``) unless ``durable=True``. ``ssl=True`` serves TLS only (TCP without TLS is
refused) with a throwaway self-signed certificate for 127.0.0.1; clients verify it with
``ssl_certificate`` (PEM) as their sslrootcert.

    with PostgresServer() as pg:
        url = pg.create_database("todo")   # postgresql+psycopg://postgres@127.0.0.1:PORT/todo
"""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

from tests.support import ports

# Loopback ports the app tier owns; each server takes the first free one from a random start.
PORT_RANGE = range(15400, 15500)


def stop_with_parent(signal_number: int = 2) -> None:
    """``preexec_fn``: Linux signals the child (default SIGINT) when the process that started it dies."""
    try:
        ctypes.CDLL(None).prctl(1, signal_number)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed or did not start; the message says what to do."""


def find_bin_dir() -> Path:
    """Debian's PostgreSQL binaries (newest major version first), or a clear error."""
    explicit = os.environ.get("TODO_TEST_PG_BIN")
    candidates = [explicit] if explicit else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; "
        "install them (Debian: apt-get install postgresql) or set TODO_TEST_PG_BIN"
    )


def free_port(candidates: range = PORT_RANGE) -> int:
    """A free loopback port of the app tier's PostgreSQL range (tests.support.ports)."""
    try:
        return ports.free_port(candidates)
    except ports.NoFreePort as error:
        raise PostgresUnavailable(str(error)) from None


def self_signed_certificate(ip_address: str, days: int = 2) -> tuple[bytes, bytes]:
    """A throwaway self-signed TLS certificate for ``ip_address`` and its private key (both PEM)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ip_address)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip_address))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


class PostgresServer:
    """Start with ``start()`` (or ``with``); ``url``/``create_database`` give connection URLs."""

    def __init__(
        self,
        port: int | None = None,
        *,
        durable: bool = False,
        ports: range = PORT_RANGE,
        ssl: bool = False,
        also_listen: str | None = None,
        password_clients: str | None = None,
    ) -> None:
        self.bin_dir = find_bin_dir()
        self.ssl = ssl
        # A second address to listen on (a local cluster's bridge, so pods reach an "external"
        # database) and the client network that may log in there, with a password only.
        self.also_listen = also_listen
        self.password_clients = password_clients
        # With ssl=True: the server's self-signed certificate (PEM), a client's sslrootcert.
        self.ssl_certificate: bytes | None = None
        self._requested_port = port
        self._ports = ports
        self.port = 0
        self.durable = durable
        self.user = "postgres"
        self.tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # Set when we are root: the OS user the server runs as.
        self._uid: int | None = None
        self._gid: int | None = None
        self._groups: list[int] | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> PostgresServer:
        """initdb a fresh cluster and start it; retries on a port race with another process."""
        self.tmp = Path(tempfile.mkdtemp(prefix="todo-pg-"))
        data = self.tmp / "data"
        if os.geteuid() == 0:
            # PostgreSQL will not run as root; hand the directory to the postgres OS user.
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root but there is no 'postgres' OS user to run the server "
                    "(Debian: apt-get install postgresql creates it)"
                ) from None
            os.chown(self.tmp, owner.pw_uid, owner.pw_gid)
            self._uid, self._gid, self._groups = owner.pw_uid, owner.pw_gid, []
        initdb = [
            str(self.bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
        result = subprocess.run(
            initdb,
            capture_output=True,
            text=True,
            check=False,
            user=self._uid,
            group=self._gid,
            extra_groups=self._groups,
        )
        if result.returncode != 0:
            self._cleanup()
            raise PostgresUnavailable(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
        if self.ssl:
            try:
                self._prepare_tls(data)
            except ImportError as error:
                self._cleanup()
                raise PostgresUnavailable(
                    f"ssl=True needs the cryptography package to make a certificate ({error}); "
                    "install the pinned tools: .venv/bin/uv pip install -r requirements-dev.txt"
                ) from None
        if self.password_clients:
            with open(data / "pg_hba.conf", "a") as rules:
                rules.write(f"host all all {self.password_clients} scram-sha-256\n")
        last_error = ""
        for _ in range(5):
            self.port = self._requested_port or free_port(self._ports)
            try:
                self._launch(data, timeout)
                return self
            except PostgresUnavailable as error:
                last_error = str(error)
                if self._requested_port:
                    break
        self._cleanup()
        raise PostgresUnavailable(last_error)

    def _launch(self, data: Path, timeout: float) -> None:
        assert self.tmp is not None
        listen = ",".join(filter(None, ["127.0.0.1", self.also_listen]))
        options = [
            "-c", f"listen_addresses={listen}",
            "-c", f"port={self.port}",
            "-c", f"unix_socket_directories={self.tmp}",
            "-c", "max_connections=200",
            "-c", "shared_buffers=64MB",
        ]  # fmt: skip
        if self.ssl:
            options += ["-c", "ssl=on", "-c", f"ssl_cert_file={data / 'server.crt'}"]
            options += ["-c", f"ssl_key_file={data / 'server.key'}"]
        if not self.durable:
            # A test database is thrown away: skip the disk flushes that make commits slow.
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log_path = self.tmp / "postgres.log"
        log_file = open(log_path, "ab")  # noqa: SIM115 - the server process owns it
        self._process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(data), *options],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=stop_with_parent,
            user=self._uid,
            group=self._gid,
            extra_groups=self._groups,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                self._process = None
                raise PostgresUnavailable(f"postgres exited on port {self.port}: {' | '.join(log)}")
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self._terminate()
        raise PostgresUnavailable(f"postgres did not accept connections within {timeout:g}s")

    def _prepare_tls(self, data: Path) -> None:
        """A self-signed certificate and key in the data directory, and TCP refused without TLS."""
        certificate, key = self_signed_certificate("127.0.0.1")
        for name, content in (("server.crt", certificate), ("server.key", key)):
            path = data / name
            # PostgreSQL refuses a key file others can read; 0600 and owned by the server's user.
            path.touch(mode=0o600)
            path.write_bytes(content)
            if self._uid is not None and self._gid is not None:
                os.chown(path, self._uid, self._gid)
        # Same trust as initdb -A trust, but a TCP client that does not use TLS is turned away.
        rules = [
            "local all all trust",
            "hostssl all all 127.0.0.1/32 trust",
            "hostnossl all all 127.0.0.1/32 reject",
        ]
        (data / "pg_hba.conf").write_text("\n".join(rules) + "\n")
        self.ssl_certificate = certificate

    def stop(self) -> None:
        """Stop the server and delete its data directory."""
        self._terminate()
        self._cleanup()

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # SIGINT = PostgreSQL's "fast" shutdown: abort sessions, stop cleanly.
        process.send_signal(2)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def _cleanup(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- URLs and databases -----------------------------------------------------------------------

    def dsn(self, database: str = "postgres") -> str:
        """A libpq URL (for psycopg)."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL with the psycopg 3 driver (the form ``TODO_DATABASE_URL`` takes)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, owner: tuple[str, str] | None = None) -> str:
        """Create an empty database and answer its SQLAlchemy URL; with ``owner=(role, password)``
        it belongs to that new login role, and the URL signs in as it."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            if owner is None:
                connection.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            role, password = owner
            create_role = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}")
            connection.execute(create_role.format(sql.Identifier(role), sql.Literal(password)))
            create_database = sql.SQL("CREATE DATABASE {} OWNER {}")
            connection.execute(create_database.format(sql.Identifier(name), sql.Identifier(role)))
        return f"postgresql+psycopg://{role}:{password}@127.0.0.1:{self.port}/{name}"

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still using it."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
