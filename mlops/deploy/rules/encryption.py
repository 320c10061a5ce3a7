"""Encrypted SNS topics and SQS queues: every AWS service that sends to them must be able to use
the customer managed key, or its messages are dropped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex, policy_document
from mlops.deploy.policy_eval import AccessRequest, evaluate

# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
SNS_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
SQS_DOC = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services"
#: What a service publisher needs on the key of an SSE-KMS topic or queue (documented above).
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def _arn_parts(arn: str) -> list[str]:
    return arn.split(":", 5) if arn.startswith("arn:") else []


def _key_for(plan: PlanIndex, key_arn: str) -> Mapping[str, Any] | None:
    """The planned key a key ARN (or alias) refers to: through the alias naming its key id, or the
    stack's only key."""
    key_id = key_arn.rsplit("/", 1)[-1]
    for alias in plan.of_type("aws:kms/alias:Alias"):
        if alias["inputs"].get("targetKeyId") == key_id or alias["inputs"].get("name") == key_arn:
            sibling = [k for k in plan.of_type("aws:kms/key:Key") if k.get("parent") == alias.get("parent")]
            if len(sibling) == 1:
                return sibling[0]
    keys = plan.of_type("aws:kms/key:Key")
    return keys[0] if len(keys) == 1 and _arn_parts(key_arn)[2:3] == ["kms"] else None


def _service_principals(document: Mapping[str, Any] | None, action: str) -> set[str]:
    """Services a resource policy lets perform ``action`` (the publishers it expects)."""
    services: set[str] = set()
    for statement in (document or {}).get("Statement", []):
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if statement.get("Effect") == "Allow" and any(a in (action, action.split(":")[0] + ":*", "*") for a in actions):
            principal = statement.get("Principal")
            values = principal.get("Service", []) if isinstance(principal, Mapping) else []
            services.update(values if isinstance(values, list) else [values])
    return services


def _publishers_to_topic(plan: PlanIndex, topic_arn: str) -> dict[str, str]:
    """Service principal -> the planned resource that makes it publish to ``topic_arn``."""
    found: dict[str, str] = {}
    for alarm in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        if any(topic_arn in (alarm["inputs"].get(k) or []) for k in ("alarmActions", "okActions", "insufficientDataActions")):
            found.setdefault("cloudwatch.amazonaws.com", alarm["name"])
    for budget in plan.of_type("aws:budgets/budget:Budget"):
        if any(topic_arn in (n.get("subscriberSnsTopicArns") or []) for n in budget["inputs"].get("notifications", [])):
            found.setdefault("budgets.amazonaws.com", budget["name"])
    for target in plan.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        if target["inputs"].get("arn") == topic_arn:
            found.setdefault("events.amazonaws.com", target["name"])
    return found


def _publishers_to_queue(plan: PlanIndex, queue_arn: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for target in plan.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        if target["inputs"].get("arn") == queue_arn or (target["inputs"].get("deadLetterConfig") or {}).get("arn") == queue_arn:
            found.setdefault("events.amazonaws.com", target["name"])
    return found


def _check(plan: PlanIndex, resource: Mapping[str, Any], arn: str, publishers: dict[str, str], rule: str, doc: str) -> Iterator[DeployFinding]:
    key_arn = resource["inputs"].get("kmsMasterKeyId")
    if not key_arn:
        return
    if key_arn.startswith("alias/aws/"):
        if publishers:
            yield DeployFinding(rule, "error", resource["urn"], "kmsMasterKeyId",
                                f"the AWS managed key {key_arn} cannot be shared with {', '.join(sorted(publishers))}; use a customer managed key", doc)
        return
    key = _key_for(plan, key_arn)
    if key is None:
        return  # a key of another stack: the cross-stack check covers it
    key_policy = policy_document(key["inputs"].get("policy"))
    account = _arn_parts(arn)[4] if len(_arn_parts(arn)) > 4 else None
    for service, source in sorted(publishers.items()):
        context = {"aws:SecureTransport": "true", "aws:SourceAccount": account or "", "aws:SourceArn": arn}
        for action in KEY_ACTIONS:
            decision = evaluate(key_policy, AccessRequest(action, key_arn, service, None, context), resource_policy=True)
            if not decision.allowed:
                note = f" (unevaluated conditions: {', '.join(decision.unevaluated)})" if decision.unevaluated else ""
                yield DeployFinding(rule, "error", key["urn"], "policy",
                                    f"{service} sends to {arn} (from {source}) but the key policy does not allow it {action}{note}; its messages are dropped",
                                    doc)
                break


def encrypted_topic_publishers(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Every service publishing to an SSE-KMS topic (alarms, budgets, rules, and those the topic
    policy admits) may use the topic's key."""
    for topic in plan.of_type("aws:sns/topic:Topic"):
        name = topic["inputs"].get("name")
        key_arn = topic["inputs"].get("kmsMasterKeyId") or ""
        parts = _arn_parts(key_arn)
        if not name or len(parts) < 5:
            continue
        arn = f"arn:{parts[1]}:sns:{parts[3]}:{parts[4]}:{name}"
        publishers = _publishers_to_topic(plan, arn)
        for policy in plan.of_type("aws:sns/topicPolicy:TopicPolicy"):
            if policy["inputs"].get("arn") == arn:
                for service in _service_principals(policy_document(policy["inputs"].get("policy")), "sns:Publish"):
                    publishers.setdefault(service, policy["name"])
        yield from _check(plan, topic, arn, publishers, "sns-encrypted-topic-publishers", SNS_DOC)


def encrypted_queue_senders(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Every service sending to an SSE-KMS queue (EventBridge targets and dead-letter queues, and
    those the queue policy admits) may use the queue's key."""
    for queue in plan.of_type("aws:sqs/queue:Queue"):
        name = queue["inputs"].get("name")
        parts = _arn_parts(queue["inputs"].get("kmsMasterKeyId") or "")
        if not name or len(parts) < 5:
            continue
        arn = f"arn:{parts[1]}:sqs:{parts[3]}:{parts[4]}:{name}"
        publishers = _publishers_to_queue(plan, arn)
        for policy in plan.of_type("aws:sqs/queuePolicy:QueuePolicy"):
            document = policy_document(policy["inputs"].get("policy"))
            resources = [r for s in (document or {}).get("Statement", []) for r in (s.get("Resource") if isinstance(s.get("Resource"), list) else [s.get("Resource")])]
            if arn in resources:
                for service in _service_principals(document, "sqs:SendMessage"):
                    publishers.setdefault(service, policy["name"])
        yield from _check(plan, queue, arn, publishers, "sqs-encrypted-queue-senders", SQS_DOC)


RULES = (encrypted_topic_publishers, encrypted_queue_senders)
