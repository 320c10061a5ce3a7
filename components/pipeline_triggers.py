"""What starts a SageMaker pipeline: an EventBridge rule and its target, retried and dead-lettered.

Training (schedule, new data, drift), monitoring (schedule) and batch scoring (schedule) pipelines
are all started this way. The rule and the target are auto-named from their logical names, which
``fitted`` cuts to EventBridge's limits after auto-naming, so long model names still deploy.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config.names import fitted

#: A start that keeps failing is retried for an hour, then goes to the dead-letter queue.
RETRY_POLICY = {"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 3}


def start_pipeline_on(
    name: str,
    suffix: str,
    *,
    pipeline_arn: pulumi.Input[str],
    role_arn: pulumi.Input[str],
    dead_letter_arn: pulumi.Input[str] | None,
    description: str,
    opts: pulumi.ResourceOptions,
    **rule_args: Any,
) -> aws.cloudwatch.EventRule:
    """A rule ``<name><suffix>`` (``schedule_expression=`` or ``event_pattern=`` in ``rule_args``)
    whose target ``<name><suffix>-start`` starts the pipeline with ``role_arn``."""
    rule = aws.cloudwatch.EventRule(fitted(name, suffix, "events", "RuleName"), description=description, opts=opts, **rule_args)
    aws.cloudwatch.EventTarget(
        fitted(name, f"{suffix}-start", "events", "TargetId"),
        rule=rule.name,
        arn=pipeline_arn,
        role_arn=role_arn,
        retry_policy=RETRY_POLICY,
        dead_letter_config={"arn": dead_letter_arn} if dead_letter_arn else None,
        opts=opts,
    )
    return rule
