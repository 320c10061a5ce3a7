"""``mlops policy list``: every rule, its anchors and where it blocks."""

from __future__ import annotations

import json
from collections import Counter

import typer
from rich.table import Table

from mlops.cli.common import console

policy_app = typer.Typer(help="The policy pack: rules evaluated by `mlops plan` and `pulumi preview --policy-pack policy`.", no_args_is_help=True)


@policy_app.command("list")
def list_rules(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every rule with its id, severity, anchor IDs and the environments where it is mandatory."""
    from policy.engine import rules_table

    rows = rules_table()
    if as_json:
        console.out(json.dumps(rows, indent=2, sort_keys=True))
        return
    table = Table(title="Policy rules", show_edge=False)
    for column in ("id", "severity", "service", "mandatory in", "anchors"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["severity"], row["service"], ", ".join(row["mandatory_in"]) or "advisory", ", ".join(row["anchors"]))
    console.print(table)
    by_service = Counter(row["service"] for row in rows)
    console.print(f"{len(rows)} rules: " + ", ".join(f"{s} {n}" for s, n in sorted(by_service.items())))
