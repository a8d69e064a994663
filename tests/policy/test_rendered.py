"""The pack's rules on the rendered objects (policy/todo_policy/rendered.py): the program's own renders
(dev and staging, the real chart through `helm template`) pass; any one weakening of any container or
pod of any workload, generated, is reported naming exactly that object and field path; values not known
in preview pass."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policy.support import (
    UNKNOWN,
    program_stack,
    resource_args,
    stack_resource,
    stack_violations,
    violations,
)
from tests.program.conftest import STAGING_SECRETS
from tests.program.harness import ProgramRun, run_program, unwrap
from todo_policy.rendered import POD_SPEC_PATHS, RELEASE_COMPONENT, RENDERED_OBJECTS

RULES = ("pod-security-restricted", "rendered-images-by-digest", "rendered-resources-set")


@pytest.fixture(scope="module")
def renders() -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, ProgramRun] = {
        "dev": run_program("dev"),
        "staging": run_program("staging", secret_config=STAGING_SECRETS),
    }
    return {stack: unwrap(run.one(RELEASE_COMPONENT).inputs[RENDERED_OBJECTS]) for stack, run in runs.items()}


def _component(objects: list[dict[str, Any]], stack: str = "dev") -> Any:
    return resource_args(RELEASE_COMPONENT, "release", {RENDERED_OBJECTS: objects}, stack=stack)


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: Any = obj
    for key in POD_SPEC_PATHS[obj["kind"]]:
        spec = spec[key]
    assert isinstance(spec, dict)
    return spec


def _workloads(objects: list[dict[str, Any]]) -> list[int]:
    return [i for i, obj in enumerate(objects) if obj.get("kind") in POD_SPEC_PATHS]


def _label(obj: dict[str, Any]) -> str:
    return f"{RENDERED_OBJECTS}[{obj['kind']} {obj['metadata']['namespace']}/{obj['metadata']['name']}]"


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_programs_renders_pass_and_are_workloads(
    stack: str, renders: dict[str, list[dict[str, Any]]]
) -> None:
    objects = renders[stack]
    assert len(_workloads(objects)) >= 4  # three Deployments and the migration Job (and PostgreSQL on dev)
    for rule in RULES:
        assert violations(rule, _component(objects, stack)) == [], rule


def test_values_unknown_in_preview_pass(renders: dict[str, list[dict[str, Any]]]) -> None:
    objects = copy.deepcopy(renders["dev"])
    for index in _workloads(objects):
        for container in _pod_spec(objects[index])["containers"]:
            container["image"] = UNKNOWN
            container["securityContext"] = {
                **container["securityContext"],
                "allowPrivilegeEscalation": UNKNOWN,
            }
    for rule in RULES:
        assert violations(rule, _component(objects)) == [], rule


# One weakening each: (rule, field under the container or the pod, how to apply it).
Weakening = tuple[str, str, Callable[[dict[str, Any], dict[str, Any]], None]]
CONTAINER_WEAKENINGS: list[Weakening] = [
    (
        "pod-security-restricted",
        "securityContext.runAsNonRoot",
        lambda c, p: c["securityContext"].update(runAsNonRoot=False),
    ),
    (
        "pod-security-restricted",
        "securityContext.allowPrivilegeEscalation",
        lambda c, p: c["securityContext"].pop("allowPrivilegeEscalation"),
    ),
    (
        "pod-security-restricted",
        "securityContext.privileged",
        lambda c, p: c["securityContext"].update(privileged=True),
    ),
    (
        "pod-security-restricted",
        "securityContext.capabilities.drop",
        lambda c, p: c["securityContext"].update(capabilities={"drop": []}),
    ),
    (
        "pod-security-restricted",
        "securityContext.capabilities.add",
        lambda c, p: c["securityContext"].update(capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]}),
    ),
    (
        "pod-security-restricted",
        "securityContext.runAsUser",
        lambda c, p: c["securityContext"].update(runAsUser=0),
    ),
    (
        "pod-security-restricted",
        "securityContext.seccompProfile.type",
        lambda c, p: c["securityContext"].update(seccompProfile={"type": "Unconfined"}),
    ),
    (
        "pod-security-restricted",
        "securityContext.procMount",
        lambda c, p: c["securityContext"].update(procMount="Unmasked"),
    ),
    ("rendered-images-by-digest", "image", lambda c, p: c.update(image="docker.io/library/busybox:latest")),
    ("rendered-resources-set", "resources", lambda c, p: c["resources"].pop("limits")),
]
POD_WEAKENINGS: list[Weakening] = [
    ("pod-security-restricted", "hostNetwork", lambda c, p: p.update(hostNetwork=True)),
    (
        "pod-security-restricted",
        "volumes[host]",
        lambda c, p: p.setdefault("volumes", []).append({"name": "host", "hostPath": {"path": "/"}}),
    ),
]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), weakening=st.sampled_from(CONTAINER_WEAKENINGS + POD_WEAKENINGS))
def test_any_weakening_of_any_workload_is_named_by_object_and_path(
    data: st.DataObject, weakening: Weakening, renders: dict[str, list[dict[str, Any]]]
) -> None:
    stack = data.draw(st.sampled_from(sorted(renders)))
    objects = copy.deepcopy(renders[stack])
    index = data.draw(st.sampled_from(_workloads(objects)))
    spec = _pod_spec(objects[index])
    container_list = data.draw(st.sampled_from([k for k in ("initContainers", "containers") if spec.get(k)]))
    container = data.draw(st.sampled_from(spec[container_list]))
    rule, field, weaken = weakening
    weaken(container, spec)
    pod_path = f"{_label(objects[index])}.{'.'.join(POD_SPEC_PATHS[objects[index]['kind']])}"
    where = (
        f"{pod_path}.{container_list}[{container['name']}].{field}"
        if weakening in CONTAINER_WEAKENINGS
        else f"{pod_path}.{field}"
    )
    found = violations(rule, _component(objects, stack))
    assert found and all(message.startswith(f"release: {where} ") for message in found), (where, found)
    for other in RULES:
        if other != rule:
            assert violations(other, _component(objects, stack)) == [], other


def test_a_violation_reads_object_field_problem_and_fix(renders: dict[str, list[dict[str, Any]]]) -> None:
    objects = copy.deepcopy(renders["dev"])
    backend = next(
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-backend")
    )
    _pod_spec(backend)["containers"][0]["securityContext"]["runAsNonRoot"] = False
    [message] = violations("pod-security-restricted", _component(objects))
    name = backend["metadata"]["name"]
    assert message.startswith(
        f"release: {RENDERED_OBJECTS}[Deployment todo/{name}].spec.template.spec.containers[backend]"
        ".securityContext.runAsNonRoot is false. Fix: change the chart (charts/todo-chatbot"
    ), message


def test_a_secret_value_a_template_copies_into_an_object_is_found() -> None:
    # The stack rule walks every resource's inputs, the rendered objects included.
    run = run_program("dev")
    resources = program_stack(run, "dev")
    app = run.named("secrets-app")
    leaked = str(unwrap(app.inputs["stringData"])["jwt-secret"])
    objects = copy.deepcopy(unwrap(run.one(RELEASE_COMPONENT).inputs[RENDERED_OBJECTS]))
    config_map = next(o for o in objects if o["kind"] == "ConfigMap")
    config_map["data"]["LEAKED"] = leaked
    index = next(i for i, r in enumerate(resources) if r.resource_type == RELEASE_COMPONENT)
    resources[index] = stack_resource(RELEASE_COMPONENT, "release", {RENDERED_OBJECTS: objects})
    found = stack_violations("no-secret-values-outside-secrets", resources)
    assert len(leaked) >= 8 and [name for name, _ in found] == ["release"], found
    assert "LEAKED" in found[0][1] and RENDERED_OBJECTS in found[0][1] and leaked not in found[0][1], found
