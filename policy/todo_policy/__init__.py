"""The Todo Chatbot review policy pack: the rules of rules.py as pulumi-policy policies."""

from __future__ import annotations

from typing import Any

import pulumi.runtime
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

from todo_policy.rendered import RENDERED_RULES
from todo_policy.rules import RESOURCE_RULES, STACK_RULES, Resource, Rule, StackRule
from todo_policy.values import Finding, plain

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
        # pulumi-policy configures the runtime from the engine's settings before each validation.
        dry_run=bool(pulumi.runtime.is_dry_run()),
    )


def _crash(error: Exception) -> Finding:
    """A rule that failed on input it did not expect: reported, so the preview still shows the rest."""
    return Finding(
        "(the whole resource)",
        f"could not be checked: the rule failed with {type(error).__name__}: {error}.",
        "this is a bug in policy/todo_policy/rules.py: report it with this message.",
    )


def _description(rule: Rule | StackRule) -> str:
    # The CLI prints the description above each violation: the rule, then why it exists.
    return f"{rule.description} Why: {rule.reason}"


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    """A resource rule as a pulumi-policy policy that reports each finding with the resource's name."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = resource_of(args)
        try:
            findings = rule.check(resource)
        except Exception as error:  # one violation naming the rule beats a failed preview
            findings = [_crash(error)]
        for finding in findings:
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
        try:
            findings = rule.check(resources)
        except Exception as error:  # one violation naming the rule beats a failed preview
            report_violation(_crash(error).message("the stack"), None)
            return
        for resource, finding in findings:
            report_violation(finding.message(resource.name), resource.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=_description(rule),
        validate=validate,
        enforcement_level=rule.level,
    )


POLICIES: list[Policy] = [
    *(resource_policy(rule) for rule in (*RESOURCE_RULES, *RENDERED_RULES)),
    *(stack_policy(rule) for rule in STACK_RULES),
]
