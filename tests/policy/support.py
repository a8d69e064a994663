"""Calls the policy pack's policies the way the analyzer does: properties behind pulumi-policy's
unknown-checking proxy, the provider as a PolicyProviderResource, violations collected in order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tests.program.harness import ProgramRun, Registration, unwrap
from todo_policy import POLICIES

# What the engine sends for a value that preview does not know yet.
UNKNOWN = UNKNOWN_STRING_VALUE
PROJECT = "todo-chatbot"


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_}::{name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def provider(name: str = "cluster-k8s", stack: str = "dev", **props: Any) -> PolicyProviderResource:
    type_ = "pulumi:providers:kubernetes"
    return PolicyProviderResource(type_, unknown_checking_proxy(props), urn(stack, type_, name), name)


def resource_args(
    type_: str,
    name: str,
    props: Mapping[str, Any],
    *,
    stack: str = "dev",
    provider: PolicyProviderResource | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        type_, unknown_checking_proxy(dict(props)), urn(stack, type_, name), name, _options(), provider
    )


def stack_resource(type_: str, name: str, props: Mapping[str, Any], *, stack: str = "dev") -> PolicyResource:
    return PolicyResource(
        type_,
        unknown_checking_proxy(dict(props)),
        urn(stack, type_, name),
        name,
        _options(),
        None,
        None,
        [],
        {},
    )


def _policy(name: str) -> Any:
    found = [policy for policy in POLICIES if policy.name == name]
    assert len(found) == 1, f"no policy {name!r} in the pack"
    return found[0]


def violations(policy_name: str, args: ResourceValidationArgs) -> list[str]:
    """The messages one resource policy reports for one resource, in order."""
    policy = _policy(policy_name)
    assert isinstance(policy, ResourceValidationPolicy)
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    assert policy.validate(args, report) is None  # synchronous: nothing left to await
    return reported


def stack_violations(policy_name: str, resources: list[PolicyResource]) -> list[tuple[str, str]]:
    """(resource name, message) of every violation a stack policy reports."""
    policy = _policy(policy_name)
    assert isinstance(policy, StackValidationPolicy)
    reported: list[tuple[str, str]] = []

    def report(message: str, urn: str | None = None) -> None:
        assert urn is not None, "a stack violation must name its resource"
        reported.append((urn.rsplit("::", 1)[1], message))

    assert policy.validate(StackValidationArgs(resources), report) is None
    return reported


def _provider_of(run: ProgramRun, registration: Registration, stack: str) -> PolicyProviderResource | None:
    if not registration.provider:
        return None
    provider_urn = registration.provider.rsplit("::", 1)[0]
    declared = run.by_urn(provider_urn)
    return provider(declared.name, stack, **unwrap(declared.inputs))


def program_inputs(
    run: ProgramRun, stack: str
) -> list[tuple[str, str, dict[str, Any], PolicyProviderResource | None]]:
    """(type, name, inputs, provider) of every resource the program declared with inputs: its custom
    resources and the components that pass any (the analyzer sees both)."""
    return [
        (r.type, r.name, unwrap(r.inputs), _provider_of(run, r, stack))
        for r in run.registrations
        if r.custom or r.inputs
    ]


def program_resources(run: ProgramRun, stack: str) -> list[tuple[str, ResourceValidationArgs]]:
    """(resource name, validation args) of every resource program_inputs lists."""
    return [
        (name, resource_args(type_, name, props, stack=stack, provider=bound_to))
        for type_, name, props, bound_to in program_inputs(run, stack)
    ]


def program_stack(run: ProgramRun, stack: str) -> list[PolicyResource]:
    """The program's resources for a stack policy (their inputs, which the mocks echo as outputs),
    plus the Stack resource with the program's exports."""
    resources = [stack_resource(r.type, r.name, unwrap(r.inputs), stack=stack) for r in run.registrations]
    stack_name = f"{PROJECT}-{stack}"
    resources.append(
        stack_resource("pulumi:pulumi:Stack", stack_name, unwrap(run.stack_outputs), stack=stack)
    )
    return resources
