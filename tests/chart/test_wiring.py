"""Rendered objects fit together: env vars, selectors, ports, NetworkPolicies, Secret and ConfigMap names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from tests.chart.helm import (
    CHART_DIR,
    DEFAULT_FULLNAME,
    Manifest,
    containers,
    fullname,
    matches,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    render,
    workloads,
)
from todo.core.settings import ApiSettings, CoreSettings, McpSettings

COMPONENT = "app.kubernetes.io/component"

# Which settings class each app container loads; env var names are its fields, prefixed TODO_.
SETTINGS_OF_CONTAINER: dict[tuple[str, str], type[BaseSettings]] = {
    ("backend", "backend"): ApiSettings,
    ("mcp", "mcp"): McpSettings,
    ("migrate", "migrate"): CoreSettings,
    ("migrate", "wait-for-database"): CoreSettings,
}
# Containers that are not the Python app read these names (the frontend's nginx, the official postgres image).
OTHER_ENV: dict[tuple[str, str], set[str]] = {
    ("frontend", "frontend"): {"TODO_BACKEND_URL", "TODO_FRONTEND_LISTEN"},
    ("postgresql", "postgresql"): {
        "POSTGRES_USER",
        "POSTGRES_DB",
        "POSTGRES_PASSWORD_FILE",
        "PGDATA",
        "PGPORT",
    },
    ("test", "test"): set(),
}


# Read by no program: only the kubelet's $(TODO_DATABASE_PASSWORD) expansion into TODO_DATABASE_URL.
EXPANSION_ONLY_ENV = {"TODO_DATABASE_PASSWORD"}


def _values(scenario: str) -> dict[str, Any]:
    """The scenario's values file merged over the chart defaults (shallow enough for the keys tests read)."""
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    if scenario == "defaults":
        return dict(defaults)
    override = yaml.safe_load((CHART_DIR / "ci" / f"{scenario}.yaml").read_text())
    return _merge(defaults, override)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _settings_env_names(cls: type[BaseSettings]) -> set[str]:
    return {f"TODO_{field.upper()}" for field in cls.model_fields}


def _container_env(manifests: list[Manifest], container: dict[str, Any]) -> dict[str, Any]:
    """Every env var a container gets: explicit env plus the keys of ConfigMaps it loads with envFrom."""
    env: dict[str, Any] = {item["name"]: item for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"only ConfigMaps may be loaded wholesale, got {source}"
        config_map = named(manifests, "ConfigMap", source["configMapRef"]["name"])
        for key, value in config_map.body["data"].items():
            assert key not in env, f"{key} is set twice in container {container['name']}"
            env[key] = {"name": key, "value": value}
    return env


def _pods(manifests: list[Manifest]) -> list[tuple[Manifest, dict[str, Any], str]]:
    return [
        (m, spec, pod_labels(m)[COMPONENT]) for m in workloads(manifests) if (spec := pod_spec(m)) is not None
    ]


def test_every_env_var_is_a_declared_setting(renders: dict[str, list[Manifest]], scenario: str) -> None:
    manifests = renders[scenario]
    problems: list[str] = []
    for manifest, spec, component in _pods(manifests):
        for container in containers(spec):
            key = (component, container["name"])
            names = set(_container_env(manifests, container))
            if key in SETTINGS_OF_CONTAINER:
                allowed = _settings_env_names(SETTINGS_OF_CONTAINER[key])
            elif key in OTHER_ENV:
                allowed = OTHER_ENV[key]
            else:
                problems.append(f"{manifest}: container {container['name']} has no known env contract")
                continue
            if unknown := names - allowed - EXPANSION_ONLY_ENV:
                problems.append(
                    f"{manifest}: container {container['name']} sets undeclared {sorted(unknown)}"
                )
    assert not problems, "\n".join(problems)


# The PostgreSQL StatefulSet runs the upstream image, whose variable names (POSTGRES_*, PG*) are not ours.
UPSTREAM_IMAGE_COMPONENTS = {"postgresql"}
# Both database modes with the openai engine on, so every conditional env var is rendered.
ALL_ENV_RENDERS = {
    "in-cluster database, openai": [CHART_DIR / "ci" / "openai-values.yaml"],
    "external database, openai": [
        CHART_DIR / "ci" / "external-db-values.yaml",
        CHART_DIR / "ci" / "openai-values.yaml",
    ],
}


@pytest.mark.parametrize("values_files", ALL_ENV_RENDERS.values(), ids=ALL_ENV_RENDERS.keys())
def test_every_env_var_of_our_containers_has_the_project_prefix(
    helm: str, catalogue: list[str], values_files: list[Path]
) -> None:
    """A name says whose it is: every variable our own containers get starts with TODO_."""
    manifests = render(helm, values_files=values_files)
    seen: set[str] = set()
    problems: list[str] = []
    for manifest, spec, component in _pods(manifests):
        if component in UPSTREAM_IMAGE_COMPONENTS:
            continue
        seen.add(component)
        for container in containers(spec):
            for name in _container_env(manifests, container):
                if not name.startswith("TODO_"):
                    problems.append(f"{manifest}: {container['name']} sets {name!r}; name it TODO_{name}")
    assert {*catalogue, "migrate"} <= seen, f"a workload is not rendered: {sorted(seen)}"
    assert not problems, "\n".join(problems)


def _secret_placeholder(name: str) -> str:
    # Stand-ins for secretKeyRef values, shaped like real ones so validators accept them.
    if name == "TODO_DATABASE_URL":
        return "postgresql+psycopg://todo:pw@db:5432/todo"
    return "x" * 40


@pytest.mark.parametrize(("component", "container_name"), sorted(SETTINGS_OF_CONTAINER))
def test_app_settings_load_from_rendered_env(
    renders: dict[str, list[Manifest]], scenario: str, component: str, container_name: str
) -> None:
    """Each app container gets every required setting, and the ConfigMap values parse as the app expects."""
    manifests = renders[scenario]
    found = [
        container
        for _, spec, pod_component in _pods(manifests)
        if pod_component == component
        for container in containers(spec)
        if container["name"] == container_name
    ]
    if not found:
        pytest.skip(f"{component} is not rendered in scenario {scenario}")
    cls = SETTINGS_OF_CONTAINER[(component, container_name)]
    env = _container_env(manifests, found[0])
    kwargs = {
        name.removeprefix("TODO_").lower(): item["value"] if "value" in item else _secret_placeholder(name)
        for name, item in env.items()
    }
    # Raises a ValidationError naming the variable if the chart's value does not parse or one is missing.
    cls.model_validate(kwargs)


def test_database_url_and_secrets_come_from_secret_refs(
    renders: dict[str, list[Manifest]], scenario: str
) -> None:
    secret_like = {"TODO_DATABASE_PASSWORD", "TODO_JWT_SECRET", "TODO_MCP_TOKEN", "TODO_OPENAI_API_KEY"}
    for manifest, spec, _ in _pods(renders[scenario]):
        for container in containers(spec):
            env = _container_env(renders[scenario], container)
            for name, item in env.items():
                if name in secret_like:
                    assert "secretKeyRef" in item.get("valueFrom", {}), (
                        f"{manifest}: {name} must come from a Secret"
                    )
            if "TODO_DATABASE_URL" in env:
                # The whole URL from a Secret (external), or composed around the Secret's password.
                url = env["TODO_DATABASE_URL"]
                password = "TODO_DATABASE_PASSWORD"
                composed = f"$({password})" in url.get("value", "") and password in env
                assert "secretKeyRef" in url.get("valueFrom", {}) or composed, manifest


def test_openai_key_only_with_openai_engine(renders: dict[str, list[Manifest]], scenario: str) -> None:
    values = _values(scenario)
    backend = named(renders[scenario], "Deployment", f"{fullname(scenario)}-backend")
    spec = pod_spec(backend)
    assert spec is not None
    env = _container_env(renders[scenario], spec["containers"][0])
    assert ("TODO_OPENAI_API_KEY" in env) == (values["agent"]["engine"] == "openai")
    if "TODO_OPENAI_API_KEY" in env:
        ref = env["TODO_OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref["key"] == "api-key"


def test_selector_labels_are_name_instance_component(
    renders: dict[str, list[Manifest]], scenario: str
) -> None:
    for manifest in of_kind(renders[scenario], "Deployment", "StatefulSet"):
        selector = manifest.body["spec"]["selector"]["matchLabels"]
        assert set(selector) == {"app.kubernetes.io/name", "app.kubernetes.io/instance", COMPONENT}, manifest
        assert matches(selector, pod_labels(manifest)), manifest


def _container_ports(spec: dict[str, Any]) -> tuple[set[str], set[int]]:
    ports = [port for container in spec["containers"] for port in container.get("ports", [])]
    return {p["name"] for p in ports if "name" in p}, {int(p["containerPort"]) for p in ports}


def test_services_select_exactly_one_workload_with_their_ports(
    renders: dict[str, list[Manifest]], scenario: str
) -> None:
    manifests = renders[scenario]
    for service in of_kind(manifests, "Service"):
        selector = service.body["spec"]["selector"]
        # The helm test pod carries its own component label, so it never joins a Service.
        targets = [m for m in workloads(manifests) if m.kind != "Pod" and matches(selector, pod_labels(m))]
        assert len(targets) == 1, f"{service} selects {[str(t) for t in targets]}"
        spec = pod_spec(targets[0])
        assert spec is not None
        names, numbers = _container_ports(spec)
        for port in service.body["spec"]["ports"]:
            target = port["targetPort"]
            assert target in names or target in numbers, (
                f"{service}: targetPort {target} is not a container port"
            )


def test_probe_ports_exist_and_probes_differ(renders: dict[str, list[Manifest]], scenario: str) -> None:
    for manifest, spec, _ in _pods(renders[scenario]):
        names, numbers = _container_ports(spec)
        for container in spec["containers"]:
            probes = [container.get(kind) for kind in ("startupProbe", "livenessProbe", "readinessProbe")]
            if not any(probes):
                assert manifest.kind in {"Job", "Pod"}, f"{manifest}: a long-running container needs probes"
                continue
            assert all(probes), (
                f"{manifest}: {container['name']} needs startup, liveness and readiness probes"
            )
            assert len({yaml.safe_dump(p) for p in probes}) == 3, (
                f"{manifest}: the three probes are identical"
            )
            for probe in probes:
                assert probe is not None
                if "httpGet" in probe:
                    port = probe["httpGet"]["port"]
                    assert port in names or port in numbers, f"{manifest}: probe port {port} is not declared"
            # Liveness must not check what readiness checks, or a dependency's hiccup restarts the pod.
            liveness = _probe_check(container["livenessProbe"])
            readiness = _probe_check(container["readinessProbe"])
            assert liveness != readiness, (
                f"{manifest}: {container['name']} liveness and readiness both check {liveness}"
            )


def _probe_check(probe: dict[str, Any]) -> str:
    """What a probe asks, without its timing: the handler (httpGet path, exec command, tcpSocket)."""
    handler = {key: probe[key] for key in ("httpGet", "exec", "tcpSocket", "grpc") if key in probe}
    assert len(handler) == 1, f"a probe needs exactly one handler, got {probe}"
    return json.dumps(handler, sort_keys=True)


_QUANTITY_MI = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}


def _mebibytes(quantity: str) -> float:
    number, unit = quantity[:-2], quantity[-2:]
    assert unit in _QUANTITY_MI and number.isdigit(), f"expected a Ki/Mi/Gi quantity, got {quantity!r}"
    return int(number) * _QUANTITY_MI[unit]


def test_ephemeral_storage_is_bounded_and_fits_the_emptydirs(
    renders: dict[str, list[Manifest]], scenario: str
) -> None:
    """Every container requests and limits ephemeral storage, every emptyDir has a size limit, and the
    pod's emptyDirs fit inside the sum of its container limits (the kubelet's per-pod eviction bound)."""
    for manifest, spec, _ in _pods(renders[scenario]):
        for container in containers(spec):
            resources = container["resources"]
            for side in ("requests", "limits"):
                assert "ephemeral-storage" in resources[side], f"{manifest}: {container['name']} {side}"
        empty_dirs = [volume for volume in spec.get("volumes", []) if "emptyDir" in volume]
        assert all("sizeLimit" in volume["emptyDir"] for volume in empty_dirs), f"{manifest}: {empty_dirs}"
        scratch = sum(_mebibytes(volume["emptyDir"]["sizeLimit"]) for volume in empty_dirs)
        pod_limit = sum(_mebibytes(c["resources"]["limits"]["ephemeral-storage"]) for c in spec["containers"])
        assert scratch < pod_limit, f"{manifest}: emptyDirs of {scratch} MiB do not fit its {pod_limit} MiB"


def _selected(manifests: list[Manifest], selector: dict[str, Any]) -> list[Manifest]:
    labels = selector.get("matchLabels", {})
    return [m for m in workloads(manifests) if matches(labels, pod_labels(m))]


def test_network_policies_select_real_pods(renders: dict[str, list[Manifest]], scenario: str) -> None:
    manifests = renders[scenario]
    policies = of_kind(manifests, "NetworkPolicy")
    if not _values(scenario)["networkPolicy"]["enabled"]:
        assert not policies
        return
    problems: list[str] = []
    for policy in policies:
        spec = policy.body["spec"]
        if not _selected(manifests, spec["podSelector"]):
            problems.append(f"{policy}: podSelector matches no pod")
        for rule in [*spec.get("ingress", []), *spec.get("egress", [])]:
            for peer in [*rule.get("from", []), *rule.get("to", [])]:
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    targets = _selected(manifests, peer["podSelector"])
                    if not targets:
                        problems.append(f"{policy}: peer {peer['podSelector']} matches no pod")
                    for target in targets:
                        target_spec = pod_spec(target)
                        assert target_spec is not None
                        _, numbers = _container_ports(target_spec)
                        for port in rule.get("ports", []):
                            if "to" in rule and port["port"] not in numbers:
                                problems.append(
                                    f"{policy}: egress port {port['port']} is not open on {target}"
                                )
    assert not problems, "\n".join(problems)


def _allowed_ingress(manifests: list[Manifest], target: str) -> set[str]:
    """Components allowed into `target` by pod peers."""
    sources: set[str] = set()
    for policy in of_kind(manifests, "NetworkPolicy"):
        spec = policy.body["spec"]
        if spec["podSelector"].get("matchLabels", {}).get(COMPONENT) != target:
            continue
        for rule in spec.get("ingress", []):
            for peer in rule.get("from", []):
                sources.add(peer.get("podSelector", {}).get("matchLabels", {}).get(COMPONENT, "*"))
            if "from" not in rule:
                sources.add("*")
    return sources


def test_network_policies_allow_exactly_the_app_flows(renders: dict[str, list[Manifest]]) -> None:
    manifests = renders["dev-values"]
    deny = named(manifests, "NetworkPolicy", f"{fullname('dev-values')}-default-deny").body["spec"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    assert _allowed_ingress(manifests, "frontend") == {"*"}
    assert _allowed_ingress(manifests, "backend") == {"frontend", "test"}
    assert _allowed_ingress(manifests, "mcp") == {"backend"}
    assert _allowed_ingress(manifests, "postgresql") == {"backend", "mcp", "migrate"}
    assert _allowed_ingress(manifests, "migrate") == set()
    # rules engine: no egress to any address block (no LLM, in-cluster database).
    backend = named(manifests, "NetworkPolicy", f"{fullname('dev-values')}-backend-policy").body["spec"]
    assert not [peer for rule in backend["egress"] for peer in rule["to"] if "ipBlock" in peer]


def test_openai_engine_opens_only_the_llm_egress(renders: dict[str, list[Manifest]]) -> None:
    backend = named(renders["openai-values"], "NetworkPolicy", f"{DEFAULT_FULLNAME}-backend-policy").body[
        "spec"
    ]
    blocks = [
        (peer["ipBlock"]["cidr"], rule["ports"])
        for rule in backend["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
    ]
    assert blocks == [("203.0.113.0/24", [{"protocol": "TCP", "port": 443}])]


def test_external_database_egress_and_no_statefulset(renders: dict[str, list[Manifest]]) -> None:
    manifests = renders["external-db-values"]
    assert not of_kind(manifests, "StatefulSet")
    for component in ("backend", "mcp", "migrate"):
        policy = named(manifests, "NetworkPolicy", f"{DEFAULT_FULLNAME}-{component}-policy").body["spec"]
        blocks = [
            (peer["ipBlock"]["cidr"], rule["ports"][0]["port"])
            for rule in policy["egress"]
            for peer in rule["to"]
            if "ipBlock" in peer
        ]
        assert blocks == [("0.0.0.0/0", 5432)], component


def _existing_secret_names(values: dict[str, Any]) -> set[str]:
    names = set()
    if not values["secrets"]["create"]:
        names |= {values["secrets"][kind]["existingSecret"] for kind in ("app", "database", "llm")}
    return names


def test_referenced_secrets_and_config_maps_exist(renders: dict[str, list[Manifest]], scenario: str) -> None:
    manifests = renders[scenario]
    values = _values(scenario)
    rendered_secrets = {m.name: m for m in of_kind(manifests, "Secret")}
    rendered_maps = {m.name for m in of_kind(manifests, "ConfigMap")}
    existing = _existing_secret_names(values)
    problems: list[str] = []
    for manifest, spec, _ in _pods(manifests):
        refs: list[tuple[str, str | None]] = []
        for container in containers(spec):
            for item in container.get("env", []):
                if ref := item.get("valueFrom", {}).get("secretKeyRef"):
                    refs.append((ref["name"], ref["key"]))
            for source in container.get("envFrom", []):
                if source["configMapRef"]["name"] not in rendered_maps:
                    problems.append(f"{manifest}: ConfigMap {source['configMapRef']['name']} is not rendered")
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                for item in volume["secret"].get("items", [{"key": None}]):
                    refs.append((volume["secret"]["secretName"], item["key"]))
        for name, key in refs:
            if name in rendered_secrets:
                if key is not None and key not in rendered_secrets[name].body["data"]:
                    problems.append(f"{manifest}: Secret {name} has no key {key}")
            elif name not in existing:
                problems.append(f"{manifest}: Secret {name} is neither rendered nor declared existing")
    assert not problems, "\n".join(problems)
    if values["secrets"]["create"]:
        assert not (existing & set(rendered_secrets))
    else:
        assert not rendered_secrets, "existing-Secret mode must not render Secrets"


def test_every_pod_is_restricted(renders: dict[str, list[Manifest]], scenario: str) -> None:
    """Pod Security Standards "restricted", checked field by field on every pod the chart makes."""
    for manifest, spec, component in _pods(renders[scenario]):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000, manifest
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", manifest
        assert spec["automountServiceAccountToken"] is False, manifest
        assert spec["serviceAccountName"].endswith(f"-{component}"), manifest
        for volume in spec.get("volumes", []):
            assert set(volume) - {"name"} <= {"emptyDir", "secret", "configMap", "persistentVolumeClaim"}, (
                volume
            )
        for container in containers(spec):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, manifest
            assert security["capabilities"]["drop"] == ["ALL"] and "add" not in security["capabilities"]
            assert security["readOnlyRootFilesystem"] is True, manifest
            assert security["runAsNonRoot"] is True and security["runAsUser"] == 10001, manifest
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], manifest
            assert container["resources"]["requests"] and container["resources"]["limits"], manifest


def test_service_accounts_exist_for_every_pod(renders: dict[str, list[Manifest]], scenario: str) -> None:
    accounts = {m.name: m for m in of_kind(renders[scenario], "ServiceAccount")}
    for manifest, spec, _ in _pods(renders[scenario]):
        account = accounts.get(spec["serviceAccountName"])
        assert account is not None, f"{manifest}: ServiceAccount {spec['serviceAccountName']} is not rendered"
        assert account.body["automountServiceAccountToken"] is False
