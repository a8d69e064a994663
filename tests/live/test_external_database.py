"""The chart's `external` database mode for real: a stack whose PostgreSQL lives outside the cluster.

A staging stack points `databaseUrl` (secret config) at a database the cluster does not own. Here it
is a real PostgreSQL server on this machine, listening on loopback and on the cluster's own bridge
address (the only non-loopback listener the cluster's safety rules allow) at one of the host ports
the cluster's firewall lets pods reach, accepting the pod network with a password only. Runs after
test_deploy.py (file order), which leaves the cluster empty; it uses its own namespace and release
name, so the program's and the chart's naming is exercised too.
"""

from __future__ import annotations

import base64
import gzip
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from components.names import DATABASE_SECRET, component_name
from tests.live.deployment import Client, Deployment, env_var, helm, port_forward, start_deployment
from tests.support.postgres import PostgresServer

NAMESPACE = "todo-ext"
RELEASE = "chat"
FRONTEND_PORT = 8080


@pytest.fixture(scope="module")
def database() -> Iterator[tuple[PostgresServer, str]]:
    """The external database and the URL pods use for it (host = the cluster's bridge address)."""
    bridge = env_var("TODO_LIVE_BRIDGE_IP")
    first, last = (int(port) for port in env_var("TODO_LIVE_HOST_PORTS").split(":"))
    with PostgresServer(
        durable=True,
        ports=range(first, last + 1),
        also_listen=bridge,
        password_clients=env_var("TODO_LIVE_POD_CIDR"),
    ) as server:
        local = urlsplit(server.create_database("todo", owner=("todo", secrets.token_urlsafe(24))))
        netloc = local.netloc.replace(f"@127.0.0.1:{server.port}", f"@{bridge}:{server.port}")
        yield server, urlunsplit(local._replace(netloc=netloc))


@pytest.fixture(scope="module")
def external(
    tmp_path_factory: pytest.TempPathFactory, database: tuple[PostgresServer, str]
) -> Iterator[Deployment]:
    deployment = start_deployment(
        tmp_path_factory.mktemp("external"),
        {"databaseMode": "external"},
        {"databaseUrl": database[1]},
        namespace=NAMESPACE,
        release=RELEASE,
    )
    deployment.up()
    yield deployment
    if not deployment.down:
        deployment.script("down", check=False)


def test_no_database_runs_in_the_cluster(external: Deployment) -> None:
    kinds = external.kubectl("-n", NAMESPACE, "get", "statefulsets,pvc,pods", "-o", "name")
    assert "statefulset" not in kinds and "persistentvolumeclaim" not in kinds, kinds
    assert "postgresql" not in kinds, kinds
    output = external.runs[0].stdout + external.runs[0].stderr
    assert f"port-forward service/{external.fullname}-frontend" in output, output[-3000:]


def test_the_app_keeps_its_data_in_the_external_database(
    external: Deployment, database: tuple[PostgresServer, str]
) -> None:
    server, _ = database
    with port_forward(external, f"service/{external.fullname}-frontend", FRONTEND_PORT) as url:
        user = Client(url)
        user.register()
        reply = user.chat("add renew the passport")
        assert "renew the passport" in reply["reply"]
    with psycopg.connect(server.dsn("todo")) as connection:
        titles = [row[0] for row in connection.execute("SELECT title FROM tasks")]
    assert titles == ["renew the passport"]


def test_the_database_url_reaches_the_pods_by_secret_name_only(
    external: Deployment, database: tuple[PostgresServer, str]
) -> None:
    _, url = database
    password = urlsplit(url).password
    assert password
    values = helm(external, "get", "values", RELEASE, "--all", "-o", "json")
    records = external.json("-n", NAMESPACE, "get", "secrets", "-l", "owner=helm")["items"]
    decoded = [
        gzip.decompress(base64.b64decode(base64.b64decode(r["data"]["release"]))).decode() for r in records
    ]
    outputs = external.pulumi("stack", "output", "--json").stdout
    for text, where in [
        (values, "Helm values"),
        (outputs, "stack outputs"),
        *((d, "a release record") for d in decoded),
    ]:
        assert password not in text, f"the database password is in {where}"
    stored = external.json("-n", NAMESPACE, "get", "secret", component_name(RELEASE, DATABASE_SECRET))["data"]
    assert password in base64.b64decode(next(iter(stored.values()))).decode()


def test_down_leaves_the_external_database_alone(
    external: Deployment, database: tuple[PostgresServer, str]
) -> None:
    server, _ = database
    external.script("down")
    external.down = True
    assert NAMESPACE not in external.kubectl("get", "namespaces", "-o", "name").split("namespace/")
    with psycopg.connect(server.dsn("todo")) as connection:
        (count,) = connection.execute("SELECT count(*) FROM tasks").fetchone() or (0,)
    assert count == 1, "scripts/down touched the external database"
