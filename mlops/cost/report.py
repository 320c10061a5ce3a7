"""A cost estimate for people: a rich table per model and for the foundation."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mlops.cost.estimate import CostEstimate
from mlops.plan.diff import FOUNDATION


def render_table(estimate: CostEstimate) -> Group:
    """Monthly cost per group and resource, the total against the budget, and the caveats."""
    table = Table(title=f"{estimate.stack}: estimated monthly cost ({estimate.region}, prices as of {estimate.prices_as_of})", title_justify="left")
    table.add_column("group")
    table.add_column("resource", overflow="fold")
    table.add_column("USD/month", justify="right")
    table.add_column("basis", overflow="fold")
    totals = estimate.by_group()
    for group, total in totals.items():
        title = "foundation" if group == FOUNDATION else f"model {group}"
        table.add_row(Text(title, style="bold"), "", Text(f"{total:,.2f}", style="bold"), "")
        for line in (l for l in estimate.lines if l.group == group):
            table.add_row("", line.name, f"{line.monthly_usd:,.2f}", line.basis)
    budget = f" of a {estimate.budget_usd:,.2f} USD budget" if estimate.budget_usd is not None else ""
    parts = [table, Text(f"total: {estimate.total:,.2f} USD a month{budget}", style="bold")]
    parts += [Text(f"warning: {w}", style="red") for w in estimate.warnings]
    if estimate.estimated_prices:
        parts.append(Text("estimated prices (not read from a pricing page): " + ", ".join(estimate.estimated_prices), style="dim"))
    return Group(*parts)
