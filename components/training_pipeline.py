"""A model's training pipeline and the triggers that run it: schedule, new data, drift."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.pipeline_triggers import start_pipeline_on
from pipelines.definition.step_code import StepCode


@dataclass(frozen=True)
class ResolvedPipelineInputs:
    """The deployed values a pipeline definition is built from, once Pulumi has resolved them.

    Attributes:
        role_arn: Pipeline execution role ARN.
        artifacts_bucket: Bucket for step outputs and model artifacts.
        raw_bucket: Bucket holding the training data.
        kms_key_arn: The platform CMK.
        code_uris: ``s3://`` URI of each uploaded step code object, keyed by its name.
        subnet_ids: Private subnets for the jobs.
        security_group_ids: Security groups for the jobs.
        container_image: The model's own image (an image training source), else None.
    """

    role_arn: str
    artifacts_bucket: str
    raw_bucket: str
    kms_key_arn: str
    code_uris: Mapping[str, str]
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    container_image: str | None = None


@dataclass(frozen=True)
class TrainingPipelineArgs:
    """Inputs of a ``TrainingPipeline``.

    Attributes:
        pipeline_name: SageMaker pipeline name.
        description: Shown in Studio.
        definition: Builds the definition JSON from the resolved inputs; it must be deterministic.
        step_code: Scripts to upload into ``artifacts_bucket``.
        artifacts_bucket: Bucket holding step code and outputs.
        raw_bucket: Bucket whose new objects under ``raw_prefix`` retrain the model.
        raw_prefix: The model's training data prefix in ``raw_bucket``.
        role_arn: Pipeline execution role.
        trigger_role_arn: Role EventBridge uses to start the pipeline.
        kms_key_arn: CMK for uploaded code.
        subnet_ids: Private subnets for the steps.
        security_group_ids: Security groups for the steps.
        schedule: EventBridge schedule expression, or None for no scheduled runs.
        retrain_on_new_data: Start on new objects under ``raw_prefix``.
        drift_alarm_names: Alarms whose ALARM state starts a retraining run (empty: none).
        dead_letter_arn: Queue for trigger events that could not start the pipeline.
        container_image: The model's own image in its ECR repository (image source), else None.
    """

    pipeline_name: str
    description: str
    definition: Callable[[ResolvedPipelineInputs], str]
    step_code: Sequence[StepCode]
    artifacts_bucket: pulumi.Input[str]
    raw_bucket: pulumi.Input[str]
    raw_prefix: str
    role_arn: pulumi.Input[str]
    trigger_role_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    schedule: str | None
    retrain_on_new_data: bool = True
    drift_alarm_names: Sequence[str] = field(default_factory=tuple)
    dead_letter_arn: pulumi.Input[str] | None = None
    container_image: pulumi.Input[str] | None = None


class TrainingPipeline(pulumi.ComponentResource):
    """SageMaker pipeline built from ``pipelines/`` and its EventBridge triggers."""

    pipeline: aws.sagemaker.Pipeline
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: TrainingPipelineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:pipelines:TrainingPipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        code_uris = {}
        for code in args.step_code:
            uploaded = aws.s3.BucketObjectv2(
                f"{name}-code-{code.name}",
                bucket=args.artifacts_bucket,
                key=code.key,
                content_base64=base64.b64encode(code.content).decode(),
                content_type="text/x-python" if code.key.endswith(".py") else "application/gzip",
                kms_key_id=args.kms_key_arn,
                server_side_encryption="aws:kms",
                opts=child,
            )
            code_uris[code.name] = pulumi.Output.concat("s3://", uploaded.bucket, "/", uploaded.key)
        resolved = pulumi.Output.all(
            role_arn=args.role_arn,
            artifacts_bucket=args.artifacts_bucket,
            raw_bucket=args.raw_bucket,
            kms_key_arn=args.kms_key_arn,
            code_uris=code_uris,
            subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids,
            container_image=args.container_image,
        )
        self.pipeline = aws.sagemaker.Pipeline(
            f"{name}-pipeline",
            pipeline_name=args.pipeline_name,
            pipeline_display_name=args.pipeline_name,
            pipeline_description=args.description[:3072],
            pipeline_definition=resolved.apply(
                lambda values: args.definition(
                    ResolvedPipelineInputs(
                        **{**values, "subnet_ids": tuple(values["subnet_ids"]), "security_group_ids": tuple(values["security_group_ids"])}
                    )
                )
            ),
            role_arn=args.role_arn,
            parallelism_configuration={"max_parallel_execution_steps": 4},
            opts=child,
        )
        self.arn = self.pipeline.arn
        triggers: dict[str, dict[str, Any]] = {}
        if args.schedule:
            triggers["schedule"] = {"schedule_expression": args.schedule}
        if args.retrain_on_new_data:
            triggers["new-data"] = {
                "event_pattern": pulumi.Output.json_dumps(
                    {
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {"bucket": {"name": [args.raw_bucket]}, "object": {"key": [{"prefix": args.raw_prefix}]}},
                    },
                    sort_keys=True,
                )
            }
        if args.drift_alarm_names:
            triggers["drift"] = {
                "event_pattern": pulumi.Output.json_dumps(
                    {
                        "source": ["aws.cloudwatch"],
                        "detail-type": ["CloudWatch Alarm State Change"],
                        "detail": {"alarmName": sorted(args.drift_alarm_names), "state": {"value": ["ALARM"]}},
                    },
                    sort_keys=True,
                )
            }
        for trigger, rule_args in triggers.items():
            start_pipeline_on(
                name,
                f"-on-{trigger}",
                pipeline_arn=self.pipeline.arn,
                role_arn=args.trigger_role_arn,
                dead_letter_arn=args.dead_letter_arn,
                description=f"Retrain {args.pipeline_name}: {trigger}",
                opts=child,
                **rule_args,
            )
        self.register_outputs({"arn": self.arn})
