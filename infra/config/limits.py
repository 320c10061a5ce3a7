"""AWS limits the configuration edge checks before anything is planned."""

from __future__ import annotations

import difflib

from infra.config import aws_data, aws_rules


def instance_type_problem(value: str, use: aws_data.InstanceUse) -> str | None:
    """Why ``value`` is not an instance type SageMaker accepts for ``use``, or None.

    The allowed types are the SageMaker API's own enum for that use (botocore's service model:
    ProductionVariantInstanceType, TrainingInstanceType, ProcessingInstanceType, ...).
    """
    allowed = aws_data.instance_types(use)
    if value in allowed:
        return None
    close = difflib.get_close_matches(value, sorted(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value[:60]!r} is not a SageMaker {use} instance type{hint}"


def checked_instance_type(value: str, use: aws_data.InstanceUse) -> str:
    """``value`` when SageMaker accepts it for ``use``; else ValueError (for pydantic validators)."""
    problem = instance_type_problem(value, use)
    if problem:
        raise ValueError(problem)
    return value


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


def checked_schedule(value: str) -> str:
    """``value`` when it is a valid schedule (``schedule_problem``); else ValueError."""
    problem = schedule_problem(value)
    if problem:
        raise ValueError(f"{value!r}: {problem}")
    return value


# CloudWatch dashboard quotas: "Up to 500 widgets per dashboard. Up to 500 metrics per dashboard
# widget. Up to 2500 metrics per dashboard, across all widgets."
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
DASHBOARD_MAX_WIDGETS = 500
DASHBOARD_MAX_METRICS_PER_WIDGET = 500
DASHBOARD_MAX_METRICS = 2500
