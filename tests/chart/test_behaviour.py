"""What the chart's values do: images, rollouts, hooks, scaling, exposure, the Pulumi and app contracts."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import annotated_types
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.chart.helm import (
    CHART_DIR,
    DEFAULT_FULLNAME,
    Manifest,
    fullname,
    named,
    of_kind,
    pod_spec,
    render,
    run_helm,
    template_args,
)
from tests.chart.values_doc import schema_node
from todo.core.settings import ApiSettings, CoreSettings, McpSettings

FULL = DEFAULT_FULLNAME
# The program's values for the dev stack set fullnameOverride to the release name.
DEV = fullname("dev-values")


def _deployment(manifests: list[Manifest], component: str) -> Manifest:
    """The component's Deployment, by its component label (the name prefix differs per scenario)."""
    found = [
        m
        for m in of_kind(manifests, "Deployment")
        if m.body["metadata"]["labels"].get("app.kubernetes.io/component") == component
    ]
    assert len(found) == 1, [m.name for m in found]
    return found[0]


def _image(manifests: list[Manifest], component: str) -> str:
    spec = pod_spec(_deployment(manifests, component))
    assert spec is not None
    return str(spec["containers"][0]["image"])


def _pod_annotations(manifests: list[Manifest], component: str) -> dict[str, str]:
    body = _deployment(manifests, component).body
    return dict(body["spec"]["template"]["metadata"]["annotations"])


def test_digest_wins_over_tag(renders: dict[str, list[Manifest]]) -> None:
    for component, digit in (("backend", "1"), ("mcp", "2"), ("frontend", "3")):
        assert (
            _image(renders["dev-values"], component) == f"localhost:5000/todo-{component}@sha256:{digit * 64}"
        )


def test_tag_defaults_to_app_version(renders: dict[str, list[Manifest]]) -> None:
    app_version = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["appVersion"]
    assert _image(renders["defaults"], "backend") == f"localhost:5000/todo-backend:{app_version}"


def test_config_change_rolls_pods(helm: str, renders: dict[str, list[Manifest]]) -> None:
    changed = render(helm, sets=["logLevel=debug"])
    for component in ("backend", "mcp"):
        before, after = _pod_annotations(renders["defaults"], component), _pod_annotations(changed, component)
        assert before["checksum/config"] != after["checksum/config"], component
        assert before["checksum/secret"] == after["checksum/secret"], component


def test_secret_revision_rolls_pods(helm: str, renders: dict[str, list[Manifest]]) -> None:
    changed = render(helm, sets=["secrets.revision=rotated-2026-01"])
    for component in ("backend", "mcp"):
        assert (
            _pod_annotations(renders["defaults"], component)["checksum/secret"]
            != _pod_annotations(changed, component)["checksum/secret"]
        )


def test_replicas_and_hpa(renders: dict[str, list[Manifest]], catalogue: list[str]) -> None:
    assert {m.name for m in of_kind(renders["defaults"], "Deployment")} == {f"{FULL}-{c}" for c in catalogue}
    for component in catalogue:
        assert named(renders["defaults"], "Deployment", f"{FULL}-{component}").body["spec"]["replicas"] == 1
        ha = named(renders["ha-values"], "Deployment", f"{FULL}-{component}").body["spec"]
        # The HPA owns the replica count; a fixed one would fight it on every upgrade.
        assert "replicas" not in ha
        hpa = named(renders["ha-values"], "HorizontalPodAutoscaler", f"{FULL}-{component}").body["spec"]
        assert hpa["minReplicas"] == 3 and hpa["scaleTargetRef"]["name"] == f"{FULL}-{component}"
        spread = ha["template"]["spec"]["topologySpreadConstraints"][0]
        assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
    assert not of_kind(renders["defaults"], "HorizontalPodAutoscaler", "PodDisruptionBudget")


def test_pdb_only_when_more_than_one_pod(
    helm: str, renders: dict[str, list[Manifest]], catalogue: list[str]
) -> None:
    assert {m.name for m in of_kind(renders["ha-values"], "PodDisruptionBudget")} == {
        f"{FULL}-{c}" for c in catalogue
    }
    two_backends = render(helm, sets=["backend.replicas=2"])
    assert [m.name for m in of_kind(two_backends, "PodDisruptionBudget")] == [f"{FULL}-backend"]


def test_frontend_service_exposure(helm: str, renders: dict[str, list[Manifest]]) -> None:
    dev = named(renders["dev-values"], "Service", f"{DEV}-frontend").body["spec"]
    assert dev["type"] == "NodePort" and dev["ports"][0]["nodePort"] == 30080
    behind_ingress = named(renders["ingress-tls-values"], "Service", f"{FULL}-frontend").body["spec"]
    assert behind_ingress["type"] == "ClusterIP" and "nodePort" not in behind_ingress["ports"][0]
    balancer = render(helm, sets=["frontend.service.type=LoadBalancer", "frontend.service.nodePort=null"])
    assert named(balancer, "Service", f"{FULL}-frontend").body["spec"]["type"] == "LoadBalancer"
    for component in ("backend", "mcp"):
        assert (
            named(renders["dev-values"], "Service", f"{DEV}-{component}").body["spec"]["type"] == "ClusterIP"
        )


def test_ingress_with_tls_makes_cookies_secure(renders: dict[str, list[Manifest]]) -> None:
    ingress = named(renders["ingress-tls-values"], "Ingress", f"{FULL}-frontend").body["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"secretName": "todo-example-tls", "hosts": ["todo.example.test"]}]
    assert ingress["rules"][0]["host"] == "todo.example.test"
    assert (
        named(renders["ingress-tls-values"], "ConfigMap", f"{FULL}-backend").body["data"][
            "TODO_COOKIE_SECURE"
        ]
        == "true"
    )
    assert (
        named(renders["dev-values"], "ConfigMap", f"{DEV}-backend").body["data"]["TODO_COOKIE_SECURE"]
        == "false"
    )


def _hook(manifest: Manifest) -> tuple[set[str], int]:
    annotations = manifest.annotations
    return set(annotations["helm.sh/hook"].split(",")), int(annotations.get("helm.sh/hook-weight", "0"))


def test_migration_hook_order(renders: dict[str, list[Manifest]]) -> None:
    # In-cluster the database is created with the release, so the first migration runs after install.
    job = named(renders["dev-values"], "Job", f"{DEV}-migrate")
    assert _hook(job) == ({"post-install", "pre-upgrade"}, 0)
    assert job.body["spec"]["template"]["spec"]["containers"][0]["command"] == ["todo-migrate"]
    assert job.body["spec"]["backoffLimit"] >= 1 and job.body["spec"]["ttlSecondsAfterFinished"] > 0
    assert "before-hook-creation" in job.annotations["helm.sh/hook-delete-policy"]
    external = named(renders["external-db-values"], "Job", f"{FULL}-migrate")
    assert _hook(external)[0] == {"pre-install", "pre-upgrade"}
    # What the Job needs on a first install exists before it: its ServiceAccount and created Secrets.
    account = named(renders["dev-values"], "ServiceAccount", f"{DEV}-migrate")
    assert _hook(account)[0] == _hook(job)[0] and _hook(account)[1] < _hook(job)[1]
    for secret in of_kind(renders["create-secrets-values"], "Secret"):
        events, weight = _hook(secret)
        assert {"pre-install", "pre-upgrade"} <= events and weight < _hook(account)[1], secret


def test_the_in_cluster_database_url_is_composed_from_the_charts_own_names(
    renders: dict[str, list[Manifest]],
) -> None:
    manifests = renders["create-secrets-values"]
    secret = named(manifests, "Secret", f"{FULL}-database").body["data"]
    assert set(secret) == {"password"}, "in-cluster, the Secret holds the password only"
    spec = pod_spec(named(manifests, "Deployment", f"{FULL}-backend"))
    assert spec is not None
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    reference = env["TODO_DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert (reference["name"], reference["key"]) == (f"{FULL}-database", "password")
    # docs/contracts.md: host "<fullname>-postgresql", user and database "todo"; the kubelet
    # expands $(TODO_DATABASE_PASSWORD), which is declared before the URL as expansion requires.
    assert env["TODO_DATABASE_URL"]["value"] == (
        f"postgresql+psycopg://todo:$(TODO_DATABASE_PASSWORD)@{FULL}-postgresql:5432/todo"
    )
    names = [e["name"] for e in spec["containers"][0]["env"]]
    assert names.index("TODO_DATABASE_PASSWORD") < names.index("TODO_DATABASE_URL")
    service = named(manifests, "Service", f"{FULL}-postgresql").body["spec"]
    assert service["ports"][0]["port"] == 5432 and service.get("clusterIP") != "None"


def test_postgresql_keeps_data_on_a_volume(helm: str, renders: dict[str, list[Manifest]]) -> None:
    statefulset = named(renders["defaults"], "StatefulSet", f"{FULL}-postgresql").body["spec"]
    claim = statefulset["volumeClaimTemplates"][0]
    assert (
        claim["spec"]["resources"]["requests"]["storage"] == "1Gi" and "storageClassName" not in claim["spec"]
    )
    mounts = {
        m["name"]: m["mountPath"] for m in statefulset["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    env = {e["name"]: e.get("value") for e in statefulset["template"]["spec"]["containers"][0]["env"]}
    assert env["PGDATA"].startswith(mounts[claim["metadata"]["name"]] + "/")
    assert statefulset["serviceName"] == f"{FULL}-postgresql-hl"
    sized = render(helm, sets=["postgresql.persistence.size=5Gi", "postgresql.persistence.storageClass=fast"])
    claim = named(sized, "StatefulSet", f"{FULL}-postgresql").body["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "5Gi" and claim["storageClassName"] == "fast"


def test_minimal_turns_optional_parts_off(renders: dict[str, list[Manifest]]) -> None:
    kinds = {m.kind for m in renders["minimal-values"]}
    assert not kinds & {
        "NetworkPolicy",
        "Job",
        "Pod",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }


def test_helm_test_pod_is_a_test_hook(renders: dict[str, list[Manifest]]) -> None:
    # What its script checks is tested in test_helm_test_pod.py.
    pod = named(renders["dev-values"], "Pod", f"{DEV}-test")
    assert pod.annotations["helm.sh/hook"] == "test"
    assert "hook-succeeded" in pod.annotations["helm.sh/hook-delete-policy"]
    assert pod.body["spec"]["restartPolicy"] == "Never"


def _wait_for_database(renders: dict[str, list[Manifest]], url: str) -> subprocess.CompletedProcess[str]:
    """The Job's wait-for-database init container script, run here with a 1-second limit."""
    spec = pod_spec(named(renders["dev-values"], "Job", f"{DEV}-migrate"))
    assert spec is not None
    init = spec["initContainers"][0]
    assert [e["name"] for e in init["env"]] == ["TODO_DATABASE_PASSWORD", "TODO_DATABASE_URL"]
    return subprocess.run(
        [sys.executable, "-c", init["command"][2], "1"],
        env={**os.environ, "TODO_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_migration_waits_for_a_listening_database(renders: dict[str, list[Manifest]]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result = _wait_for_database(renders, f"postgresql+psycopg://todo:pw@127.0.0.1:{port}/todo")
    assert result.returncode == 0, result.stderr
    assert f"database 127.0.0.1:{port} accepts connections" in result.stdout


def test_migration_wait_gives_up_with_one_line(renders: dict[str, list[Manifest]]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    # The port is closed now: nothing listens there.
    result = _wait_for_database(renders, f"postgresql+psycopg://todo:secret-pw@127.0.0.1:{port}/todo")
    assert result.returncode == 1
    assert f"error: database 127.0.0.1:{port} not reachable after 1s" in result.stderr
    assert "secret-pw" not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_ports_match_the_app_defaults() -> None:
    """docs/contracts.md: values.yaml is the source of the ports; the app's defaults agree."""
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    assert values["backend"]["port"] == ApiSettings.model_fields["port"].default
    assert values["mcp"]["port"] == McpSettings.model_fields["port"].default
    assert values["frontend"]["port"] == 8080 and values["postgresql"]["port"] == 5432


# `<component>.databasePool.<key>` in values.yaml feeds this setting of the app (both services).
DATABASE_POOL_SETTINGS = {
    "size": "db_pool_size",
    "queueSize": "db_queue_size",
    "queueTimeoutSeconds": "db_queue_timeout_seconds",
}


def _setting_bounds(field: str) -> dict[str, float]:
    """The Field(ge/gt/le) bounds of a setting, named as JSON Schema names them."""
    names = {
        annotated_types.Ge: ("minimum", "ge"),
        annotated_types.Gt: ("exclusiveMinimum", "gt"),
        annotated_types.Le: ("maximum", "le"),
    }
    bounds = {}
    for item in CoreSettings.model_fields[field].metadata:
        if type(item) in names:
            schema_name, attribute = names[type(item)]
            bounds[schema_name] = getattr(item, attribute)
    return bounds


def test_database_pool_values_match_the_app_defaults_and_bounds(helm: str) -> None:
    """The chart's pool defaults and schema bounds are the app's; each value reaches its env var."""
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    sets = []
    for component in ("backend", "mcp"):
        pool_schema = schema_node(schema, (component, "databasePool"))["properties"]
        for key, field in DATABASE_POOL_SETTINGS.items():
            assert values[component]["databasePool"][key] == CoreSettings.model_fields[field].default
            declared = {k: v for k, v in pool_schema[key].items() if k != "type"}
            assert declared == _setting_bounds(field), (component, key)
        sets += [f"{component}.databasePool.size=7", f"{component}.databasePool.queueTimeoutSeconds=2"]
    rendered = render(helm, sets=sets)
    for component in ("backend", "mcp"):
        data = named(rendered, "ConfigMap", f"{FULL}-{component}").body["data"]
        assert (data["TODO_DB_POOL_SIZE"], data["TODO_DB_QUEUE_TIMEOUT_SECONDS"]) == ("7", "2"), component


def _notes(helm: str, tmp_path: Path, *sets: str) -> str:
    """NOTES.txt rendered offline (`helm install --dry-run` needs a cluster): via tpl in a chart copy."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART_DIR, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "notes-source.txt")
    (chart / "templates" / "notes-check.yaml").write_text(
        'notes: {{ tpl (.Files.Get "notes-source.txt") . | toJson }}\n'
    )
    args = [
        "template",
        "todo",
        str(chart),
        "--namespace",
        "todo",
        "--show-only",
        "templates/notes-check.yaml",
    ]
    for assignment in sets:
        args += ["--set", assignment]
    result = run_helm(helm, *args)
    assert result.returncode == 0, result.stderr
    return str(yaml.safe_load(result.stdout)["notes"])


def test_notes_explain_how_to_open_and_debug(helm: str, tmp_path: Path) -> None:
    notes = _notes(helm, tmp_path)
    assert f"minikube service {FULL}-frontend --namespace todo" in notes
    assert f"kubectl logs deployment/{FULL}-backend --namespace todo" in notes
    assert f"kubectl logs job/{FULL}-migrate" in notes
    assert "helm test todo" in notes


def test_notes_name_the_ingress_host(helm: str, tmp_path: Path) -> None:
    notes = _notes(
        helm, tmp_path, "ingress.enabled=true", "ingress.host=todo.example.test", "ingress.tlsSecret=tls"
    )
    assert "https://todo.example.test/" in notes and "minikube service" not in notes


def test_notes_warn_about_created_secrets(helm: str, tmp_path: Path) -> None:
    notes = _notes(
        helm,
        tmp_path,
        "secrets.create=true",
        "secrets.app.values.jwtSecret=" + "j" * 32,
        "secrets.app.values.mcpToken=" + "m" * 24,
        "secrets.database.values.password=" + "p" * 16,
    )
    assert "release's history" in notes


def test_the_frontend_port_value_moves_nginx_the_container_port_and_the_service(helm: str) -> None:
    manifests = render(helm, sets=["frontend.port=9090"])
    spec = pod_spec(named(manifests, "Deployment", f"{FULL}-frontend"))
    assert spec is not None
    container = spec["containers"][0]
    assert [p["containerPort"] for p in container["ports"]] == [9090]
    assert {"name": "TODO_FRONTEND_LISTEN", "value": "9090"} in container["env"]
    (port,) = named(manifests, "Service", f"{FULL}-frontend").body["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (9090, "http")


@settings(max_examples=8, deadline=None)
@given(tmp=st.integers(min_value=1, max_value=4096), logs=st.integers(min_value=1, max_value=4096))
def test_ephemeral_storage_and_tmp_size_come_from_one_pair_of_values(helm: str, tmp: int, logs: int) -> None:
    """Whatever the sizes, /tmp's sizeLimit is `tmpMi` and every container requests and limits `tmpMi +
    logsMi`, so the emptyDir always fits inside the container's limit."""
    manifests = render(helm, sets=[f"ephemeralStorage.tmpMi={tmp}", f"ephemeralStorage.logsMi={logs}"])
    pods = [spec for spec in map(pod_spec, manifests) if spec is not None]
    assert pods
    for spec in pods:
        assert {"name": "tmp", "emptyDir": {"sizeLimit": f"{tmp}Mi"}} in spec["volumes"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            resources = container["resources"]
            assert resources["requests"]["ephemeral-storage"] == f"{tmp + logs}Mi", container["name"]
            assert resources["limits"]["ephemeral-storage"] == f"{tmp + logs}Mi", container["name"]


def test_ephemeral_storage_set_by_hand_is_refused_with_the_way_out(helm: str) -> None:
    result = run_helm(helm, *template_args(sets=["backend.resources.limits.ephemeral-storage=1Gi"]))
    assert result.returncode != 0
    assert "backend.resources.limits.ephemeral-storage is set (1Gi)" in result.stderr, result.stderr
    assert "ephemeralStorage.tmpMi + ephemeralStorage.logsMi" in result.stderr, result.stderr
