"""The ``mlops`` command line: plan environments, onboard models, follow the migration, deliver
model versions and manage personal dev stacks. One convention across every subcommand: the project
is found the same way (``--project-dir``, else the nearest ``Pulumi.yaml`` upwards), listings take
``--json``, and exit codes follow the table in ``mlops.cli.common``."""

from __future__ import annotations

import sys

from mlops.cli.progress import start_for

# The platform code takes seconds to import: the status line starts first.
start_for(sys.argv)

from importlib import metadata  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from mlops.cli.catalog import migration_app, model_app  # noqa: E402
from mlops.cli.check import check  # noqa: E402
from mlops.cli.common import EXIT_CODES_HELP  # noqa: E402
from mlops.cli.delivery import register as register_delivery  # noqa: E402
from mlops.cli.dev import dev_app  # noqa: E402
from mlops.cli.plan import plan  # noqa: E402
from mlops.cli.policy import policy_app  # noqa: E402
from mlops.cli.preflight import preflight_command  # noqa: E402
from mlops.cli.review import cost, diagram, diff  # noqa: E402

HELP = f"MLOps platform blueprint: offline plans, the model catalog, the migration, promotion and dev stacks. {EXIT_CODES_HELP}"

app = typer.Typer(name="mlops", help=HELP, no_args_is_help=True, pretty_exceptions_enable=False)
app.command()(plan)
app.command()(check)
app.command("preflight")(preflight_command)
app.command()(diff)
app.command()(cost)
app.command()(diagram)
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
