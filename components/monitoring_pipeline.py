"""A served model's monitoring on the platform's own code: a SageMaker pipeline, its schedule, its alarms.

SageMaker Model Monitor is closed to new AWS customers ("Amazon SageMaker Model Monitor availability
change", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-availability-change.html);
AWS's replacement is a SageMaker Pipeline with processing steps computing drift and model quality,
scheduled by EventBridge, alerting through SNS, metrics in CloudWatch. This component deploys the
definition of ``pipelines.definition.monitoring`` that way: step code uploaded next to the
environment's artifacts, the pipeline, an EventBridge schedule (retry policy and dead-letter queue
like the training triggers) and four alarms on the metrics the steps publish in the platform's
namespace, each with the Model, Version and Environment dimensions of the version being served.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.pipeline_triggers import start_pipeline_on
from pipelines.definition.monitoring import (
    DEFAULT_METRIC_NAMESPACE,
    monitoring_step_code,
)

#: When the schedule starts a run, and how many hours of traffic each run reads (its period).
SCHEDULES = {"hourly": ("cron(0 * ? * * *)", 1), "daily": ("cron(0 0 ? * * *)", 24)}
# Metric names and dimensions the steps publish (pipelines/steps/monitor_drift.py,
# monitor_quality.py and monitoring_data.py; tests/pipelines check they agree).
BASELINE_MISSING = "BaselineMissing"
CAPTURED_ROWS = "CapturedRows"
MAX_FEATURE_PSI = "MaxFeaturePSI"
DRIFTED_FEATURES = "DriftedFeatures"
MODEL_QUALITY = "ModelQuality"
LABELLED_ROWS = "LabelledRows"
METRIC_DIMENSION = "Metric"


@dataclass(frozen=True)
class ResolvedMonitoringInputs:
    """The deployed values a monitoring definition is built from, once Pulumi has resolved them.

    Attributes:
        role_arn: Role of the pipeline and its jobs.
        kms_key_arn: The platform CMK.
        code_uris: ``s3://`` URI of each uploaded ``monitoring_step_code()`` object, by name.
        capture_uri: Capture prefix of the variant serving the pinned version.
        report_uri: Where reports go in the monitoring bucket.
        ground_truth_uri: Where labels land, or "" (no quality step).
        subnet_ids: Private subnets of the jobs.
        security_group_ids: Security groups of the jobs.
    """

    role_arn: str
    kms_key_arn: str
    code_uris: Mapping[str, str]
    capture_uri: str
    report_uri: str
    ground_truth_uri: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class MonitoringPipelineArgs:
    """Inputs of a ``MonitoringPipeline``.

    Attributes:
        pipeline_name: SageMaker pipeline name; the operational alarms are named after it.
        endpoint_name: The monitored endpoint (traffic alarm and widgets).
        model_name: Catalog name (metric dimension Model).
        environment: dev, test or prod (metric dimension Environment).
        version: Registry version served (metric dimension Version), e.g. ``"3"``.
        definition: Builds the definition JSON from the resolved inputs; it must be deterministic.
        schedule: ``hourly`` or ``daily``: when runs start and the hours each reads.
        code_bucket: Bucket the step code is uploaded to (the environment's artifacts bucket).
        capture_uri: Capture prefix of the variant serving the pinned version.
        report_uri: Report prefix in the monitoring bucket.
        ground_truth_uri: Where labels land, or None: no quality step and no quality alarm.
        role_arn: Role of the pipeline and its jobs.
        trigger_role_arn: Role EventBridge starts the pipeline with.
        kms_key_arn: CMK of uploaded code, job volumes and outputs.
        subnet_ids: Private subnets of the jobs.
        security_group_ids: Security groups of the jobs.
        psi_threshold: Largest feature PSI above which the drift alarm fires.
        quality_metric: The catalog's training metric (metric dimension Metric of ModelQuality).
        quality_direction: ``maximize`` (alarm below the threshold) or ``minimize`` (above).
        quality_threshold: The bound of that metric on live traffic.
        drift_alarm_name: Name of the drift alarm (a retraining trigger).
        quality_alarm_name: Name of the quality alarm (a retraining trigger).
        alarm_topic_arn: Where alarm notifications go.
        dead_letter_arn: Queue keeping schedule events that could not start the pipeline.
        region: Region of the metrics (dashboard widgets).
        namespace: CloudWatch namespace the steps publish into.
    """

    pipeline_name: str
    endpoint_name: str
    model_name: str
    environment: str
    version: str
    definition: Callable[[ResolvedMonitoringInputs], str]
    schedule: Literal["hourly", "daily"]
    code_bucket: pulumi.Input[str]
    capture_uri: pulumi.Input[str]
    report_uri: pulumi.Input[str]
    ground_truth_uri: pulumi.Input[str] | None
    role_arn: pulumi.Input[str]
    trigger_role_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    psi_threshold: float
    quality_metric: str
    quality_direction: Literal["maximize", "minimize"]
    quality_threshold: float
    drift_alarm_name: str
    quality_alarm_name: str
    alarm_topic_arn: pulumi.Input[str]
    dead_letter_arn: pulumi.Input[str]
    region: str
    namespace: str = DEFAULT_METRIC_NAMESPACE


class MonitoringPipeline(pulumi.ComponentResource):
    """Monitoring pipeline, schedule, alarms and dashboard widgets of one served model version."""

    pipeline: aws.sagemaker.Pipeline
    widgets: list[dict[str, Any]]

    def __init__(self, name: str, args: MonitoringPipelineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:monitoring:MonitoringPipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args
        code_uris = {}
        for code in monitoring_step_code():
            # Under the pipeline's own prefix: every model's monitoring owns its objects.
            uploaded = aws.s3.BucketObjectv2(
                f"{name}-code-{code.name}",
                bucket=a.code_bucket,
                key=f"monitoring/{a.pipeline_name}/{code.key}",
                content_base64=base64.b64encode(code.content).decode(),
                content_type="text/x-python",
                kms_key_id=a.kms_key_arn,
                server_side_encryption="aws:kms",
                opts=child,
            )
            code_uris[code.name] = pulumi.Output.concat("s3://", uploaded.bucket, "/", uploaded.key)
        resolved = pulumi.Output.all(
            role_arn=a.role_arn,
            kms_key_arn=a.kms_key_arn,
            code_uris=code_uris,
            capture_uri=a.capture_uri,
            report_uri=a.report_uri,
            ground_truth_uri=a.ground_truth_uri or "",
            subnet_ids=a.subnet_ids,
            security_group_ids=a.security_group_ids,
        )
        self.pipeline = aws.sagemaker.Pipeline(
            f"{name}-pipeline",
            pipeline_name=a.pipeline_name,
            pipeline_display_name=a.pipeline_name,
            pipeline_description=f"Drift{' and model quality' if a.ground_truth_uri else ''} of {a.model_name} "
            f"version {a.version} in {a.environment}, {a.schedule}",
            pipeline_definition=resolved.apply(
                lambda values: a.definition(
                    ResolvedMonitoringInputs(
                        **{**values, "subnet_ids": tuple(values["subnet_ids"]), "security_group_ids": tuple(values["security_group_ids"])}
                    )
                )
            ),
            role_arn=a.role_arn,
            parallelism_configuration={"max_parallel_execution_steps": 2},
            opts=child,
        )
        expression, window_hours = SCHEDULES[a.schedule]
        start_pipeline_on(
            name,
            "-schedule",
            pipeline_arn=self.pipeline.arn,
            role_arn=a.trigger_role_arn,
            dead_letter_arn=a.dead_letter_arn,
            description=f"Monitor {a.model_name} version {a.version} in {a.environment} ({a.schedule})",
            opts=child,
            schedule_expression=expression,
        )
        period = 3600 * window_hours
        dimensions = {"Model": a.model_name, "Version": a.version, "Environment": a.environment}

        def alarm(suffix: str, alarm_name: str, description: str, metric: str, statistic: str, comparison: str,
                  threshold: float, missing: str, periods: int = 1, extra: Mapping[str, str] | None = None,
                  recovers: bool = False) -> None:
            aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{suffix}",
                name=alarm_name,
                alarm_description=description,
                namespace=a.namespace,
                metric_name=metric,
                dimensions={**dimensions, **(extra or {})},
                statistic=statistic,
                period=period,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator=comparison,
                threshold=threshold,
                treat_missing_data=missing,
                alarm_actions=[a.alarm_topic_arn],
                ok_actions=[a.alarm_topic_arn] if recovers else None,
                opts=child,
            )

        # Drift: a run publishes MaxFeaturePSI only when it has a baseline and traffic. Missing data
        # is notBreaching: no traffic, no baseline and no run each have their own alarm below, and
        # treating silence as drift would start retraining on nothing.
        alarm("drift", a.drift_alarm_name, f"Largest feature PSI of {a.model_name} v{a.version} above {a.psi_threshold}: retrains the model",
              MAX_FEATURE_PSI, "Maximum", "GreaterThanThreshold", a.psi_threshold, "notBreaching", recovers=True)
        if a.ground_truth_uri:
            below = a.quality_direction == "maximize"
            # Quality: published only when labels joined some predictions. Labels arrive late and
            # unevenly, so a window without them is notBreaching (not evidence of a worse model);
            # a job that stopped running is the not-running alarm's business.
            alarm("quality", a.quality_alarm_name,
                  f"{a.quality_metric} of {a.model_name} v{a.version} on ground truth {'below' if below else 'above'} {a.quality_threshold}: retrains the model",
                  MODEL_QUALITY, "Minimum" if below else "Maximum", "LessThanThreshold" if below else "GreaterThanThreshold",
                  a.quality_threshold, "notBreaching", extra={METRIC_DIMENSION: a.quality_metric}, recovers=True)
        # No baseline: every run publishes BaselineMissing (1 without a baseline). Missing data is
        # notBreaching: without a run nothing is known about the baseline; not-running reports it.
        alarm("no-baseline", f"{a.pipeline_name}-no-baseline",
              f"{a.model_name} v{a.version} has no drift baseline: drift is not checked (see mlops preflight)",
              BASELINE_MISSING, "Maximum", "GreaterThanOrEqualToThreshold", 1, "notBreaching", recovers=True)
        # Not running: BaselineMissing has one datapoint per finished run. Missing data is breaching:
        # a failed, stopped or never-started pipeline publishes nothing, and that silence must alarm.
        # Two periods, so a run that publishes a few minutes into its period is not reported.
        alarm("not-running", f"{a.pipeline_name}-not-running",
              f"Monitoring of {a.model_name} v{a.version} has not completed a run for two {a.schedule} periods",
              BASELINE_MISSING, "SampleCount", "LessThanThreshold", 1, "breaching", periods=2, recovers=True)

        def series(metric: str, dimension: Mapping[str, str] | None = None, options: Mapping[str, str] | None = None) -> list:
            pairs = [part for key, value in {**dimensions, **(dimension or {})}.items() for part in (key, value)]
            return [a.namespace, metric, *pairs, *([dict(options)] if options else [])]

        label = f"{a.model_name} v{a.version}"
        quality = {METRIC_DIMENSION: a.quality_metric}
        self.widgets = [
            *serving_watch(name, a.endpoint_name, a.region, a.alarm_topic_arn, child),
            {
                "type": "metric",
                "properties": {
                    "title": f"{label}: drift (largest feature PSI, threshold {a.psi_threshold})",
                    "region": a.region, "stat": "Maximum", "period": period,
                    "metrics": [series(MAX_FEATURE_PSI), series(DRIFTED_FEATURES), series(BASELINE_MISSING)],
                    "annotations": {"horizontal": [{"label": "drift threshold", "value": a.psi_threshold}]},
                },
            },
            {
                "type": "metric",
                "properties": {
                    "title": f"{label}: {a.quality_metric} on ground truth (threshold {a.quality_threshold})",
                    "region": a.region, "stat": "Minimum" if a.quality_direction == "maximize" else "Maximum", "period": period,
                    "metrics": [series(MODEL_QUALITY, quality), series(LABELLED_ROWS, options={"stat": "Sum"})],
                    "annotations": {"horizontal": [{"label": "quality threshold", "value": a.quality_threshold}]},
                },
            }
            if a.ground_truth_uri
            else {
                "type": "metric",
                "properties": {
                    "title": f"{label}: captured rows per run (no ground truth, so no quality)",
                    "region": a.region, "stat": "Sum", "period": period,
                    "metrics": [series(CAPTURED_ROWS)],
                },
            },
        ]
        self.register_outputs({"pipeline_arn": self.pipeline.arn})


def serving_watch(name: str, endpoint_name: str, region: str, alarm_topic_arn: pulumi.Input[str], opts: pulumi.ResourceOptions) -> list[dict[str, Any]]:
    """The endpoint's no-traffic alarm and its traffic and latency widgets, whatever the monitoring engine.

    Missing Invocations data is breaching: an endpoint nobody calls publishes nothing, and an hour of
    that is what the alarm is for.
    """
    aws.cloudwatch.MetricAlarm(
        f"{name}-alarm-no-traffic",
        name=f"{endpoint_name}-no-invocations",
        alarm_description=f"{endpoint_name} received no invocations for an hour",
        namespace="AWS/SageMaker",
        metric_name="Invocations",
        dimensions={"EndpointName": endpoint_name, "VariantName": "champion"},
        statistic="Sum",
        period=3600,
        evaluation_periods=1,
        comparison_operator="LessThanThreshold",
        threshold=1,
        treat_missing_data="breaching",
        alarm_actions=[alarm_topic_arn],
        opts=opts,
    )
    variant = ["EndpointName", endpoint_name, "VariantName", "champion"]
    return [
        {
            "type": "metric",
            "properties": {
                "title": f"{endpoint_name}: traffic and errors",
                "region": region,
                "stat": "Sum",
                "period": 300,
                "metrics": [["AWS/SageMaker", m, *variant] for m in ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors")],
            },
        },
        {
            "type": "metric",
            "properties": {
                "title": f"{endpoint_name}: p99 model latency (µs)",
                "region": region,
                "stat": "p99",
                "period": 300,
                "metrics": [["AWS/SageMaker", "ModelLatency", *variant]],
            },
        },
    ]
