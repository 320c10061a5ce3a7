"""CloudWatch dashboards: a header, the training pipelines' executions, then every model's widgets.

One per environment stack; in the team-stacks layout the environment's finds pipelines by a metric
search (so a new model does not change it) and each team stack pages its models over dashboards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config.limits import (
    DASHBOARD_MAX_METRICS,
    DASHBOARD_MAX_METRICS_PER_WIDGET,
    DASHBOARD_MAX_WIDGETS,
)


@dataclass(frozen=True)
class PlatformDashboardArgs:
    """Inputs of a ``PlatformDashboard``.

    Attributes:
        dashboard_name: Dashboard name.
        title: Markdown header.
        pipeline_names: Training pipelines whose failures are charted.
        region: Region of the metrics.
        widgets: Model widgets (``ModelMonitor.widgets``), laid out two per row.
        pipeline_search_prefix: Chart, instead of ``pipeline_names``, every pipeline whose name
            contains this prefix, found by a metric search when the dashboard is viewed.
    """

    dashboard_name: str
    title: str
    pipeline_names: Sequence[str]
    region: str
    widgets: Sequence[dict[str, Any]]
    pipeline_search_prefix: str | None = None


@dataclass(frozen=True)
class DashboardPage:
    """The models one dashboard of a paged set shows: their pipelines and their widgets."""

    pipeline_names: tuple[str, ...]
    widgets: tuple[dict[str, Any], ...]


def _metric_count(widgets: Sequence[dict[str, Any]]) -> int:
    return sum(len(w.get("properties", {}).get("metrics", [])) for w in widgets)


def page_models(models: Sequence[tuple[str | None, Sequence[dict[str, Any]]]]) -> list[DashboardPage]:
    """Split models (each: its pipeline name or None, its widgets) over as few dashboards as keep
    every one within CloudWatch's widgets and metrics per dashboard, in the given order.

    Each page keeps room for its header and pipeline charts, so a model never straddles two pages.
    """
    per_chart = DASHBOARD_MAX_METRICS_PER_WIDGET // 2
    pages: list[DashboardPage] = []
    pipelines: list[str] = []
    widgets: list[dict[str, Any]] = []
    for pipeline, own in models:
        grown_pipelines = pipelines + ([pipeline] if pipeline else [])
        grown = widgets + list(own)
        charts = 1 + max(1, -(-len(grown_pipelines) // per_chart))
        if (pipelines or widgets) and (
            charts + len(grown) > DASHBOARD_MAX_WIDGETS or 2 * len(grown_pipelines) + _metric_count(grown) > DASHBOARD_MAX_METRICS
        ):
            pages.append(DashboardPage(tuple(pipelines), tuple(widgets)))
            grown_pipelines, grown = ([pipeline] if pipeline else []), list(own)
        pipelines, widgets = grown_pipelines, grown
    pages.append(DashboardPage(tuple(pipelines), tuple(widgets)))
    return pages


class PlatformDashboard(pulumi.ComponentResource):
    """One dashboard per environment."""

    def __init__(self, name: str, args: PlatformDashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:observability:PlatformDashboard", name, None, opts)
        widgets: list[dict[str, Any]] = [
            {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": f"# {args.title}"}}
        ]
        # Two metrics per pipeline: one widget per chunk of pipelines keeps every widget within quota.
        pipelines = sorted(args.pipeline_names)
        per_widget = DASHBOARD_MAX_METRICS_PER_WIDGET // 2
        chunks = [pipelines[i : i + per_widget] for i in range(0, len(pipelines), per_widget)]
        if args.pipeline_search_prefix is not None:
            chunks = []
            widgets.append(_pipeline_search(args.pipeline_search_prefix, args.region))
        for row, chunk in enumerate(chunks):
            widgets.append(
                {
                    "type": "metric", "x": 0, "y": 2 + 6 * row, "width": 24, "height": 6,
                    "properties": {
                        "title": "Training pipeline executions" if len(chunks) == 1 else f"Training pipeline executions: {chunk[0]} - {chunk[-1]}",
                        "region": args.region,
                        "stat": "Sum",
                        "period": 86400,
                        "metrics": [
                            ["AWS/Sagemaker/ModelBuildingPipeline", metric, "PipelineName", p]
                            for p in chunk
                            for metric in ("ExecutionSucceeded", "ExecutionFailed")
                        ],
                    },
                }
            )
        top = 2 + 6 * max(1, len(chunks))
        for i, widget in enumerate(args.widgets):
            widgets.append({**widget, "x": 12 * (i % 2), "y": top + 6 * (i // 2), "width": 12, "height": 6})
        metrics = sum(len(w.get("properties", {}).get("metrics", [])) for w in widgets)
        if len(widgets) > DASHBOARD_MAX_WIDGETS or metrics > DASHBOARD_MAX_METRICS:
            raise ValueError(
                f"dashboard {args.dashboard_name}: {len(widgets)} widgets and {metrics} metrics exceed CloudWatch's "
                f"{DASHBOARD_MAX_WIDGETS} widgets and {DASHBOARD_MAX_METRICS} metrics per dashboard; split the models over dashboards"
            )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}, sort_keys=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def _pipeline_search(prefix: str, region: str) -> dict[str, Any]:
    """A chart of every pipeline named like ``prefix``: a search expression, resolved when viewed.

    Syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
    (unquoted terms match partially; a search returns at most 500 time series).
    """
    return {
        "type": "metric", "x": 0, "y": 2, "width": 24, "height": 6,
        "properties": {
            "title": f"Training pipeline executions: {prefix}*",
            "region": region,
            "stat": "Sum",
            "period": 86400,
            "metrics": [
                [{"expression": f"SEARCH('{{AWS/Sagemaker/ModelBuildingPipeline,PipelineName}} MetricName=\"{metric}\" PipelineName={prefix}', 'Sum', 86400)", "id": metric.lower(), "label": ""}]
                for metric in ("ExecutionSucceeded", "ExecutionFailed")
            ],
        },
    }
