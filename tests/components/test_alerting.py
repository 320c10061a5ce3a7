"""AlertTopic and DeadLetterQueue: encrypted, TLS-only, and fed only by this account's services."""

from __future__ import annotations

import pytest
from rendering import ACCOUNT, KEY_ARN, statements

from components.alerting import AlertTopic, AlertTopicArgs, DeadLetterQueue, DeadLetterQueueArgs

PUBLISHERS = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]


def topic() -> AlertTopic:
    return AlertTopic("mlops-dev-alerts", AlertTopicArgs(topic_name="mlops-dev-alerts", kms_key_arn=KEY_ARN, email="ml@example.com", account_id=ACCOUNT))


def queue(**overrides) -> DeadLetterQueue:
    args = {"queue_name": "mlops-dev-dead-letters", "kms_key_arn": KEY_ARN, "account_id": ACCOUNT, **overrides}
    return DeadLetterQueue("mlops-dev-dead-letters", DeadLetterQueueArgs(**args))


@pytest.fixture(scope="module")
def alerts(render):
    return render(topic)


@pytest.fixture(scope="module")
def dead_letters(render):
    return render(queue)


def test_topic_is_encrypted_with_the_cmk(alerts):
    inputs = alerts.one("aws:sns/topic:Topic").inputs
    assert inputs["kmsMasterKeyId"] == KEY_ARN and inputs["name"] == "mlops-dev-alerts"


def test_only_this_accounts_alarms_rules_and_budgets_publish_over_tls(alerts):
    policy = statements(alerts.policy("aws:sns/topicPolicy:TopicPolicy"))
    publish = policy["AccountServicesPublish"]
    assert publish["Principal"] == {"Service": PUBLISHERS}
    assert publish["Action"] == ["sns:Publish"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert policy["DenyInsecureTransport"]["Effect"] == "Deny"


def test_alerts_reach_the_email_address(alerts):
    subscription = alerts.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription["protocol"] == "email" and subscription["endpoint"] == "ml@example.com"


def test_dead_letter_queue_is_encrypted_and_keeps_events_two_weeks(render, dead_letters):
    inputs = dead_letters.one("aws:sqs/queue:Queue").inputs
    assert inputs["kmsMasterKeyId"] == KEY_ARN
    assert inputs["messageRetentionSeconds"] == 14 * 86400
    assert render(lambda: queue(retention_days=4)).one("aws:sqs/queue:Queue").inputs["messageRetentionSeconds"] == 4 * 86400


def test_only_this_accounts_eventbridge_sends_dead_letters(dead_letters):
    policy = statements(dead_letters.policy("aws:sqs/queuePolicy:QueuePolicy"))
    send = policy["EventBridgeDeadLetters"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"} and send["Action"] == ["sqs:SendMessage"]
    assert send["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert policy["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
