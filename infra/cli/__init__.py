"""The ``mlops`` command line: plan environments, onboard models, follow the migration."""

from __future__ import annotations

import typer

from infra.cli.catalog import migration_app, model_app
from infra.cli.plan import plan
from infra.cli.policy import policy_app
from infra.devstacks_cli import dev_app
from pipelines.delivery.cli import register as register_delivery

app = typer.Typer(
    name="mlops",
    help="MLOps platform blueprint: offline plans, the model catalog, the migration, promotion and dev stacks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(plan)
app.add_typer(model_app, name="model")
app.add_typer(migration_app, name="migration")
app.add_typer(dev_app, name="dev")
app.add_typer(policy_app, name="policy")
register_delivery(app)


@app.callback()
def main() -> None:
    """MLOps platform blueprint: offline plans, the model catalog, the migration, promotion and dev stacks."""
