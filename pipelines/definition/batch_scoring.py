"""The batch scoring pipeline of a batch-served model, built offline as deterministic JSON.

A model whose catalog entry says ``serving.mode: batch`` has no endpoint: on its schedule, one
``Score`` step (a SageMaker batch transform) runs the SageMaker model made from the version the
environment pins over every CSV under the input prefix, and writes one ``.out`` file per input
under ``<output prefix>/<pipeline execution id>/``. The transform job runs in the model's VPC
configuration, with its volume and output encrypted by the platform CMK; inputs and outputs are
captured for monitoring when the environment captures data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pipelines.definition.offline_sdk import (
    build_lock,
    offline_sdk,
    offline_session,
    sdk_config_validated_once,
)


@dataclass(frozen=True)
class BatchScoringSpec:
    """Everything one model's batch scoring pipeline depends on.

    Attributes:
        model_name: Catalog name, e.g. ``customer-ltv``.
        sagemaker_model: Name of the SageMaker model made from the pinned version.
        region: AWS region of the pipeline.
        artifacts_bucket: The pipeline session's default bucket (nothing is uploaded).
        input_uri: ``s3://`` prefix whose CSV files are scored (an execution may override it).
        output_uri: ``s3://`` prefix under which each execution writes its own folder.
        kms_key_arn: The platform CMK; encrypts the transform volume and output.
        instance_type: Transform instance type.
        instance_count: Transform instances.
        max_payload_mb: Largest request to the container, in MB.
        split_type: ``Line`` (one record per line) or ``None``.
        capture_uri: ``s3://`` prefix for captured inputs and outputs, or None for no capture.
    """

    model_name: str
    sagemaker_model: str
    region: str
    artifacts_bucket: str
    input_uri: str
    output_uri: str
    kms_key_arn: str
    instance_type: str
    instance_count: int
    max_payload_mb: int
    split_type: str
    capture_uri: str | None = None

    def __post_init__(self) -> None:
        """Reject URIs the transform job could not use, naming the model and the field."""
        for field in ("input_uri", "output_uri", "capture_uri"):
            value = getattr(self, field)
            if value is not None and not value.startswith("s3://"):
                raise ValueError(f"batch scoring spec for model {self.model_name!r}: {field} must be an s3:// URI, got {value!r}")


def build_batch_definition(spec: BatchScoringSpec) -> str:
    """The batch scoring pipeline definition for ``spec``: sorted keys, byte-identical per spec."""
    with build_lock, offline_sdk(spec.region), sdk_config_validated_once():
        definition = _compose(spec).definition()
    return json.dumps(json.loads(definition), sort_keys=True, separators=(",", ":"))


def _compose(spec: BatchScoringSpec):
    """The SDK Pipeline object; call only under ``offline_sdk``."""
    from sagemaker.core.inputs import BatchDataCaptureConfig
    from sagemaker.core.transformer import Transformer
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterString
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.retry import StepExceptionTypeEnum, StepRetryPolicy
    from sagemaker.mlops.workflow.steps import TransformStep

    session = offline_session(spec.region, spec.artifacts_bucket)
    input_data = ParameterString("InputDataUri", default_value=spec.input_uri)
    execution_output = Join(on="/", values=[spec.output_uri.rstrip("/"), ExecutionVariables.PIPELINE_EXECUTION_ID])
    transformer = Transformer(
        model_name=spec.sagemaker_model,
        instance_count=spec.instance_count,
        instance_type=spec.instance_type,
        strategy="MultiRecord",
        assemble_with="Line",
        accept="text/csv",
        output_path=execution_output,
        output_kms_key=spec.kms_key_arn,
        volume_kms_key=spec.kms_key_arn,
        max_payload=spec.max_payload_mb,
        # A base name given, the SDK does not ask SageMaker for the model's image to derive one.
        base_transform_job_name=f"{spec.model_name}-batch",
        sagemaker_session=session,
    )
    capture = (
        BatchDataCaptureConfig(destination_s3_uri=spec.capture_uri, kms_key_id=spec.kms_key_arn, generate_inference_id=True)
        if spec.capture_uri
        else None
    )
    step_args = transformer.transform(
        data=input_data,
        data_type="S3Prefix",
        content_type="text/csv",
        split_type=spec.split_type,
        batch_data_capture_config=capture,
    )
    score = TransformStep(
        name="Score",
        step_args=step_args,
        retry_policies=[
            StepRetryPolicy(
                exception_types=[StepExceptionTypeEnum.SERVICE_FAULT, StepExceptionTypeEnum.THROTTLING],
                interval_seconds=10,
                backoff_rate=2.0,
                max_attempts=5,
            )
        ],
    )
    return Pipeline(
        name=f"{spec.model_name}-batch-scoring",
        parameters=[input_data],
        steps=[score],
        sagemaker_session=session,
        pipeline_experiment_config=None,
    )
