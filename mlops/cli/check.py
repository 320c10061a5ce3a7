"""``mlops check``: plan dev, test and prod together and prove every cross-account grant on both sides."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from infra.config import ConfigError
from infra.config.rules import SHARED_STACKS
from mlops.cli.common import (
    ExitCode,
    JsonFlag,
    ProjectDir,
    console,
    fail_config,
    project_dir,
)
from mlops.deploy.crossstack import StackPlan, check_cross_stack
from mlops.plan import PlanResult, plan_stack


def check(as_json: JsonFlag = False, project: ProjectDir = None) -> None:
    """Plan dev, test and prod offline and check them together.

    Each stack: mandatory policy violations and deploy errors. Across stacks: every read of dev's
    registry by test and prod (model packages, model data, baselines, the key, images) must be
    granted by the reader's role policy AND dev's resource or key policy. Exit 1 on any error.
    """
    folder = project_dir(project)
    planned: dict[str, PlanResult] = {}
    try:
        for stack in SHARED_STACKS:
            plan_stack(folder, stack, planned=planned)
    except ConfigError as error:
        fail_config(error)
    plans = {stack: StackPlan(stack, _account(planned[stack]), planned[stack].to_json()["resources"]) for stack in SHARED_STACKS}
    cross = check_cross_stack(plans["dev"], [plans[s] for s in SHARED_STACKS if s != "dev"])
    rows = [
        {
            "stack": stack,
            "resources": sum(1 for r in planned[stack].registrations if r.custom),
            "mandatory_violations": sum(1 for v in planned[stack].violations if v.enforcement == "mandatory"),
            "deploy_errors": sum(1 for f in planned[stack].deploy_findings if f.severity == "error"),
            "deploy_warnings": sum(1 for f in planned[stack].deploy_findings if f.severity == "warning"),
        }
        for stack in SHARED_STACKS
    ]
    failed = any(planned[s].blocking for s in SHARED_STACKS) or any(f.severity == "error" for f in cross)
    if as_json:
        console.out(json.dumps({"stacks": rows, "crossStack": [f.to_json() for f in cross]}, indent=2, sort_keys=True))
    else:
        table = Table(title="Stacks", show_edge=False)
        for column in ("stack", "resources", "mandatory violations", "deploy errors", "deploy warnings"):
            table.add_column(column, justify="left" if column == "stack" else "right")
        for row in rows:
            table.add_row(*(str(value) for value in row.values()))
        console.print(table)
        console.print(f"cross-stack grants: {len(cross)} findings" if cross else "cross-stack grants: every access granted on both sides")
        for f in cross:
            console.print(f"  [red]{f.severity}[/] {f.resource.rsplit('::', 1)[-1]} {f.field}: {f.message} ({f.doc})", soft_wrap=True)
    raise typer.Exit(ExitCode.FAILED if failed else ExitCode.OK)


def _account(result: PlanResult) -> str:
    """The account a stack deploys to (its ``accountId`` output)."""
    return str(result.outputs["accountId"])
