"""ModelMonitor: isolated, encrypted data-quality checks, the drift alarm that retrains, widgets."""

from __future__ import annotations

import pytest
from rendering import KEY_ARN, LONG_BASE, REGION, ROLE_ARN, SECURITY_GROUPS, SUBNETS, TOPIC_ARN, auto_named_length

from components.monitor import SCHEDULES, ModelMonitor, ModelMonitorArgs, analyzer_image
from infra.config.aws_data import name_limit
from infra.config.names import bounded

DEFINITION = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def monitor(name: str = "mlops-prod-churn", **overrides) -> ModelMonitor:
    args = {
        "endpoint_name": name, "schedule": "hourly", "region": REGION, "role_arn": ROLE_ARN,
        "baseline_uri": "s3://mlops-prod-monitoring/churn/baseline/", "output_uri": "s3://mlops-prod-monitoring/churn/reports/",
        "kms_key_arn": KEY_ARN, "subnet_ids": list(SUBNETS), "security_group_ids": list(SECURITY_GROUPS),
        "drift_alarm_name": "mlops-prod-churn-drift", "drift_features": ("tenure", "spend"), "drift_threshold": 0.2,
        "alarm_topic_arn": TOPIC_ARN, **overrides,
    }
    return ModelMonitor(name, ModelMonitorArgs(**args))


@pytest.fixture(scope="module")
def out(render):
    return render(monitor)


def test_jobs_run_isolated_in_the_vpc_with_encrypted_traffic_volumes_and_reports(out):
    job = out.one(DEFINITION).inputs
    assert job["networkConfig"] == {
        "enableNetworkIsolation": True,
        "enableInterContainerTrafficEncryption": True,
        "vpcConfig": {"subnets": list(SUBNETS), "securityGroupIds": list(SECURITY_GROUPS)},
    }
    assert job["jobResources"]["clusterConfig"]["volumeKmsKeyId"] == KEY_ARN
    assert job["dataQualityJobOutputConfig"]["kmsKeyId"] == KEY_ARN


def test_checks_compare_the_endpoint_traffic_with_the_training_baseline(out):
    job = out.one(DEFINITION).inputs
    assert job["dataQualityJobInput"]["endpointInput"]["endpointName"] == "mlops-prod-churn"
    baseline = job["dataQualityBaselineConfig"]
    assert baseline["constraintsResource"] == {"s3Uri": "s3://mlops-prod-monitoring/churn/baseline/constraints.json"}
    assert baseline["statisticsResource"] == {"s3Uri": "s3://mlops-prod-monitoring/churn/baseline/statistics.json"}
    assert job["dataQualityAppSpecification"]["imageUri"] == analyzer_image(REGION)


def test_schedule_runs_the_definition_hourly(out):
    config = out.one(SCHEDULE).inputs["monitoringScheduleConfig"]
    assert config["scheduleConfig"] == {"scheduleExpression": SCHEDULES["hourly"]}
    assert config["monitoringType"] == "DataQuality"


def test_drift_alarm_takes_the_largest_feature_drift(out):
    drift = out.one(ALARM, "mlops-prod-churn-alarm-drift").inputs
    assert drift["name"] == "mlops-prod-churn-drift" and drift["threshold"] == 0.2
    features = [q["metric"]["metricName"] for q in drift["metricQueries"] if "metric" in q]
    assert features == ["feature_baseline_drift_tenure", "feature_baseline_drift_spend"]
    (result,) = [q for q in drift["metricQueries"] if q.get("returnData")]
    assert result["expression"] == "MAX([f0, f1])"
    assert drift["alarmActions"] == [TOPIC_ARN]


def test_no_drift_alarm_without_features_but_the_no_traffic_alarm_stays(render):
    alarms = render(lambda: monitor(drift_features=())).of_type(ALARM)
    assert [a.inputs["name"] for a in alarms] == ["mlops-prod-churn-no-invocations"]
    assert alarms[0].inputs["treatMissingData"] == "breaching"  # silence is the symptom


def test_widgets_chart_the_endpoints_traffic_and_latency(out):
    widgets = out.component.widgets
    assert len(widgets) == 2
    assert all(m[3] == "mlops-prod-churn" for w in widgets for m in w["properties"]["metrics"])


def test_long_endpoint_names_keep_schedule_and_definition_within_limits(render):
    endpoint_name = bounded(LONG_BASE, "", "sagemaker", "EndpointName")
    out = render(lambda: monitor(LONG_BASE, endpoint_name=endpoint_name))
    assert len(out.one(SCHEDULE).inputs["name"]) <= name_limit("sagemaker", "MonitoringScheduleName").max_length
    assert out.one(SCHEDULE).inputs["name"].endswith("-data-quality")
    assert auto_named_length(out.one(DEFINITION)) <= name_limit("sagemaker", "MonitoringJobDefinitionName").max_length


def test_unknown_region_has_no_analyzer_image():
    with pytest.raises(ValueError, match="no Model Monitor analyzer image"):
        analyzer_image("xx-nowhere-1")
