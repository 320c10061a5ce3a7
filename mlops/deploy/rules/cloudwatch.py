"""CloudWatch quotas on dashboards and alarms."""

from __future__ import annotations

import json
from collections.abc import Iterator

from infra.config.limits import DASHBOARD_MAX_METRICS as MAX_METRICS_PER_DASHBOARD
from infra.config.limits import (
    DASHBOARD_MAX_METRICS_PER_WIDGET as MAX_METRICS_PER_WIDGET,
)
from infra.config.limits import DASHBOARD_MAX_WIDGETS as MAX_WIDGETS
from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex

# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
QUOTAS_DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html"
#: "Alarm actions: 5/alarm." and "Alarms based on metric math expressions can have up to 10 metrics."
MAX_ALARM_ACTIONS = 5
MAX_ALARM_METRICS = 10


def dashboard_quotas(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Widgets per dashboard, metrics per widget and metrics per dashboard stay within quota."""
    for dashboard in plan.of_type("aws:cloudwatch/dashboard:Dashboard"):
        try:
            widgets = json.loads(dashboard["inputs"].get("dashboardBody") or "{}").get("widgets", [])
        except json.JSONDecodeError:
            continue  # the API model check reports an unreadable body
        finding = lambda field, message: DeployFinding("cloudwatch-dashboard-quotas", "error", dashboard["urn"], field, message, QUOTAS_DOC)  # noqa: E731
        if len(widgets) > MAX_WIDGETS:
            yield finding("dashboardBody.widgets", f"{len(widgets)} widgets; a dashboard holds at most {MAX_WIDGETS}")
        total = 0
        for i, widget in enumerate(widgets):
            metrics = len((widget.get("properties") or {}).get("metrics") or [])
            total += metrics
            if metrics > MAX_METRICS_PER_WIDGET:
                title = (widget.get("properties") or {}).get("title", "")
                yield finding(f"dashboardBody.widgets[{i}].properties.metrics", f"widget {title!r} charts {metrics} metrics; a widget holds at most {MAX_METRICS_PER_WIDGET}")
        if total > MAX_METRICS_PER_DASHBOARD:
            yield finding("dashboardBody.widgets", f"{total} metrics on one dashboard; at most {MAX_METRICS_PER_DASHBOARD} across all widgets")


def alarm_quotas(plan: PlanIndex) -> Iterator[DeployFinding]:
    """An alarm has at most 5 actions per state and a metric-math alarm at most 10 metrics."""
    for alarm in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        inputs = alarm["inputs"]
        for key in ("alarmActions", "okActions", "insufficientDataActions"):
            if len(inputs.get(key) or []) > MAX_ALARM_ACTIONS:
                yield DeployFinding("cloudwatch-alarm-quotas", "error", alarm["urn"], key, f"{len(inputs[key])} actions; an alarm takes at most {MAX_ALARM_ACTIONS}", QUOTAS_DOC)
        metrics = [q for q in inputs.get("metricQueries") or [] if q.get("metric")]
        if len(metrics) > MAX_ALARM_METRICS:
            yield DeployFinding("cloudwatch-alarm-quotas", "error", alarm["urn"], "metricQueries",
                                f"{len(metrics)} metrics in one metric-math alarm; at most {MAX_ALARM_METRICS}", QUOTAS_DOC)


# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html (Period):
# "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a
# period of less than one hour (3,600 seconds), the total evaluation period can't be longer than
# one day (86,400 seconds)."
PUT_METRIC_ALARM_DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
MAX_EVALUATION_SECONDS = 604800
MAX_SHORT_PERIOD_EVALUATION_SECONDS = 86400


def alarm_evaluation_range(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Period x EvaluationPeriods stays within a week, within a day for periods under an hour."""
    for alarm in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        inputs = alarm["inputs"]
        periods = inputs.get("evaluationPeriods")
        queried = [q["metric"].get("period") for q in inputs.get("metricQueries") or [] if q.get("metric")]
        period = inputs.get("period") or max((p for p in queried if isinstance(p, int)), default=None)
        if not isinstance(periods, int) or not isinstance(period, int):
            continue  # the API model check reports a missing or mistyped value
        limit = MAX_SHORT_PERIOD_EVALUATION_SECONDS if period < 3600 else MAX_EVALUATION_SECONDS
        if period * periods > limit:
            yield DeployFinding("cloudwatch-alarm-evaluation-range", "error", alarm["urn"], "evaluationPeriods",
                                f"{periods} periods of {period} s evaluate {period * periods} s; at most {limit} s for this period",
                                PUT_METRIC_ALARM_DOC)


RULES = (dashboard_quotas, alarm_quotas, alarm_evaluation_range)
