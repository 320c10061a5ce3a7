"""Each deploy rule passes on the real example plans and fails once one planned input is broken."""

from __future__ import annotations

import json

import pytest
from plan_edits import mutated

from infra.config.aws_data import (
    instance_types,
    name_limit,
    partition_of_region,
    regions,
)
from mlops.deploy.check import check_resources


def rules_of(findings, severity="error"):
    return {f.rule for f in findings if f.severity == severity}


@pytest.mark.parametrize("stack", ["dev", "test", "prod"])
def test_example_stacks_plan_without_deploy_errors(planned, stack):
    findings = check_resources(planned(stack).resources)
    assert [f for f in findings if f.severity == "error"] == []


def test_the_check_is_deterministic_and_sorted(planned):
    resources = mutated(planned("prod").resources, "mlops-prod-churn-serving-config", lambda i: i["productionVariants"][0].update(instanceType="ml.m5.huge"))
    first, second = check_resources(resources), check_resources(list(reversed(resources)))
    assert first == second == tuple(sorted(first)) and first
    assert json.dumps([f.to_json() for f in first])


def _set(path, value):
    def change(inputs):
        *head, last = path
        node = inputs
        for key in head:
            node = node[key]
        node[last] = value
    return change


# (stack, resource, change, rule that must fire, field it names)
CASES = [
    ("prod", "mlops-prod-churn-serving-config", _set(["productionVariants", 0, "instanceType"], "ml.m5.huge"), "api-model", "productionVariants[0].instanceType"),
    ("test", "mlops-test-churn-monitoring-data-quality", _set(["jobResources", "clusterConfig", "instanceType"], "ml.inf1.xlarge"), "api-model", "jobResources.clusterConfig.instanceType"),
    ("dev", "mlops-dev-churn-serving-config", _set(["productionVariants", 0, "serverlessConfig", "memorySizeInMb"], 99999), "api-model", "productionVariants[0].serverlessConfig.memorySizeInMb"),
    ("dev", "mlops-dev-churn-serving-config", _set(["dataCaptureConfig"], {"enableCapture": True, "initialSamplingPercentage": 10, "destinationS3Uri": "s3://b/p", "captureOptions": [{"captureMode": "Input"}]}), "sagemaker-serverless-exclusions", "dataCaptureConfig.enableCapture"),
    ("dev", "mlops-dev-churn-serving-champion", _set(["enableNetworkIsolation"], True), "sagemaker-serverless-exclusions", "enableNetworkIsolation"),
    ("prod", "mlops-prod-churn-serving-endpoint", _set(["deploymentConfig", "blueGreenUpdatePolicy", "trafficRoutingConfiguration", "canarySize"], {"type": "CAPACITY_PERCENT", "value": 10}), "sagemaker-canary-size", "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.canarySize"),
    ("prod", "mlops-prod-churn-serving-endpoint", _set(["deploymentConfig", "blueGreenUpdatePolicy", "trafficRoutingConfiguration", "canarySize"], {"type": "INSTANCE_COUNT", "value": 2}), "sagemaker-canary-size", "deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.canarySize"),
    ("test", "mlops-test-churn-serving-endpoint", _set(["deploymentConfig"], {"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {"type": "ALL_AT_ONCE"}}}), "sagemaker-guarded-variant-names", "deploymentConfig"),
    ("test", "mlops-test-churn-monitoring-schedule", _set(["monitoringScheduleConfig", "scheduleConfig", "scheduleExpression"], "cron(30 * ? * * *)"), "sagemaker-monitor-cron", "monitoringScheduleConfig.scheduleConfig.scheduleExpression"),
    ("dev", "mlops-dev-overview-dashboard", _set(["dashboardBody"], json.dumps({"widgets": [{"type": "metric", "properties": {"metrics": [["AWS/SageMaker", "Invocations", "EndpointName", f"e{i}"] for i in range(501)]}}]})), "cloudwatch-dashboard-quotas", "dashboardBody.widgets[0].properties.metrics"),
    ("prod", "mlops-prod-churn-monitoring-alarm-drift", _set(["metricQueries"], [{"id": f"m{i}", "metric": {"metricName": "x", "namespace": "n", "period": 60, "stat": "Maximum"}} for i in range(11)]), "cloudwatch-alarm-quotas", "metricQueries"),
    ("prod", "mlops-prod-churn-monitoring-pipeline-alarm-not-running", _set(["evaluationPeriods"], 169), "cloudwatch-alarm-evaluation-range", "evaluationPeriods"),
    ("prod", "mlops-prod-churn-serving-alarm-latency", _set(["evaluationPeriods"], 1441), "cloudwatch-alarm-evaluation-range", "evaluationPeriods"),
    ("prod", "mlops-prod-roles-pipeline", _set(["assumeRolePolicy"], json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Sid": "x" * 2100}]})), "iam-trust-policy-size", "assumeRolePolicy"),
    ("prod", "mlops-prod-access-pipeline", _set(["policy"], json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b/{'k' * 10300}"}]})), "iam-inline-policy-size", "policy"),
    ("prod", "mlops-prod-churn-serving-config", _set(["tags"], {f"t{i}": "v" for i in range(44)}), "tag-limits", "tags"),
    ("prod", "mlops-prod-raw", _set(["bucket"], "Mlops_Prod_Raw"), "s3-bucket-name", "bucket"),
    ("prod", "mlops-prod-key-key", lambda i: i.update(policy=i["policy"].replace('"budgets.amazonaws.com", ', "")), "sns-encrypted-topic-publishers", "policy"),
    ("prod", "mlops-prod-key-key", lambda i: i.update(policy=i["policy"].replace('"cloudwatch.amazonaws.com", "events.amazonaws.com"', '"cloudwatch.amazonaws.com"')), "sqs-encrypted-queue-senders", "policy"),
]

#: Resources of the model-monitor engine, planned with every model on it.
MODEL_MONITOR_RESOURCES = ("mlops-test-churn-monitoring-data-quality", "mlops-test-churn-monitoring-schedule", "mlops-prod-churn-monitoring-alarm-drift")


@pytest.mark.parametrize("stack, name, change, rule, field", CASES, ids=[f"{c[3]}-{c[1]}" for c in CASES])
def test_each_rule_fails_on_a_broken_input_of_a_real_plan(planned, planned_model_monitor, stack, name, change, rule, field):
    # Model Monitor resources exist only in plans whose models choose that engine.
    base = (planned_model_monitor if name in MODEL_MONITOR_RESOURCES else planned)(stack).resources
    assert rule not in rules_of(check_resources(base))
    findings = check_resources(mutated(base, name, change))
    hits = [f for f in findings if f.rule == rule and f.severity == "error"]
    assert hits, f"{rule} did not fire"
    assert any(f.field == field for f in hits), [f.field for f in hits]
    assert all(f.doc for f in hits)


def test_a_name_too_long_after_auto_naming_names_the_rule_and_the_resource(planned):
    resources = [dict(r) for r in planned("dev").resources]
    rule = next(r for r in resources if r["type"] == "aws:cloudwatch/eventRule:EventRule")
    assert "name" not in rule["inputs"]
    rule["name"] = "r" * 57  # 57 + 8 = 65 > 64 (events RuleName)
    rule["urn"] = rule["urn"].rsplit("::", 1)[0] + "::" + rule["name"]
    findings = [f for f in check_resources(resources) if f.resource == rule["urn"]]
    assert [f.rule for f in findings] == ["api-name-after-auto-naming"]
    assert "64" in findings[0].message and findings[0].field == "name"


def test_aws_data_comes_from_botocore():
    assert "ml.m5.large" in instance_types("endpoint") and "ml.m5.large" in instance_types("processing")
    assert "ml.t2.medium" in instance_types("endpoint") and "ml.t2.medium" not in instance_types("training")
    assert name_limit("events", "RuleName").max_length == 64
    assert name_limit("sagemaker", "EntityName").problem("a" * 64) is not None
    assert name_limit("sagemaker", "EntityName").problem("mlops-dev-churn") is None
    assert "eu-west-1" in regions("aws") and "cn-north-1" in regions("aws-cn")
    assert partition_of_region("us-gov-west-1") == "aws-us-gov"
