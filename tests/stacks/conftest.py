"""The example stacks, each planned once per session with the offline engine the CLI uses."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.config import Settings, load_settings
from infra.plan import PlanResult, plan_stack

@dataclass(frozen=True)
class Plan:
    """One stack's plan as a user sees it: the JSON contract, plus the settings it came from."""

    result: PlanResult
    doc: dict[str, Any]
    settings: Settings

    def of_type(self, type_token: str) -> list[dict[str, Any]]:
        """Resources of one Pulumi type token, as printed by ``mlops plan --json``."""
        return [r for r in self.doc["resources"] if r["type"] == type_token]

    def one(self, type_token: str) -> dict[str, Any]:
        """The single resource of ``type_token`` (fails if there are none or several)."""
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {[r['name'] for r in found]}"
        return found[0]

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack outputs."""
        return self.doc["outputs"]


@pytest.fixture(scope="session")
def plan_of(project_dir: Path) -> Callable[[str], Plan]:
    """Plan a stack of the real project, once per session."""
    cache: dict[str, Plan] = {}

    def plan(stack: str) -> Plan:
        if stack not in cache:
            result = plan_stack(project_dir, stack)
            cache[stack] = Plan(result, json.loads(result.dumps()), load_settings(project_dir, stack))
        return cache[stack]

    return plan
