"""The offline plan: the real program under Pulumi's mock engine."""

from __future__ import annotations

from pathlib import Path

from infra.config import load_settings
from infra.plan.engine import PlanResult, run_plan
from infra.plan.references import ReferenceResolver, referenced_stacks, stack_of


def plan_stack(project_dir: Path, stack: str, _seen: tuple[str, ...] = ()) -> PlanResult:
    """Plan ``stack`` of the project in ``project_dir`` (referenced stacks are planned first).

    Raises ``ConfigError`` for invalid configuration before anything is registered.
    """
    settings = load_settings(project_dir, stack)
    outputs = {}
    for reference in referenced_stacks(settings):
        target = stack_of(reference)
        if target in _seen or target == stack:
            raise ValueError(f"stack reference cycle: {' -> '.join((*_seen, stack, target))}")
        outputs[reference] = plan_stack(project_dir, target, (*_seen, stack)).outputs
    return run_plan(settings, ReferenceResolver(outputs))


__all__ = ["PlanResult", "plan_stack"]
