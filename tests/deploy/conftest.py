"""The example stacks planned once per session with the offline engine, as the deploy check sees them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from mlops.plan import plan_stack

from infra.config import load_settings
from mlops.deploy.crossstack import StackPlan


@pytest.fixture(scope="session")
def planned(project_dir: Path) -> Callable[[str], StackPlan]:
    """``planned(stack)``: the stack's ``mlops plan --json`` resources and account (cached)."""
    cache: dict[str, StackPlan] = {}

    def plan(stack: str) -> StackPlan:
        if stack not in cache:
            doc = json.loads(plan_stack(project_dir, stack).dumps())
            cache[stack] = StackPlan(stack, load_settings(project_dir, stack).env.account_id, tuple(doc["resources"]))
        return cache[stack]

    return plan
