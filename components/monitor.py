"""A model's monitoring: data-quality checks on captured traffic, alarms, dashboard widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.config.names import bounded, fitted

#: Account of the Model Monitor analyzer image per region (SageMaker's published registry).
ANALYZER_ACCOUNTS = {
    "us-east-1": "156813124566", "us-east-2": "777275614652", "us-west-1": "890145073186", "us-west-2": "159807026194",
    "eu-west-1": "468650794304", "eu-west-2": "749857270468", "eu-west-3": "680080141114", "eu-central-1": "048819808253",
    "eu-north-1": "895015795356", "ap-southeast-1": "245545462676", "ap-southeast-2": "563025443158", "ap-northeast-1": "574779866223",
}
SCHEDULES = {"hourly": "cron(0 * ? * * *)", "daily": "cron(0 0 ? * * *)"}


def analyzer_image(region: str) -> str:
    """The Model Monitor analyzer image for ``region``."""
    account = ANALYZER_ACCOUNTS.get(region)
    if account is None:
        raise ValueError(f"no Model Monitor analyzer image is known for region {region}")
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer"


@dataclass(frozen=True)
class ModelMonitorArgs:
    """Inputs of a ``ModelMonitor``.

    Attributes:
        endpoint_name: The monitored endpoint.
        schedule: "hourly" or "daily".
        region: Region (analyzer image).
        role_arn: Execution role of the monitoring jobs.
        baseline_uri: s3:// prefix holding statistics.json and constraints.json (written by
            the training pipeline).
        output_uri: s3:// prefix for reports.
        kms_key_arn: CMK for reports and volumes.
        subnet_ids: Private subnets of the jobs.
        security_group_ids: Security groups of the jobs.
        drift_alarm_name: Name of the drift alarm (the retraining trigger).
        drift_features: Features whose baseline drift raises it.
        drift_threshold: Drift distance that raises it.
        alarm_topic_arn: Where alarm notifications go.
    """

    endpoint_name: str
    schedule: str
    region: str
    role_arn: pulumi.Input[str]
    baseline_uri: pulumi.Input[str]
    output_uri: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    drift_alarm_name: str
    drift_features: Sequence[str]
    drift_threshold: float
    alarm_topic_arn: pulumi.Input[str]


class ModelMonitor(pulumi.ComponentResource):
    """Data-quality job definition and schedule (isolated, encrypted), a drift alarm, a
    no-traffic alarm, and the model's dashboard widgets."""

    widgets: list[dict[str, Any]]

    def __init__(self, name: str, args: ModelMonitorArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:monitoring:ModelMonitor", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args
        definition = aws.sagemaker.DataQualityJobDefinition(
            fitted(name, "-data-quality", "sagemaker", "MonitoringJobDefinitionName"),
            data_quality_app_specification={
                "image_uri": analyzer_image(a.region),
                "environment": {"publish_cloudwatch_metrics": "Enabled"},
            },
            data_quality_baseline_config={
                "constraints_resource": {"s3_uri": pulumi.Output.concat(a.baseline_uri, "constraints.json")},
                "statistics_resource": {"s3_uri": pulumi.Output.concat(a.baseline_uri, "statistics.json")},
            },
            data_quality_job_input={"endpoint_input": {"endpoint_name": a.endpoint_name, "local_path": "/opt/ml/processing/input/endpoint"}},
            data_quality_job_output_config={
                "kms_key_id": a.kms_key_arn,
                "monitoring_outputs": {"s3_output": {"s3_uri": a.output_uri, "local_path": "/opt/ml/processing/output", "s3_upload_mode": "EndOfJob"}},
            },
            job_resources={"cluster_config": {"instance_count": 1, "instance_type": "ml.m5.large", "volume_size_in_gb": 20, "volume_kms_key_id": a.kms_key_arn}},
            network_config={
                "enable_network_isolation": True,
                "enable_inter_container_traffic_encryption": True,
                "vpc_config": {"subnets": a.subnet_ids, "security_group_ids": a.security_group_ids},
            },
            role_arn=a.role_arn,
            stopping_condition={"max_runtime_in_seconds": 1800},
            opts=child,
        )
        schedule_name = bounded(a.endpoint_name, "-data-quality", "sagemaker", "MonitoringScheduleName")
        aws.sagemaker.MonitoringSchedule(
            f"{name}-schedule",
            name=schedule_name,
            monitoring_schedule_config={
                "monitoring_type": "DataQuality",
                "monitoring_job_definition_name": definition.name,
                "schedule_config": {"schedule_expression": SCHEDULES[a.schedule]},
            },
            opts=child,
        )
        dimensions = {"Endpoint": a.endpoint_name, "MonitoringSchedule": schedule_name}
        if a.drift_features:
            queries = [
                {
                    "id": f"f{i}",
                    "metric": {"metric_name": f"feature_baseline_drift_{feature}", "namespace": "aws/sagemaker/Endpoints/data-metrics", "period": 3600, "stat": "Maximum", "dimensions": dimensions},
                }
                for i, feature in enumerate(a.drift_features)
            ]
            queries.append({"id": "drift", "expression": f"MAX([{', '.join(q['id'] for q in queries)}])", "label": "Largest feature drift", "return_data": True})
            aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-drift",
                name=a.drift_alarm_name,
                alarm_description=f"Feature drift on {a.endpoint_name} above {a.drift_threshold}: retrains the model",
                comparison_operator="GreaterThanThreshold",
                threshold=a.drift_threshold,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                metric_queries=queries,
                alarm_actions=[a.alarm_topic_arn],
                ok_actions=[a.alarm_topic_arn],
                opts=child,
            )
        endpoint = {"EndpointName": a.endpoint_name, "VariantName": "champion"}
        aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-no-traffic",
            name=f"{a.endpoint_name}-no-invocations",
            alarm_description=f"{a.endpoint_name} received no invocations for an hour",
            namespace="AWS/SageMaker",
            metric_name="Invocations",
            dimensions=endpoint,
            statistic="Sum",
            period=3600,
            evaluation_periods=1,
            comparison_operator="LessThanThreshold",
            threshold=1,
            treat_missing_data="breaching",
            alarm_actions=[a.alarm_topic_arn],
            opts=child,
        )
        self.widgets = [
            {
                "type": "metric",
                "properties": {
                    "title": f"{a.endpoint_name}: traffic and errors",
                    "region": a.region,
                    "stat": "Sum",
                    "period": 300,
                    "metrics": [["AWS/SageMaker", m, "EndpointName", a.endpoint_name, "VariantName", "champion"] for m in ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors")],
                },
            },
            {
                "type": "metric",
                "properties": {
                    "title": f"{a.endpoint_name}: p99 model latency (µs)",
                    "region": a.region,
                    "stat": "p99",
                    "period": 300,
                    "metrics": [["AWS/SageMaker", "ModelLatency", "EndpointName", a.endpoint_name, "VariantName", "champion"]],
                },
            },
        ]
        self.register_outputs({})
