"""``mlops model add|list`` and ``mlops migration status|sign-off``: the catalog and the migration."""

from __future__ import annotations

import datetime
import io
import json

import typer
from rich.table import Table
from rich.text import Text
from ruamel.yaml import YAML

from infra.config import ConfigError
from infra.config.catalog import ModelSpec
from infra.config.layout import model_file
from infra.config.loader import load_migration, load_models, load_plan, model_stacks
from infra.config.migration import PHASE_ENVIRONMENTS, MigrationPlan
from infra.config.validation import validate
from mlops.cli.common import (
    ExitCode,
    ProjectDir,
    console,
    fail,
    fail_config,
    project_dir,
    write_atomically,
)
from mlops.migration_steps import Catalog, next_steps, read_catalog, sign_off
from pipelines.steps.step_contract import METRIC_DIRECTIONS

model_app = typer.Typer(help="The model catalog: one file per model in stacks/models.", no_args_is_help=True)
migration_app = typer.Typer(help="The staged migration from pilot models to scale-out.", no_args_is_help=True)


def new_entry(name: str, owner: str, wave: str, problem: str, algorithm: str, metric: str, description: str) -> dict:
    """A catalog entry with sensible defaults for a new model in development."""
    threshold = {"rmse": 100.0, "mae": 50.0, "r2": 0.6}.get(metric, 0.75)
    return {
        "name": name,
        "description": description or f"{name}: describe what the model predicts and for whom.",
        "owner": owner,
        "wave": wave,
        "phase": "development",
        "problem": problem,
        "algorithm": algorithm,
        "training": {
            "schedule": "rate(7 days)",
            "instanceType": "ml.m5.xlarge",
            "processingInstanceType": "ml.m5.large",
            "metric": metric,
            "direction": METRIC_DIRECTIONS[problem][metric],
            "threshold": threshold,
            "retrainOnNewData": True,
            "retrainOnDrift": False,
        },
        "serving": {"target": "sagemaker", "instanceType": "ml.m5.large", "minInstances": 2, "maxInstances": 4},
        "monitoring": {"dataQuality": True},
        "governance": {"intendedUse": "State the intended use and the uses it must not serve.", "riskRating": "medium"},
        "versions": {},
    }


@model_app.command("add")
def add(
    name: str = typer.Argument(..., help="Model name: lowercase letters, digits, hyphens; at most 32 characters."),
    owner: str = typer.Option(..., "--owner", help="Owning team."),
    wave: str = typer.Option("scale-out", "--wave", help="pilot or scale-out."),
    problem: str = typer.Option("classification", "--problem", help="classification or regression."),
    algorithm: str | None = typer.Option(None, "--algorithm", help="Default: gradient-boosting."),
    metric: str | None = typer.Option(None, "--metric", help="Default: auc (classification), rmse (regression)."),
    description: str = typer.Option("", "--description", help="What the model predicts."),
    project: ProjectDir = None,
) -> None:
    """Add a model to the catalog: writes stacks/models/NAME.yaml (valid, or nothing at all)."""
    folder = project_dir(project)
    display = model_file(name)
    target = folder / display
    if target.exists():
        fail(f"{display}: name: model {name!r} already exists (allowed: a new name)", ExitCode.INVALID)
    if problem not in METRIC_DIRECTIONS:
        fail(f"{display}: problem: {problem!r} is not allowed (allowed: {', '.join(METRIC_DIRECTIONS)})", ExitCode.INVALID)
    entry = new_entry(name, owner, wave, problem, algorithm or "gradient-boosting", metric or ("auc" if problem == "classification" else "rmse"), description)
    try:
        spec = validate(ModelSpec, entry, display)
        load_plan(folder, (*load_models(folder), spec), load_migration(folder))
    except ConfigError as error:
        fail_config(error)
    buffer = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer.write(f"# {name}: added with `mlops model add`; fill in the description, intended use and sizes.\n")
    yaml.dump(entry, buffer)
    write_atomically(target, buffer.getvalue())
    console.print(f"added {display} ({wave}, development); it appears in the next `mlops plan dev`")


@model_app.command("list")
def list_models(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    project: ProjectDir = None,
) -> None:
    """List the catalog: owner, wave, phase, algorithm and pinned versions.

    An invalid catalog file does not hide the others: it is listed as invalid, its problems are
    printed on stderr, and the command exits 2 at the end.
    """
    catalog = read_catalog(project_dir(project))
    rows = [
        {
            "name": m.name, "owner": m.owner, "wave": m.wave, "phase": m.phase, "problem": m.problem,
            "algorithm": m.algorithm, "target": m.serving.target,
            "versions": {e: m.versions.pinned(e) for e in ("dev", "test", "prod") if m.versions.pinned(e)},
        }
        for m in catalog.models
    ]
    rows += [{"name": name, "invalid": [p.render() for p in problems]} for name, problems in catalog.invalid]
    rows.sort(key=lambda r: r["name"])
    if as_json:
        console.out(json.dumps(rows, indent=2, sort_keys=True))
    else:
        table = Table(title="Model catalog", show_edge=False)
        for column in ("model", "owner", "wave", "phase", "algorithm", "dev", "test", "prod"):
            table.add_column(column)
        for r in rows:
            if "invalid" in r:
                table.add_row(r["name"], "[red]invalid: see below[/red]", *([""] * 6))
                continue
            pins = [r["versions"].get(e, "-").rsplit("/", 1)[-1] if e in r["versions"] else "-" for e in ("dev", "test", "prod")]
            table.add_row(r["name"], r["owner"], r["wave"], r["phase"], f"{r['algorithm']} ({r['problem']})", *pins)
        console.print(table)
    _exit_on_invalid(catalog)


def _exit_on_invalid(catalog: Catalog) -> None:
    """After a listing: print every problem of the invalid files and exit 2, if there are any."""
    if catalog.invalid:
        fail("\n".join(p.render() for p in catalog.problems), ExitCode.INVALID)


@migration_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    project: ProjectDir = None,
) -> None:
    """Where the migration stands: models × phase × environments (and the stack each lives in), each
    gate, what blocks it and the command or edit that unblocks it.

    Exit 0: shown; 2: a broken gate (refused, as the plan refuses it), or an invalid catalog file
    (the valid models are still shown, marked, and the problems follow on stderr).
    """
    folder = project_dir(project)
    catalog = read_catalog(folder)
    try:
        plan = MigrationPlan(catalog.models, load_migration(folder))
    except ConfigError as error:
        fail_config(error)
    problems = list(catalog.problems)
    try:
        plan.validate()
    except ConfigError as error:
        if not problems:
            fail_config(error)  # a broken gate refuses, as the plan does
        problems += error.problems
    steps = next_steps(plan)
    try:
        stacks = model_stacks(folder, plan)
    except ConfigError as error:
        fail_config(error)
    data = {
        "progress": plan.progress(),
        "audience": list(plan.audience()),
        "gates": [{"gate": g.name, "open": g.open, "detail": g.detail, "next": steps[g.name]} for g in plan.gates()],
        "models": [
            {
                "name": m.name, "wave": m.wave, "phase": m.phase, "environments": list(PHASE_ENVIRONMENTS[m.phase]),
                "owner": m.owner, "stacks": stacks[m.name],
            }
            for m in plan.models
        ]
        + [{"name": name, "invalid": [p.render() for p in found]} for name, found in catalog.invalid],
        # Every stack the models live in, per environment (the environment stack first).
        "stacks": {
            environment: [environment, *sorted({s[environment] for s in stacks.values() if s.get(environment, environment) != environment})]
            for environment in ("dev", "test", "prod")
        },
    }
    data["models"].sort(key=lambda m: m["name"])
    if as_json:
        console.out(json.dumps(data, indent=2, sort_keys=True))
    else:
        table = Table(title="Models by environment", show_edge=False)
        for column in ("model", "wave", "phase", "dev", "test", "prod"):
            table.add_column(column)
        for m in data["models"]:
            if "invalid" in m:
                table.add_row(m["name"], "[red]invalid: see below[/red]", "", "", "", "")
                continue
            # A model in a team stack shows the stack's name; in the environment's own stack, a dot.
            cells = (
                ("[dim]-[/dim]" if e not in m["stacks"] else "[green]●[/green]" if m["stacks"][e] == e else f"[green]{m['stacks'][e]}[/green]")
                for e in ("dev", "test", "prod")
            )
            table.add_row(m["name"], m["wave"], m["phase"], *cells)
        console.print(table)
        gates = Table(title="Gates", show_edge=False)
        for column in ("gate", "state", "detail", "next step"):
            gates.add_column(column, overflow="fold")
        for g in data["gates"]:
            state = "[green]open[/green]" if g["open"] else "[red]blocked[/red]"
            gates.add_row(g["gate"], state, g["detail"], Text("\n".join(g["next"]) if not g["open"] else ""))
        console.print(gates)
        console.print(f"[bold]{data['progress']}[/bold]")
        console.print(f"access: {', '.join(data['audience'])}")
    if problems:
        fail("\n".join(p.render() for p in problems), ExitCode.INVALID)


@migration_app.command("sign-off")
def sign_off_command(
    by: str = typer.Option(..., "--by", help="Who signs the pilot off (kept in stacks/migration.yaml)."),
    on: str | None = typer.Option(None, "--date", help="ISO date of the sign-off (default: today, UTC)."),
    project: ProjectDir = None,
) -> None:
    """Record the pilot sign-off in stacks/migration.yaml (once every pilot model is live in prod).

    The file is rewritten atomically, keeping its comments; review and merge it, and scale-out
    opens. Exit 0: signed; 2: an invalid name or date, the pilot not complete, already signed.
    """
    folder = project_dir(project)
    problems: list[str] = []
    date = datetime.datetime.now(datetime.UTC).date()
    if on is not None:
        try:
            date = datetime.date.fromisoformat(on)
        except ValueError:
            problems.append(f"--date: date: {on!r} is not an ISO date (allowed: YYYY-MM-DD)")
    try:
        text, display = sign_off(folder, load_plan(folder), by, date)
    except ConfigError as error:
        problems = [p.render() for p in error.problems] + problems
    if problems:
        fail("\n".join(problems), ExitCode.INVALID)
    write_atomically(folder / display, text)
    console.print(f"signed off the pilot in {display}: by {by} on {date.isoformat()}; review and merge it, then scale-out opens")
