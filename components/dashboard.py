"""The environment's CloudWatch dashboard: a header, then every model's widgets."""

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
    """

    dashboard_name: str
    title: str
    pipeline_names: Sequence[str]
    region: str
    widgets: Sequence[dict[str, Any]]


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
