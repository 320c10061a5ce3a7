"""The SageMaker training pipeline of one catalog model, built offline as deterministic JSON.

``build_definition(spec)`` composes, with the SageMaker Python SDK v3::

    Preprocess (processing) -> Train (training) -> Evaluate (processing, evaluation.json)
        -> CheckQuality (condition: metrics.<metric>.value >= threshold, or <= when minimizing)
             true:  DataQualityBaseline (Model Monitor analyzer, writes baseline_prefix())
                    -> RegisterModel (PendingManualApproval, model + data-quality metrics)
             false: QualityGateFailed (fail step with the reason)

and returns the definition JSON with sorted keys: the same spec gives the same bytes.

How the step code reaches the jobs. A job receives only what the definition points at, and the
SDK uploads any local path it is given while building, so the definition refers to code by
``s3://`` URI only. ``step_code()`` lists the objects to upload, each under a content-addressed
key; the infrastructure uploads them and passes their URIs back in ``PipelineSpec.code_uris``:

- ``preprocess`` / ``evaluate``: the scripts, run by the scikit-learn processing container.
- ``step-contract``: the shared ``step_contract.py`` module. Processing jobs receive it as an extra
  input folder that is on their ``PYTHONPATH``, so the scripts' ``import step_contract`` works there
  as it does locally (where the module sits next to them).
- ``train``: ``sourcedir.tar.gz`` holding ``train.py`` and ``step_contract.py``. The scikit-learn
  training container unpacks it and runs ``train.py``; the serving container of a registered
  version unpacks the same bundle and calls ``train.py``'s ``model_fn`` / ``predict_fn``.

Building offline. The SDK is imported lazily (it takes seconds) and only ever runs under
``_offline_sdk``: region and placeholder credentials come from the spec and the environment is
restored afterwards, telemetry is opted out, and the SDK's warnings, log lines and prints are
kept off stdout. Nothing in the build talks to AWS.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import struct
import sys
import tarfile
import threading
import warnings
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.steps import step_contract

STEPS_DIR = Path(__file__).resolve().parent / "steps"
CODE_KEY_PREFIX = "pipelines/code"

# Keys of PipelineSpec.code_uris and names of the StepCode objects.
PREPROCESS_CODE = "preprocess"
TRAIN_CODE = "train"
EVALUATE_CODE = "evaluate"
STEP_CONTRACT_CODE = "step-contract"
CODE_NAMES = (PREPROCESS_CODE, TRAIN_CODE, EVALUATE_CODE, STEP_CONTRACT_CODE)

# The scikit-learn framework container used to preprocess, train, evaluate and serve.
SKLEARN_FRAMEWORK_VERSION = "1.9-0"
PENDING_MANUAL_APPROVAL = "PendingManualApproval"
MAX_RUNTIME_SECONDS = 2 * 60 * 60
VOLUME_SIZE_GB = 30

_PROCESSING = "/opt/ml/processing"
_STEP_CONTRACT_DIR = f"{_PROCESSING}/input/step_contract"
_MODEL_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")

_build_lock = threading.Lock()


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

    def __post_init__(self) -> None:
        """Reject a spec the pipeline cannot run with, naming the model and the field."""

        def invalid(reason: str) -> ValueError:
            return ValueError(f"pipeline spec for model {self.model_name!r}: {reason}")

        if not _MODEL_NAME.fullmatch(self.model_name):
            raise invalid("model_name must be 1-32 lowercase letters, digits or inner hyphens")
        try:
            step_contract.check_model_choice(self.problem, self.algorithm, self.metric, self.direction)
        except ValueError as error:
            raise invalid(str(error)) from None
        if not self.region:
            raise invalid("region is empty")
        missing = [name for name in CODE_NAMES if name not in self.code_uris]
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


@dataclass(frozen=True)
class StepCode:
    """One object of step code to upload before the pipeline runs.

    Attributes:
        name: The ``PipelineSpec.code_uris`` key it is passed back under.
        filename: The object's file name (the last part of ``key``).
        content: The bytes to upload.
        sha256: Hex SHA-256 of ``content``.
        key: Content-addressed object key, ``pipelines/code/<sha256[:16]>/<filename>``: new
            content gets a new key, so a running pipeline never sees its code change underneath.
    """

    name: str
    filename: str
    content: bytes = field(repr=False)
    sha256: str
    key: str

    @classmethod
    def of(cls, name: str, filename: str, content: bytes) -> StepCode:
        """Address ``content`` by its hash."""
        digest = hashlib.sha256(content).hexdigest()
        return cls(name, filename, content, digest, f"{CODE_KEY_PREFIX}/{digest[:16]}/{filename}")


def step_code() -> list[StepCode]:
    """The step code objects the pipeline definition refers to, in a fixed order."""

    def read(filename: str) -> bytes:
        return (STEPS_DIR / filename).read_bytes()

    return [
        StepCode.of(PREPROCESS_CODE, "preprocess.py", read("preprocess.py")),
        StepCode.of(
            TRAIN_CODE,
            "sourcedir.tar.gz",
            source_bundle({"train.py": read("train.py"), "step_contract.py": read("step_contract.py")}),
        ),
        StepCode.of(EVALUATE_CODE, "evaluate.py", read("evaluate.py")),
        StepCode.of(STEP_CONTRACT_CODE, "step_contract.py", read("step_contract.py")),
    ]


def source_bundle(files: Mapping[str, bytes]) -> bytes:
    """A ``.tar.gz`` of ``files`` whose bytes depend only on their names and contents.

    Entries are sorted and carry no time, owner or host details. The gzip layer stores the tar
    uncompressed: zlib builds (system zlib, zlib-ng) compress the same input to different bytes,
    which would change the content-addressed key from one machine to the next.
    """
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))
    return _gzip_stored(archive.getvalue())


def _gzip_stored(data: bytes) -> bytes:
    """Gzip (RFC 1952) with deflate "stored" blocks (RFC 1951 BTYPE=00): no compression, fixed bytes."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # magic, deflate, no flags, mtime 0, unknown OS
    blocks = [data[start : start + 0xFFFF] for start in range(0, len(data), 0xFFFF)] or [b""]
    body = b"".join(
        struct.pack("<BHH", index == len(blocks) - 1, len(block), len(block) ^ 0xFFFF) + block
        for index, block in enumerate(blocks)
    )
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def baseline_prefix(artifacts_bucket: str, model_name: str) -> str:
    """The fixed S3 prefix where the pipeline writes the data-quality baseline of a model.

    The Model Monitor analyzer writes ``statistics.json`` and ``constraints.json`` here each time a
    model passes the quality gate; the endpoint's monitoring schedule reads them from here.
    """
    return f"s3://{artifacts_bucket}/models/{model_name}/monitoring/baseline/"


def drift_baseline_prefix(artifacts_bucket: str, model_name: str) -> str:
    """The S3 prefix under which each training run writes its drift baseline, one folder per run.

    A run's ``baseline.json`` lands in ``<prefix>/<pipeline execution id>/``, and the version it
    registers records that URI in its CustomerMetadataProperties
    (``step_contract.BASELINE_URI_METADATA_KEY``): a later run never overwrites the baseline of
    a version an environment still serves.
    """
    return f"s3://{artifacts_bucket}/models/{model_name}/baselines"


def serving_image(region: str) -> str:
    """The scikit-learn inference image registered versions run in ``region`` (offline lookup)."""
    with _offline_sdk(region):
        from sagemaker.core import image_uris

        return image_uris.retrieve(
            "sklearn", region=region, version=SKLEARN_FRAMEWORK_VERSION, py_version="py3", image_scope="inference"
        )


def build_definition(spec: PipelineSpec) -> str:
    """The pipeline definition JSON for ``spec``: sorted keys, byte-identical for the same spec.

    Makes no network call and writes nothing to stdout.
    """
    with _build_lock, _offline_sdk(spec.region), _sdk_config_validated_once():
        definition = _compose(spec).definition()
    return json.dumps(json.loads(definition), sort_keys=True, separators=(",", ":"))


# Environment of a build. The SDK creates boto3 clients while it is imported and while steps are
# built (some through boto3's default session, some through new sessions). Static placeholder
# credentials keep botocore from walking the credential chain, whose later providers (instance
# metadata, container endpoints, SSO) are network calls; nothing is ever signed with them.
_OFFLINE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "offline-definition-build",
    "AWS_SECRET_ACCESS_KEY": "offline-definition-build",
    "AWS_EC2_METADATA_DISABLED": "true",
    # ModelTrainer otherwise checks the role with IAM SimulatePrincipalPolicy.
    "SAGEMAKER_VALIDATE_ROLE": "false",
}
# A profile could shadow the placeholders; a config override may name an s3:// file to fetch.
_CLEARED_ENVIRONMENT = (
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "SAGEMAKER_ADMIN_CONFIG_OVERRIDE",
    "SAGEMAKER_USER_CONFIG_OVERRIDE",
)


@contextlib.contextmanager
def _offline_sdk(region: str) -> Iterator[None]:
    """Run SDK code offline and quietly, and leave the process as it was found.

    Restores the environment and boto3's default session (which would otherwise keep the
    placeholder credentials). A NullHandler on the root logger turns the ``logging.basicConfig``
    the SDK calls on import into a no-op, so importing it does not reconfigure the application's
    logging; records up to WARNING, Python warnings and stray prints are kept out of sight.
    """
    import boto3

    borrowed = (*_OFFLINE_ENVIRONMENT, *_CLEARED_ENVIRONMENT, "AWS_DEFAULT_REGION")
    saved_environment = {name: os.environ.get(name) for name in borrowed}
    saved_default_session = boto3.DEFAULT_SESSION
    saved_logging_disable = logging.root.manager.disable
    root_guard = logging.NullHandler()
    try:
        os.environ.update(_OFFLINE_ENVIRONMENT, AWS_DEFAULT_REGION=region)
        for name in _CLEARED_ENVIRONMENT:
            os.environ.pop(name, None)
        boto3.DEFAULT_SESSION = None
        logging.root.addHandler(root_guard)
        logging.disable(logging.WARNING)
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(saved_logging_disable)
        logging.root.removeHandler(root_guard)
        boto3.DEFAULT_SESSION = saved_default_session
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Fingerprints of the SDK configs already validated in this process.
_validated_sdk_configs: set[str] = set()


@contextlib.contextmanager
def _sdk_config_validated_once() -> Iterator[None]:
    """Validate each distinct SDK config once instead of on every lookup.

    The SDK checks the session's config against its JSON schema each time it reads a default,
    about sixty times per pipeline at ~0.2 s each. Only the memo is added; what is validated,
    and the errors, stay the SDK's own.
    """
    from sagemaker.core.config.config_manager import SageMakerConfig

    original = SageMakerConfig.__dict__["validate_sagemaker_config"]
    validated = _validated_sdk_configs

    def validate_once(sagemaker_config: dict | None = None) -> None:
        fingerprint = json.dumps(sagemaker_config, sort_keys=True, default=repr)
        if fingerprint not in validated:
            original.__func__(sagemaker_config)
            validated.add(fingerprint)

    SageMakerConfig.validate_sagemaker_config = staticmethod(validate_once)
    try:
        yield
    finally:
        SageMakerConfig.validate_sagemaker_config = original


@dataclass(frozen=True)
class _Parameters:
    """The pipeline parameters an execution may override (SDK Parameter objects)."""

    input_data: Any
    processing_instance_type: Any
    training_instance_type: Any
    threshold: Any

    def all(self) -> list:
        """The parameters in the order the definition lists them."""
        return [self.input_data, self.processing_instance_type, self.training_instance_type, self.threshold]


@dataclass(frozen=True)
class _Build:
    """What every step of one pipeline needs (SDK objects are typed Any: the SDK loads lazily)."""

    spec: PipelineSpec
    session: Any
    parameters: _Parameters
    image: str
    serving_image: str
    network: Any

    def drift_baseline_uri(self, *parts: str) -> Any:
        """This execution's folder under ``drift_baseline_prefix()`` (or a file in it)."""
        from sagemaker.core.workflow.execution_variables import ExecutionVariables
        from sagemaker.core.workflow.functions import Join

        prefix = drift_baseline_prefix(self.spec.artifacts_bucket, self.spec.model_name)
        return Join(on="/", values=[prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts])

    def output_uri(self, *parts: str) -> Any:
        """An S3 URI under this execution's own prefix, so no run overwrites another's artifacts."""
        from sagemaker.core.workflow.execution_variables import ExecutionVariables
        from sagemaker.core.workflow.functions import Join

        run_prefix = f"s3://{self.spec.artifacts_bucket}/models/{self.spec.model_name}/pipeline"
        return Join(on="/", values=[run_prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts])


# An explicit SDK config: telemetry off, and no defaults read from the user's config files.
_SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def _compose(spec: PipelineSpec) -> Any:
    """The SDK Pipeline object for ``spec``; call only under ``_offline_sdk``."""
    import boto3
    from sagemaker.core import image_uris
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow.pipeline import Pipeline

    def sklearn_image(scope: str) -> str:
        return image_uris.retrieve(
            "sklearn", region=spec.region, version=SKLEARN_FRAMEWORK_VERSION, py_version="py3", image_scope=scope
        )

    session = PipelineSession(
        boto_session=boto3.Session(
            region_name=spec.region,
            aws_access_key_id=_OFFLINE_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_OFFLINE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        ),
        default_bucket=spec.artifacts_bucket,
        sagemaker_config=_SDK_CONFIG,
    )
    parameters = _Parameters(
        input_data=ParameterString("InputDataUri", default_value=spec.raw_data_uri),
        processing_instance_type=ParameterString(
            "ProcessingInstanceType", default_value=spec.processing_instance_type
        ),
        training_instance_type=ParameterString("TrainingInstanceType", default_value=spec.training_instance_type),
        threshold=ParameterFloat("QualityThreshold", default_value=float(spec.threshold)),
    )
    build = _Build(
        spec=spec,
        session=session,
        parameters=parameters,
        image=sklearn_image("training"),
        serving_image=sklearn_image("inference"),
        network=NetworkConfig(
            enable_network_isolation=False,
            subnets=list(spec.subnet_ids) or None,
            security_group_ids=list(spec.security_group_ids) or None,
            encrypt_inter_container_traffic=True,
        ),
    )

    preprocess = _preprocess_step(build)
    train = _train_step(build, preprocess)
    evaluate, report = _evaluate_step(build, preprocess, train)
    return Pipeline(
        name=spec.model_name,
        parameters=parameters.all(),
        steps=[preprocess, train, evaluate, _quality_gate(build, preprocess, train, evaluate, report)],
        sagemaker_session=session,
        # No SageMaker Experiments trial per execution (the SDK's default depends on the region).
        pipeline_experiment_config=None,
    )


def _retry_policies(include_job_errors: bool = True) -> list:
    """Retry throttling and service faults; for jobs also capacity, limit and internal errors."""
    from sagemaker.mlops.workflow.retry import (
        SageMakerJobExceptionTypeEnum,
        SageMakerJobStepRetryPolicy,
        StepExceptionTypeEnum,
        StepRetryPolicy,
    )

    policies = [
        StepRetryPolicy(
            exception_types=[StepExceptionTypeEnum.SERVICE_FAULT, StepExceptionTypeEnum.THROTTLING],
            interval_seconds=10,
            backoff_rate=2.0,
            max_attempts=5,
        )
    ]
    if include_job_errors:
        policies.append(
            SageMakerJobStepRetryPolicy(
                exception_types=[
                    SageMakerJobExceptionTypeEnum.CAPACITY_ERROR,
                    SageMakerJobExceptionTypeEnum.RESOURCE_LIMIT,
                    SageMakerJobExceptionTypeEnum.INTERNAL_ERROR,
                ],
                interval_seconds=60,
                backoff_rate=2.0,
                max_attempts=3,
            )
        )
    return policies


def _cache(enabled: bool) -> Any:
    """Step caching: when enabled, reuse a successful run with identical arguments for up to 30 days."""
    from sagemaker.mlops.workflow.steps import CacheConfig

    if enabled:
        return CacheConfig(enable_caching=True, expire_after="P30D")
    return CacheConfig(enable_caching=False)


def _s3_input(name: str, uri: Any, local_path: str) -> Any:
    """A processing input copying an S3 prefix into the container before the script starts."""
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=uri,
            local_path=local_path,
            s3_data_type="S3Prefix",
            s3_input_mode="File",
            s3_data_distribution_type="FullyReplicated",
        ),
    )


def _s3_output(name: str, uri: Any, local_path: str) -> Any:
    """A processing output uploaded to S3 when the job ends."""
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(s3_uri=uri, local_path=local_path, s3_upload_mode="EndOfJob"),
    )


def _script_step(
    build: _Build, name: str, code: str, inputs: list, outputs: list, arguments: list, **step_options: Any
) -> Any:
    """A processing step running one step script in the scikit-learn container."""
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.mlops.workflow.steps import ProcessingStep

    spec = build.spec
    processor = ScriptProcessor(
        role=spec.role_arn,
        image_uri=build.image,
        command=["python3"],
        instance_count=1,
        instance_type=build.parameters.processing_instance_type,
        volume_size_in_gb=VOLUME_SIZE_GB,
        volume_kms_key=spec.kms_key_arn,
        output_kms_key=spec.kms_key_arn,
        max_runtime_in_seconds=MAX_RUNTIME_SECONDS,
        sagemaker_session=build.session,
        env={"PYTHONPATH": _STEP_CONTRACT_DIR},
        network_config=build.network,
    )
    shared_module = _s3_input("step-contract", spec.code_uris[STEP_CONTRACT_CODE], _STEP_CONTRACT_DIR)
    step_args = processor.run(
        code=spec.code_uris[code], inputs=[*inputs, shared_module], outputs=outputs, arguments=arguments
    )
    return ProcessingStep(name=name, step_args=step_args, retry_policies=_retry_policies(), **step_options)


def _preprocess_step(build: _Build) -> Any:
    """Clean and split the raw data; outputs train, validation, test, the baseline features and drift baseline."""
    splits = ("train", "validation", "test", "baseline")
    return _script_step(
        build,
        "Preprocess",
        PREPROCESS_CODE,
        inputs=[_s3_input("raw", build.parameters.input_data, f"{_PROCESSING}/input/raw")],
        outputs=[
            *(
                _s3_output(split, build.output_uri("preprocess", split), f"{_PROCESSING}/output/{split}")
                for split in splits
            ),
            _s3_output("drift-baseline", build.drift_baseline_uri(), f"{_PROCESSING}/output/drift-baseline"),
        ],
        arguments=["--problem", build.spec.problem],
        # Never cached: the input prefix is mutable, so a cache hit would skip newly arrived data.
        cache_config=_cache(enabled=False),
    )


def _split_uri(preprocess: Any, split: str) -> Any:
    """Where the preprocess step wrote one of its outputs."""
    return preprocess.properties.ProcessingOutputConfig.Outputs[split].S3Output.S3Uri


def _train_step(build: _Build, preprocess: Any) -> Any:
    """Train with train.py in the scikit-learn framework container (script mode)."""
    from sagemaker.core.shapes import StoppingCondition
    from sagemaker.core.training.configs import Compute, InputData, Networking, OutputDataConfig
    from sagemaker.mlops.workflow.steps import TrainingStep
    from sagemaker.train.model_trainer import ModelTrainer

    spec = build.spec
    trainer = ModelTrainer(
        sagemaker_session=build.session,
        role=spec.role_arn,
        training_image=build.image,
        compute=Compute(
            instance_type=build.parameters.training_instance_type,
            instance_count=1,
            volume_size_in_gb=VOLUME_SIZE_GB,
            volume_kms_key_id=spec.kms_key_arn,
        ),
        networking=Networking(
            subnets=list(spec.subnet_ids) or None,
            security_group_ids=list(spec.security_group_ids) or None,
            enable_inter_container_traffic_encryption=True,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=MAX_RUNTIME_SECONDS),
        output_data_config=OutputDataConfig(s3_output_path=build.output_uri("train"), kms_key_id=spec.kms_key_arn),
        # The container downloads the bundle, runs sagemaker_program, and passes the other
        # hyperparameters as --flags.
        hyperparameters={
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": spec.code_uris[TRAIN_CODE],
            "sagemaker_region": spec.region,
            "problem": spec.problem,
            "algorithm": spec.algorithm,
        },
    )
    step_args = trainer.train(
        input_data_config=[
            InputData(channel_name=split, data_source=_split_uri(preprocess, split), content_type="text/csv")
            for split in ("train", "validation")
        ]
    )
    return TrainingStep(
        name="Train",
        step_args=step_args,
        # Safe to reuse: its inputs are per-execution outputs, written once.
        cache_config=_cache(enabled=True),
        retry_policies=_retry_policies(),
    )


def _evaluate_step(build: _Build, preprocess: Any, train: Any) -> tuple[Any, Any]:
    """Score the model on the test split; evaluation.json becomes the EvaluationReport property file."""
    from sagemaker.core.workflow.properties import PropertyFile

    spec = build.spec
    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    step = _script_step(
        build,
        "Evaluate",
        EVALUATE_CODE,
        inputs=[
            _s3_input("model", train.properties.ModelArtifacts.S3ModelArtifacts, f"{_PROCESSING}/input/model"),
            _s3_input("test", _split_uri(preprocess, "test"), f"{_PROCESSING}/input/test"),
        ],
        outputs=[_s3_output("evaluation", build.output_uri("evaluate"), f"{_PROCESSING}/output/evaluation")],
        arguments=[
            "--model-name", spec.model_name,
            "--problem", spec.problem,
            "--metric", spec.metric,
            "--threshold", build.parameters.threshold.to_string(),
        ],  # fmt: skip
        property_files=[report],
        # Safe to reuse: its inputs are per-execution outputs, written once.
        cache_config=_cache(enabled=True),
    )
    return step, report


def _quality_gate(build: _Build, preprocess: Any, train: Any, evaluate: Any, report: Any) -> Any:
    """Register the model (and its data-quality baseline) only if the gated metric is good enough."""
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo, ConditionLessThanOrEqualTo
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep

    spec = build.spec
    threshold = build.parameters.threshold
    maximize = spec.direction == step_contract.MAXIMIZE
    metric_value = JsonGet(step_name=evaluate.name, property_file=report, json_path=f"metrics.{spec.metric}.value")
    comparison = ConditionGreaterThanOrEqualTo if maximize else ConditionLessThanOrEqualTo
    evaluation_dir = evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri
    baseline = _baseline_step(build, preprocess)
    register = _register_step(build, train, baseline, Join(on="/", values=[evaluation_dir, "evaluation.json"]))
    failure = FailStep(
        name="QualityGateFailed",
        error_message=Join(
            on="",
            values=[
                f"Model {spec.model_name}: {spec.metric} on the test split is not "
                f"{'at least' if maximize else 'at most'} the quality threshold ",
                threshold,
                ", so no model version was registered. Metrics: ",
                evaluation_dir,
                "/evaluation.json",
            ],
        ),
    )
    return ConditionStep(
        name="CheckQuality",
        conditions=[comparison(left=metric_value, right=threshold)],
        if_steps=[baseline, register],
        else_steps=[failure],
    )


def _baseline_step(build: _Build, preprocess: Any) -> Any:
    """Compute the data-quality baseline of the training features with the Model Monitor analyzer."""
    from sagemaker.core.model_monitor.dataset_format import DatasetFormat
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
    from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep

    spec = build.spec
    check_job = CheckJobConfig(
        role=spec.role_arn,
        instance_count=1,
        instance_type=build.parameters.processing_instance_type,
        volume_size_in_gb=VOLUME_SIZE_GB,
        volume_kms_key=spec.kms_key_arn,
        output_kms_key=spec.kms_key_arn,
        max_runtime_in_seconds=MAX_RUNTIME_SECONDS,
        sagemaker_session=build.session,
        # QualityCheckStep copies its network config into the request as it is (sagemaker-mlops
        # 1.27), so it gets the request's dict form; a NetworkConfig object is not JSON.
        network_config=build.network._to_request_dict(),
    )
    return QualityCheckStep(
        name="DataQualityBaseline",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=_split_uri(preprocess, "baseline"),
            dataset_format=DatasetFormat.csv(header=True),
            output_s3_uri=baseline_prefix(spec.artifacts_bucket, spec.model_name),
        ),
        check_job_config=check_job,
        # Nothing to check against yet: compute this model's baseline and register it with it.
        skip_check=True,
        register_new_baseline=True,
        model_package_group_name=spec.model_package_group_name,
        cache_config=_cache(enabled=False),
    )


def _register_step(build: _Build, train: Any, baseline: Any, report_uri: Any) -> Any:
    """Register the trained model as a PendingManualApproval version with its metrics."""
    from sagemaker.core.drift_check_baselines import DriftCheckBaselines
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.serve.model_builder import ModelBuilder

    spec = build.spec
    model = ModelBuilder(
        image_uri=build.serving_image,
        s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        role_arn=spec.role_arn,
        sagemaker_session=build.session,
        # The default ({"auto": False}) makes register() look up the session's bucket in S3.
        dependencies=None,
        # The serving container unpacks the training bundle and imports train.py's hooks.
        env_vars={
            "SAGEMAKER_PROGRAM": "train.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": spec.code_uris[TRAIN_CODE],
            "SAGEMAKER_REGION": spec.region,
        },
    )

    def json_source(uri: Any) -> Any:
        return MetricsSource(content_type="application/json", s3_uri=uri)

    baseline_files = baseline.properties
    step_args = model.register(
        model_package_group_name=spec.model_package_group_name,
        content_types=["text/csv"],
        response_types=["text/csv", "application/json"],
        approval_status=PENDING_MANUAL_APPROVAL,
        # Monitoring reads the drift baseline of the version it serves from here.
        customer_metadata_properties={
            step_contract.BASELINE_URI_METADATA_KEY: build.drift_baseline_uri(step_contract.BASELINE_FILENAME)
        },
        model_metrics=ModelMetrics(
            model_statistics=json_source(report_uri),
            model_data_statistics=json_source(baseline_files.CalculatedBaselineStatistics),
            model_data_constraints=json_source(baseline_files.CalculatedBaselineConstraints),
        ),
        drift_check_baselines=DriftCheckBaselines(
            model_data_statistics=json_source(baseline_files.BaselineUsedForDriftCheckStatistics),
            model_data_constraints=json_source(baseline_files.BaselineUsedForDriftCheckConstraints),
        ),
    )
    return ModelStep(
        name="RegisterModel",
        step_args=step_args,
        # A job retry policy is not allowed on a register step.
        retry_policies=_retry_policies(include_job_errors=False),
    )
