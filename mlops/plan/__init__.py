"""The offline plan: the real program under Pulumi's mock engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from infra.config import Settings, load_settings
from infra.config.catalog import ModelSpec
# A module import: mlops.cost.estimate imports mlops.plan.diff, so either package may load first.
from mlops.cost import estimate as cost_estimate
from mlops.deploy.check import check_resources
from mlops.plan.engine import PlanResult, run_plan
from mlops.plan.references import ReferenceResolver, referenced_stacks, stack_of
from policy.engine import (
    Resource,
    ResourceOptions,
    Violation,
    Waiver,
    evaluate_resources,
)


def plan_stack(
    project_dir: Path,
    stack: str,
    _seen: tuple[str, ...] = (),
    *,
    planned: dict[str, PlanResult] | None = None,
    progress: Callable[[str], None] | None = None,
) -> PlanResult:
    """Plan ``stack`` of the project in ``project_dir`` (referenced stacks are planned first).

    ``planned`` keeps the plans of one run by stack name, so planning several stacks plans each
    referenced stack once. Raises ``ConfigError`` for invalid configuration before anything is
    registered.
    """
    if planned is not None and stack in planned:
        return planned[stack]
    report = (lambda stage: progress(f"{stack}: {stage}")) if progress else None
    if report:
        report("loading configuration")
    settings = load_settings(project_dir, stack)
    outputs = {}
    for reference in referenced_stacks(settings):
        target = stack_of(reference)
        if target in _seen or target == stack:
            raise ValueError(f"stack reference cycle: {' -> '.join((*_seen, stack, target))}")
        outputs[reference] = plan_stack(project_dir, target, (*_seen, stack), planned=planned, progress=progress).outputs
    if report:
        report("registering resources")
    result = _checked(run_plan(settings, ReferenceResolver(outputs), report), settings, report)
    if planned is not None:
        planned[stack] = result
    return result


def _checked(result: PlanResult, settings: Settings, report: Callable[[str], None] | None = None) -> PlanResult:
    """``result`` with the policy pack's violations, the deploy check's findings and the cost."""
    document = result.to_json()
    if report:
        report("policy")
    violations = tuple(check_policy(result, settings))
    if report:
        report("deploy checks")
    findings = check_resources(document["resources"])
    if report:
        report("cost estimate")
    cost = cost_estimate.estimate(document, per_model=usage_by_model(settings.models), region=settings.env.region).to_json()
    return dataclasses.replace(result, violations=violations, deploy_findings=findings, cost=cost)


def usage_by_model(models: Iterable[ModelSpec]) -> dict[str, cost_estimate.UsageAssumptions]:
    """Each catalog model's usage assumptions (``usage:`` in its file, defaults otherwise)."""
    return {m.name: dataclasses.replace(cost_estimate.UsageAssumptions(), **m.usage.model_dump()) for m in models}


def check_policy(result: PlanResult, settings: Settings) -> list[Violation]:
    """Evaluate every policy rule over the planned resources, with the stack's waivers.

    Waiver expiry is judged against today's date, the only input of a plan that is not a file;
    stacks without waivers plan identically on every day.
    """
    waivers = [
        Waiver(rule=w.rule, resource=w.resource, reason=w.reason, owner=w.owner, expires=w.expires.isoformat())
        for w in settings.env.policy_waivers
    ]
    resources = [
        Resource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            inputs=r.inputs,
            parent=r.parent,
            options=ResourceOptions(
                protect=r.protect,
                retain_on_delete=r.retain_on_delete,
                depends_on=tuple(r.depends_on),
                property_dependencies={key: tuple(urns) for key, urns in r.property_dependencies.items()},
            ),
        )
        for r in result.registrations
    ]
    return evaluate_resources(resources, settings.env.environment, waivers, today=date.today() if waivers else None)


__all__ = ["PlanResult", "plan_stack"]
