"""The manifest-to-`docker run` translator, without Docker: small manifests and the real rendered chart."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.kube2docker import Release, TranslationError, expand_vars, parse_quantity
from tests.e2e.stack import CHART_DIR, NAMESPACE, VALUES_FILE, helm_template

SECRETS = {"app": {"token": "s3cr3t-value-0123456789", "other": "x"}}


def deployment(container: dict[str, Any], **pod: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "front"}},
                "spec": {"containers": [{"name": "main", "image": "img:1", **container}], **pod},
            },
        },
    }


def config_map(name: str = "settings", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def service(selector: dict[str, str], port: int = 80, target: int | str = "http") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web-svc"},
        "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target}]},
    }


def release(*docs: dict[str, Any]) -> Release:
    return Release.parse(yaml.safe_dump_all(docs), namespace="ns")


def only_run(rel: Release, secrets: dict[str, dict[str, str]] | None = None) -> Any:
    runs = rel.pod_containers(rel.get("Deployment", "web"), SECRETS if secrets is None else secrets, "web-0")
    assert len(runs) == 1
    return runs[0]


# -- env ---------------------------------------------------------------------------------------------


def test_env_resolves_values_config_maps_and_secrets_with_env_winning_over_env_from() -> None:
    rel = release(
        config_map(A="from-cm", B="cm-b"),
        deployment(
            {
                "envFrom": [{"configMapRef": {"name": "settings"}}],
                "env": [
                    {"name": "B", "value": "literal"},
                    {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "A"}}},
                    {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "app", "key": "token"}}},
                    {"name": "URL", "value": "http://$(A):1/$$(A)"},
                    {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                ],
            }
        ),
    )
    env = only_run(rel).env
    assert env == {
        "A": "from-cm",
        "B": "literal",
        "C": "from-cm",
        "TOKEN": "s3cr3t-value-0123456789",
        "URL": "http://from-cm:1/$(A)",
        "POD": "web-0",
    }


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"secretKeyRef": {"name": "missing", "key": "token"}}, "Secret 'missing', which does not exist"),
        ({"secretKeyRef": {"name": "app", "key": "nope"}}, "key 'nope' of Secret 'app', which has only"),
        ({"configMapKeyRef": {"name": "settings", "key": "nope"}}, "key 'nope' of ConfigMap 'settings'"),
        ({"resourceFieldRef": {"resource": "limits.cpu"}}, "is not emulated"),
    ],
)
def test_an_unresolvable_reference_fails_loudly_naming_it(ref: dict[str, Any], message: str) -> None:
    rel = release(config_map(A="1"), deployment({"env": [{"name": "X", "valueFrom": ref}]}))
    with pytest.raises(TranslationError, match="Deployment/web container main env X") as error:
        only_run(rel)
    assert message in str(error.value)


def test_optional_references_that_do_not_resolve_are_left_out() -> None:
    ref = {"secretKeyRef": {"name": "missing", "key": "k", "optional": True}}
    rel = release(
        deployment({"env": [{"name": "X", "valueFrom": ref}], "envFrom": [{"secretRef": {"name": "app"}}]})
    )
    assert only_run(rel).env == SECRETS["app"]


def test_secret_values_never_reach_the_docker_command_line() -> None:
    ref = {"secretKeyRef": {"name": "app", "key": "token"}}
    run = only_run(release(deployment({"env": [{"name": "TOKEN", "valueFrom": ref}]})))
    args = run.docker_run_args(network="n", aliases=[], env_file="/tmp/e", extra_labels={})
    assert not any("s3cr3t" in arg for arg in args)
    assert "s3cr3t" not in repr(run)
    assert run.env_file_text() == "TOKEN=s3cr3t-value-0123456789\n"


def test_a_value_with_a_line_break_is_refused_for_the_env_file() -> None:
    run = only_run(release(deployment({"env": [{"name": "X", "value": "a\nb"}]})))
    with pytest.raises(TranslationError, match="line break"):
        run.env_file_text()


def test_expand_vars_keeps_unknown_references() -> None:
    assert expand_vars("$(KNOWN)-$(UNKNOWN)-$$", {"KNOWN": "k"}) == "k-$(UNKNOWN)-$"


# -- command and args ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("container", "entrypoint", "args"),
    [
        ({}, None, None),
        ({"command": ["todo-migrate"]}, "todo-migrate", ()),
        ({"command": ["python3", "-c", "x"], "args": ["a"]}, "python3", ("-c", "x", "a")),
        ({"args": ["--flag"]}, None, ("--flag",)),
    ],
)
def test_command_replaces_the_entrypoint_and_args_the_cmd(
    container: dict[str, Any], entrypoint: str | None, args: tuple[str, ...] | None
) -> None:
    run = only_run(release(deployment(container)))
    assert (run.entrypoint, run.args) == (entrypoint, args)
    docker_args = run.docker_run_args(network="n", aliases=[], env_file="/e", extra_labels={})
    image_at = docker_args.index("img:1")
    assert docker_args[image_at + 1 :] == list(args or ())
    assert ("--entrypoint" in docker_args) is (entrypoint is not None)


# -- securityContext, volumes, resources ---------------------------------------------------------------

HARDENED_POD = {
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
}
HARDENED_CONTAINER = {
    "securityContext": {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    },
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    "resources": {"limits": {"memory": "384Mi", "cpu": "500m"}},
}


def test_security_context_volumes_and_limits_map_to_docker_flags() -> None:
    run = only_run(release(deployment(HARDENED_CONTAINER, **HARDENED_POD)))
    args = run.docker_run_args(network="n", aliases=["svc"], env_file="/e", extra_labels={"run": "1"})
    for expected in (
        ["--user", "10001:10001"],
        ["--group-add=10001"],
        ["--read-only"],
        ["--security-opt", "no-new-privileges"],
        ["--cap-drop=ALL"],
        ["--tmpfs=/tmp:rw,nosuid,nodev,mode=1777,size=67108864"],
        ["--memory", str(384 * 2**20), "--memory-swap", str(384 * 2**20)],
        ["--cpus", "0.5"],
        ["--network", "n"],
        ["--network-alias=svc"],
    ):
        assert any(args[i : i + len(expected)] == expected for i in range(len(args))), (expected, args)
    assert "seccomp=unconfined" not in args


def test_container_security_context_wins_over_the_pod_one() -> None:
    container = {"securityContext": {"runAsUser": 20002}}
    run = only_run(release(deployment(container, securityContext={"runAsUser": 10001, "runAsGroup": 3})))
    assert run.user == "20002:3"


@pytest.mark.parametrize(
    ("pod", "container", "message"),
    [
        ({"securityContext": {"runAsNonRoot": True, "runAsUser": 0}}, {}, "runAsUser is 0"),
        ({"securityContext": {"runAsNonRoot": True}}, {}, "without a numeric runAsUser"),
        ({}, {"securityContext": {"privileged": True}}, "privileged"),
        ({}, {"securityContext": {"procMount": "Unmasked"}}, "'procMount'] have no Docker mapping"),
        ({"securityContext": {"sysctls": []}}, {}, "'sysctls'] have no Docker mapping"),
        (
            {"volumes": [{"name": "cfg", "configMap": {"name": "x"}}]},
            {"volumeMounts": [{"name": "cfg", "mountPath": "/c"}]},
            "only emptyDir is emulated",
        ),
        ({}, {"volumeMounts": [{"name": "ghost", "mountPath": "/g"}]}, "names no volume"),
        ({}, {"readinessProbe": {"exec": {"command": ["true"]}}}, "only httpGet probes"),
        (
            {},
            {"readinessProbe": {"httpGet": {"path": "/", "port": "web"}}},
            "port 'web' names no container port",
        ),
        ({}, {"resources": {"limits": {"memory": "lots"}}}, "is not a Kubernetes quantity"),
    ],
)
def test_what_docker_cannot_do_faithfully_is_an_error(
    pod: dict[str, Any], container: dict[str, Any], message: str
) -> None:
    with pytest.raises(TranslationError, match="Deployment/web") as error:
        only_run(release(deployment(container, **pod)))
    assert message in str(error.value)


def test_probes_resolve_named_ports_and_kubernetes_defaults() -> None:
    container = {
        "ports": [{"name": "http", "containerPort": 8000}],
        "startupProbe": {
            "httpGet": {"path": "/healthz", "port": "http"},
            "periodSeconds": 2,
            "failureThreshold": 30,
        },
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8000}},
    }
    run = only_run(release(deployment(container)))
    assert run.startup_probe is not None and run.readiness_probe is not None
    assert (run.startup_probe.path, run.startup_probe.port, run.startup_probe.budget_seconds) == (
        "/healthz",
        8000,
        60,
    )
    # Kubernetes' defaults: periodSeconds 10, failureThreshold 3.
    assert (run.readiness_probe.path, run.readiness_probe.budget_seconds) == ("/readyz", 30)


@pytest.mark.parametrize(
    ("text", "value"),
    [("64Mi", 64 * 2**20), ("1Gi", 2**30), ("500m", 0.5), ("2", 2), ("1.5", 1.5), ("2k", 2000)],
)
def test_quantities(text: str, value: float) -> None:
    assert parse_quantity(text, "q") == value


# -- Services ------------------------------------------------------------------------------------------

PORTED = {"ports": [{"name": "http", "containerPort": 80}]}


def test_service_names_alias_exactly_the_pods_their_selector_matches() -> None:
    other = deployment(PORTED)
    other["metadata"]["name"] = "other"
    other["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    rel = release(deployment(PORTED), other, service({"app": "web"}))
    aliases = rel.service_aliases(rel.deployments)
    assert aliases["other"] == []
    assert aliases["web"][0] == "web-svc" and "web-svc.ns.svc.cluster.local" in aliases["web"]


@pytest.mark.parametrize(
    ("svc", "message"),
    [
        (service({"app": "nope"}), "matches no pod"),
        (service({"app": "web"}, port=8080, target="http"), "cannot remap ports"),
        (service({"app": "web"}, target="admin"), "targetPort 'admin' names no container port"),
    ],
)
def test_a_service_docker_cannot_reproduce_is_an_error(svc: dict[str, Any], message: str) -> None:
    rel = release(deployment(PORTED), svc)
    with pytest.raises(TranslationError, match=message):
        rel.service_aliases(rel.deployments)


def test_kinds_without_a_translation_are_refused_and_cluster_only_kinds_listed() -> None:
    with pytest.raises(TranslationError, match="StatefulSet/db: kind StatefulSet has no Docker translation"):
        release({"kind": "StatefulSet", "metadata": {"name": "db"}})
    rel = release({"kind": "NetworkPolicy", "metadata": {"name": "deny"}}, deployment({}))
    assert rel.not_emulated == ["NetworkPolicy/deny"]
    assert rel.get("Deployment", "web").replicas() == 2


# -- the real chart --------------------------------------------------------------------------------------


def _helm() -> str:
    found = shutil.which("helm") or str(Path(CHART_DIR).parents[1] / ".cache" / "bin" / "helm")
    if not Path(found).exists():
        pytest.skip("helm is not built; `scripts/test e2e` (or chart) builds it")
    return found


IMAGES = {
    "images": {
        name: {"repository": f"127.0.0.1:15880/todo-{name}", "tag": "t", "digest": "sha256:" + "a" * 64}
        for name in ("backend", "mcp", "frontend")
    }
}
E2E_SECRETS = {
    "todo-app": {"jwt-secret": "j" * 64, "mcp-token": "m" * 48},
    "todo-database": {"database-url": "postgresql+psycopg://todo:p@db:5432/todo"},
}


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Release:
    images = tmp_path_factory.mktemp("values") / "images.yaml"
    images.write_text(yaml.safe_dump(IMAGES))
    return Release.parse(helm_template(_helm(), VALUES_FILE, images), NAMESPACE)


def test_the_e2e_values_render_a_release_every_pod_of_which_translates(chart: Release) -> None:
    names = {d.name for d in chart.deployments}
    assert names == {f"todo-todo-chatbot-{c}" for c in ("backend", "mcp", "frontend")}
    aliases = chart.service_aliases(chart.deployments)
    for component in ("backend", "mcp", "frontend"):
        assert aliases[f"todo-todo-chatbot-{component}"][0] == f"todo-todo-chatbot-{component}"
    backend = chart.pod_containers(chart.get("Deployment", "todo-todo-chatbot-backend"), E2E_SECRETS, "b-0")
    env = backend[0].env
    assert env["TODO_JWT_SECRET"] == "j" * 64 and env["TODO_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["TODO_MCP_URL"] == "http://todo-todo-chatbot-mcp:8001/mcp"
    assert backend[0].image == "127.0.0.1:15880/todo-backend@sha256:" + "a" * 64
    migrate = chart.hook_jobs("pre-install")
    assert [job.name for job in migrate] == ["todo-todo-chatbot-migrate"]
    runs = chart.pod_containers(migrate[0], E2E_SECRETS, "m-0")
    assert [(r.container, r.is_init, r.entrypoint) for r in runs] == [
        ("wait-for-database", True, "python3"),
        ("migrate", False, "todo-migrate"),
    ]
    assert [pod.name for pod in chart.test_pods()] == ["todo-todo-chatbot-test"]
    assert "NetworkPolicy/todo-todo-chatbot-default-deny" in chart.not_emulated


def test_a_release_whose_secret_is_missing_fails_naming_the_secret(chart: Release) -> None:
    without_app = {"todo-database": E2E_SECRETS["todo-database"]}
    with pytest.raises(TranslationError, match="names Secret 'todo-app', which does not exist"):
        chart.pod_containers(chart.get("Deployment", "todo-todo-chatbot-backend"), without_app, "b-0")


def test_the_in_cluster_mode_needs_a_statefulset_the_e2e_cannot_run(tmp_path: Path) -> None:
    images = tmp_path / "images.yaml"
    images.write_text(yaml.safe_dump({**IMAGES, "postgresql": {"mode": "inCluster"}}))
    with pytest.raises(TranslationError, match="StatefulSet/todo-todo-chatbot-postgresql"):
        Release.parse(helm_template(_helm(), VALUES_FILE, images), NAMESPACE)
