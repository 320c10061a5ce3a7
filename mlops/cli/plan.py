"""``mlops plan STACK``: render an environment offline, or what it changes against a base (``--diff``)."""

from __future__ import annotations

import json
import re
from collections import Counter
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table
from rich.tree import Tree

from infra.config import ConfigError
from infra.config.rules import SHARED_STACKS, TEAM_NAME, team_stack_name
from mlops.cli.common import (
    ExitCode,
    ProjectDir,
    StackOption,
    console,
    fail,
    fail_config,
    one_stack,
    project_dir,
    write_atomically,
)
from mlops.cli.progress import STATUS
from mlops.cli.review import base_plan, planned, print_diff, saved_base
from mlops.plan import PlanResult, plan_team_stacks
from mlops.plan.diagram import build as build_diagram
from mlops.plan.diagram import to_mermaid
from mlops.plan.diff import diff_plans
from mlops.plan.diff_report import render_markdown
from mlops.plan.tfplan import to_tfplan


class PlanFormat(str, Enum):
    """What ``mlops plan`` prints."""

    text = "text"
    tree = "tree"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"
    tfplan = "tfplan"


def plan(
    stack: str | None = typer.Argument(None, help="Stack to plan: dev, test, prod, dev-<owner>[-<slug>] or <environment>.<team>."),
    stack_option: StackOption = None,
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    output_format: PlanFormat = typer.Option(
        PlanFormat.text,
        "--format",
        help="text (people; tree is the same), json (the plan contract), markdown (a pull-request comment), "
        "mermaid (a diagram of components and data flows), tfplan (Terraform plan JSON for scanners such as checkov).",
    ),
    diff_base: str | None = typer.Option(
        None, "--diff", metavar="BASE", help="Show what changes against BASE: a saved plan (--out) or a git ref (planned from its tree)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON plan to this file."),
    team: str | None = typer.Option(None, "--team", help="Plan the team stack STACK.TEAM (mlops:layout team-stacks)."),
    teams: bool = typer.Option(
        False, "--teams", help="Plan STACK and every team stack of it: a table of resources, violations and deploy errors per team."
    ),
    project: ProjectDir = None,
) -> None:
    """Plan STACK offline: every resource it would register, with no AWS account and no Pulumi CLI.

    With --diff BASE: what the plan creates, updates, replaces and deletes against BASE, per model
    and for the foundation, the findings it adds or removes and the monthly cost change.

    Exit 0: planned, no mandatory policy violation and no deploy error; 1: mandatory violations or
    deploy errors (what AWS would reject); 2: invalid configuration or usage.
    """
    stack = one_stack(stack, stack_option)
    if as_json:
        if output_format not in (PlanFormat.text, PlanFormat.json):
            fail(f"--json: conflicts with --format {output_format.value} (allowed: one of them)", ExitCode.INVALID)
        output_format = PlanFormat.json
    if diff_base is not None and output_format is PlanFormat.tfplan:
        fail("--format tfplan: a Terraform plan export has no diff (allowed with --diff: text, json, markdown, mermaid)", ExitCode.INVALID)
    folder = project_dir(project)
    problems = _team_usage_problems(stack, team, teams, out, output_format, diff_base)
    if problems:
        fail("\n".join(problems), ExitCode.INVALID)
    if teams:
        _plan_teams(folder, stack, output_format is PlanFormat.json)
    if team is not None:
        stack = team_stack_name(stack, team)
    saved = saved_base(folder, diff_base, stack) if diff_base is not None else None
    result = planned(folder, stack)
    text = result.dumps()
    if out is not None:
        try:
            write_atomically(out, text)
        except OSError as error:
            STATUS.stop()
            fail(f"{out}: cannot write the plan: {error.strerror}", ExitCode.INVALID)
    head = result.to_json()
    if diff_base is not None:
        base = base_plan(folder, diff_base, stack, saved)
        print_diff(diff_plans(base, head), head, "text" if output_format is PlanFormat.tree else output_format.value)
    else:
        STATUS.stop()
        if output_format is PlanFormat.tfplan:
            console.out(json.dumps(to_tfplan(head), indent=2, sort_keys=True), highlight=False)
        elif output_format is PlanFormat.json:
            console.out(text, end="", highlight=False)
        elif output_format is PlanFormat.markdown:
            console.out(render_markdown(diff_plans(_nothing(head), head)), end="", highlight=False)
        elif output_format is PlanFormat.mermaid:
            console.out(to_mermaid(build_diagram(head)), end="", highlight=False)
        else:
            render(result)
    raise typer.Exit(ExitCode.FAILED if result.blocking else ExitCode.OK)


def _nothing(head: dict) -> dict:
    """An empty plan of ``head``'s stack: markdown without --diff shows what a first deployment creates."""
    return {
        "stack": head["stack"],
        "environment": head["environment"],
        "resources": [],
        "cost": {"monthlyUsd": 0.0, "groups": {}} if head.get("cost") else None,
    }


def _team_usage_problems(
    stack: str, team: str | None, teams: bool, out: Path | None, output_format: PlanFormat, diff_base: str | None
) -> list[str]:
    """Every misuse of --team / --teams, one line each."""
    problems = []
    if team is not None or teams:
        if stack not in SHARED_STACKS:
            problems.append(f"stack: {stack!r} has no team stacks (allowed: {', '.join(SHARED_STACKS)} with --team or --teams)")
        if team is not None and teams:
            problems.append("--team: plans one team stack, --teams all of them (allowed: one of the two)")
        if team is not None and not re.fullmatch(TEAM_NAME, team):
            problems.append(f"--team: {team[:70]!r} is not a team name (allowed: a catalog owner, lowercase letters, digits and hyphens)")
    if teams and (out is not None or diff_base is not None or output_format not in (PlanFormat.text, PlanFormat.tree, PlanFormat.json)):
        problems.append("--teams: prints a summary per team stack (allowed: text or json; plan one stack with --team to write, diff or export it)")
    return problems


def _plan_teams(folder: Path, environment: str, as_json: bool) -> None:
    """Plan the environment stack and its team stacks; a row each; exit 1 when any is blocking."""
    try:
        results = plan_team_stacks(folder, environment)
    except ConfigError as error:
        fail_config(error)
    rows = [
        {
            "stack": name,
            "team": name.split(".", 1)[1] if "." in name else None,
            "resources": sum(1 for r in result.registrations if r.custom),
            "mandatoryViolations": sum(1 for v in result.violations if v.enforcement == "mandatory"),
            "violations": len(result.violations),
            "deployErrors": sum(1 for f in result.deploy_findings if f.severity == "error"),
            "blocking": result.blocking,
        }
        for name, result in results.items()
    ]
    if as_json:
        console.out(json.dumps({"environment": environment, "stacks": rows}, indent=2, sort_keys=True), highlight=False)
    else:
        table = Table(title=f"{environment}: environment stack and team stacks", show_edge=False)
        table.add_column("team", no_wrap=True)
        for column in ("resources", "violations", "mandatory", "deploy errors"):
            table.add_column(column, justify="right")
        table.add_column("")
        for row in rows:
            table.add_row(
                row["team"] or f"({environment})", str(row["resources"]), str(row["violations"]),
                str(row["mandatoryViolations"]), str(row["deployErrors"]),
                "[red]blocking[/red]" if row["blocking"] else "[green]ok[/green]",
            )
        console.print(table)
        largest = max(rows, key=lambda row: row["resources"])
        console.print(f"[bold]{len(rows)} stacks[/bold], largest {largest['stack']} with {largest['resources']} resources")
    raise typer.Exit(ExitCode.FAILED if any(row["blocking"] for row in rows) else ExitCode.OK)


def render(result: PlanResult) -> None:
    """A tree of components and resources, counts by type, and the policy summary."""
    nodes: dict[str | None, Tree] = {None: Tree(f"[bold]{result.stack}[/bold] ({result.environment})")}
    for registration in sorted(result.registrations, key=lambda r: r.urn.count("$")):
        parent = nodes.get(registration.parent, nodes[None])
        marker = " [yellow]protected[/yellow]" if registration.protect else ""
        style = "bold cyan" if not registration.custom else ""
        label = f"[{style}]{registration.name}[/{style}]" if style else registration.name
        nodes[registration.urn] = parent.add(f"{label}  [dim]{registration.type}[/dim]{marker}")
    console.print(nodes[None])
    counts = Counter(r.type for r in result.registrations if r.custom)
    table = Table(title="Resources by type", show_edge=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_token, count in sorted(counts.items()):
        table.add_row(type_token, str(count))
    console.print(table)
    components = sum(1 for r in result.registrations if not r.custom)
    protected = sum(1 for r in result.registrations if r.protect)
    console.print(
        f"[bold]{result.stack}[/bold]: {sum(counts.values())} resources in {components} components, {protected} protected"
    )
    if result.violations:
        colour = {"mandatory": "red", "advisory": "yellow", "waived": "dim"}
        console.print(f"[bold]policy: {len(result.violations)} violations[/bold]")
        for v in result.violations:
            console.print(
                f"  [{colour.get(v.enforcement, 'white')}]{v.enforcement}[/] {v.rule} ({v.severity}) "
                f"{v.resource.rsplit('::', 1)[-1]}: {v.message}",
                soft_wrap=True,
            )
    else:
        console.print("policy: no violations")
    errors = [f for f in result.deploy_findings if f.severity == "error"]
    if result.deploy_findings:
        console.print(
            f"[bold]deploy check: {len(errors)} errors, {len(result.deploy_findings) - len(errors)} warnings[/bold]"
        )
        for f in result.deploy_findings:
            colour = "red" if f.severity == "error" else "yellow"
            console.print(
                f"  [{colour}]{f.severity}[/] {f.rule} {f.resource.rsplit('::', 1)[-1]} {f.field}: {f.message} ({f.doc})",
                soft_wrap=True,
                markup=True,
            )
    else:
        console.print("deploy check: nothing AWS would reject")
