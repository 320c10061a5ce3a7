"""Plans of the example catalog and of one edited copy, each planned once per session.

The edited copy ("head") tells four stories at once, each touching different resources:
``mlops model add pricing`` (dev), churn's prod instance type changed (prod endpoint config),
churn's p99 latency alarm threshold changed (test and prod alarms), demand-forecast removed (dev).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from mlops.cli import app
from mlops.plan import plan_stack


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def _head_project(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy2(source / "Pulumi.yaml", target / "Pulumi.yaml")
    shutil.copytree(source / "stacks", target / "stacks")
    added = CliRunner().invoke(app, ["model", "add", "pricing", "--owner", "revenue-science", "--project-dir", str(target)])
    assert added.exit_code == 0, added.output
    churn = target / "stacks" / "models" / "churn.yaml"
    _edit(churn, lambda d: d["serving"]["overrides"]["prod"].__setitem__("instanceType", "ml.c5.2xlarge"))
    _edit(churn, lambda d: d["monitoring"].__setitem__("latencyP99Ms", 400))
    (target / "stacks" / "models" / "demand-forecast.yaml").unlink()
    return target


@pytest.fixture(scope="session")
def head_project(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example project with the four edits (read only: tests share it)."""
    return _head_project(project_dir, tmp_path_factory.mktemp("review") / "project")


@pytest.fixture(scope="session")
def plans(project_dir: Path, head_project: Path) -> Callable[[str, str], dict[str, Any]]:
    """``plans(variant, stack)``: the plan JSON of ``base`` (the example) or ``head`` (edited)."""
    folders = {"base": project_dir, "head": head_project}
    cache: dict[tuple[str, str], dict[str, Any]] = {}

    def plan(variant: str, stack: str) -> dict[str, Any]:
        if (variant, stack) not in cache:
            cache[(variant, stack)] = json.loads(plan_stack(folders[variant], stack).dumps())
        return cache[(variant, stack)]

    return plan
