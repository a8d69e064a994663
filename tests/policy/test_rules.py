"""Each policy of the pack on compliant and non-compliant resources, with the exact violations.

The compliant inputs are the program's own: __main__.py run under Pulumi's mocks for dev and staging
(tests/program/harness.py), handed to every policy as the analyzer hands them over."""

from __future__ import annotations

import base64
import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pulumi.runtime
import pytest
import yaml
from pulumi_policy import EnforcementLevel

from components import settings
from components.services import SERVICE_NAMES
from tests.policy.support import (
    UNKNOWN,
    program_inputs,
    program_resources,
    program_stack,
    provider,
    resource_args,
    stack_resource,
    stack_violations,
    violations,
)
from tests.program.conftest import STAGING_SECRETS
from tests.program.harness import REPO, ProgramRun, run_program
from todo_policy import POLICIES, resource_policy
from todo_policy.rules import REPLICAS_MAX, Resource, Rule, quantity
from todo_policy.values import Finding

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "./charts/todo-chatbot"
DIGEST = "sha256:" + "a" * 64
RESOURCE_POLICIES = [
    "images-by-digest",
    "no-secrets-in-helm-values",
    "explicit-kube-context",
    "replicas-and-resources-within-bounds",
    "registry-credentials-only-in-secrets",
    "durable-database-outside-dev",
    "pod-security-restricted",
    "rendered-images-by-digest",
    "rendered-resources-set",
]


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_program("dev")


@pytest.fixture(scope="module")
def staging() -> ProgramRun:
    return run_program("staging", secret_config=STAGING_SECRETS)


def _values(run: ProgramRun) -> dict[str, Any]:
    return copy.deepcopy(run.release_values())


def _release(values: Any, *, stack: str = "dev", chart: str = CHART) -> Any:
    return resource_args(
        RELEASE,
        "release-chart",
        {"chart": chart, "values": values},
        stack=stack,
        provider=provider(context="minikube"),
    )


# --- the pack as a whole -----------------------------------------------------------------------


def test_every_rule_is_in_the_pack_with_its_level_and_reason() -> None:
    names = [policy.name for policy in POLICIES]
    assert names == [*RESOURCE_POLICIES, "no-secret-values-outside-secrets"]
    for policy in POLICIES:
        assert policy.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY)
        assert " Why: " in policy.description, policy.name


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_programs_own_stacks_pass_every_rule(stack: str, dev: ProgramRun, staging: ProgramRun) -> None:
    run = dev if stack == "dev" else staging
    for policy_name in RESOURCE_POLICIES:
        for name, args in program_resources(run, stack):
            assert violations(policy_name, args) == [], f"{policy_name} on {name}"
    assert stack_violations("no-secret-values-outside-secrets", program_stack(run, stack)) == []


def test_values_unknown_during_preview_pass(dev: ProgramRun) -> None:
    values = _values(dev)
    for service in SERVICE_NAMES:
        values["images"][service]["digest"] = UNKNOWN
    values["postgresql"]["image"]["digest"] = UNKNOWN
    values["secrets"]["revision"] = UNKNOWN
    for policy_name in RESOURCE_POLICIES:
        assert violations(policy_name, _release(values)) == [], policy_name


def _unknown_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _unknown_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unknown_leaves(item) for item in value]
    return UNKNOWN


@pytest.mark.parametrize("blur", ["every input", "every leaf"])
def test_inputs_unknown_during_preview_raise_nothing_and_pass(blur: str, dev: ProgramRun) -> None:
    # In preview a Secret's stringData or a release's values may be unknown as a whole or in part.
    for type_, name, props, bound_to in program_inputs(dev, "dev"):
        blurred = dict.fromkeys(props, UNKNOWN) if blur == "every input" else _unknown_leaves(props)
        args = resource_args(type_, name, blurred, provider=bound_to)
        for policy_name in RESOURCE_POLICIES:
            assert violations(policy_name, args) == [], f"{policy_name} on {name}"


def test_a_rule_that_fails_reports_one_violation_instead_of_failing_the_preview() -> None:
    def broken(resource: Resource) -> list[Finding]:
        raise KeyError("values")

    policy = resource_policy(Rule("broken", EnforcementLevel.MANDATORY, "Asks.", "Because.", broken))
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    policy.validate(_release({}), report)
    assert reported == [
        "release-chart: (the whole resource) could not be checked: the rule failed with KeyError: "
        "'values'. Fix: this is a bug in policy/todo_policy/rules.py: report it with this message."
    ]


# --- images by digest --------------------------------------------------------------------------


def test_an_image_without_digest_is_pulled_by_tag(dev: ProgramRun) -> None:
    values = _values(dev)
    values["images"]["backend"]["digest"] = ""
    tag = values["images"]["backend"]["tag"]
    del values["images"]["frontend"]["digest"]
    frontend_tag = values["images"]["frontend"]["tag"]
    values["images"]["mcp"]["digest"] = "sha256:abc"
    fix = (
        " Fix: pass the pushed image's digest (the docker.Image's repo_digest, as components/release.py "
        "does); an image that was not pushed has none."
    )
    # In the order the values list the images (the rule takes the services from them).
    assert sorted(violations("images-by-digest", _release(values))) == sorted(
        [
            f"release-chart: values.images.backend.digest is '', so the chart pulls "
            f"localhost:5000/todo-backend:{tag} by its tag." + fix,
            "release-chart: values.images.mcp.digest is 'sha256:abc', not a digest of the form "
            "sha256:<64 hex digits>." + fix,
            f"release-chart: values.images.frontend.digest is not set, so the chart pulls "
            f"localhost:5000/todo-frontend:{frontend_tag} by its tag." + fix,
        ]
    )


def test_in_preview_a_digest_not_pushed_yet_is_absent_and_passes(
    dev: ProgramRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real CLI showed it: the kubernetes provider drops unknown values from a release's values.
    values = _values(dev)
    for service in SERVICE_NAMES:
        del values["images"][service]["digest"]
    del values["postgresql"]["image"]["digest"]
    assert len(violations("images-by-digest", _release(values))) == 4
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    assert violations("images-by-digest", _release(values)) == []
    # An empty digest is a known value (an image that was not pushed): preview reports it.
    values["images"]["mcp"]["digest"] = ""
    assert [m.split(" is ")[0] for m in violations("images-by-digest", _release(values))] == [
        "release-chart: values.images.mcp.digest"
    ]


def test_the_in_cluster_database_image_needs_a_digest_too(dev: ProgramRun) -> None:
    values = _values(dev)
    del values["postgresql"]["image"]
    assert violations("images-by-digest", _release(values)) == [
        "release-chart: values.postgresql.image.digest is not set, so the chart pulls "
        "docker.io/library/postgres:<the chart appVersion> by its tag. Fix: pass the pushed image's "
        "digest (the docker.Image's repo_digest, as components/release.py does); an image that was not "
        "pushed has none."
    ]
    values["postgresql"]["mode"] = "external"
    assert violations("images-by-digest", _release(values)) == []


def test_another_charts_release_is_not_read_with_this_charts_schema() -> None:
    assert (
        violations("images-by-digest", _release({"image": {"tag": "latest"}}, chart="oci://ghcr.io/x/kagent"))
        == []
    )


# --- no secret in Helm values ------------------------------------------------------------------


def test_secret_values_in_helm_values_are_reported_without_the_value(dev: ProgramRun) -> None:
    values = _values(dev)
    jwt = "j" * 48
    values["secrets"]["create"] = True
    values["secrets"]["app"]["values"] = {"jwtSecret": jwt, "mcpToken": UNKNOWN}
    values["agent"]["openai"]["baseUrl"] = "https://user:hunter22@llm.example.com/v1"
    found = violations("no-secrets-in-helm-values", _release(values))
    into_secret = (
        " Fix: put the value in a Kubernetes Secret (components/secrets.py) and pass the chart the "
        "Secret's name."
    )
    assert found == [
        "release-chart: values.secrets.create is true, so the chart builds the Secrets from values and "
        "Helm keeps those values in every release record. Fix: leave secrets.create false and hand the "
        "chart the names of the Secrets the program creates (secrets.*.existingSecret).",
        "release-chart: values.agent.openai.baseUrl is a URL with a password in it (value not shown). "
        "Fix: keep the URL in a Kubernetes Secret (as the database-url of the release's database Secret) and "
        "pass the chart the Secret's name.",
        "release-chart: values.secrets.app.values.jwtSecret holds a credential (value not shown): Helm "
        "values are stored in plaintext in the Pulumi state and in every Helm release record." + into_secret,
        "release-chart: values.secrets.app.values.mcpToken holds a credential (value not shown): Helm "
        "values are stored in plaintext in the Pulumi state and in every Helm release record." + into_secret,
    ]
    assert not any(jwt in message or "hunter22" in message for message in found)


def test_names_of_secrets_and_boolean_switches_are_not_credentials() -> None:
    values = {
        "secrets": {"app": {"existingSecret": "todo-app"}},
        "ingress": {"tlsSecret": "todo-tls"},
        "serviceAccount": {"automountServiceAccountToken": False},
        "auth": {"password": ""},
    }
    assert violations("no-secrets-in-helm-values", _release(values, chart="./charts/other")) == []


# --- secret values outside their Secrets (stack) -------------------------------------------------


def test_a_copied_secret_value_is_reported_where_it_landed() -> None:
    url = "postgresql+psycopg://todo:s3cretpassw0rd@db:5432/todo"
    password = "p" * 32
    resources = [
        stack_resource(
            "kubernetes:core/v1:Secret",
            "secrets-database",
            {"metadata": {"name": "todo-database"}, "stringData": {"database-url": url}},
        ),
        stack_resource(
            "kubernetes:core/v1:Secret",
            "secrets-app",
            {
                "metadata": {"name": "todo-app"},
                "data": {"jwt-secret": base64.b64encode(b"jwt-" + b"x" * 40).decode()},
            },
        ),
        stack_resource(
            "random:index/randomPassword:RandomPassword", "secrets-db-password", {"result": password}
        ),
        stack_resource(RELEASE, "release-chart", {"values": {"postgresql": {"url": url}, "port": 5432}}),
        stack_resource("kubernetes:core/v1:ConfigMap", "settings", {"data": {"JWT": "jwt-" + "x" * 40}}),
        stack_resource(
            "pulumi:pulumi:Stack", "todo-chatbot-dev", {"leak": f"pw={password}", "short": "todo"}
        ),
    ]
    assert stack_violations("no-secret-values-outside-secrets", resources) == [
        (
            "release-chart",
            "release-chart: values.postgresql.url holds the value of Secret 'todo-database' key "
            "'database-url' (value not shown). Fix: reference the Secret by name (existingSecret, "
            "secretKeyRef) instead of copying its value.",
        ),
        (
            "settings",
            "settings: data.JWT holds the value of Secret 'todo-app' key 'jwt-secret' (value not shown). "
            "Fix: reference the Secret by name (existingSecret, secretKeyRef) instead of copying its value.",
        ),
        (
            "todo-chatbot-dev",
            "todo-chatbot-dev: stack output 'leak' holds the value of RandomPassword 'secrets-db-password' "
            "(value not shown). Fix: export the Secret's name instead of its value.",
        ),
    ]


def test_secret_values_unknown_during_preview_or_too_short_are_not_matched() -> None:
    resources = [
        stack_resource("random:index/randomPassword:RandomPassword", "pw", {"result": UNKNOWN}),
        stack_resource("kubernetes:core/v1:Secret", "s", {"stringData": {"k": "todo"}}),
        stack_resource("pulumi:pulumi:Stack", "todo-chatbot-dev", {"namespace": "todo"}),
    ]
    assert stack_violations("no-secret-values-outside-secrets", resources) == []


# --- an explicit kube context ----------------------------------------------------------------


def test_a_provider_without_context_follows_the_current_context() -> None:
    fix = " Fix: create the provider with context=<the stack's kubeContext> (components/target.py)."
    empty = resource_args("pulumi:providers:kubernetes", "cluster-k8s", {"context": ""})
    assert violations("explicit-kube-context", empty) == [
        "cluster-k8s: context is '', so the provider deploys to whatever kubeconfig's current-context "
        "points at." + fix
    ]
    unset = resource_args("pulumi:providers:kubernetes", "cluster-k8s", {"kubeconfig": "~/.kube/config"})
    assert violations("explicit-kube-context", unset) == [
        "cluster-k8s: context is not set, so the provider deploys to whatever kubeconfig's "
        "current-context points at." + fix
    ]
    bound = resource_args("kubernetes:core/v1:Namespace", "ns", {}, provider=provider(kubeconfig="x"))
    assert violations("explicit-kube-context", bound) == [
        "ns: provider 'cluster-k8s' context is not set, so the provider deploys to whatever kubeconfig's "
        "current-context points at." + fix
    ]


def test_a_kubernetes_resource_on_the_default_provider_is_reported() -> None:
    expected = [
        "ns: provider is the default kubernetes provider, which follows kubeconfig's current-context. "
        "Fix: pass opts=ResourceOptions(provider=target.provider), the stack's provider bound to its "
        "kubeContext (components/target.py)."
    ]
    default = provider("default_4_25_0")
    assert (
        violations(
            "explicit-kube-context", resource_args("kubernetes:core/v1:Namespace", "ns", {}, provider=default)
        )
        == expected
    )
    assert (
        violations("explicit-kube-context", resource_args("kubernetes:core/v1:Namespace", "ns", {}))
        == expected
    )
    assert violations("explicit-kube-context", resource_args("docker:index/image:Image", "img", {})) == []


# --- replicas and resources within bounds --------------------------------------------------------


def test_the_replica_bound_is_the_programs() -> None:
    for service in SERVICE_NAMES:
        assert settings.INTEGER_RANGES[f"{service}Replicas"] == (1, REPLICAS_MAX)


@pytest.mark.parametrize(
    ("value", "shown"), [(0, "0"), (21.0, "21"), (2.5, "2.5"), ("3", "'3'"), (True, "true")]
)
def test_replicas_out_of_bounds(value: Any, shown: str) -> None:
    assert violations("replicas-and-resources-within-bounds", _release({"backend": {"replicas": value}})) == [
        f"release-chart: values.backend.replicas is {shown}; allowed: an integer from 1 to 20 (0 takes the "
        "service down). Fix: set backendReplicas in the stack config to 1-20."
    ]


def test_autoscaling_bounds() -> None:
    values = {"mcp": {"autoscaling": {"minReplicas": 2, "maxReplicas": 50}}}
    assert violations("replicas-and-resources-within-bounds", _release(values)) == [
        "release-chart: values.mcp.autoscaling.maxReplicas is 50; allowed: an integer from 1 to 20 (0 "
        "takes the service down). Fix: set mcpReplicas in the stack config to 1-20."
    ]


def test_container_resources_keep_limits_within_the_ceilings() -> None:
    values = {
        "backend": {"resources": {"requests": {"cpu": "50m", "memory": "160Mi"}, "limits": None}},
        "frontend": {
            "resources": {"requests": {"cpu": "3", "memory": "64Mi"}, "limits": {"cpu": "4", "memory": "3Gi"}}
        },
        "postgresql": {
            "resources": {
                "requests": {"cpu": "600m", "memory": "1Gi"},
                "limits": {"cpu": "500m", "memory": "1Gi"},
            }
        },
    }
    assert violations("replicas-and-resources-within-bounds", _release(values)) == [
        "release-chart: values.backend.resources.limits.cpu is not set, not a quantity: the container "
        "could take the whole node. Fix: give backend a cpu limit (the chart's values.yaml has one).",
        "release-chart: values.backend.resources.limits.memory is not set, not a quantity: the container "
        "could take the whole node. Fix: give backend a memory limit (the chart's values.yaml has one).",
        "release-chart: values.frontend.resources.limits.cpu is '4', above this policy's ceiling of 2 per "
        "container. Fix: lower it, or raise the ceiling in policy/todo_policy/rules.py in the same review.",
        "release-chart: values.frontend.resources.limits.memory is '3Gi', above this policy's ceiling of "
        "2Gi per container. Fix: lower it, or raise the ceiling in policy/todo_policy/rules.py in the "
        "same review.",
        "release-chart: values.postgresql.resources.requests.cpu is '600m', which is not a quantity at or "
        "below the limit '500m': the API server refuses the pod at rollout. Fix: set the cpu request at or "
        "below the limit.",
    ]


def test_the_charts_own_resources_are_within_the_bounds() -> None:
    chart_values = yaml.safe_load((REPO / "charts/todo-chatbot/values.yaml").read_text())
    assert violations("replicas-and-resources-within-bounds", _release(chart_values)) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("500m", "0.5"),
        ("2", "2"),
        (1.5, "1.5"),
        ("384Mi", str(384 * 1024**2)),
        ("1G", "1000000000"),
        ("x", None),
    ],
)
def test_quantities(text: Any, number: str | None) -> None:
    assert quantity(text) == (Decimal(number) if number is not None else None)


# --- registry credentials only as secrets --------------------------------------------------------

TO_SECRET = (
    " Fix: put it in a Secret of type kubernetes.io/dockerconfigjson and reference it by name "
    "(images.pullSecrets, imagePullSecrets)."
)


def test_registry_credentials_in_helm_values() -> None:
    values = {
        "images": {"pullSecrets": ["regcred", {"name": "x", "password": "p"}]},
        "extra": {".dockerconfigjson": "e30="},
    }
    assert violations("registry-credentials-only-in-secrets", _release(values)) == [
        "release-chart: values.extra..dockerconfigjson holds a registry credential (value not shown)."
        + TO_SECRET,
        "release-chart: values.images.pullSecrets[1] is not the name of a Secret (value not shown): the "
        "chart takes names only." + TO_SECRET,
    ]


def test_registry_credentials_in_a_config_map_or_an_untyped_secret() -> None:
    config_map = resource_args(
        "kubernetes:core/v1:ConfigMap",
        "docker",
        {"data": {"config.json": '{"auths": {}}'}},
        provider=provider(),
    )
    assert violations("registry-credentials-only-in-secrets", config_map) == [
        "docker: data.config.json holds a registry credential in a ConfigMap, readable without Secret RBAC."
        + TO_SECRET
    ]
    opaque = {"type": "Opaque", "stringData": {".dockerconfigjson": "{}"}}
    secret = resource_args("kubernetes:core/v1:Secret", "regcred", opaque)
    assert violations("registry-credentials-only-in-secrets", secret) == [
        "regcred: type is 'Opaque' for a Secret holding a registry credential: the kubelet uses only "
        "kubernetes.io/dockerconfigjson Secrets for pulls. Fix: set type: kubernetes.io/dockerconfigjson."
    ]
    typed = resource_args(
        "kubernetes:core/v1:Secret", "regcred", {**opaque, "type": "kubernetes.io/dockerconfigjson"}
    )
    assert violations("registry-credentials-only-in-secrets", typed) == []


def test_a_credential_as_a_docker_build_arg() -> None:
    image = resource_args(
        "docker:index/image:Image",
        "images-frontend",
        {"build": {"args": {"NODE_IMAGE": "node:22-slim", "NPM_TOKEN": "npm_x", "EMPTY_TOKEN": ""}}},
    )
    assert violations("registry-credentials-only-in-secrets", image) == [
        "images-frontend: build.args.NPM_TOKEN is a credential passed as a build arg (value not shown): "
        "build args are kept in the image's history, readable by anyone who can pull it. Fix: pass it as a "
        "BuildKit secret (RUN --mount=type=secret) or leave it out."
    ]


# --- durable data outside dev ------------------------------------------------------------------


def test_a_non_dev_stack_with_the_in_cluster_database_names_its_storage(dev: ProgramRun) -> None:
    values = _values(dev)
    assert violations("durable-database-outside-dev", _release(values, stack="qa")) == [
        "release-chart: values.postgresql.persistence.storageClass is '' on stack 'qa' with the in-cluster "
        "database, so its data lives on the cluster's default StorageClass, whatever that is (Minikube's "
        "is a directory on the node). Fix: use an external database (pulumi config set databaseMode "
        "external; pulumi config set --secret databaseUrl ...) or name a StorageClass with durable volumes "
        "(pulumi config set postgresStorageClass NAME)."
    ]
    assert violations("durable-database-outside-dev", _release(values, stack="dev-alice")) == []
    values["postgresql"]["persistence"]["storageClass"] = "durable-ssd"
    assert violations("durable-database-outside-dev", _release(values, stack="qa")) == []
    values["postgresql"] = {"mode": "external"}
    assert violations("durable-database-outside-dev", _release(values, stack="qa")) == []


# --- how the CLI runs the pack -------------------------------------------------------------------


def test_the_pack_runs_in_the_projects_venv_with_its_pinned_sdk() -> None:
    import pulumi_policy.version

    project = yaml.safe_load((REPO / "policy/PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    venv = (REPO / "policy" / project["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == (REPO / ".venv").resolve()
    pins = [line for line in (REPO / "policy/requirements.txt").read_text().splitlines() if "==" in line]
    assert pins == [f"pulumi-policy=={pulumi_policy.version.VERSION}"]
    assert Path(REPO / "policy/__main__.py").read_text().count("PolicyPack(") == 1
