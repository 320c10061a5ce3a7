"""The ``mlops`` command line: plan environments, onboard models, follow the migration, deliver
model versions and manage personal dev stacks. One convention across every subcommand: the project
is found the same way (``--project-dir``, else the nearest ``Pulumi.yaml`` upwards), listings take
``--json``, and exit codes follow the table in ``mlops.cli.common``."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from mlops.cli.catalog import migration_app, model_app
from mlops.cli.check import check
from mlops.cli.common import EXIT_CODES_HELP
from mlops.cli.delivery import register as register_delivery
from mlops.cli.dev import dev_app
from mlops.cli.plan import plan
from mlops.cli.policy import policy_app
from mlops.cli.preflight import preflight_command

HELP = f"MLOps platform blueprint: offline plans, the model catalog, the migration, promotion and dev stacks. {EXIT_CODES_HELP}"

app = typer.Typer(name="mlops", help=HELP, no_args_is_help=True, pretty_exceptions_enable=False)
app.command()(plan)
app.command()(check)
app.command("preflight")(preflight_command)
app.add_typer(model_app, name="model")
app.add_typer(migration_app, name="migration")
app.add_typer(dev_app, name="dev")
app.add_typer(policy_app, name="policy")
register_delivery(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlops {metadata.version('mlops-platform')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """MLOps platform blueprint: offline plans, the model catalog, the migration, promotion and dev stacks."""
