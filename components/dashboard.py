"""The environment's CloudWatch dashboard: a header, then every model's widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


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
        if args.pipeline_names:
            widgets.append(
                {
                    "type": "metric", "x": 0, "y": 2, "width": 24, "height": 6,
                    "properties": {
                        "title": "Training pipeline executions",
                        "region": args.region,
                        "stat": "Sum",
                        "period": 86400,
                        "metrics": [
                            ["AWS/Sagemaker/ModelBuildingPipeline", metric, "PipelineName", p]
                            for p in sorted(args.pipeline_names)
                            for metric in ("ExecutionSucceeded", "ExecutionFailed")
                        ],
                    },
                }
            )
        for i, widget in enumerate(args.widgets):
            widgets.append({**widget, "x": 12 * (i % 2), "y": 8 + 6 * (i // 2), "width": 12, "height": 6})
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}, sort_keys=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
