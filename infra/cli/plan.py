"""``mlops plan STACK``: render an environment offline."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table
from rich.tree import Tree

from infra.cli.common import ProjectDirOption, console, fail, project_dir, write_atomically
from infra.config import ConfigError
from infra.plan import PlanResult, plan_stack


def plan(
    stack: str = typer.Argument(..., help="Stack to plan: dev, test, prod or dev-<owner>[-<slug>]."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (the machine contract)."),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON plan to this file."),
    project: Path | None = ProjectDirOption,
) -> None:
    """Plan STACK offline: every resource it would register, with no AWS account and no Pulumi CLI.

    Exit 0: planned, no mandatory policy violation; 1: mandatory violations; 2: invalid
    configuration or usage.
    """
    folder = project_dir(project)
    try:
        result = plan_stack(folder, stack)
    except ConfigError as error:
        fail(str(error), 2)
    text = result.dumps()
    if out is not None:
        try:
            write_atomically(out, text)
        except OSError as error:
            fail(f"{out}: cannot write the plan: {error.strerror}", 2)
    if as_json:
        console.out(text, end="", highlight=False)
    else:
        render(result)
    blocking = [v for v in result.violations if v.get("enforcement") == "mandatory"]
    raise typer.Exit(1 if blocking else 0)


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
            level = v.get("enforcement", "")
            console.print(
                f"  [{colour.get(level, 'white')}]{level}[/] {v['rule']} ({v['severity']}) "
                f"{v['resource'].rsplit('::', 1)[-1]}: {v['message']}",
                soft_wrap=True,
            )
    else:
        console.print("policy: no violations")
