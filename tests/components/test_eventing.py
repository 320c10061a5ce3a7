"""DriftForwarding and SharedEventBus: retraining alarms (drift, quality) reach the registry account, from named accounts only."""

from __future__ import annotations

import json

import pytest
from rendering import ACCOUNT, QUEUE_ARN, READERS, REGION, statements

from components.eventing import DriftForwarding, DriftForwardingArgs, SharedEventBus, SharedEventBusArgs

REGISTRY_BUS = f"arn:aws:events:{REGION}:{READERS[1]}:event-bus/default"


def forwarding() -> DriftForwarding:
    return DriftForwarding(
        "mlops-prod-drift-forwarding",
        DriftForwardingArgs(
            alarm_name_patterns=["mlops-prod-*-drift", "mlops-prod-*-quality"], target_bus_arn=REGISTRY_BUS, role_name="mlops-prod-drift-forwarding",
            account_id=ACCOUNT, dead_letter_arn=QUEUE_ARN,
        ),
    )


@pytest.fixture(scope="module")
def out(render):
    return render(forwarding)


def test_forwarding_role_is_trusted_by_this_accounts_eventbridge_only(out):
    (trust,) = statements(out.policy("aws:iam/role:Role", "assumeRolePolicy")).values()
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_role_may_only_put_events_on_the_registry_bus(out):
    (grant,) = statements(out.policy("aws:iam/rolePolicy:RolePolicy")).values()
    assert grant["Action"] == ["events:PutEvents"] and grant["Resource"] == [REGISTRY_BUS]


def test_rule_matches_this_environments_retraining_alarms_entering_alarm(out):
    pattern = json.loads(out.one("aws:cloudwatch/eventRule:EventRule").inputs["eventPattern"])
    assert pattern["source"] == ["aws.cloudwatch"]
    assert pattern["detail"] == {
        "alarmName": [{"wildcard": "mlops-prod-*-drift"}, {"wildcard": "mlops-prod-*-quality"}],
        "state": {"value": ["ALARM"]},
    }


def test_forwarded_events_are_retried_and_dead_lettered(out):
    target = out.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["arn"] == REGISTRY_BUS
    assert target["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 3}
    assert target["deadLetterConfig"] == {"arn": QUEUE_ARN}


def test_shared_bus_accepts_events_from_the_named_accounts_only(render):
    bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    out = render(lambda: SharedEventBus("mlops-dev-events", SharedEventBusArgs(sender_accounts=READERS[::-1], bus_arn=bus)))
    (grant,) = statements(out.policy("aws:cloudwatch/eventBusPolicy:EventBusPolicy")).values()
    assert grant["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(READERS)]}
    assert grant["Action"] == ["events:PutEvents"] and grant["Resource"] == [bus]
    assert out.one("aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs["eventBusName"] == "default"
