"""What one model's training pipeline depends on (``PipelineSpec``), and the names it shares.

The catalog edge (``infra/config``) has already validated names and choices; the spec only
rejects what would make the SDK build something that cannot run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipelines.steps import step_contract

# Keys of PipelineSpec.code_uris and names of the StepCode objects.
PREPROCESS_CODE = "preprocess"
TRAIN_CODE = "train"
EVALUATE_CODE = "evaluate"
STEP_CONTRACT_CODE = "step-contract"
CODE_NAMES = (PREPROCESS_CODE, TRAIN_CODE, EVALUATE_CODE, STEP_CONTRACT_CODE)
# A model with its own code or image also ships the contract check, and (code) its own bundle.
BYO_CONTRACT_CODE = "byo-contract"
MODEL_CODE = "model-code"

# The scikit-learn framework container used to preprocess, train, evaluate and serve.
SKLEARN_FRAMEWORK_VERSION = "1.9-0"
PENDING_MANUAL_APPROVAL = "PendingManualApproval"
MAX_RUNTIME_SECONDS = 2 * 60 * 60
VOLUME_SIZE_GB = 30


@dataclass(frozen=True)
class CustomTraining:
    """Training by the model's own code or image, under the contract of ``byo_contract.py``.

    Attributes:
        kind: ``code`` (scripts in a framework container) or ``image`` (the model's own image).
        training_image: The framework training image (code) or the model's image (image).
        serving_image: The image registered versions run in: the framework's inference image
            (code) or the model's image (image).
        entry_point: code: the training script in the bundle (``code_uris["model-code"]``).
        evaluation_script: code: the evaluation script in the bundle.
    """

    kind: str
    training_image: str
    serving_image: str
    entry_point: str = ""
    evaluation_script: str = ""

    def code_names(self) -> tuple[str, ...]:
        """The extra ``code_uris`` keys this source needs."""
        return (BYO_CONTRACT_CODE, MODEL_CODE) if self.kind == "code" else (BYO_CONTRACT_CODE,)


@dataclass(frozen=True)
class PipelineSpec:
    """Everything the training pipeline of one catalog model depends on.

    Attributes:
        model_name: Catalog name, e.g. ``churn`` (lowercase letters, digits, hyphens, at most 32).
        problem: ``classification`` or ``regression``.
        algorithm: ``gradient-boosting``, ``random-forest``, ``logistic-regression`` (classification)
            or ``ridge`` (regression).
        region: AWS region of the pipeline, e.g. ``eu-west-1``; picks the container images.
        role_arn: The pipeline execution role, also used by every job of the pipeline.
        artifacts_bucket: Bucket for step outputs and model artifacts.
        raw_data_uri: Default training input, ``s3://<raw-bucket>/models/<name>/``.
        model_package_group_name: Registry group new versions go to, e.g. ``mlops-churn``.
        code_uris: ``s3://`` URI of each uploaded ``step_code()`` object, keyed by its name.
        processing_instance_type: Default instance type of the processing jobs.
        training_instance_type: Default instance type of the training job.
        metric: The gated metric, e.g. ``auc`` or ``rmse``.
        direction: ``maximize`` or ``minimize``; must be the metric's own direction.
        threshold: The metric value a model must reach to be registered.
        kms_key_arn: The platform CMK; encrypts job volumes and outputs.
        subnet_ids: Private subnets for the jobs; empty runs them outside a VPC.
        security_group_ids: Security groups for the jobs; given together with ``subnet_ids``.
        custom: The model's own code or image; None trains ``algorithm`` with the built-in step.
        model_monitor_baseline: Also compute a Model Monitor data-quality baseline (the analyzer
            container, a QualityCheck step) and register it with the version: only for models
            monitored by Model Monitor (``monitoring.engine: model-monitor``), a service closed to
            new AWS accounts. The platform's own monitoring needs only the drift baseline the
            preprocess step writes, recorded in the version's metadata.
    """

    model_name: str
    problem: str
    algorithm: str
    region: str
    role_arn: str
    artifacts_bucket: str
    raw_data_uri: str
    model_package_group_name: str
    code_uris: Mapping[str, str]
    processing_instance_type: str
    training_instance_type: str
    metric: str
    direction: str
    threshold: float
    kms_key_arn: str
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    custom: CustomTraining | None = None
    model_monitor_baseline: bool = False

    def __post_init__(self) -> None:
        """Reject a spec the pipeline cannot run with, naming the model and the field."""

        def invalid(reason: str) -> ValueError:
            return ValueError(f"pipeline spec for model {self.model_name!r}: {reason}")

        # Own code brings its own algorithm: check the metric against any algorithm of the problem.
        algorithm = step_contract.ALGORITHMS.get(self.problem, ("",))[0] if self.custom else self.algorithm
        try:
            step_contract.check_model_choice(self.problem, algorithm, self.metric, self.direction)
        except ValueError as error:
            raise invalid(str(error)) from None
        if not self.region:
            raise invalid("region is empty")
        if self.custom and self.custom.kind not in ("code", "image"):
            raise invalid(f"custom.kind must be code or image, got {self.custom.kind!r}")
        needed = (*CODE_NAMES, *(self.custom.code_names() if self.custom else ()))
        missing = [name for name in needed if name not in self.code_uris]
        if missing:
            raise invalid(f"code_uris lacks {', '.join(missing)} (upload every step_code() object)")
        for name, uri in sorted(self.code_uris.items()):
            # A local path would make the SDK upload it while building.
            if not uri.startswith("s3://"):
                raise invalid(f"code_uris[{name!r}] must be an s3:// URI, got {uri!r}")
        if not self.raw_data_uri.startswith("s3://"):
            raise invalid(f"raw_data_uri must be an s3:// URI, got {self.raw_data_uri!r}")
        if bool(self.subnet_ids) != bool(self.security_group_ids):
            raise invalid("subnet_ids and security_group_ids must be given together")

