"""`mlops dev ...`: personal dev stacks from the command line.

The main CLI mounts this sub-app with `app.add_typer(dev_app, name="dev")`.

Exit codes:
    0  done
    1  a Pulumi operation failed (for `reap`: at least one expired stack could not be destroyed)
    2  invalid input: bad owner, slug, TTL or model, or a shared / non-personal stack
    3  the Pulumi CLI is missing or too old (`mlops plan` works offline without it)

Tests replace `backend_factory` (and `clock`) to run every command against an in-memory backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.config import ConfigError, find_project_dir
from mlops.cli.common import ExitCode, JsonFlag, ProjectDir, fail
from mlops.devstacks.automation import (
    BackendError,
    PulumiCliUnavailableError,
    StackBackend,
    open_backend,
)
from mlops.devstacks.lifecycle import (
    CreateResult,
    PersonalStack,
    ReapReport,
    create_personal_stack,
    destroy_personal_stack,
    list_personal_stacks,
    personal_stack_tags,
    plan_personal_stack,
    reap_expired_stacks,
)
from mlops.devstacks.names import (
    DEFAULT_TTL,
    TAG_OWNER,
    DevStackError,
    check_personal_stack_name,
    format_timestamp,
)
from mlops.devstacks.project import (
    ProjectLayout,
)

EXIT_BACKEND_FAILED = ExitCode.FAILED
EXIT_INVALID_INPUT = ExitCode.INVALID
EXIT_PULUMI_CLI_UNAVAILABLE = ExitCode.MISSING_TOOL


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


backend_factory: Callable[[Path], StackBackend] = open_backend
"""Opens the stack backend for a project root; tests replace it with a fake."""

clock: Callable[[], datetime] = _utc_now
"""The current time (UTC); tests replace it to make expiry deterministic."""

dev_app = typer.Typer(
    help=(
        "Personal dev stacks dev-<owner>[-<slug>]: create, list, destroy, reap. "
        "Exit codes: 0 done, 1 Pulumi operation failed, 2 invalid input, 3 Pulumi CLI missing."
    ),
    no_args_is_help=True,
)

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)

ProjectDirOption = ProjectDir
JsonOption = JsonFlag


@dev_app.command("create")
def create_command(
    owner: Annotated[str, typer.Option(help="Who the stack belongs to, e.g. alice.")],
    slug: Annotated[str | None, typer.Option(help="Optional suffix to tell your stacks apart, e.g. exp1.")] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime from now: 90m, 72h, 3d (max 14d).")] = DEFAULT_TTL,
    models: Annotated[str, typer.Option(help="Catalog models to deploy, comma-separated, e.g. churn,fraud.")] = "",
    no_up: Annotated[bool, typer.Option("--no-up", help="Create, configure and tag the stack; skip `pulumi up`.")] = False,
    project_dir: ProjectDirOption = None,
) -> None:
    """Create your personal dev stack, or update and renew it if it exists."""
    with _exit_codes():
        layout = _layout(project_dir)
        plan = plan_personal_stack(
            layout,
            owner=owner,
            slug=slug,
            ttl=ttl,
            models=[name.strip() for name in models.split(",") if name.strip()],
            now=clock(),
        )
        backend = backend_factory(layout.root)
        _progress(f"configuring {plan.name} from {layout.relative(layout.dev_settings_file)}")
        result = create_personal_stack(backend, plan, run_up=not no_up, on_output=_stream)
    _show_created(result)


@dev_app.command("list")
def list_command(json_output: JsonOption = False, project_dir: ProjectDirOption = None) -> None:
    """List personal dev stacks: owner, age, expiry and resources."""
    with _exit_codes():
        now = clock()
        stacks = list_personal_stacks(backend_factory(_layout(project_dir).root), now)
    if json_output:
        typer.echo(json.dumps({"now": format_timestamp(now), "stacks": [_stack_json(s) for s in stacks]}, indent=2))
        return
    if not stacks:
        _out.print("No personal dev stacks. Create one with `mlops dev create --owner <you>`.")
        return
    table = Table(title=f"Personal dev stacks ({len(stacks)})")
    for column in ("Stack", "Owner", "Age", "Expires", "Resources"):
        table.add_column(column, no_wrap=column != "Expires")
    for stack in stacks:
        table.add_row(
            stack.name,
            stack.owner,
            _duration(stack.age) if stack.age is not None else "?",
            _expiry_text(stack.expires_at, now),
            "?" if stack.resource_count is None else str(stack.resource_count),
        )
    _out.print(table)


@dev_app.command("destroy")
def destroy_command(
    name: Annotated[str, typer.Argument(help="The personal stack, e.g. dev-alice-exp1.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project_dir: ProjectDirOption = None,
) -> None:
    """Destroy a personal dev stack's resources and remove the stack (never dev, test or prod)."""
    with _exit_codes():
        check_personal_stack_name(name)
        backend = backend_factory(_layout(project_dir).root)
        tags = personal_stack_tags(backend, name)
        question = f"Destroy every resource in {name} (owner {tags.get(TAG_OWNER, '?')}) and remove the stack?"
        if not yes and not typer.confirm(question, default=False):
            _fail(f"{name} was not destroyed", EXIT_BACKEND_FAILED)
        _progress(f"destroying {name}")
        result = destroy_personal_stack(backend, name, on_output=_stream)
    changes = _changes_text(result.resource_changes)
    _out.print(f"[green]destroyed[/] {result.name} (owner {escape(result.owner)})" + (f": {changes}" if changes else ""))


@dev_app.command("reap")
def reap_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be destroyed; change nothing.")] = False,
    json_output: JsonOption = False,
    project_dir: ProjectDirOption = None,
) -> None:
    """Destroy every expired personal dev stack; exit 1 if any could not be destroyed."""
    with _exit_codes():
        report = reap_expired_stacks(
            backend_factory(_layout(project_dir).root), clock(), dry_run=dry_run, on_output=_stream
        )
    if json_output:
        typer.echo(json.dumps(_reap_json(report), indent=2))
    else:
        _show_reap(report)
    if report.failures:
        names = ", ".join(outcome.name for outcome in report.failures)
        _fail(f"{len(report.failures)} expired stack(s) could not be destroyed: {names}", EXIT_BACKEND_FAILED)


@contextmanager
def _exit_codes() -> Iterator[None]:
    """Turn the documented errors into one red line on stderr and the documented exit code."""
    try:
        yield
    except DevStackError as error:
        _fail(str(error), EXIT_INVALID_INPUT)
    except PulumiCliUnavailableError as error:
        _fail(str(error), EXIT_PULUMI_CLI_UNAVAILABLE)
    except BackendError as error:
        _fail(str(error), EXIT_BACKEND_FAILED)


def _fail(message: str, code: int) -> NoReturn:
    # One line per problem: an error may carry several, separated by newlines.
    lines = [" ".join(line.split()) for line in message.splitlines() if line.strip()] or [message]
    fail("\n".join(f"error: {line}" for line in lines), code)


def _layout(project_dir: Path | None) -> ProjectLayout:
    try:
        return ProjectLayout.at(find_project_dir(project_dir or Path.cwd()))
    except ConfigError as error:
        raise DevStackError(error.line()) from None


def _progress(message: str) -> None:
    _err.print(f"[cyan]→[/] {escape(message)}", soft_wrap=True)


def _stream(line: str) -> None:
    """Pulumi's own progress output, dimmed, on stderr so stdout stays clean for --json."""
    _err.out(line, style="dim", highlight=False)


def _show_created(result: CreateResult) -> None:
    verb = "created" if result.status == "created" else "updated (already existed; lease renewed)"
    _out.print(f"[green]{verb}[/] {result.name}")
    details = Table.grid(padding=(0, 2))
    details.add_row("owner", escape(result.owner))
    details.add_row("models", ", ".join(result.models) or "none")
    details.add_row("expires", f"{format_timestamp(result.expires_at)} (reaped after that)")
    if result.resource_changes is None:
        details.add_row("pulumi up", f"skipped (--no-up); run `pulumi up --stack {result.name}` when ready")
    else:
        details.add_row("pulumi up", _changes_text(result.resource_changes) or "no changes")
    details.add_row("when done", f"mlops dev destroy {result.name} --yes")
    _out.print(details)
    for warning in result.warnings:
        _err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)


def _show_reap(report: ReapReport) -> None:
    if not report.outcomes:
        _out.print("No personal dev stacks to reap.")
        return
    styles = {"destroyed": "green", "would-destroy": "yellow", "failed": "bold red", "kept": "dim", "skipped": "yellow"}
    title = "Reaper (dry run)" if report.dry_run else "Reaper"
    table = Table(title=f"{title} at {format_timestamp(report.now)}")
    for column in ("Stack", "Owner", "Expires", "Action", "Detail"):
        table.add_column(column)
    for outcome in report.outcomes:
        table.add_row(
            outcome.name,
            outcome.owner,
            _expiry_text(outcome.expires_at, report.now),
            f"[{styles[outcome.action]}]{outcome.action}[/]",
            escape(outcome.detail),
        )
    _out.print(table)


def _expiry_text(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "[yellow]unknown[/]"
    if expires_at <= now:
        return f"[red]expired {_duration(now - expires_at)} ago[/]"
    return f"in {_duration(expires_at - now)}"


def _duration(delta: timedelta) -> str:
    """A rough human duration: `2d 3h`, `5h 10m`, `45m`, `<1m`."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "<1m"


def _changes_text(changes: Mapping[str, int]) -> str:
    """Pulumi's resource changes as `12 create, 3 same`."""
    return ", ".join(f"{count} {kind}" for kind, count in sorted(changes.items()) if count)


def _stack_json(stack: PersonalStack) -> dict[str, Any]:
    return {
        "name": stack.name,
        "owner": stack.owner,
        "created_at": _timestamp_or_none(stack.created_at),
        "expires_at": _timestamp_or_none(stack.expires_at),
        "expired": stack.expired,
        "age_seconds": None if stack.age is None else int(stack.age.total_seconds()),
        "resource_count": stack.resource_count,
        "last_update": _timestamp_or_none(stack.last_update),
    }


def _reap_json(report: ReapReport) -> dict[str, Any]:
    return {
        "now": format_timestamp(report.now),
        "dry_run": report.dry_run,
        "failed": len(report.failures),
        "stacks": [
            {
                "name": outcome.name,
                "owner": outcome.owner,
                "expires_at": _timestamp_or_none(outcome.expires_at),
                "action": outcome.action,
                "detail": outcome.detail,
            }
            for outcome in report.outcomes
        ],
    }


def _timestamp_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)
