"""PlatformDashboard: one dashboard per environment that always stays within CloudWatch's quotas."""

from __future__ import annotations

import json

import pytest
from rendering import REGION

from components.dashboard import PlatformDashboard, PlatformDashboardArgs
from infra.config.limits import DASHBOARD_MAX_METRICS, DASHBOARD_MAX_METRICS_PER_WIDGET, DASHBOARD_MAX_WIDGETS

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def model_widget(i: int) -> dict:
    return {"type": "metric", "properties": {"title": f"model {i}", "region": REGION, "metrics": [["AWS/SageMaker", "Invocations", "EndpointName", f"e{i}"]]}}


def dashboard(pipelines: int = 3, widgets: int = 3) -> PlatformDashboard:
    return PlatformDashboard(
        "mlops-dev-overview",
        PlatformDashboardArgs(
            dashboard_name="mlops-dev-overview", title="MLOps platform - dev", pipeline_names=[f"p{i:04d}" for i in range(pipelines)],
            region=REGION, widgets=[model_widget(i) for i in range(widgets)],
        ),
    )


def body(out) -> list[dict]:
    return json.loads(out.one(DASHBOARD).inputs["dashboardBody"])["widgets"]


def test_header_then_pipelines_then_model_widgets_two_per_row(render):
    widgets = body(render(dashboard))
    assert widgets[0]["type"] == "text" and widgets[0]["properties"]["markdown"] == "# MLOps platform - dev"
    pipeline = widgets[1]["properties"]["metrics"]
    assert pipeline[:2] == [["AWS/Sagemaker/ModelBuildingPipeline", m, "PipelineName", "p0000"] for m in ("ExecutionSucceeded", "ExecutionFailed")]
    models = widgets[2:]
    assert [(w["x"], w["y"]) for w in models] == [(0, 8), (12, 8), (0, 14)]
    assert all(w["width"] == 12 for w in models)


def test_many_pipelines_are_split_so_every_widget_stays_within_quota(render):
    widgets = body(render(lambda: dashboard(pipelines=600, widgets=0)))
    charts = [w for w in widgets if w["type"] == "metric"]
    assert len(charts) == 3  # 1200 metrics, 500 at most per widget
    assert all(len(w["properties"]["metrics"]) <= DASHBOARD_MAX_METRICS_PER_WIDGET for w in charts)
    assert sum(len(w["properties"]["metrics"]) for w in charts) == 1200
    assert len(widgets) <= DASHBOARD_MAX_WIDGETS


def test_widgets_do_not_overlap(render):
    widgets = body(render(lambda: dashboard(pipelines=600, widgets=5)))
    cells = [(x, y) for w in widgets for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])]
    assert len(cells) == len(set(cells))


def test_a_dashboard_over_the_quota_is_refused_with_advice(render):
    too_many = DASHBOARD_MAX_METRICS // 2 + 1  # two metrics per pipeline
    with pytest.raises(Exception, match="split the models over dashboards"):
        render(lambda: dashboard(pipelines=too_many, widgets=0))
