"""The Todo Chatbot review policy pack: the rules of rules.py as pulumi-policy policies."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    Policy,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from todo_policy.rules import RESOURCE_RULES, STACK_RULES, Resource, Rule, StackRule
from todo_policy.values import plain

PACK_NAME = "todo-chatbot"


def _provider(provider: PolicyProviderResource | None) -> Resource | None:
    if provider is None:
        return None
    return Resource(provider.resource_type, provider.name, provider.urn, plain(provider.props))


def resource_of(args: ResourceValidationArgs | PolicyResource) -> Resource:
    """The rule's view of a resource as pulumi-policy hands it over (inputs or, for the stack, outputs)."""
    props: Any = plain(args.props)
    return Resource(
        args.resource_type,
        args.name,
        args.urn,
        props if isinstance(props, dict) else {},
        _provider(args.provider),
    )


def _description(rule: Rule | StackRule) -> str:
    # The CLI prints the description above each violation: the rule, then why it exists.
    return f"{rule.description} Why: {rule.reason}"


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    """A resource rule as a pulumi-policy policy that reports each finding with the resource's name."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = resource_of(args)
        for finding in rule.check(resource):
            report_violation(finding.message(resource.name), None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=_description(rule),
        validate=validate,
        enforcement_level=rule.level,
    )


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    """A stack rule as a pulumi-policy policy that reports each finding against its resource's URN."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [resource_of(resource) for resource in args.resources]
        for resource, finding in rule.check(resources):
            report_violation(finding.message(resource.name), resource.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=_description(rule),
        validate=validate,
        enforcement_level=rule.level,
    )


POLICIES: list[Policy] = [
    *(resource_policy(rule) for rule in RESOURCE_RULES),
    *(stack_policy(rule) for rule in STACK_RULES),
]
