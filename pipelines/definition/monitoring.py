"""The SageMaker monitoring pipeline of one served model in one environment, built offline as deterministic JSON.

SageMaker Model Monitor is closed to new AWS customers ("Amazon SageMaker Model Monitor
availability change", SageMaker developer guide), so monitoring is a pipeline of the platform's
own code, run by the SageMaker scikit-learn processing image (numpy, pandas, scipy, boto3; the
jobs have no internet egress, so nothing is installed at run time)::

    DriftCheck    (processing: monitor_drift.py)    captured traffic vs the pinned version's baseline
    QualityCheck  (processing: monitor_quality.py)  captured predictions vs ground truth (only when
                                                    the model has a ground-truth prefix)

Both publish CloudWatch metrics (see the step scripts) and write their reports under
``MonitoringPipelineSpec.report_uri``. The window ends when the execution starts (the pipeline
variable ``Execution.StartDateTime``) and spans the ``WindowHours`` parameter, so a schedule that
starts it every N hours with ``WindowHours`` = N covers all traffic once.

Built like the training pipeline (``pipelines.definition``): offline, the step code referred to by
content-addressed ``s3://`` URIs from ``monitoring_step_code()``, sorted-key JSON that is the same
bytes for the same spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pipelines.definition.graph import (
    _PROCESSING,
    _STEP_CONTRACT_DIR,
    _cache,
    _retry_policies,
    _s3_input,
    _s3_output,
)
from pipelines.definition.offline_sdk import (
    build_lock,
    offline_sdk,
    offline_session,
    sdk_config_validated_once,
)
from pipelines.definition.spec import (
    MAX_RUNTIME_SECONDS,
    SKLEARN_FRAMEWORK_VERSION,
    STEP_CONTRACT_CODE,
    VOLUME_SIZE_GB,
)
from pipelines.definition.step_code import STEPS_DIR, StepCode
from pipelines.steps import step_contract

# Keys of MonitoringPipelineSpec.code_uris and names of the StepCode objects.
MONITOR_DRIFT_CODE = "monitor-drift"
MONITOR_QUALITY_CODE = "monitor-quality"
MONITORING_DATA_CODE = "monitoring-data"
MONITORING_CODE_NAMES = (MONITOR_DRIFT_CODE, MONITOR_QUALITY_CODE, MONITORING_DATA_CODE, STEP_CONTRACT_CODE)
# The platform's CloudWatch namespace for monitoring metrics.
DEFAULT_METRIC_NAMESPACE = "MLOps/Monitoring"

_MONITORING_DATA_DIR = f"{_PROCESSING}/input/monitoring_data"
Environment = Literal["dev", "test", "prod"]


@dataclass(frozen=True)
class MonitoringPipelineSpec:
    """Everything the monitoring pipeline of one served model in one environment depends on.

    Attributes:
        model_name: Catalog name, e.g. ``churn``.
        environment: ``dev``, ``test`` or ``prod`` (metric dimension Environment).
        model_version: The registry version pinned in this environment, e.g. ``"3"`` (metric
            dimension Version; alarms select it).
        problem: ``classification`` or ``regression``.
        metric: The catalog's quality metric, e.g. ``auc`` (published as ModelQuality).
        quality_threshold: The catalog's threshold for it (recorded in the quality report).
        region: AWS region of the pipeline; picks the image and the CloudWatch/S3 endpoints.
        role_arn: Execution role of the jobs: reads the capture, ground-truth and artifacts
            prefixes, writes ``report_uri``, ``cloudwatch:PutMetricData`` on the namespace, uses
            the KMS key. The VPC needs S3 and CloudWatch (monitoring) endpoints.
        baseline_uri: ``s3://`` URI of the pinned version's ``baseline.json``: the value of its
            model package's CustomerMetadataProperties[``step_contract.BASELINE_URI_METADATA_KEY``].
            Empty: the drift step reads that value from ``model_package_arn`` at run time, and
            with neither every run publishes BaselineMissing = 1.
        capture_uri: ``s3://`` capture prefix of the variant serving the pinned version:
            ``<DataCaptureConfig.DestinationS3Uri>/<endpoint name>/<variant name>/``.
        ground_truth_uri: ``s3://`` prefix where the model's labels land (``yyyy/mm/dd/hh/``
            folders); empty: no QualityCheck step.
        report_uri: ``s3://`` prefix in the monitoring bucket; reports go to
            ``<report_uri>/<execution id>/{drift,quality}/``.
        code_uris: ``s3://`` URI of each uploaded ``monitoring_step_code()`` object, by name.
        kms_key_arn: The platform CMK; encrypts job volumes and outputs.
        processing_instance_type: Instance type of the jobs (the drift step on 100,000 rows
            needs well under 1 GB).
        window_hours: Hours of traffic a run looks at; the schedule's period.
        label_delay_hours: How long labels take to land; quality covers the window that ended
            this long ago.
        psi_threshold: A feature drifts above this population stability index.
        p_value_threshold: ... or below this p-value of its KS / chi-square test.
        metric_namespace: CloudWatch namespace of the metrics.
        subnet_ids: Private subnets of the jobs; empty runs them outside a VPC.
        security_group_ids: Security groups of the jobs; given together with ``subnet_ids``.
        model_package_arn: The pinned version's model package ARN, whose recorded baseline the
            drift step reads when ``baseline_uri`` is empty (an infrastructure plan cannot read
            the registry, the job can).
    """

    model_name: str
    environment: Environment
    model_version: str
    problem: str
    metric: str
    quality_threshold: float
    region: str
    role_arn: str
    baseline_uri: str
    capture_uri: str
    ground_truth_uri: str
    report_uri: str
    code_uris: Mapping[str, str]
    kms_key_arn: str
    processing_instance_type: str = "ml.m5.large"
    window_hours: int = 24
    label_delay_hours: int = 0
    psi_threshold: float = 0.2
    p_value_threshold: float = 0.01
    metric_namespace: str = DEFAULT_METRIC_NAMESPACE
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    model_package_arn: str = ""

    def __post_init__(self) -> None:
        """Reject a spec the pipeline cannot run with, naming the model and the field."""

        def invalid(reason: str) -> ValueError:
            return ValueError(f"monitoring pipeline spec for model {self.model_name!r}: {reason}")

        if self.environment not in ("dev", "test", "prod"):
            raise invalid(f"environment must be dev, test or prod, got {self.environment!r}")
        if not self.model_version:
            raise invalid("model_version is empty: monitor a pinned version")
        if self.problem not in step_contract.PROBLEMS:
            raise invalid(f"problem {self.problem!r} is not one of {', '.join(step_contract.PROBLEMS)}")
        if self.metric not in step_contract.METRIC_DIRECTIONS[self.problem]:
            raise invalid(f"metric {self.metric!r} is not reported for a {self.problem} problem")
        if not self.region:
            raise invalid("region is empty")
        missing = [name for name in MONITORING_CODE_NAMES if name not in self.code_uris]
        if missing:
            raise invalid(f"code_uris lacks {', '.join(missing)} (upload every monitoring_step_code() object)")
        uris = {f"code_uris[{name!r}]": uri for name, uri in sorted(self.code_uris.items())}
        uris.update(capture_uri=self.capture_uri, report_uri=self.report_uri)
        uris.update({name: value for name, value in (("baseline_uri", self.baseline_uri),
                                                     ("ground_truth_uri", self.ground_truth_uri)) if value})
        for name, uri in uris.items():
            # A local path would make the SDK upload it while building.
            if not uri.startswith("s3://"):
                raise invalid(f"{name} must be an s3:// URI, got {uri!r}")
        if self.window_hours < 1 or self.label_delay_hours < 0:
            raise invalid("window_hours must be at least 1 and label_delay_hours not negative")
        if not (self.psi_threshold > 0 and 0 < self.p_value_threshold < 1):
            raise invalid("psi_threshold must be positive and p_value_threshold between 0 and 1")
        # CloudWatch namespace: 1-255 characters, not starting with ':' (botocore shape Namespace).
        if not 1 <= len(self.metric_namespace) <= 255 or self.metric_namespace.startswith(":"):
            raise invalid(f"metric_namespace {self.metric_namespace!r} is not a CloudWatch namespace")
        if self.model_package_arn and not self.model_package_arn.endswith(f"/{self.model_version}"):
            raise invalid(f"model_package_arn {self.model_package_arn!r} is not version {self.model_version}")
        if bool(self.subnet_ids) != bool(self.security_group_ids):
            raise invalid("subnet_ids and security_group_ids must be given together")


def monitoring_step_code() -> list[StepCode]:
    """The step code objects the monitoring definition refers to, in a fixed order."""
    files = {
        MONITOR_DRIFT_CODE: "monitor_drift.py",
        MONITOR_QUALITY_CODE: "monitor_quality.py",
        MONITORING_DATA_CODE: "monitoring_data.py",
        STEP_CONTRACT_CODE: "step_contract.py",
    }
    return [StepCode.of(name, filename, (STEPS_DIR / filename).read_bytes()) for name, filename in files.items()]


def build_monitoring_definition(spec: MonitoringPipelineSpec) -> str:
    """The monitoring pipeline definition JSON for ``spec``: sorted keys, byte-identical for the same spec.

    Makes no network call and writes nothing to stdout.
    """
    with build_lock, offline_sdk(spec.region), sdk_config_validated_once():
        definition = _compose(spec).definition()
    return json.dumps(json.loads(definition), sort_keys=True, separators=(",", ":"))


def _compose(spec: MonitoringPipelineSpec) -> Any:
    """The SDK Pipeline object for ``spec``; call only under ``offline_sdk``."""
    from sagemaker.core import image_uris
    from sagemaker.core.network import NetworkConfig
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import (
        ParameterFloat,
        ParameterInteger,
        ParameterString,
    )
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep

    session = offline_session(spec.region, spec.report_uri[len("s3://") :].split("/", 1)[0])
    instance_type = ParameterString("ProcessingInstanceType", default_value=spec.processing_instance_type)
    window_hours = ParameterInteger("WindowHours", default_value=spec.window_hours)
    baseline = ParameterString("BaselineUri", default_value=spec.baseline_uri)
    capture = ParameterString("CaptureUri", default_value=spec.capture_uri)
    psi = ParameterFloat("PsiThreshold", default_value=float(spec.psi_threshold))
    p_value = ParameterFloat("PValueThreshold", default_value=float(spec.p_value_threshold))
    parameters = [instance_type, window_hours, baseline, capture, psi, p_value]

    image = image_uris.retrieve(
        "sklearn", region=spec.region, version=SKLEARN_FRAMEWORK_VERSION, py_version="py3", image_scope="training"
    )
    network = NetworkConfig(
        enable_network_isolation=False,  # the jobs call S3 and CloudWatch themselves
        subnets=list(spec.subnet_ids) or None,
        security_group_ids=list(spec.security_group_ids) or None,
        encrypt_inter_container_traffic=True,
    )
    shared_modules = [
        _s3_input("step-contract", spec.code_uris[STEP_CONTRACT_CODE], _STEP_CONTRACT_DIR),
        _s3_input("monitoring-data", spec.code_uris[MONITORING_DATA_CODE], _MONITORING_DATA_DIR),
    ]
    common_arguments = [
        "--model", spec.model_name,
        "--version", spec.model_version,
        "--environment", spec.environment,
        "--capture", capture,
        "--window-end", ExecutionVariables.START_DATETIME,
        "--window-hours", window_hours.to_string(),
        "--namespace", spec.metric_namespace,
        "--region", spec.region,
    ]  # fmt: skip

    def step(name: str, code: str, output: str, arguments: list) -> Any:
        processor = ScriptProcessor(
            role=spec.role_arn,
            image_uri=image,
            command=["python3"],
            instance_count=1,
            instance_type=instance_type,
            volume_size_in_gb=VOLUME_SIZE_GB,
            volume_kms_key=spec.kms_key_arn,
            output_kms_key=spec.kms_key_arn,
            max_runtime_in_seconds=MAX_RUNTIME_SECONDS,
            sagemaker_session=session,
            env={"PYTHONPATH": f"{_STEP_CONTRACT_DIR}:{_MONITORING_DATA_DIR}"},
            network_config=network,
        )
        local_output = f"{_PROCESSING}/output/{output}"
        report = Join(on="/", values=[spec.report_uri.rstrip("/"), ExecutionVariables.PIPELINE_EXECUTION_ID, output])
        step_args = processor.run(
            code=spec.code_uris[code],
            inputs=shared_modules,
            outputs=[_s3_output(output, report, local_output)],
            arguments=[*common_arguments, *arguments, "--output-dir", local_output],
        )
        # Never cached: every run reads a new window of traffic.
        return ProcessingStep(name=name, step_args=step_args, retry_policies=_retry_policies(), cache_config=_cache(False))

    steps = [
        step(
            "DriftCheck",
            MONITOR_DRIFT_CODE,
            "drift",
            [
                "--baseline", baseline,
                *(["--model-package", spec.model_package_arn] if spec.model_package_arn else []),
                "--psi-threshold", psi.to_string(),
                "--p-value-threshold", p_value.to_string(),
            ],
        )
    ]  # fmt: skip
    if spec.ground_truth_uri:
        ground_truth = ParameterString("GroundTruthUri", default_value=spec.ground_truth_uri)
        label_delay = ParameterInteger("LabelDelayHours", default_value=spec.label_delay_hours)
        threshold = ParameterFloat("QualityThreshold", default_value=float(spec.quality_threshold))
        parameters += [ground_truth, label_delay, threshold]
        steps.append(
            step(
                "QualityCheck",
                MONITOR_QUALITY_CODE,
                "quality",
                [
                    "--problem", spec.problem,
                    "--metric", spec.metric,
                    "--threshold", threshold.to_string(),
                    "--ground-truth", ground_truth,
                    "--label-delay-hours", label_delay.to_string(),
                ],
            )
        )  # fmt: skip
    return Pipeline(
        name=f"{spec.model_name}-monitoring",
        parameters=parameters,
        steps=steps,
        sagemaker_session=session,
        pipeline_experiment_config=None,
    )
