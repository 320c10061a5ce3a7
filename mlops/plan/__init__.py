"""The offline plan: the real program under Pulumi's mock engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from infra.config import Settings, load_settings, team_stacks
from infra.config.catalog import ModelSpec
from infra.config.errors import ConfigError
from infra.config.layout import stack_file

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

STACK_REFERENCE = "pulumi:pulumi:StackReference"


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
    result = _checked(run_plan(settings, ReferenceResolver(outputs), report), settings, report, outputs)
    if planned is not None:
        planned[stack] = result
    return result


def plan_team_stacks(project_dir: Path, environment: str, *, planned: dict[str, PlanResult] | None = None) -> dict[str, PlanResult]:
    """Plan the environment stack ``environment`` and each of its team stacks, by stack name.

    The environment stack is planned once and answers every team stack's StackReference. Raises
    ``ConfigError`` when the environment's settings are invalid or it does not use team stacks.
    """
    planned = {} if planned is None else planned
    settings = load_settings(project_dir, environment)
    if settings.env.layout != "team-stacks":
        raise ConfigError(
            stack_file(environment), "mlops:layout", f"{environment} keeps every model in one stack (environment layout)",
            "team-stacks, to plan team stacks",
        )
    results = {environment: plan_stack(project_dir, environment, planned=planned)}
    for stack in team_stacks(settings):
        results[stack] = plan_stack(project_dir, stack, planned=planned)
    return results


def _checked(
    result: PlanResult,
    settings: Settings,
    report: Callable[[str], None] | None = None,
    references: dict[str, dict] | None = None,
) -> PlanResult:
    """``result`` with the policy pack's violations, the deploy check's findings and the cost."""
    document = result.to_json()
    if report:
        report("policy")
    violations = tuple(check_policy(result, settings, references))
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


def check_policy(result: PlanResult, settings: Settings, references: dict[str, dict] | None = None) -> list[Violation]:
    """Evaluate every policy rule over the planned resources, with the stack's waivers.

    Waiver expiry is judged against today's date, the only input of a plan that is not a file;
    stacks without waivers plan identically on every day. A StackReference shows the rules its
    ``outputs`` (``references``, by stack name), as Pulumi's policy engine shows a read resource's
    properties; the plan's JSON keeps only its inputs.
    """
    references = references or {}
    waivers = [
        Waiver(rule=w.rule, resource=w.resource, reason=w.reason, owner=w.owner, expires=w.expires.isoformat())
        for w in settings.env.policy_waivers
    ]
    resources = [
        Resource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            inputs={**r.inputs, "outputs": references[r.inputs["name"]]} if r.type == STACK_REFERENCE and r.inputs.get("name") in references else r.inputs,
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


__all__ = ["PlanResult", "plan_stack", "plan_team_stacks"]
