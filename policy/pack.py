"""Run the platform rules inside a Pulumi policy pack (`pulumi preview --policy-pack policy`).

Each rule becomes one pulumi_policy policy named by its id: resource rules a
`ResourceValidationPolicy`, stack rules a `StackValidationPolicy`. The validate functions adapt
pulumi_policy's arguments to `policy.framework.Resource` and call the very check functions
`mlops plan` uses.

A policy's enforcement level is fixed when the pack starts, so the pack is built for one
environment. The CLI names the stack in `PULUMI_STACK` when it starts a Python policy pack
(`__main__.py` reads it). Without it, every resource's environment is read from the stack name in
its URN and the levels are prod's, the strictest.

Not carried over from the offline plan: waivers (use `--policy-pack-config` to lower a policy's
level) and `retain_on_delete`, which the engine does not pass to analyzers, so the protection rules
check `protect` only.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.framework import (
    Context,
    Resource,
    ResourceOptions,
    Rule,
    Stack,
    environment_of_stack,
    stack_of_urn,
)
from policy.rules import RULES

PACK_NAME = "mlops-platform"
STRICTEST_ENVIRONMENT = "prod"


def environment_of_urn(urn: str) -> str:
    """The environment of the stack named in `urn`; prod when the stack name says nothing."""
    return environment_of_stack(stack_of_urn(urn)) or STRICTEST_ENVIRONMENT


def resource_from_args(args: ResourceValidationArgs) -> Resource:
    """Adapt the arguments of a resource validation."""
    return Resource(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        inputs=args.props,
        options=ResourceOptions(protect=bool(args.opts and args.opts.protect), retain_on_delete=None),
        parent=args.opts.parent if args.opts else None,
    )


def resource_from_stack(resource: PolicyResource) -> Resource:
    """Adapt one resource of a stack validation, keeping its dependencies."""
    return Resource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        inputs=resource.props,
        options=ResourceOptions(
            protect=bool(resource.opts and resource.opts.protect),
            retain_on_delete=None,
            depends_on=tuple(d.urn for d in resource.dependencies),
            property_dependencies={key: tuple(d.urn for d in deps)
                                   for key, deps in resource.property_dependencies.items()},
        ),
        parent=resource.parent.urn if resource.parent else (resource.opts.parent if resource.opts else None),
    )


def _resource_validation(rule: Rule, environment: str | None
                         ) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        context = Context(environment or environment_of_urn(args.urn))
        for message in rule.check(resource_from_args(args), context):
            report_violation(message, None)
    return validate


def _stack_validation(rule: Rule, environment: str | None
                      ) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [resource_from_stack(resource) for resource in args.resources]
        if not resources:
            return
        context = Context(environment or environment_of_urn(resources[0].urn))
        for resource, message in rule.check_stack(Stack(resources), context):
            report_violation(message, resource.urn)
    return validate


def build_policies(environment: str | None) -> list[Policy]:
    """One pulumi_policy policy per rule, enforced as in `environment` (prod's levels when None)."""
    policies: list[Policy] = []
    for rule in RULES:
        mandatory = rule.enforcement(environment or STRICTEST_ENVIRONMENT) == "mandatory"
        common = dict(
            name=rule.id,
            description=f"{rule.title} [{', '.join(rule.anchors)}]",
            enforcement_level=EnforcementLevel.MANDATORY if mandatory else EnforcementLevel.ADVISORY,
            severity=Severity(rule.severity),
            tags=[rule.service],
        )
        if rule.kind == "resource":
            policies.append(ResourceValidationPolicy(validate=_resource_validation(rule, environment), **common))
        else:
            policies.append(StackValidationPolicy(validate=_stack_validation(rule, environment), **common))
    return policies
