"""Evaluate the rules over an offline plan (`mlops plan STACK --json`), with waivers.

Evaluation is a pure function of its arguments: the same plan, environment, waivers and `today`
always give the same violations in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from policy.framework import (
    ENVIRONMENTS,
    Context,
    Resource,
    ResourceOptions,
    Rule,
    Stack,
    Violation,
    Waiver,
)
from policy.rules import RULES

__all__ = ["RULES", "Resource", "ResourceOptions", "Violation", "Waiver", "evaluate", "evaluate_resources", "rules_table"]


def evaluate(resources: Sequence[Mapping[str, Any]], environment: str, waivers: Sequence[Waiver] = (), *,
             today: date | None = None, rules: Sequence[Rule] = RULES) -> list[Violation]:
    """Run `rules` over the plan's resources as they would be enforced in `environment`.

    Args:
        resources: the plan's resource entries (`urn`, `type`, `name`, `parent`, `inputs`, `options`).
        environment: dev, test or prod; decides which checks apply and which violations block.
        waivers: exceptions; a matching waiver that has not expired marks the violation "waived".
        today: the date waiver expiry is judged against; required when there are waivers.
        rules: the rules to run (all of them by default).

    Returns:
        Violations sorted by rule id, resource URN and message.

    Raises:
        ValueError: unknown environment, waivers without `today`, a waiver for an unknown rule, or a
            malformed resource entry.
    """
    return evaluate_resources(
        [Resource.from_plan(entry) for entry in resources], environment, waivers, today=today, rules=rules
    )


def evaluate_resources(resources: Iterable[Resource], environment: str, waivers: Sequence[Waiver] = (), *,
                       today: date | None = None, rules: Sequence[Rule] = RULES) -> list[Violation]:
    """``evaluate`` over typed resources (the offline plan builds them without a JSON round trip)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {environment!r}; expected one of {', '.join(ENVIRONMENTS)}")
    if waivers and today is None:
        raise ValueError("pass today=date(...) to judge waiver expiry")
    known = {rule.id for rule in rules}
    unknown = sorted({waiver.rule for waiver in waivers} - known)
    if unknown:
        raise ValueError(f"waivers name unknown rules: {', '.join(unknown)}; see `mlops policy list`")

    stack = Stack(resources)
    context = Context(environment)
    violations = [
        _apply_waivers(Violation(rule=rule.id, severity=rule.severity, resource=resource.urn, message=message,
                                 enforcement=rule.enforcement(environment), resource_name=resource.name,
                                 resource_type=resource.type),
                       waivers, today)
        for rule in rules
        for resource, message in _findings(rule, stack, context)
    ]
    return sorted(violations, key=lambda v: (v.rule, v.resource, v.message))


def _findings(rule: Rule, stack: Stack, context: Context) -> Iterable[tuple[Resource, str]]:
    """(resource, message) for every problem `rule` finds in `stack`."""
    if rule.check_stack is not None:
        yield from rule.check_stack(stack, context)
        return
    for resource in stack.of_type(*rule.resource_types):
        for message in rule.check(resource, context):
            yield resource, message


def _apply_waivers(violation: Violation, waivers: Sequence[Waiver], today: date | None) -> Violation:
    matching = [w for w in waivers if w.rule == violation.rule and fnmatchcase(violation.resource_name, w.resource)]
    if not matching:
        return violation
    active = [w for w in matching if not w.expired(today)]
    if active:
        return replace(violation, enforcement="waived", waiver=active[0])
    return replace(violation, waiver=matching[0])


def rules_table(rules: Sequence[Rule] = RULES) -> list[dict[str, Any]]:
    """One row per rule for `mlops policy list --json`."""
    return [
        {
            "id": rule.id,
            "title": rule.title,
            "severity": rule.severity,
            "service": rule.service,
            "kind": rule.kind,
            "anchors": list(rule.anchors),
            "mandatory_in": [env for env in ENVIRONMENTS if env in rule.mandatory_in],
        }
        for rule in rules
    ]
