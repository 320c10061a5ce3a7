"""AWS limits the configuration edge checks before anything is planned."""

from __future__ import annotations

import re

#: Instance types the platform allows for SageMaker processing, training and hosting.
INSTANCE_TYPES = frozenset(
    [f"ml.t3.{s}" for s in ("medium", "large", "xlarge", "2xlarge")]
    + [f"ml.{f}.{s}" for f in ("m5", "m6i", "m7i") for s in ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge")]
    + [f"ml.{f}.{s}" for f in ("c5", "c6i", "c7i") for s in ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge")]
    + [f"ml.{f}.{s}" for f in ("r5", "r6i") for s in ("large", "xlarge", "2xlarge", "4xlarge")]
    + [f"ml.g4dn.{s}" for s in ("xlarge", "2xlarge", "4xlarge", "12xlarge")]
    + [f"ml.g5.{s}" for s in ("xlarge", "2xlarge", "4xlarge", "12xlarge")]
    + ["ml.p3.2xlarge", "ml.p4d.24xlarge"]
)

#: GPU families: no serverless, and their volumes reject a KMS key on some types.
GPU_FAMILIES = ("ml.g4dn.", "ml.g5.", "ml.p3.", "ml.p4d.")

#: ``ProductionVariantServerlessConfig.MemorySizeInMB`` accepts only these sizes.
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#L\-]+$")


def schedule_problem(expression: str) -> str | None:
    """Why ``expression`` is not a valid EventBridge schedule, or None if it is."""
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            return "rate value must be at least 1"
        if (value == 1) != (not unit.endswith("s")):
            return f"use '{unit.rstrip('s')}' for 1 and '{unit.rstrip('s')}s' otherwise"
        if unit.startswith("minute") and value < 60:
            return "training more often than hourly is not supported"
        return None
    if expression.startswith("cron(") and expression.endswith(")"):
        fields = expression[5:-1].split(" ")
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            return "cron needs 6 fields: minutes hours day-of-month month day-of-week year"
        minutes, hours, dom, _month, dow, _year = fields
        if (dom == "?") == (dow == "?"):
            return "exactly one of day-of-month and day-of-week must be '?'"
        if minutes in {"*", "?"} or minutes.startswith("*/") or minutes.startswith("0/"):
            return "training more often than hourly is not supported"
        if hours.isdigit() and not 0 <= int(hours) <= 23:
            return "hours must be 0-23"
        if minutes.isdigit() and not 0 <= int(minutes) <= 59:
            return "minutes must be 0-59"
        return None
    return "not an EventBridge schedule expression"

# CloudWatch dashboard quotas: "Up to 500 widgets per dashboard. Up to 500 metrics per dashboard
# widget. Up to 2500 metrics per dashboard, across all widgets."
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
DASHBOARD_MAX_WIDGETS = 500
DASHBOARD_MAX_METRICS_PER_WIDGET = 500
DASHBOARD_MAX_METRICS = 2500
