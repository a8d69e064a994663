"""The namespaces the stack declares: marked with the stack that owns them, an adopted one retained on
delete, and a namespace that exists without being the stack's never declared unless adopted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.target import ADOPTED_ANNOTATION, PART_OF_LABELS, STACK_ANNOTATION, ownership_problem
from tests.program.harness import NAMESPACE, run_program, unwrap

STACK = "todo-chatbot/dev"
WHERE = "kube context 'minikube'"


def _namespace(
    labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    """A namespace as `kubectl get namespace -o json` prints it."""
    return {"kind": "Namespace", "metadata": {"name": "todo", "labels": labels, "annotations": annotations}}


def test_the_app_namespace_names_its_stack_and_is_deleted_with_it(context: Path) -> None:
    namespace = run_program("dev", context=context).one(NAMESPACE)
    metadata = unwrap(namespace.inputs)["metadata"]
    assert metadata["annotations"] == {STACK_ANNOTATION: STACK}
    assert not namespace.retain_on_delete


def test_an_adopted_namespace_is_marked_and_retained_on_delete(context: Path) -> None:
    namespace = run_program("dev", {"adoptNamespace": True}, context=context).one(NAMESPACE)
    metadata = unwrap(namespace.inputs)["metadata"]
    assert metadata["annotations"] == {STACK_ANNOTATION: STACK, ADOPTED_ANNOTATION: "true"}
    assert namespace.retain_on_delete


def test_kagents_namespace_is_the_stacks_own(context: Path) -> None:
    run = run_program(
        "dev", {"aiOpsEnabled": True}, secret_config={"openaiApiKey": "sk-fake-1"}, context=context
    )
    namespaces = {unwrap(n.inputs)["metadata"]["name"]: n for n in run.of_type(NAMESPACE)}
    assert unwrap(namespaces["kagent"].inputs)["metadata"]["annotations"] == {STACK_ANNOTATION: STACK}
    assert not namespaces["kagent"].retain_on_delete


# (what the API server has, adopt, fragment of the refusal or None when the stack may declare it)
OWNERSHIP: list[tuple[dict[str, Any] | None, bool, str | None]] = [
    (None, False, None),
    (None, True, "does not exist in kube context 'minikube', but adoptNamespace is true"),
    (_namespace({"kubernetes.io/metadata.name": "todo"}), False, "already exists in kube context 'minikube'"),
    (_namespace({"kubernetes.io/metadata.name": "todo"}), True, None),
    (_namespace(annotations={STACK_ANNOTATION: STACK}), False, None),
    (_namespace(annotations={STACK_ANNOTATION: STACK}), True, None),
    # Created by this program before it annotated the stack: its labels say so.
    (_namespace(PART_OF_LABELS), False, None),
    (_namespace(PART_OF_LABELS, {STACK_ANNOTATION: "todo-chatbot/staging"}), False, "belongs to stack"),
    (_namespace(annotations={STACK_ANNOTATION: "todo-chatbot/staging"}), True, "belongs to stack"),
    (_namespace(annotations={STACK_ANNOTATION: STACK, ADOPTED_ANNOTATION: "true"}), True, None),
    (
        _namespace(annotations={STACK_ANNOTATION: STACK, ADOPTED_ANNOTATION: "true"}),
        False,
        "existed before this stack adopted it",
    ),
]


@pytest.mark.parametrize(("live", "adopt", "fragment"), OWNERSHIP)
def test_the_stack_declares_only_a_namespace_it_owns_or_adopts(
    live: dict[str, Any] | None, adopt: bool, fragment: str | None
) -> None:
    problem = ownership_problem(live, "todo", adopt=adopt, setting="namespace", where=WHERE, stack=STACK)
    if fragment is None:
        assert problem is None
    else:
        assert problem is not None and fragment in problem, problem
        assert "pulumi config set" in problem or "kubectl create namespace todo" in problem


def test_a_foreign_namespace_is_refused_with_both_ways_out() -> None:
    problem = ownership_problem(
        _namespace(), "todo", adopt=False, setting="namespace", where=WHERE, stack=STACK
    )
    assert problem is not None
    assert "`pulumi destroy` would delete it with everything in it" in problem
    assert "pulumi config set namespace <name> --stack dev" in problem
    assert "pulumi config set adoptNamespace true --stack dev" in problem


def test_kagents_namespace_is_never_adopted() -> None:
    problem = ownership_problem(
        _namespace(), "kagent", adopt=False, setting="aiOpsNamespace", where=WHERE, stack=STACK
    )
    assert problem is not None and "pulumi config set aiOpsNamespace <name>" in problem
    assert "adoptNamespace" not in problem
