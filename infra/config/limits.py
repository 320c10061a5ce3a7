"""AWS limits the configuration edge checks before anything is planned."""

from __future__ import annotations

from infra.config import aws_rules

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


def schedule_problem(expression: str) -> str | None:
    """Why ``expression`` is not a training schedule: EventBridge's grammar, at most hourly."""
    problem = aws_rules.schedule_problem(expression)
    if problem is None and aws_rules.runs_more_than_hourly(expression):
        return "training more often than hourly is not supported"
    return problem


# CloudWatch dashboard quotas: "Up to 500 widgets per dashboard. Up to 500 metrics per dashboard
# widget. Up to 2500 metrics per dashboard, across all widgets."
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
DASHBOARD_MAX_WIDGETS = 500
DASHBOARD_MAX_METRICS_PER_WIDGET = 500
DASHBOARD_MAX_METRICS = 2500
