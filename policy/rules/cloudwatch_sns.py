"""CloudWatch and SNS rules: logs, alarms and the topics alarms notify.

Endpoint container logs can hold payload fragments, so log groups are encrypted; alarms are how
prod hears about a failing model, so they must notify someone.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    as_list,
    resource_rule,
    show,
)
from policy.rules.policy_documents import (
    InvalidDocument,
    Statement,
    findings,
    statements,
)
from policy.rules.protection import protected_in_prod_rule

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


@resource_rule(
    id="cloudwatch-log-group-kms",
    title="Log groups are encrypted with a KMS key",
    severity="medium",
    anchors=("NIST.800.53.R5-CloudWatchLogGroupEncrypted", "CKV_AWS_158"),
    mandatory_in=PROD_ONLY,
    types=(LOG_GROUP,),
)
def log_group_kms(resource: Resource, context: Context) -> Iterator[str]:
    if not resource.inputs.get("kmsKeyId"):
        yield "set kmsKeyId to the platform key; endpoint logs can contain payload fragments"


@resource_rule(
    id="cloudwatch-log-group-retention",
    title="Log groups have an explicit, valid retention period",
    severity="low",
    anchors=("NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod", "CKV_AWS_66", "CKV_AWS_338",
             "SecurityHub CloudWatch.16"),
    # An explicit, valid period is cheap everywhere, and logs kept forever cost money in any
    # environment. The one-year minimum of CKV_AWS_338 is prod's alone (prod keeps 365 days): dev
    # and test hold rehearsal traffic, and their 30/90 days are waived in policy/scanner-waivers.yaml.
    mandatory_in=EVERYWHERE,
    types=(LOG_GROUP,),
)
def log_group_retention(resource: Resource, context: Context) -> Iterator[str]:
    days = resource.inputs.get("retentionInDays")
    if not days:
        yield "retentionInDays is unset, so logs are kept forever; choose a retention period"
    elif days not in RETENTION_DAYS:
        yield f"retentionInDays {show(days)} is not a value CloudWatch accepts ({', '.join(map(str, RETENTION_DAYS))})"


protected_log_groups = protected_in_prod_rule(id="cloudwatch-log-group-protected-in-prod", what="log groups",
                                              types=(LOG_GROUP,), severity="medium",
                                              anchors=("SecurityHub CloudWatch.16",))


@resource_rule(
    id="cloudwatch-alarm-actions-in-prod",
    title="Prod alarms notify someone when they fire",
    severity="medium",
    anchors=("NIST.800.53.R5-CloudWatchAlarmAction", "CKV_AWS_319", "SecurityHub CloudWatch.15",
             "SecurityHub CloudWatch.17"),
    mandatory_in=PROD_ONLY,
    types=(METRIC_ALARM,),
)
def alarm_actions_in_prod(resource: Resource, context: Context) -> Iterator[str]:
    if context.environment != "prod":
        return
    if not as_list(resource.inputs.get("alarmActions")):
        yield "alarmActions is empty; send ALARM to the platform SNS topic (rollback alarms included)"
    if resource.inputs.get("actionsEnabled") is False:
        yield "actionsEnabled is false; the alarm would fire silently"


@resource_rule(
    id="sns-topic-kms",
    title="SNS topics are encrypted with a KMS key",
    severity="medium",
    anchors=("NIST.800.53.R5-SNSEncryptedKMS", "CKV_AWS_26", "SecurityHub SNS.1"),
    mandatory_in=PROD_ONLY,
    types=(TOPIC,),
)
def topic_kms(resource: Resource, context: Context) -> Iterator[str]:
    if not resource.inputs.get("kmsMasterKeyId"):
        yield ("set kmsMasterKeyId to the platform key (its key policy must let CloudWatch and EventBridge "
               "publish)")


@resource_rule(
    id="sns-topic-policy-no-public-principal",
    title='Topic policies grant nothing to Principal "*" without a condition',
    severity="critical",
    anchors=("CKV_AWS_169", "CKV_AWS_385", "SecurityHub SNS.4"),
    mandatory_in=EVERYWHERE,
    types=(TOPIC_POLICY,),
)
def topic_policy_no_public_principal(resource: Resource, context: Context) -> list[str]:
    def public_grant(statement: Statement) -> str | None:
        if statement.allows and statement.public and not statement.condition:
            return (f'{statement.label} allows {", ".join(statement.actions) or "actions"} to Principal "*"; '
                    "name the publishing services (cloudwatch.amazonaws.com, events.amazonaws.com)")
        return None

    return findings(resource.inputs.get("policy"), public_grant)


@resource_rule(
    id="sns-topic-policy-tls-only",
    title="Topic policies deny publishing without TLS",
    severity="low",
    anchors=("AwsSolutions-SNS3",),
    mandatory_in=PROD_ONLY,
    types=(TOPIC_POLICY,),
)
def topic_policy_tls_only(resource: Resource, context: Context) -> Iterator[str]:
    try:
        denies = any(s.denies_insecure_transport("sns:Publish") for s in statements(resource.inputs.get("policy")))
    except InvalidDocument as error:
        yield str(error)
        return
    if not denies:
        yield 'add a Deny of sns:Publish for Principal "*" when Bool aws:SecureTransport is "false"'


RULES = (
    log_group_kms,
    log_group_retention,
    protected_log_groups,
    alarm_actions_in_prod,
    topic_kms,
    topic_policy_no_public_principal,
    topic_policy_tls_only,
)
