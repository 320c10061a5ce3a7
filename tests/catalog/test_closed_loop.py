"""The closed loop: drift or falling quality in test or prod retrains the model in dev; new data retrains it too.

In test and prod the model's monitoring pipeline publishes its largest feature PSI and, where labels
land, its training metric on ground truth; ``mlops-<env>-<model>-drift`` and ``-quality`` alarm on
them. DriftForwarding sends those alarms to the registry (dev) account's default bus, whose policy
admits the test and prod accounts; in dev the model's drift rule matches exactly those alarm names
in state ALARM and starts its training pipeline with the trigger role. New objects under
``models/<model>/`` of the raw bucket (which sends its events to EventBridge) start it too.
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
#: Models whose drift retrains them (retrainOnDrift, monitored on SageMaker): churn and fraud.
DRIFT_RETRAINED = ("churn", "fraud")
#: Models whose labels land (monitoring.groundTruth): their quality alarm retrains them too.
QUALITY_RETRAINED = ("churn",)
#: Where each variant monitors its models (an endpoint with data capture): each has a drift alarm,
#: which retrains only the DRIFT_RETRAINED ones (demand-forecast does not retrain on drift).
MONITORED = {
    "example": {"test": ("churn", "fraud"), "prod": ("churn",)},
    "scale-out-open": {"test": ("churn", "demand-forecast", "fraud"), "prod": ("churn", "fraud")},
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


def _alarm(plan, environment: str, model: str, kind: str = "drift") -> dict | None:
    found = plan.with_input(METRIC_ALARM, "name", f"mlops-{environment}-{model}-{kind}")
    return found[0] if found else None


def _retraining_alarms(model: str) -> list[str]:
    """The test and prod alarms of ``model`` that retrain a model (drift; quality where labels land)."""
    kinds = ("drift", "quality") if model in QUALITY_RETRAINED else ("drift",)
    return sorted(f"mlops-{env}-{model}-{kind}" for env in ("test", "prod") for kind in kinds)


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
        assert sorted(pattern["detail"]["alarmName"]) == _retraining_alarms(model)


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
def test_the_monitor_raises_the_drift_and_quality_alarms_the_dev_rule_waits_for(plan_of, variant, environment):
    plan, dev = plan_of(environment, variant), plan_of("dev", variant)
    specs = _specs(plan)

    for model in specs:
        drift, quality = _alarm(plan, environment, model), _alarm(plan, environment, model, "quality")
        if model not in MONITORED[variant][environment]:
            assert drift is None and quality is None, model
            continue
        spec = specs[model]
        served = {"Model": model, "Version": spec.versions.pinned(environment).rsplit("/", 1)[-1], "Environment": environment}
        trigger = event_pattern(_trigger(dev, model, "drift"))["detail"]["alarmName"] if model in DRIFT_RETRAINED else []
        assert (drift["inputs"]["namespace"], drift["inputs"]["metricName"]) == ("MLOps/Monitoring", "MaxFeaturePSI")
        assert drift["inputs"]["dimensions"] == served
        assert drift["inputs"]["threshold"] == spec.monitoring.drift_threshold
        assert drift["inputs"]["comparisonOperator"] == "GreaterThanThreshold"
        assert (drift["inputs"]["name"] in trigger) == (model in DRIFT_RETRAINED)
        if model not in QUALITY_RETRAINED:
            assert quality is None, model
            continue
        assert (quality["inputs"]["namespace"], quality["inputs"]["metricName"]) == ("MLOps/Monitoring", "ModelQuality")
        assert quality["inputs"]["dimensions"] == {**served, "Metric": spec.training.metric}
        assert quality["inputs"]["threshold"] == spec.quality_threshold
        assert quality["inputs"]["comparisonOperator"] == "LessThanThreshold"  # auc is maximized
        assert quality["inputs"]["name"] in trigger


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
    matchers = [m["wildcard"] for m in pattern["detail"]["alarmName"]]
    alarm_names = [a["inputs"]["name"] for a in plan.of_type(METRIC_ALARM)]
    forwarded = sorted(n for n in alarm_names if any(fnmatchcase(n, m) for m in matchers))
    assert forwarded == sorted(n for m in MONITORED[variant][environment] for n in _retraining_alarms(m) if f"-{environment}-" in n)
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
