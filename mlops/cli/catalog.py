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
from infra.config.sources import (
    DEFAULT_FRAMEWORK_VERSIONS,
    FRAMEWORKS,
    SERVING_MODES,
    SOURCE_TYPES,
)
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


def source_entry(name: str, source: str, framework: str | None, framework_version: str | None, image_digest: str | None, image_tag: str | None) -> dict:
    """The ``training.source`` block for ``source`` (nothing for builtin)."""
    if source == "code":
        return {
            "type": "code",
            "folder": f"stacks/models/{name}",
            "entryPoint": "train.py",
            "evaluationScript": "evaluate.py",
            "framework": framework,
            "frameworkVersion": framework_version or DEFAULT_FRAMEWORK_VERSIONS.get(framework or "", ""),
        }
    if source == "image":
        return {"type": "image", **({"digest": image_digest} if image_digest else {"tag": image_tag or "v1"})}
    return {}


#: What to edit next, written as comments above the keys they concern.
NEXT_STEPS = {
    "description": "Edit next: what the model predicts, for whom (shown in Studio and on the model card).",
    "training": "Edit next: the schedule, the gated metric and its threshold.",
    "source": "Your own code: put {folder}/{entry} and {folder}/{evaluation} in the repository; they honour "
    "the contract in pipelines/steps/byo_contract.py (channels train/validation, SM_MODEL_DIR, evaluation.json).",
    "image": "Your own image in the model's ECR repository (built by CI): it answers `train` and `evaluate`; "
    "prod needs digest: sha256:<64 hex>.",
    "batch": "Batch scoring: CSV files under the raw bucket's batch/{name}/input/ are scored on this schedule.",
    "asyncInference": "Asynchronous endpoint: results land in the curated bucket's async/{name}/; scales to zero outside prod.",
    "governance": "Edit next: the intended use (and what it must not be used for) and the risk rating.",
}


def _commented(entry: dict, name: str) -> object:
    """``entry`` as a round-trip map with the next-step comments above their keys."""
    from ruamel.yaml.comments import CommentedMap

    def commented(mapping: dict) -> CommentedMap:
        return CommentedMap((key, commented(value) if isinstance(value, dict) else value) for key, value in mapping.items())

    document = commented(entry)
    source = entry["training"].get("source", {})
    for key in ("description", "governance"):
        document.yaml_set_comment_before_after_key(key, before=NEXT_STEPS[key])
    document.yaml_set_comment_before_after_key("training", before=NEXT_STEPS["training"])
    if source:
        text = NEXT_STEPS["source" if source["type"] == "code" else "image"]
        text = text.format(folder=source.get("folder"), entry=source.get("entryPoint"), evaluation=source.get("evaluationScript"))
        document["training"].yaml_set_comment_before_after_key("source", before=text, indent=2)
    for key in ("batch", "asyncInference"):
        if key in entry["serving"]:
            document["serving"].yaml_set_comment_before_after_key(key, before=NEXT_STEPS[key].format(name=name), indent=2)
    return document


@model_app.command("add")
def add(
    name: str = typer.Argument(..., help="Model name: lowercase letters, digits, hyphens; at most 32 characters."),
    owner: str = typer.Option(..., "--owner", help="Owning team."),
    wave: str = typer.Option("scale-out", "--wave", help="pilot or scale-out."),
    problem: str = typer.Option("classification", "--problem", help="classification or regression."),
    algorithm: str | None = typer.Option(None, "--algorithm", help="Built-in source only. Default: gradient-boosting."),
    metric: str | None = typer.Option(None, "--metric", help="Default: auc (classification), rmse (regression)."),
    description: str = typer.Option("", "--description", help="What the model predicts."),
    source: str = typer.Option("builtin", "--source", help=f"Who trains: {', '.join(SOURCE_TYPES)}."),
    framework: str | None = typer.Option(None, "--framework", help=f"Code source: {', '.join(FRAMEWORKS)}."),
    framework_version: str | None = typer.Option(
        None, "--framework-version",
        help=f"Code source: the framework container version (default {', '.join(f'{k} {v}' for k, v in DEFAULT_FRAMEWORK_VERSIONS.items())}).",
    ),  # fmt: skip
    image_digest: str | None = typer.Option(None, "--image-digest", help="Image source: sha256:<64 hex> (required for prod)."),
    image_tag: str | None = typer.Option(None, "--image-tag", help="Image source: a tag (default v1; not for prod)."),
    serving_mode: str = typer.Option("endpoint", "--serving-mode", help=f"How versions are served: {', '.join(SERVING_MODES)}."),
    batch_schedule: str = typer.Option("cron(0 5 1 * ? *)", "--batch-schedule", help="Batch mode: when to score (EventBridge expression)."),
    project: ProjectDir = None,
) -> None:
    """Add a model to the catalog: writes stacks/models/NAME.yaml (valid, or nothing at all)."""
    folder = project_dir(project)
    display = model_file(name)
    target = folder / display
    if target.exists():
        fail(f"{display}: name: model {name!r} already exists (allowed: a new name)", ExitCode.INVALID)
    choices = (("problem", problem, tuple(METRIC_DIRECTIONS)), ("training.source.type", source, SOURCE_TYPES), ("serving.mode", serving_mode, SERVING_MODES))
    problems = [f"{display}: {key}: {value!r} is not allowed (allowed: {', '.join(allowed)})" for key, value, allowed in choices if value not in allowed]
    if source == "code" and framework not in FRAMEWORKS:
        problems.append(f"{display}: training.source.framework: --framework is required for a code source (allowed: {', '.join(FRAMEWORKS)})")
    elif source == "code" and not (framework_version or DEFAULT_FRAMEWORK_VERSIONS.get(framework or "")):
        problems.append(f"{display}: training.source.frameworkVersion: --framework-version is required for {framework} (allowed: a version the SageMaker SDK lists)")
    if problems:
        fail("\n".join(problems), ExitCode.INVALID)
    entry = new_entry(name, owner, wave, problem, algorithm or "gradient-boosting", metric or ("auc" if problem == "classification" else "rmse"), description)
    if source != "builtin":
        del entry["algorithm"]
        entry["training"]["source"] = source_entry(name, source, framework, framework_version, image_digest, image_tag)
    if serving_mode != "endpoint":
        entry["serving"]["mode"] = serving_mode
    if serving_mode == "batch":
        entry["serving"]["batch"] = {"schedule": batch_schedule, "instanceType": "ml.m5.large", "instanceCount": 1}
    if serving_mode == "async":
        entry["serving"]["asyncInference"] = {"maxConcurrentInvocationsPerInstance": 4, "targetBacklogPerInstance": 5}
    try:
        spec = validate(ModelSpec, entry, display)
        load_plan(folder, (*load_models(folder), spec), load_migration(folder))
    except ConfigError as error:
        fail_config(error)
    buffer = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer.write(f"# {name}: added with `mlops model add`; the comments say what to edit next.\n")
    yaml.dump(_commented(entry, name), buffer)
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
            "algorithm": m.algorithm, "training": m.method, "source": m.training.source.type,
            "target": m.serving.target, "serving": m.serving.mode,
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
        for column in ("model", "owner", "wave", "phase", "training", "serving", "dev", "test", "prod"):
            table.add_column(column, min_width=7 if column in ("owner", "wave") else None)
        for r in rows:
            if "invalid" in r:
                table.add_row(r["name"], "[red]invalid[/red]", *([""] * 7))
                continue
            pins = [r["versions"].get(e, "-").rsplit("/", 1)[-1] if e in r["versions"] else "-" for e in ("dev", "test", "prod")]
            table.add_row(r["name"], r["owner"], r["wave"], r["phase"], f"{r['training']} ({r['problem']})", r["serving"], *pins)
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
                "owner": m.owner, "stacks": stacks[m.name], "source": m.training.source.type, "serving": m.serving.mode,
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
        for column in ("model", "wave", "phase", "source", "serving", "dev", "test", "prod"):
            table.add_column(column, min_width=7 if column == "wave" else None)
        for m in data["models"]:
            if "invalid" in m:
                table.add_row(m["name"], "[red]invalid[/red]", *([""] * 6))
                continue
            # A model in a team stack shows the stack's name; in the environment's own stack, a dot.
            cells = (
                ("[dim]-[/dim]" if e not in m["stacks"] else "[green]●[/green]" if m["stacks"][e] == e else f"[green]{m['stacks'][e]}[/green]")
                for e in ("dev", "test", "prod")
            )
            table.add_row(m["name"], m["wave"], m["phase"], m["source"], m["serving"], *cells)
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
