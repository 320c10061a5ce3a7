"""A batch-served model: its pinned version scored on a schedule by a transform job, no endpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.pipeline_triggers import start_pipeline_on
from infra.config.names import fitted


@dataclass(frozen=True)
class ResolvedBatchInputs:
    """The deployed values a batch scoring definition is built from, once Pulumi resolved them.

    Attributes:
        sagemaker_model: Name of the SageMaker model made from the pinned version.
        input_uri: ``s3://`` prefix scored by default.
        output_uri: ``s3://`` prefix for the predictions.
        capture_uri: ``s3://`` prefix for captured inputs and outputs, or None.
        kms_key_arn: The platform CMK.
    """

    sagemaker_model: str
    input_uri: str
    output_uri: str
    capture_uri: str | None
    kms_key_arn: str


@dataclass(frozen=True)
class BatchScoringArgs:
    """Inputs of a ``BatchScoring``.

    Attributes:
        pipeline_name: SageMaker pipeline name.
        model_package_arn: The version pinned for this environment.
        execution_role_arn: Role of the SageMaker model (reads the artefact, pulls the image).
        pipeline_role_arn: Role of the pipeline (starts the transform job).
        trigger_role_arn: Role EventBridge uses to start the pipeline.
        subnet_ids: Private subnets the transform job runs in (the model's VPC configuration).
        security_group_ids: Security groups of the transform job.
        kms_key_arn: CMK of the transform volume and output.
        input_uri: ``s3://`` prefix in a platform bucket whose CSV files are scored.
        output_uri: ``s3://`` prefix in a platform bucket for the predictions.
        capture_uri: ``s3://`` prefix for captured inputs and outputs (monitoring), or None.
        definition: Builds the definition JSON from the resolved inputs; deterministic.
        schedule: EventBridge schedule expression of the scoring runs.
        dead_letter_arn: Queue for schedule events that could not start the pipeline.
    """

    pipeline_name: str
    model_package_arn: str
    execution_role_arn: pulumi.Input[str]
    pipeline_role_arn: pulumi.Input[str]
    trigger_role_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    kms_key_arn: pulumi.Input[str]
    input_uri: pulumi.Input[str]
    output_uri: pulumi.Input[str]
    capture_uri: pulumi.Input[str] | None
    definition: Callable[[ResolvedBatchInputs], str]
    schedule: str
    dead_letter_arn: pulumi.Input[str] | None = None


class BatchScoring(pulumi.ComponentResource):
    """The pinned version as a SageMaker model (in the VPC, network-isolated), the batch scoring
    pipeline that transforms with it, and the schedule that starts the pipeline."""

    model: aws.sagemaker.Model
    pipeline: aws.sagemaker.Pipeline

    def __init__(self, name: str, args: BatchScoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:BatchScoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args
        # Auto-named: a new pin replaces the model, and the pipeline follows its name.
        # Auto-named from the logical name, which long model names cut to SageMaker's 63 characters.
        self.model = aws.sagemaker.Model(
            fitted(name, "-model", "sagemaker", "ModelName"),
            primary_container={"model_package_name": a.model_package_arn},
            execution_role_arn=a.execution_role_arn,
            enable_network_isolation=True,
            vpc_config={"subnets": a.subnet_ids, "security_group_ids": a.security_group_ids},
            tags={"model-role": "batch", "model-package": a.model_package_arn.rsplit(":", 1)[-1]},
            opts=child,
        )
        resolved = pulumi.Output.all(
            sagemaker_model=self.model.name,
            input_uri=a.input_uri,
            output_uri=a.output_uri,
            capture_uri=a.capture_uri,
            kms_key_arn=a.kms_key_arn,
        )
        self.pipeline = aws.sagemaker.Pipeline(
            f"{name}-pipeline",
            pipeline_name=a.pipeline_name,
            pipeline_display_name=a.pipeline_name,
            pipeline_description=f"Batch scoring with {a.model_package_arn.rsplit(':', 1)[-1]}",
            pipeline_definition=resolved.apply(lambda values: a.definition(ResolvedBatchInputs(**values))),
            role_arn=a.pipeline_role_arn,
            parallelism_configuration={"max_parallel_execution_steps": 1},
            opts=child,
        )
        start_pipeline_on(
            name,
            "-on-schedule",
            pipeline_arn=self.pipeline.arn,
            role_arn=a.trigger_role_arn,
            dead_letter_arn=a.dead_letter_arn,
            description=f"Score {a.pipeline_name} on its schedule",
            opts=child,
            schedule_expression=a.schedule,
        )
        self.register_outputs({"pipeline_arn": self.pipeline.arn, "model_name": self.model.name})
