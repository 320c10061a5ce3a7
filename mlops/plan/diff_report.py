"""A plan diff for people: a terminal view (rich), a pull-request comment (markdown), JSON.

``render_markdown`` takes the diffs of every environment a change touches, so one comment shows
what a catalog edit does in dev, test and prod.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from mlops.plan.diff import ACTIONS, FOUNDATION, PlanDiff, ResourceChange

#: Terraform's markers: + create, ~ update, -/+ replace, - delete.
MARKERS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_STYLES = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}

#: Changed paths listed per resource before "and N more".
MAX_PATHS = 8


def _paths(change: ResourceChange) -> str:
    shown = [f"{p} (replaces)" if p in change.replace_paths else p for p in change.paths[:MAX_PATHS]]
    more = len(change.paths) - MAX_PATHS
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _short_type(type_token: str) -> str:
    # aws:sagemaker/endpointConfiguration:EndpointConfiguration -> sagemaker EndpointConfiguration
    parts = type_token.split(":")
    return f"{parts[1].split('/')[0]} {parts[2]}" if len(parts) == 3 else type_token


def _group_title(group: str) -> str:
    return "foundation" if group == FOUNDATION else f"model {group}"


def _usd(value: float, signed: bool = False) -> str:
    return f"{value:+,.2f} USD" if signed else f"{value:,.2f} USD"


def _finding_text(item: dict[str, Any]) -> str:
    rule = item.get("rule") or "finding"
    where = item.get("resource_name") or item.get("resource") or ""
    severity = item.get("severity") or item.get("enforcement") or ""
    head = f"{rule} ({severity})" if severity else rule
    return f"{head} {where}: {item.get('message', '')}".strip()


def render_text(diff: PlanDiff) -> Group:
    """A rich renderable for the terminal: one table per group, then findings and cost."""
    parts: list[Any] = [Text(f"{diff.stack}: {diff.summary()} ({diff.unchanged} unchanged)", style="bold")]
    for group in diff.groups:
        table = Table(title=f"{_group_title(group)}: {_counts_text(diff, group)}", title_justify="left", show_edge=False)
        table.add_column("", no_wrap=True)
        table.add_column("resource", overflow="fold")
        table.add_column("type", no_wrap=True)
        table.add_column("changed inputs", overflow="fold")
        for change in diff.in_group(group):
            style = _STYLES[change.action]
            table.add_row(Text(MARKERS[change.action], style=style), change.name, _short_type(change.type), _paths(change))
        parts.append(table)
    parts.extend(_findings_text(diff))
    if diff.cost:
        parts.append(Text(f"cost: {_usd(diff.cost.base)} -> {_usd(diff.cost.head)} a month ({_usd(diff.cost.delta, signed=True)})"))
    return Group(*parts)


def _counts_text(diff: PlanDiff, group: str | None = None) -> str:
    counts = diff.counts(group)
    return ", ".join(f"{counts[a]} to {a}" for a in ACTIONS if counts[a]) or "no change"


def _findings_text(diff: PlanDiff) -> list[Text]:
    lines = []
    for label, items, style in (
        ("policy violation added", diff.violations_added, "red"),
        ("policy violation removed", diff.violations_removed, "green"),
        ("deploy finding added", diff.findings_added, "red"),
        ("deploy finding removed", diff.findings_removed, "green"),
    ):
        lines.extend(Text(f"{label}: {_finding_text(i)}", style=style) for i in items)
    return lines


def render_markdown(diffs: PlanDiff | Sequence[PlanDiff]) -> str:
    """A pull-request comment: per environment a summary line, a table per model, details folded."""
    diffs = [diffs] if isinstance(diffs, PlanDiff) else list(diffs)
    lines = ["## Plan diff", ""]
    for diff in diffs:
        lines.append(f"**{diff.stack}**: {diff.summary()}" + _cost_suffix(diff))
    for diff in diffs:
        lines += ["", f"### {diff.stack}", ""]
        if diff.is_empty:
            lines.append("No changes.")
            continue
        lines += ["| group | create | update | replace | delete |", "|---|---:|---:|---:|---:|"]
        for group in diff.groups:
            counts = diff.counts(group)
            lines.append(f"| {_group_title(group)} | " + " | ".join(str(counts[a]) for a in ACTIONS) + " |")
        for group in diff.groups:
            changes = diff.in_group(group)
            lines += ["", f"<details><summary>{_group_title(group)}: {_counts_text(diff, group)}</summary>", ""]
            lines += ["| | resource | type | changed inputs |", "|---|---|---|---|"]
            for change in changes:
                paths = _paths(change).replace("|", "\\|")
                lines.append(f"| `{MARKERS[change.action]}` | `{change.name}` | {_short_type(change.type)} | {paths} |")
            lines += ["", "</details>"]
        lines += _findings_markdown(diff)
        if diff.cost and diff.cost.groups:
            lines += ["", "<details><summary>monthly cost by group</summary>", ""]
            lines += ["| group | before | after | change |", "|---|---:|---:|---:|"]
            for group, base, head in diff.cost.groups:
                if round(head - base, 2):
                    lines.append(f"| {_group_title(group)} | {base:,.2f} | {head:,.2f} | {head - base:+,.2f} |")
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _cost_suffix(diff: PlanDiff) -> str:
    if not diff.cost:
        return ""
    return f"; monthly cost {_usd(diff.cost.base)} → {_usd(diff.cost.head)} ({_usd(diff.cost.delta, signed=True)})"


def _findings_markdown(diff: PlanDiff) -> list[str]:
    lines: list[str] = []
    for label, items in (
        ("Policy violations added", diff.violations_added),
        ("Policy violations removed", diff.violations_removed),
        ("Deploy findings added", diff.findings_added),
        ("Deploy findings removed", diff.findings_removed),
    ):
        if items:
            lines += ["", f"**{label}**", ""] + [f"- {_finding_text(i)}" for i in items]
    return lines


def render_json(diffs: PlanDiff | Sequence[PlanDiff]) -> str:
    """The diffs as JSON text (sorted keys: the same plans give the same bytes)."""
    diffs = [diffs] if isinstance(diffs, PlanDiff) else list(diffs)
    return json.dumps([d.to_json() for d in diffs], sort_keys=True, indent=2) + "\n"
