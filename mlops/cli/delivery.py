"""The delivery commands of `mlops`: approve, reject, promote, rollback, versions.

Mount them as top-level commands of any typer app with `register(app)`; this module's own `app`
runs them alone (`python -m mlops.cli.delivery`).

Exit codes (the table in ``mlops.cli.common``):
    0: done, including a promotion that found the version already pinned (nothing changed).
    1: refused by a delivery rule (gate, approval status, promotion order, nothing to roll
       back), or the registry / file system failed (unreachable, throttled past retries,
       catalog write failed).
    2: usage or catalog error: unknown model, group or version, bad option, malformed catalog.

The model package group is ``<namePrefix>-<model>``, with the registry-owning (dev) stack's
``mlops:namePrefix`` unless ``--prefix`` says otherwise.

Checks run in this order: the command line (sign-off, margin), the project and catalog file,
the caller's right to decide (the model's ``governance.approvers``, checked with STS), then the
registry. Errors print one red line to stderr, never a traceback.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from infra.config import ConfigError
from infra.config.layout import MODELS_DIR
from infra.config.loader import registry_name_prefix
from infra.config.names import group_name
from mlops.cli.common import ExitCode, ProjectDir, project_dir
from mlops.delivery.approval import ApprovalResult, approve, reject
from mlops.delivery.catalog_edit import CatalogFile
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.promotion import margin_choice, promote
from mlops.delivery.registry import (
    RegistryClients,
    list_versions,
    read_metric,
    registry_clients,
)
from mlops.delivery.rollback import rollback
from mlops.delivery.signoff import Signoff

EXIT_CODES = {Problem.INVALID: ExitCode.INVALID, Problem.REFUSED: ExitCode.FAILED, Problem.UNAVAILABLE: ExitCode.FAILED}


class Environment(str, Enum):
    """An environment a version can be promoted to or rolled back in."""

    test = "test"
    prod = "prod"


@dataclass(frozen=True)
class _Target:
    """What a command works on: the catalog folder and file, the registry and the model's group."""

    catalog_dir: Path
    catalog: CatalogFile
    clients: RegistryClients
    group: str


@contextmanager
def _reporting(console: Console) -> Iterator[None]:
    """Print a DeliveryError as one red line on stderr and exit with its code."""
    try:
        yield
    except DeliveryError as error:
        console.print(Text(f"error: {error.message}", style="red"), soft_wrap=True)
        raise typer.Exit(EXIT_CODES[error.problem]) from None


def register(app: typer.Typer) -> None:
    """Add approve, reject, promote, rollback and versions as commands of `app` (the `mlops` CLI)."""
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)

    Prefix = Annotated[
        str | None,
        typer.Option(
            "--prefix",
            help="Model package group prefix (<prefix>-<model>); default: mlops:namePrefix of the dev stack.",
        ),
    ]
    Model = Annotated[str, typer.Argument(help="Model name, as in stacks/models/<name>.yaml.")]
    By = Annotated[str, typer.Option("--by", help="Who decides (kept in the audit trail).")]
    Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")]
    Version = Annotated[int, typer.Option("--version", min=1, help="Model package version number.")]

    def open_model(model: str, option: Path | None, prefix: str | None) -> _Target:
        root = project_dir(option)
        folder = root / MODELS_DIR
        if not folder.is_dir():
            raise DeliveryError(f"no model catalog folder {folder}", Problem.INVALID)
        try:
            prefix = prefix or registry_name_prefix(root)
        except ConfigError as error:
            raise DeliveryError(error.line(), Problem.INVALID) from None
        catalog = CatalogFile.load(folder, model)
        clients = registry_clients(fallback_region=catalog.region_hint)
        return _Target(folder, catalog, clients, group_name(prefix, model))

    def say(line: str, style: str | None = None) -> None:
        out.print(Text(line, style=style or ""), soft_wrap=True)

    def show_decision(result: ApprovalResult, verb: str) -> None:
        say(f"{verb} {result.version.label} (was {result.previous_status}).", "green")

    def decision_command(name: str, decide, verb: str, summary: str) -> None:
        """Register ``mlops <name>``: set a version's approval status with who and why."""

        def command(
            model: Model,
            version: Version,
            by: By,
            reason: Reason,
            project_dir: ProjectDir = None,
            prefix: Prefix = None,
        ) -> None:
            with _reporting(err):
                _ = Signoff(by, reason).approval_description  # the command line first
                target = open_model(model, project_dir, prefix)
                decision = decide(
                    target.clients,
                    target.group,
                    version,
                    by=by,
                    reason=reason,
                    approvers=target.catalog.approvers,
                    model=model,
                )
                show_decision(decision, verb)

        command.__doc__ = summary
        app.command(name)(command)

    decision_command("approve", approve, "Approved", "Approve a registered version: it may then be promoted to prod.")
    decision_command("reject", reject, "Rejected", "Reject a registered version: it can no longer be promoted anywhere.")

    @app.command("promote")
    def promote_command(
        model: Model,
        to: Annotated[Environment, typer.Option("--to", help="Target environment.")],
        by: By,
        reason: Reason,
        version: Annotated[
            int | None,
            typer.Option("--version", min=1, help="Version number (default: latest Approved)."),
        ] = None,
        margin: Annotated[
            float | None,
            typer.Option("--margin", help="Gate margin for this promotion (default: catalog's)."),
        ] = None,
        project_dir: ProjectDir = None,
        prefix: Prefix = None,
    ) -> None:
        """Pin a version in test or prod, if it beats the champion there (champion/challenger gate).

        Prod takes only Approved versions that have been in test. The catalog file changes
        (versions, phase, history); review and merge it, then `pulumi up` applies it.
        """
        with _reporting(err):
            Signoff(by, reason)  # the command line first
            margin_choice(margin)
            target = open_model(model, project_dir, prefix)
            result = promote(
                target.clients,
                target.catalog_dir,
                model,
                group=target.group,
                to_env=to.value,
                version=version,
                by=by,
                reason=reason,
                now=datetime.now(UTC),
                margin_override=margin,
            )
            if not result.changed:
                say(f"{result.version.label} is already pinned in {to.value}: nothing changed.")
                return
            say(f"Promoted {result.version.label} to {to.value}.", "green")
            say(result.gate.explain() if result.gate else f"No champion in {to.value} yet.")
            say(
                f"Updated {result.catalog_path}: versions.{to.value}, phase {result.phase}, "
                f"history. Review it in a pull request; `pulumi up --stack {to.value}` applies it."
            )

    @app.command("rollback")
    def rollback_command(
        model: Model,
        env: Annotated[Environment, typer.Option("--env", help="Environment to roll back.")],
        by: By,
        reason: Reason,
        project_dir: ProjectDir = None,
        prefix: Prefix = None,
    ) -> None:
        """Pin the version an environment ran before the current one (no gate)."""
        with _reporting(err):
            Signoff(by, reason)  # the command line first
            target = open_model(model, project_dir, prefix)
            result = rollback(
                target.clients,
                target.catalog_dir,
                model,
                env=env.value,
                by=by,
                reason=reason,
                now=datetime.now(UTC),
            )
            say(
                f"Rolled {env.value} back to {result.version.label} (was {result.replaced_arn}).",
                "green",
            )
            say(
                f"Updated {result.catalog_path}. Review it in a pull request; "
                f"`pulumi up --stack {env.value}` applies it."
            )

    @app.command("versions")
    def versions_command(
        model: Model,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
        project_dir: ProjectDir = None,
        prefix: Prefix = None,
    ) -> None:
        """List a model's registered versions: status, gate metric, where each is pinned."""
        with _reporting(err):
            target = open_model(model, project_dir, prefix)
            metric = target.catalog.metric
            pins = target.catalog.versions
            rows = [
                {
                    "version": v.number,
                    "arn": v.arn,
                    "status": v.status,
                    "metric": metric,
                    "value": read_metric(target.clients, v, metric),
                    "pinned": [env for env, arn in pins.items() if arn == v.arn],
                    "created": v.created.isoformat() if v.created else None,
                    "approval": v.approval_description,
                }
                for v in list_versions(target.clients, target.group)
            ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2, sort_keys=True))
            return
        table = Table(title=f"{target.group} ({target.catalog.direction} {metric})")
        for column in ("version", "status", metric, "pinned", "created", "approval"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                str(row["version"]),
                row["status"],
                "—" if row["value"] is None else f"{row['value']:g}",
                ", ".join(row["pinned"]),
                (row["created"] or "")[:19],
                Text(row["approval"] or ""),  # free text: never read as rich markup
            )
        out.print(table)


app = typer.Typer(help="Deliver registered model versions: approve, promote, roll back.")
register(app)

if __name__ == "__main__":
    app()
