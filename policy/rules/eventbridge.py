"""EventBridge rules: the targets that turn registry and schedule events into pipeline runs.

An approval event that is silently dropped means a model that never ships (or never rolls back),
so targets keep undeliverable events, and role-invoked targets get an explicit role.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import NOWHERE, PROD_ONLY, Context, Resource, resource_rule

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"

# Targets EventBridge invokes through the target's resource policy rather than an IAM role.
RESOURCE_POLICY_TARGET_SERVICES = ("lambda", "sns", "sqs", "logs")


def _service_of_arn(arn: object) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[2] if len(parts) > 2 and parts[0] == "arn" else None


@resource_rule(
    id="eventbridge-target-dead-letter-queue",
    title="Event targets send undeliverable events to a dead-letter queue",
    severity="medium",
    anchors=("Serverless-EventBusDLQ",),
    mandatory_in=NOWHERE,
    types=(EVENT_TARGET,),
)
def dead_letter_queue(resource: Resource, context: Context) -> Iterator[str]:
    if not resource.get("deadLetterConfig", "arn"):
        yield ("set deadLetterConfig.arn to an SQS queue (with a retryPolicy) so an approval or drift event that "
               "cannot be delivered is kept, not dropped")


@resource_rule(
    id="eventbridge-target-role",
    title="Event targets invoked through IAM (pipelines, Step Functions, ...) name a role",
    severity="medium",
    anchors=("MLSEC-03", "MLOE-12"),
    mandatory_in=PROD_ONLY,
    types=(EVENT_TARGET,),
)
def target_role(resource: Resource, context: Context) -> Iterator[str]:
    service = _service_of_arn(resource.inputs.get("arn"))
    if service not in RESOURCE_POLICY_TARGET_SERVICES and not resource.inputs.get("roleArn"):
        yield (f"the target ({service or 'unknown service'}) is invoked with an IAM role; set roleArn to a role "
               "allowed to start exactly this target")


RULES = (dead_letter_queue, target_role)
