"""The closed loop: drift in test or prod retrains the model in dev; new data retrains it too.

In test and prod the model's monitor raises ``mlops-<env>-<model>-drift`` over its drift
features; DriftForwarding sends those alarms to the registry (dev) account's default bus, whose
policy admits the test and prod accounts; in dev the model's drift rule matches exactly those
alarm names in state ALARM and starts its training pipeline with the trigger role. New objects
under ``models/<model>/`` of the raw bucket (which sends its events to EventBridge) start it too.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from catalog_plans import (
    BUCKET_NOTIFICATION,
    EVENT_BUS_POLICY,
    EVENT_RULE,
    EVENT_TARGET,
    METRIC_ALARM,
    PIPELINE,
    ROLE,
    ROLE_POLICY,
    event_pattern,
    policy,
)

VARIANTS = ("example", "scale-out-open")
#: Models whose drift retrains them (retrainOnDrift with drift features): churn and fraud.
DRIFT_RETRAINED = ("churn", "fraud")
#: Where each variant monitors those models (an endpoint with data capture).
MONITORED = {
    "example": {"test": ("churn", "fraud"), "prod": ("churn",)},
    "scale-out-open": {"test": ("churn", "fraud"), "prod": ("churn", "fraud")},
}
ALARM_STATE_CHANGE = {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}


def _specs(plan) -> dict:
    return {m.name: m for m in plan.settings.models}


def _trigger(dev, model: str, trigger: str) -> dict | None:
    rules = [r for r in dev.of_type(EVENT_RULE, dev.model_resources(model)) if r["name"].endswith(f"-training-on-{trigger}")]
    assert len(rules) <= 1
    return rules[0] if rules else None


def _targets_of(plan, rule: dict) -> list[dict]:
    return [t for t in plan.of_type(EVENT_TARGET) if plan.property_dependencies(t).get("rule") == [rule["urn"]]]


def _drift_alarm(plan, environment: str, model: str) -> dict | None:
    found = plan.with_input(METRIC_ALARM, "name", f"mlops-{environment}-{model}-drift")
    return found[0] if found else None


@pytest.mark.parametrize("variant", VARIANTS)
def test_dev_drift_rules_match_the_test_and_prod_drift_alarms_of_their_model(plan_of, variant):
    dev = plan_of("dev", variant)

    for model in _specs(dev):
        rule = _trigger(dev, model, "drift")
        if model not in DRIFT_RETRAINED:
            assert rule is None, f"{model} does not retrain on drift"
            continue
        pattern = event_pattern(rule)
        assert {k: pattern[k] for k in ALARM_STATE_CHANGE} == ALARM_STATE_CHANGE
        assert pattern["detail"]["state"] == {"value": ["ALARM"]}
        assert sorted(pattern["detail"]["alarmName"]) == [f"mlops-prod-{model}-drift", f"mlops-test-{model}-drift"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_retraining_trigger_starts_the_models_pipeline_with_the_trigger_role(plan_of, variant):
    dev = plan_of("dev", variant)
    checked = 0

    for model, spec in _specs(dev).items():
        # A batch-served model's scoring schedule starts its scoring pipeline (test_batch_serving).
        own = [r for r in dev.model_resources(model) if f"-{model}-batch" not in r["name"]]
        pipeline = dev.one(PIPELINE, own)
        for rule in dev.of_type(EVENT_RULE, own):
            [target] = _targets_of(dev, rule)
            assert dev.property_dependencies(target)["arn"] == [pipeline["urn"]], rule["name"]
            assert target["inputs"]["roleArn"] == dev.outputs["roleArns"]["pipeline-trigger"]
            checked += 1
        schedule = _trigger(dev, model, "schedule")
        assert schedule["inputs"]["scheduleExpression"] == spec.training.schedule

    assert checked >= 9  # schedule for 4 models, new data for 3, drift for 2


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("environment", ["test", "prod"])
def test_the_monitor_raises_the_drift_alarm_the_dev_rule_waits_for(plan_of, variant, environment):
    plan, dev = plan_of(environment, variant), plan_of("dev", variant)
    specs = _specs(plan)

    for model in specs:
        alarm = _drift_alarm(plan, environment, model)
        if model not in MONITORED[variant][environment]:
            assert alarm is None, model
            continue
        spec = specs[model]
        metrics = [q["metric"] for q in alarm["inputs"]["metricQueries"] if "metric" in q]
        assert sorted(m["metricName"] for m in metrics) == sorted(f"feature_baseline_drift_{f}" for f in spec.monitoring.drift_features)
        assert {m["dimensions"]["Endpoint"] for m in metrics} == {f"mlops-{environment}-{model}"}
        assert alarm["inputs"]["threshold"] == spec.monitoring.drift_threshold
        assert alarm["inputs"]["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["inputs"]["name"] in event_pattern(_trigger(dev, model, "drift"))["detail"]["alarmName"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("environment", ["test", "prod"])
def test_drift_forwarding_sends_exactly_the_drift_alarms_to_the_registry_accounts_bus(plan_of, variant, environment):
    plan, dev = plan_of(environment, variant), plan_of("dev", variant)
    registry_account = dev.settings.env.account_id
    assert plan.settings.env.account_id != registry_account, "precondition: the example uses separate accounts"
    bus = f"arn:aws:events:{dev.settings.env.region}:{registry_account}:event-bus/default"

    [rule] = [r for r in plan.of_type(EVENT_RULE) if r["name"] == f"mlops-{environment}-drift-forwarding-rule"]

    pattern = event_pattern(rule)
    assert {k: pattern[k] for k in ALARM_STATE_CHANGE} == ALARM_STATE_CHANGE
    assert pattern["detail"]["state"] == {"value": ["ALARM"]}
    [matcher] = pattern["detail"]["alarmName"]
    alarm_names = [a["inputs"]["name"] for a in plan.of_type(METRIC_ALARM)]
    forwarded = sorted(n for n in alarm_names if fnmatchcase(n, matcher["wildcard"]))
    assert forwarded == sorted(f"mlops-{environment}-{m}-drift" for m in MONITORED[variant][environment])
    [target] = _targets_of(plan, rule)
    assert target["inputs"]["arn"] == bus
    [role] = [r for r in plan.of_type(ROLE) if r["urn"] in plan.property_dependencies(target)["roleArn"]]
    assert policy(role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    [grant] = [p for p in plan.of_type(ROLE_POLICY) if plan.property_dependencies(p).get("role") == [role["urn"]]]
    assert [(s["Action"], s["Resource"]) for s in policy(grant, "policy")["Statement"]] == [(["events:PutEvents"], [bus])]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_registry_bus_admits_the_test_and_prod_accounts(plan_of, variant):
    dev = plan_of("dev", variant)
    senders = sorted(plan_of(env, variant).settings.env.account_id for env in ("test", "prod"))
    bus = f"arn:aws:events:{dev.settings.env.region}:{dev.settings.env.account_id}:event-bus/default"

    [bus_policy] = dev.of_type(EVENT_BUS_POLICY)

    assert bus_policy["inputs"]["eventBusName"] == "default"
    [statement] = policy(bus_policy, "policy")["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Allow", ["events:PutEvents"], [bus])
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in senders]}


@pytest.mark.parametrize("variant", VARIANTS)
def test_new_data_under_the_models_raw_prefix_retrains_it(plan_of, variant):
    dev = plan_of("dev", variant)
    raw = dev.outputs["buckets"]["raw"]

    for model, spec in _specs(dev).items():
        rule = _trigger(dev, model, "new-data")
        if not spec.training.retrain_on_new_data:
            assert rule is None, model
            continue
        pattern = event_pattern(rule)
        assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
        assert pattern["detail"]["bucket"]["name"] == [raw]
        assert pattern["detail"]["object"]["key"] == [{"prefix": f"models/{model}/"}]
    assert [m for m, s in _specs(dev).items() if not s.training.retrain_on_new_data] == ["customer-ltv", "support-triage"]


def test_the_raw_bucket_sends_its_events_to_eventbridge(plan_of):
    dev = plan_of("dev")

    notifications = dev.with_input(BUCKET_NOTIFICATION, "bucket", dev.outputs["buckets"]["raw"])

    assert [n["inputs"].get("eventbridge") for n in notifications] == [True]
