"""``mlops check``: plan dev, test and prod together and prove every cross-account grant on both sides."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from infra.config import ConfigError, load_settings
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
from mlops.plan import PlanResult, plan_stack, plan_team_stacks


def check(as_json: JsonFlag = False, project: ProjectDir = None) -> None:
    """Plan dev, test and prod offline (with their team stacks) and check them together.

    Each stack: mandatory policy violations and deploy errors. Across stacks: every read of dev's
    registry by test and prod (model packages, model data, baselines, the key, images) must be
    granted by the reader's role policy AND dev's resource or key policy. Exit 1 on any error.
    """
    folder = project_dir(project)
    planned: dict[str, PlanResult] = {}
    # Each environment with its team stacks (mlops:layout team-stacks): the registry of dev's team
    # stacks is read by test's and prod's, so each side is every stack of its environment.
    groups: dict[str, dict[str, PlanResult]] = {}
    try:
        for environment in SHARED_STACKS:
            if load_settings(folder, environment).env.layout == "team-stacks":
                groups[environment] = plan_team_stacks(folder, environment, planned=planned)
            else:
                groups[environment] = {environment: plan_stack(folder, environment, planned=planned)}
    except ConfigError as error:
        fail_config(error)
    plans = {
        environment: StackPlan(
            environment,
            _account(results[environment]),
            tuple(resource for result in results.values() for resource in result.to_json()["resources"]),
        )
        for environment, results in groups.items()
    }
    cross = check_cross_stack(plans["dev"], [plans[s] for s in SHARED_STACKS if s != "dev"])
    results = {stack: result for group in groups.values() for stack, result in group.items()}
    rows = [
        {
            "stack": stack,
            "resources": sum(1 for r in result.registrations if r.custom),
            "mandatory_violations": sum(1 for v in result.violations if v.enforcement == "mandatory"),
            "deploy_errors": sum(1 for f in result.deploy_findings if f.severity == "error"),
            "deploy_warnings": sum(1 for f in result.deploy_findings if f.severity == "warning"),
        }
        for stack, result in results.items()
    ]
    failed = any(result.blocking for result in results.values()) or any(f.severity == "error" for f in cross)
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
