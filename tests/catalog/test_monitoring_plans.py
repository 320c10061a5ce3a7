"""What each environment monitors: the monitoring pipeline by default, Model Monitor only on request.

Every served SageMaker model in test and prod gets a monitoring pipeline on the pinned version, an
EventBridge schedule that starts it (retries, dead-letter queue), alarms in the platform's
namespace and dashboard widgets; the engine ``model-monitor`` brings back Model Monitor's job
definition and schedule instead. Kubernetes-served models get latency and error alerts.
"""

from __future__ import annotations

import json

import pytest
from catalog_plans import (
    DASHBOARD,
    EVENT_RULE,
    EVENT_TARGET,
    METRIC_ALARM,
    PIPELINE,
    ROLE_POLICY,
    policy,
)

DATA_QUALITY_JOB = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
MONITORING_SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
MODEL_MONITOR_TYPES = (DATA_QUALITY_JOB, MONITORING_SCHEDULE)
#: Served on SageMaker and monitored, per environment of the example catalog.
MONITORED = {"test": ("churn", "fraud"), "prod": ("churn",)}
SCHEDULE = {"test": "cron(0 0 ? * * *)", "prod": "cron(0 * ? * * *)"}


def _monitoring_pipeline(plan, model: str) -> dict | None:
    found = [p for p in plan.of_type(PIPELINE) if p["inputs"]["pipelineName"] == f"{plan.prefix}-{model}-monitoring"]
    return found[0] if found else None


def _definition(pipeline: dict) -> dict:
    return json.loads(pipeline["inputs"]["pipelineDefinition"])


def _step(definition: dict, name: str) -> dict | None:
    return next((s for s in definition["Steps"] if s["Name"] == name), None)


def _argument(step: dict, flag: str):
    arguments = step["Arguments"]["AppSpecification"]["ContainerArguments"]
    return arguments[arguments.index(flag) + 1]


@pytest.mark.parametrize("environment", ["test", "prod"])
def test_every_served_model_has_a_scheduled_monitoring_pipeline_and_no_model_monitor(plan_of, environment):
    plan = plan_of(environment)
    specs = {m.name: m for m in plan.settings.models}

    assert [r["type"] for r in plan.resources if r["type"] in MODEL_MONITOR_TYPES] == []
    monitored = sorted(m for m in specs if _monitoring_pipeline(plan, m))
    assert monitored == sorted(MONITORED[environment])
    for model in monitored:
        pipeline = _monitoring_pipeline(plan, model)
        definition = _definition(pipeline)
        drift = _step(definition, "DriftCheck")
        network = drift["Arguments"]["NetworkConfig"]
        assert network["VpcConfig"]["Subnets"] == plan.outputs["subnetIds"]
        assert drift["Arguments"]["ProcessingOutputConfig"]["KmsKeyId"] == plan.outputs["kmsKeyArn"]
        assert pipeline["inputs"]["roleArn"] == plan.outputs["roleArns"]["pipeline"]
        capture = next(p["DefaultValue"] for p in definition["Parameters"] if p["Name"] == "CaptureUri")
        endpoint = f"{plan.prefix}-{model}"
        assert capture == f"s3://{plan.outputs['buckets']['capture']}/endpoints/{endpoint}/{endpoint}/champion/"
        # Quality is checked only where labels land.
        assert (_step(definition, "QualityCheck") is not None) == bool(specs[model].monitoring.ground_truth)

        [target] = [t for t in plan.of_type(EVENT_TARGET) if plan.property_dependencies(t).get("arn") == [pipeline["urn"]]]
        [rule] = [r for r in plan.of_type(EVENT_RULE) if r["urn"] in plan.property_dependencies(target)["rule"]]
        assert rule["inputs"]["scheduleExpression"] == SCHEDULE[environment]
        assert target["inputs"]["roleArn"] == plan.outputs["roleArns"]["pipeline-trigger"]
        assert target["inputs"]["deadLetterConfig"]["arn"] == plan.outputs["deadLetterQueueArn"]
        assert target["inputs"]["retryPolicy"]["maximumRetryAttempts"] >= 1


@pytest.mark.parametrize("environment", ["test", "prod"])
def test_alarms_watch_the_served_version_in_the_platform_namespace_and_say_how_silence_counts(plan_of, environment):
    plan = plan_of(environment)
    specs = {m.name: m for m in plan.settings.models}
    topic = plan.outputs["alertTopicArn"]

    for model in MONITORED[environment]:
        version = specs[model].versions.pinned(environment).rsplit("/", 1)[-1]
        alarms = {a["inputs"]["name"]: a["inputs"] for a in plan.of_type(METRIC_ALARM)
                  if a["inputs"].get("namespace") == "MLOps/Monitoring" and a["inputs"]["dimensions"]["Model"] == model}
        prefix = f"{plan.prefix}-{model}"
        expected = {f"{prefix}-drift": ("MaxFeaturePSI", "notBreaching"),
                    f"{prefix}-monitoring-no-baseline": ("BaselineMissing", "notBreaching"),
                    f"{prefix}-monitoring-not-running": ("BaselineMissing", "breaching")}
        if specs[model].monitoring.ground_truth:
            expected[f"{prefix}-quality"] = ("ModelQuality", "notBreaching")
        assert {name: (a["metricName"], a["treatMissingData"]) for name, a in alarms.items()} == expected
        for alarm in alarms.values():
            assert {k: alarm["dimensions"][k] for k in ("Model", "Version", "Environment")} == {
                "Model": model, "Version": version, "Environment": environment}
            assert alarm["alarmActions"] == [topic]
        assert alarms[f"{prefix}-monitoring-no-baseline"]["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarms[f"{prefix}-monitoring-no-baseline"]["threshold"] == 1
        assert alarms[f"{prefix}-monitoring-not-running"]["statistic"] == "SampleCount"


def test_prod_monitors_the_baseline_of_its_pinned_version_not_devs_newer_one(plan_of):
    prod, dev = plan_of("prod"), plan_of("dev")
    churn = next(m for m in prod.settings.models if m.name == "churn")
    pinned, candidate = churn.versions.prod, churn.versions.dev
    assert pinned.endswith("/3") and candidate.endswith("/4"), "precondition: prod at N, dev at N+1"

    drift = _step(_definition(_monitoring_pipeline(prod, "churn")), "DriftCheck")

    # No fixed "latest" baseline path: the job reads the baseline the pinned version recorded.
    assert _argument(drift, "--model-package") == pinned
    assert _argument(drift, "--version") == "3"
    assert _argument(drift, "--baseline") == {"Get": "Parameters.BaselineUri"}
    assert "monitoring/baseline" not in json.dumps(_definition(_monitoring_pipeline(prod, "churn")))
    assert _monitoring_pipeline(dev, "churn") is None  # dev does not monitor


@pytest.mark.parametrize("environment", ["test", "prod"])
def test_the_monitoring_role_publishes_metrics_only_into_the_platform_namespace(plan_of, environment):
    plan = plan_of(environment)
    [grant] = [p for p in plan.of_type(ROLE_POLICY) if p["name"] == f"{plan.prefix}-access-pipeline"]

    puts = [s for s in policy(grant, "policy")["Statement"] if "cloudwatch:PutMetricData" in s["Action"]]

    assert [s["Condition"] for s in puts] == [{"StringEquals": {"cloudwatch:namespace": "MLOps/Monitoring"}}]


@pytest.mark.parametrize("environment", ["test", "prod"])
def test_the_dashboard_shows_drift_and_quality_per_monitored_model(plan_of, environment):
    plan = plan_of(environment)
    [dashboard] = plan.of_type(DASHBOARD)
    widgets = json.loads(dashboard["inputs"]["dashboardBody"])["widgets"]
    titles = [w["properties"].get("title", "") for w in widgets if w["type"] == "metric"]

    for model in MONITORED[environment]:
        spec = next(m for m in plan.settings.models if m.name == model)
        assert any(t.startswith(f"{model} v") and "drift" in t for t in titles), model
        if spec.monitoring.ground_truth:
            assert any(t.startswith(f"{model} v") and f"{spec.training.metric} on ground truth" in t for t in titles), model


@pytest.mark.parametrize("environment", ["test", "prod"])
def test_engine_model_monitor_brings_back_model_monitor_instead_of_the_pipeline(plan_of, environment):
    plan = plan_of(environment, "model-monitor")

    for model in MONITORED[environment]:
        assert _monitoring_pipeline(plan, model) is None
        jobs = [r for r in plan.of_type(DATA_QUALITY_JOB, plan.model_resources(model))]
        schedules = [r for r in plan.of_type(MONITORING_SCHEDULE, plan.model_resources(model))]
        assert len(jobs) == len(schedules) == 1, model
        assert jobs[0]["inputs"]["dataQualityJobInput"]["endpointInput"]["endpointName"] == f"{plan.prefix}-{model}"
    assert plan.of_type(PIPELINE) == []


def test_kubernetes_served_models_get_latency_error_and_availability_alerts(plan_of):
    plan = plan_of("dev", "scale-out-open")
    triage = next(m for m in plan.settings.models if m.name == "support-triage")
    assert triage.serving.target == "kubernetes" and triage.versions.dev, "precondition: served on Kubernetes here"

    [rule] = [r for r in plan.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule", plan.model_resources("support-triage"))]
    alerts = {a["alert"]: a for group in rule["inputs"]["spec"]["groups"] for a in group["rules"]}

    assert sorted(alerts) == ["ModelErrorRateHigh", "ModelLatencyHigh", "ModelUnavailable"]
    assert alerts["ModelLatencyHigh"]["expr"].endswith(f"> {triage.monitoring.latency_p99_ms / 1000:g}")
    assert alerts["ModelErrorRateHigh"]["expr"].endswith(f"> {triage.monitoring.error_rate_percent:g}")
    for alert in alerts.values():
        assert f'"{triage.owner}"' in alert["expr"] and '"support-triage"' in alert["expr"]
