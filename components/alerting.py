"""The environment's alert topic: KMS-encrypted SNS with an e-mail subscription."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import deny_insecure_transport, document, statement


@dataclass(frozen=True)
class AlertTopicArgs:
    """Inputs of an ``AlertTopic``.

    Attributes:
        topic_name: Physical topic name.
        kms_key_arn: CMK encrypting messages at rest.
        email: Address subscribed to every alert.
        account_id: Only alarms and rules of this account may publish.
    """

    topic_name: str
    kms_key_arn: pulumi.Input[str]
    email: str
    account_id: pulumi.Input[str]


class AlertTopic(pulumi.ComponentResource):
    """SNS topic that CloudWatch alarms, EventBridge rules and budgets publish to."""

    topic: aws.sns.Topic
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:observability:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-topic", name=args.topic_name, kms_master_key_id=args.kms_key_arn, opts=child)
        self.arn = self.topic.arn
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=document(
                statement(
                    "AccountServicesPublish",
                    ["sns:Publish"],
                    [self.topic.arn],
                    principal={"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
                ),
                deny_insecure_transport(["sns:Publish"], [self.topic.arn]),
            ),
            opts=child,
        )
        aws.sns.TopicSubscription(
            f"{name}-email", topic=self.topic.arn, protocol="email", endpoint=args.email, opts=child
        )
        self.register_outputs({"arn": self.arn})


@dataclass(frozen=True)
class DeadLetterQueueArgs:
    """Inputs of a ``DeadLetterQueue``.

    Attributes:
        queue_name: Physical queue name.
        kms_key_arn: CMK encrypting messages.
        account_id: Only this account's EventBridge rules may send to it.
        retention_days: How long undelivered events are kept (1-14).
    """

    queue_name: str
    kms_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    retention_days: int = 14


class DeadLetterQueue(pulumi.ComponentResource):
    """SQS queue keeping the EventBridge events (retraining triggers, drift alarms) that could not
    be delivered after retries, so none is silently lost."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: DeadLetterQueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:observability:DeadLetterQueue", name, None, opts)
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=args.retention_days * 86400,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = queue.arn
        aws.sqs.QueuePolicy(
            f"{name}-policy",
            queue_url=queue.url,
            policy=document(
                statement(
                    "EventBridgeDeadLetters",
                    ["sqs:SendMessage"],
                    [queue.arn],
                    principal={"Service": "events.amazonaws.com"},
                    condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
                ),
                deny_insecure_transport(["sqs:*"], [queue.arn]),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"arn": self.arn})
