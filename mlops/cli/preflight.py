"""``mlops preflight STACK``: the live preconditions of ``pulumi up``, read from AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import typer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from rich.table import Table
from rich.text import Text

from infra.config import ConfigError, Settings, load_settings
from mlops.cli.common import (
    ExitCode,
    JsonFlag,
    ProjectDir,
    StackOption,
    console,
    fail,
    fail_config,
    one_stack,
    project_dir,
)
from mlops.delivery.errors import DeliveryError
from mlops.delivery.registry import registry_clients
from mlops.devstacks.automation import (
    PulumiCliUnavailableError,
    StackBackend,
    open_backend,
)
from mlops.plan import plan_stack
from mlops.plan.references import referenced_stacks, stack_of
from mlops.preflight import Check, blocking, preflight, reference_checks


def sts_client(region: str):
    """STS with botocore's standard retries (``AWS_ENDPOINT_URL`` applies, as for the registry)."""
    return boto3.client("sts", region_name=region, config=Config(retries={"mode": "standard", "total_max_attempts": 5}))


#: Opens the Pulumi backend that holds the referenced stacks (tests put a fake here).
backend_factory: Callable[[Path], StackBackend] = open_backend


def _references(folder: Path, settings: Settings) -> tuple[Check, ...]:
    """Rows for the stacks ``settings``' program references: their outputs, as the current code of
    each exports them (planned offline), against the deployed stack's in the Pulumi backend."""
    names = [stack_of(reference) for reference in referenced_stacks(settings)]
    if not names:
        return ()
    try:
        expected = {name: plan_stack(folder, name).outputs.keys() for name in names}
    except ConfigError as error:
        fail_config(error)
    try:
        backend = backend_factory(folder)
    except PulumiCliUnavailableError:
        return reference_checks(expected, None)
    return reference_checks(expected, backend.outputs)


_STYLE = {"ok": "green", "warning": "yellow", "missing": "red", "blocked": "red"}


def preflight_command(
    stack: str | None = typer.Argument(None, help="Environment to check: dev, test or prod (with the models of its team stacks)."),
    stack_option: StackOption = None,
    as_json: JsonFlag = False,
    project: ProjectDir = None,
) -> None:
    """Check in the AWS account what STACK's deployment assumes, before `pulumi up`.

    The credentials' account, each registry group, each pinned version and its status, drift
    baselines, the referenced stacks' outputs, and where the platform stands in the deploy order. Exit 1 while anything blocks
    `pulumi up` (each row says what to do next).
    """
    stack = one_stack(stack, stack_option, "dev, test, prod")
    folder = project_dir(project)
    try:
        settings = load_settings(folder, stack)
    except ConfigError as error:
        fail_config(error)
    references = _references(folder, settings)
    try:
        clients = registry_clients(region=settings.env.region)
        checks = preflight(settings, clients, sts_client(settings.env.region)) + references
    except DeliveryError as error:
        fail(f"error: {error.message}", ExitCode.FAILED)
    except (BotoCoreError, ClientError) as error:
        fail(f"error: cannot read the caller identity: {error}", ExitCode.FAILED)
    if as_json:
        console.out(json.dumps([c.to_json() for c in checks], indent=2, sort_keys=True))
    else:
        table = Table(title=f"Preflight of {stack}", show_edge=False)
        for column in ("check", "status", "detail", "next step"):
            table.add_column(column, overflow="fold")
        for c in checks:
            table.add_row(Text(c.check), Text(c.status, style=_STYLE[c.status]), Text(c.detail), Text(c.next_step))
        console.print(table)
        first = next((c for c in checks if c.status in ("missing", "blocked")), None)
        console.print(f"next: {first.next_step}" if first else f"ready: pulumi up --stack {stack}")
    raise typer.Exit(ExitCode.FAILED if blocking(checks) else ExitCode.OK)
