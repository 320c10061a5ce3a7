"""The example stacks planned once per session with the offline engine, as the deploy check sees them."""

from __future__ import annotations

import json
import shutil
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


@pytest.fixture(scope="session")
def planned_model_monitor(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], StackPlan]:
    """``planned_model_monitor(stack)``: like ``planned``, with every model on ``monitoring.engine: model-monitor``."""
    from ruamel.yaml import YAML

    project = tmp_path_factory.mktemp("model-monitor")
    shutil.copy2(project_dir / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copytree(project_dir / "stacks", project / "stacks")
    yaml = YAML()
    for path in sorted((project / "stacks" / "models").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        monitoring = data.setdefault("monitoring", {})
        for key in ("groundTruth", "qualityThreshold"):
            monitoring.pop(key, None)
        monitoring["engine"] = "model-monitor"
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(data, handle)
    cache: dict[str, StackPlan] = {}

    def plan(stack: str) -> StackPlan:
        if stack not in cache:
            doc = json.loads(plan_stack(project, stack).dumps())
            cache[stack] = StackPlan(stack, load_settings(project, stack).env.account_id, tuple(doc["resources"]))
        return cache[stack]

    return plan
