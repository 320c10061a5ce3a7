"""The step graph of the training pipeline, composed with the SageMaker SDK (see the package docstring)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines.definition.offline_sdk import (
    build_lock,
    offline_sdk,
    offline_session,
    sdk_config_validated_once,
    sklearn_image,
)
from pipelines.definition.spec import (
    BYO_CONTRACT_CODE,
    EVALUATE_CODE,
    MAX_RUNTIME_SECONDS,
    MODEL_CODE,
    PENDING_MANUAL_APPROVAL,
    PREPROCESS_CODE,
    STEP_CONTRACT_CODE,
    TRAIN_CODE,
    VOLUME_SIZE_GB,
    PipelineSpec,
)
from pipelines.definition.step_code import baseline_prefix, drift_baseline_prefix
from pipelines.steps import step_contract

_PROCESSING = "/opt/ml/processing"
_STEP_CONTRACT_DIR = f"{_PROCESSING}/input/step_contract"


def build_definition(spec: PipelineSpec) -> str:
    """The pipeline definition JSON for ``spec``: sorted keys, byte-identical for the same spec.

    Makes no network call and writes nothing to stdout.
    """
    with build_lock, offline_sdk(spec.region), sdk_config_validated_once():
        definition = _compose(spec).definition()
    return json.dumps(json.loads(definition), sort_keys=True, separators=(",", ":"))




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


def _compose(spec: PipelineSpec) -> Any:
    """The SDK Pipeline object for ``spec``; call only under ``offline_sdk``."""
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.mlops.workflow.pipeline import Pipeline

    session = offline_session(spec.region, spec.artifacts_bucket)
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
        image=sklearn_image(spec.region, "training"),
        serving_image=spec.custom.serving_image if spec.custom else sklearn_image(spec.region, "inference"),
        network=NetworkConfig(
            enable_network_isolation=False,
            subnets=list(spec.subnet_ids) or None,
            security_group_ids=list(spec.security_group_ids) or None,
            encrypt_inter_container_traffic=True,
        ),
    )

    preprocess = _preprocess_step(build)
    train = _train_step(build, preprocess)
    report = _evaluation_report()
    *evaluate_first, evaluate = _evaluate_steps(build, preprocess, train, report)
    return Pipeline(
        name=spec.model_name,
        parameters=parameters.all(),
        steps=[preprocess, train, *evaluate_first, evaluate, _quality_gate(build, preprocess, train, evaluate, report)],
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
    build: _Build,
    name: str,
    code: str,
    inputs: list,
    outputs: list,
    arguments: list,
    image: str | None = None,
    **step_options: Any,
) -> Any:
    """A processing step running one step script in the scikit-learn container (or ``image``)."""
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.mlops.workflow.steps import ProcessingStep

    spec = build.spec
    processor = ScriptProcessor(
        role=spec.role_arn,
        image_uri=image or build.image,
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
    from sagemaker.core.training.configs import (
        Compute,
        InputData,
        Networking,
        OutputDataConfig,
    )
    from sagemaker.mlops.workflow.steps import TrainingStep
    from sagemaker.train.model_trainer import ModelTrainer

    spec = build.spec
    trainer = ModelTrainer(
        sagemaker_session=build.session,
        role=spec.role_arn,
        training_image=spec.custom.training_image if spec.custom else build.image,
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
        hyperparameters=_hyperparameters(spec),
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


def _hyperparameters(spec: PipelineSpec) -> dict[str, str]:
    """What the training job passes to the code: the built-in step, the model's own, or its image.

    A framework container downloads the bundle, runs sagemaker_program, and passes the other
    hyperparameters as --flags; an image gets them in /opt/ml/input/config/hyperparameters.json.
    """
    if spec.custom is None:
        return {
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": spec.code_uris[TRAIN_CODE],
            "sagemaker_region": spec.region,
            "problem": spec.problem,
            "algorithm": spec.algorithm,
        }
    if spec.custom.kind == "code":
        return {
            "sagemaker_program": spec.custom.entry_point,
            "sagemaker_submit_directory": spec.code_uris[MODEL_CODE],
            "sagemaker_region": spec.region,
            "problem": spec.problem,
        }
    return {"problem": spec.problem}


def _evaluation_report() -> Any:
    """The Evaluate step's evaluation.json, which the quality gate reads."""
    from sagemaker.core.workflow.properties import PropertyFile

    return PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")


def _evaluate_steps(build: _Build, preprocess: Any, train: Any, report: Any) -> list:
    """Score the model on the test split; the last step writes the EvaluationReport property file."""
    spec = build.spec
    if spec.custom:
        return _custom_evaluate_steps(build, preprocess, train, report)
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
    return [step]


def _custom_evaluate_steps(build: _Build, preprocess: Any, train: Any, report: Any) -> list:
    """Evaluate with the model's own code or image, then check its report against the contract.

    code: one step in the framework container, where ``byo_contract.py`` runs the model's
    evaluation script from its bundle and checks what it wrote. image: the image's ``evaluate``
    command writes the report, and a scikit-learn step checks it (the image need not have Python).
    """
    from sagemaker.core.processing import Processor
    from sagemaker.mlops.workflow.steps import ProcessingStep

    spec, custom = build.spec, build.spec.custom
    model = _s3_input("model", train.properties.ModelArtifacts.S3ModelArtifacts, f"{_PROCESSING}/input/model")
    test = _s3_input("test", _split_uri(preprocess, "test"), f"{_PROCESSING}/input/test")
    arguments = [
        "--model-name", spec.model_name,
        "--problem", spec.problem,
        "--metric", spec.metric,
        "--threshold", build.parameters.threshold.to_string(),
    ]  # fmt: skip
    step_options = {"property_files": [report], "cache_config": _cache(enabled=True)}
    evaluation = _s3_output("evaluation", build.output_uri("evaluate"), f"{_PROCESSING}/output/evaluation")
    if custom.kind == "code":
        code = _s3_input("model-code", spec.code_uris[MODEL_CODE], f"{_PROCESSING}/input/code")
        return [_script_step(
            build, "Evaluate", BYO_CONTRACT_CODE, inputs=[model, test, code], outputs=[evaluation],
            arguments=[
                *arguments,
                "--code-archive", f"{_PROCESSING}/input/code",
                "--evaluation-script", custom.evaluation_script,
                "--raw-dir", f"{_PROCESSING}/report",
            ],
            image=custom.training_image, **step_options,
        )]  # fmt: skip
    own = Processor(
        role=spec.role_arn,
        image_uri=custom.training_image,
        entrypoint=[
            "evaluate",
            "--model-dir", f"{_PROCESSING}/input/model",
            "--test-dir", f"{_PROCESSING}/input/test",
            "--output-dir", f"{_PROCESSING}/output/report",
            "--problem", spec.problem,
            "--metric", spec.metric,
        ],  # fmt: skip
        instance_count=1,
        instance_type=build.parameters.processing_instance_type,
        volume_size_in_gb=VOLUME_SIZE_GB,
        volume_kms_key=spec.kms_key_arn,
        output_kms_key=spec.kms_key_arn,
        max_runtime_in_seconds=MAX_RUNTIME_SECONDS,
        sagemaker_session=build.session,
        network_config=build.network,
    )
    run = ProcessingStep(
        name="EvaluateInImage",
        step_args=own.run(
            inputs=[model, test],
            outputs=[_s3_output("report", build.output_uri("evaluate-in-image"), f"{_PROCESSING}/output/report")],
        ),
        retry_policies=_retry_policies(),
        cache_config=_cache(enabled=True),
    )
    raw = run.properties.ProcessingOutputConfig.Outputs["report"].S3Output.S3Uri
    return [run, _script_step(
        build, "Evaluate", BYO_CONTRACT_CODE,
        inputs=[model, test, _s3_input("report", raw, f"{_PROCESSING}/input/report")],
        outputs=[evaluation], arguments=arguments, **step_options,
    )]  # fmt: skip


def _quality_gate(build: _Build, preprocess: Any, train: Any, evaluate: Any, report: Any) -> Any:
    """Register the model (and its data-quality baseline) only if the gated metric is good enough."""
    from sagemaker.core.workflow.conditions import (
        ConditionGreaterThanOrEqualTo,
        ConditionLessThanOrEqualTo,
    )
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep

    spec = build.spec
    threshold = build.parameters.threshold
    maximize = spec.direction == step_contract.MAXIMIZE
    metric_value = JsonGet(step_name=evaluate.name, property_file=report, json_path=f"metrics.{spec.metric}.value")
    comparison = ConditionGreaterThanOrEqualTo if maximize else ConditionLessThanOrEqualTo
    evaluation_dir = evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri
    # A Model Monitor baseline only for models Model Monitor watches; the platform's own monitoring
    # reads the drift baseline the preprocess step wrote, recorded on the version at registration.
    baseline = _baseline_step(build, preprocess) if spec.model_monitor_baseline else None
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
        if_steps=[baseline, register] if baseline is not None else [register],
        else_steps=[failure],
    )


def _baseline_step(build: _Build, preprocess: Any) -> Any:
    """Compute the data-quality baseline of the training features with the Model Monitor analyzer."""
    from sagemaker.core.model_monitor.dataset_format import DatasetFormat
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
    from sagemaker.mlops.workflow.quality_check_step import (
        DataQualityCheckConfig,
        QualityCheckStep,
    )

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


def _serving_environment(spec: PipelineSpec) -> dict[str, str] | None:
    """How the serving container finds the model's code: a framework container unpacks the
    training bundle and imports the entry point's hooks; the model's own image needs nothing."""
    if spec.custom and spec.custom.kind == "image":
        return None
    program, bundle = ("train.py", TRAIN_CODE) if spec.custom is None else (spec.custom.entry_point, MODEL_CODE)
    return {"SAGEMAKER_PROGRAM": program, "SAGEMAKER_SUBMIT_DIRECTORY": spec.code_uris[bundle], "SAGEMAKER_REGION": spec.region}


def _register_step(build: _Build, train: Any, baseline: Any | None, report_uri: Any) -> Any:
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
        env_vars=_serving_environment(spec),
    )

    def json_source(uri: Any) -> Any:
        return MetricsSource(content_type="application/json", s3_uri=uri)

    quality_baselines = {}
    if baseline is not None:
        files = baseline.properties
        quality_baselines = {
            "model_metrics": ModelMetrics(
                model_statistics=json_source(report_uri),
                model_data_statistics=json_source(files.CalculatedBaselineStatistics),
                model_data_constraints=json_source(files.CalculatedBaselineConstraints),
            ),
            "drift_check_baselines": DriftCheckBaselines(
                model_data_statistics=json_source(files.BaselineUsedForDriftCheckStatistics),
                model_data_constraints=json_source(files.BaselineUsedForDriftCheckConstraints),
            ),
        }
    step_args = model.register(
        model_package_group_name=spec.model_package_group_name,
        content_types=["text/csv"],
        response_types=["text/csv", "application/json"],
        approval_status=PENDING_MANUAL_APPROVAL,
        # Monitoring reads the drift baseline of the version it serves from here.
        customer_metadata_properties={
            step_contract.BASELINE_URI_METADATA_KEY: build.drift_baseline_uri(step_contract.BASELINE_FILENAME)
        },
        **(quality_baselines or {"model_metrics": ModelMetrics(model_statistics=json_source(report_uri))}),
    )
    return ModelStep(
        name="RegisterModel",
        step_args=step_args,
        # A job retry policy is not allowed on a register step.
        retry_policies=_retry_policies(include_job_errors=False),
    )
