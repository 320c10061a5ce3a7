"""The model catalog: one ``stacks/models/<name>.yaml`` per model.

Adding a model is adding a file. Everything a model's pipeline, endpoint and monitor need is
here, validated once; past this edge the program trusts these types.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from infra.config.limits import (
    GPU_FAMILIES,
    SERVERLESS_MEMORY_MB,
    checked_instance_type,
    checked_schedule,
)
from infra.config.personas import PRINCIPAL_ARN
from infra.config.rules import (
    GROUND_TRUTH_PREFIX,
    MODEL_NAME,
    MODEL_NAME_MAX,
    MODEL_PACKAGE_ARN,
    TEAM_NAME,
    TIMESTAMP,
)
from infra.config.sources import (
    AsyncInference,
    BatchScoring,
    ServingMode,
    TrainingSource,
    image_reference_problem,
)
from infra.config.stack import Environment
from infra.config.validation import ConfigModel, KeyedError
from pipelines.steps.step_contract import ALGORITHMS, METRIC_DIRECTIONS

Phase = Literal["development", "test-release", "activation"]
PHASES: tuple[str, ...] = ("development", "test-release", "activation")

_TRAINING_HELP = "a SageMaker training instance type such as ml.m5.xlarge"
_PROCESSING_HELP = "a SageMaker processing instance type such as ml.m5.large"
_ENDPOINT_HELP = "a SageMaker endpoint instance type such as ml.m5.large"


class Training(ConfigModel):
    """How and when the model is retrained, and the quality bar a new version must pass."""

    schedule: str = Field(description="an EventBridge expression: rate(1 day) or cron(0 3 ? * MON *)")
    instance_type: str = Field(description=_TRAINING_HELP)
    processing_instance_type: str = Field("ml.m5.large", description=_PROCESSING_HELP)
    metric: str = Field(description="classification: auc, accuracy, f1, precision, recall; regression: rmse, mae, r2")
    direction: Literal["maximize", "minimize"] = Field(description="maximize, minimize")
    threshold: float = Field(description="0-1 for ratio metrics, > 0 for error metrics")
    promotion_margin: float = Field(0.0, ge=0, le=1, description="0-1: how much better a challenger must be")
    retrain_on_new_data: bool = Field(True, description="true or false")
    retrain_on_drift: bool = Field(True, description="true or false")
    source: TrainingSource = Field(TrainingSource(), description="type (builtin, code, image) and its settings")

    @field_validator("instance_type")
    @classmethod
    def _instance(cls, value: str) -> str:
        return checked_instance_type(value, "training")

    @field_validator("processing_instance_type")
    @classmethod
    def _processing_instance(cls, value: str) -> str:
        return checked_instance_type(value, "processing")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return checked_schedule(value)


class Serverless(ConfigModel):
    """Serverless variant sizing (dev)."""

    memory_mb: int = Field(2048, description=", ".join(map(str, SERVERLESS_MEMORY_MB)))
    max_concurrency: int = Field(5, ge=1, le=200, description="1-200")
    provisioned_concurrency: int | None = Field(None, ge=1, le=200, description="1-200, at most maxConcurrency")

    @field_validator("memory_mb")
    @classmethod
    def _memory(cls, value: int) -> int:
        if value not in SERVERLESS_MEMORY_MB:
            raise ValueError(f"{value} MB is not a serverless memory size")
        return value

    @model_validator(mode="after")
    def _provisioned(self) -> "Serverless":
        if self.provisioned_concurrency and self.provisioned_concurrency > self.max_concurrency:
            raise KeyedError("provisionedConcurrency", "must not exceed maxConcurrency", f"1-{self.max_concurrency}")
        return self


class Challenger(ConfigModel):
    """How a challenger runs next to the champion where the environment allows one (test)."""

    mode: Literal["ab", "shadow"] = Field(description="ab (weighted traffic), shadow (mirrored, responses discarded)")
    weight: float = Field(0.1, gt=0, lt=1, description="0-1 exclusive: the challenger's share of traffic in ab mode")
    sampling_percent: int = Field(20, ge=1, le=100, description="1-100: share of requests mirrored in shadow mode")


class Sizing(ConfigModel):
    """A per-environment override of the serving size."""

    instance_type: str | None = Field(None, description=_ENDPOINT_HELP)
    min_instances: int | None = Field(None, ge=1, le=20, description="1-20")
    max_instances: int | None = Field(None, ge=1, le=40, description="1-40")

    @field_validator("instance_type")
    @classmethod
    def _instance(cls, value: str | None) -> str | None:
        return None if value is None else checked_instance_type(value, "endpoint")


class Serving(ConfigModel):
    """Where and how the model is served."""

    target: Literal["sagemaker", "kubernetes"] = Field("sagemaker", description="sagemaker, kubernetes")
    instance_type: str = Field(description=_ENDPOINT_HELP)
    min_instances: int = Field(2, ge=1, le=20, description="1-20")
    max_instances: int = Field(4, ge=1, le=40, description="1-40, at least minInstances")
    serverless: Serverless = Field(Serverless(), description="memoryMb, maxConcurrency, provisionedConcurrency")
    challenger: Challenger | None = Field(None, description="mode, weight, samplingPercent")
    overrides: dict[Environment, Sizing] = Field({}, description="dev, test, prod: instanceType, minInstances, maxInstances")
    target_invocations_per_instance: int = Field(
        100, ge=1, le=100000, description="1-100000 invocations per instance per minute (autoscaling target)"
    )
    mode: ServingMode = Field("endpoint", description="endpoint, batch, async")
    batch: BatchScoring | None = Field(None, description="batch mode: schedule, instanceType, instanceCount, maxPayloadMb, splitType")
    async_inference: AsyncInference = Field(AsyncInference(), description="async mode: maxConcurrentInvocationsPerInstance, targetBacklogPerInstance, ...")

    @field_validator("instance_type")
    @classmethod
    def _instance(cls, value: str) -> str:
        return checked_instance_type(value, "endpoint")

    @model_validator(mode="after")
    def _sizes(self) -> "Serving":
        for env in ("dev", "test", "prod"):
            size = self.size(env)
            where = f"overrides.{env}." if env in self.overrides else ""
            if size.max_instances < size.min_instances:
                raise KeyedError(f"{where}maxInstances", f"max {size.max_instances} is below min {size.min_instances}", f">= {size.min_instances}")
        if self.challenger and self.challenger.mode == "shadow" and self.target == "kubernetes":
            raise KeyedError("challenger.mode", "shadow variants need the sagemaker target", "ab")
        if self.mode != "endpoint" and self.target == "kubernetes":
            raise KeyedError("mode", f"{self.mode} serving needs the sagemaker target", "endpoint")
        if self.mode == "batch" and self.batch is None:
            raise KeyedError("batch", "batch mode needs a batch section", "schedule, instanceType, instanceCount")
        if self.mode != "batch" and self.batch is not None:
            raise KeyedError("batch", f"applies to batch mode only, not {self.mode}", "mode: batch")
        if self.mode == "batch" and self.challenger:
            raise KeyedError("challenger", "a batch-scored model has no endpoint to run a challenger on", "no challenger in batch mode")
        # https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html: serverless
        # endpoints do not support asynchronous inference.
        if self.mode == "async" and "serverless" in self.model_fields_set:
            raise KeyedError("serverless", "asynchronous endpoints cannot be serverless", "no serverless section in async mode")
        # https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests.html: real-time endpoints only.
        if self.mode == "async" and self.challenger and self.challenger.mode == "shadow":
            raise KeyedError("challenger.mode", "shadow variants need a real-time endpoint, not an asynchronous one", "ab")
        if self.mode != "async" and "async_inference" in self.model_fields_set:
            raise KeyedError("asyncInference", f"applies to async mode only, not {self.mode}", "mode: async")
        return self

    def size(self, environment: str) -> "ResolvedSize":
        """The instance type and counts for ``environment`` after its override."""
        override = self.overrides.get(environment) or Sizing()
        return ResolvedSize(
            instance_type=override.instance_type or self.instance_type,
            min_instances=override.min_instances or self.min_instances,
            max_instances=override.max_instances or self.max_instances,
        )

    def needs_gpu(self, environment: str) -> bool:
        """Whether the model is sized for a GPU instance in ``environment``."""
        return self.size(environment).instance_type.startswith(GPU_FAMILIES)


class ResolvedSize(ConfigModel):
    """Serving size for one environment."""

    instance_type: str
    min_instances: int
    max_instances: int


class Monitoring(ConfigModel):
    """Which monitors and alarm thresholds the model has where the environment monitors."""

    engine: Literal["pipeline", "model-monitor"] = Field(
        "pipeline",
        # Model Monitor is closed to new AWS customers, so it is only for accounts that already have it.
        description="pipeline, model-monitor (only accounts that already have SageMaker Model Monitor)",
    )
    data_quality: bool = Field(True, description="true or false")
    latency_p99_ms: int = Field(500, ge=1, le=60000, description="1-60000 milliseconds")
    error_rate_percent: float = Field(1.0, gt=0, le=100, description="0-100 percent")
    drift_features: list[str] = Field(
        [], description="feature names whose baseline drift raises the drift alarm (engine model-monitor; "
        "the pipeline engine checks every feature of the baseline)"
    )
    drift_threshold: float = Field(
        0.2, gt=0, le=1, description="0-1: population stability index above which a feature drifts and the drift alarm fires"
    )
    ground_truth: str | None = Field(
        None, pattern=GROUND_TRUTH_PREFIX,
        description="where labels land, <raw|curated>/<prefix>/ in the environment's buckets, e.g. curated/labels/churn/",
    )
    quality_threshold: float | None = Field(
        None, description="the training metric's alarm bound on live traffic (default: training.threshold)"
    )

    @field_validator("drift_features")
    @classmethod
    def _features(cls, value: list[str]) -> list[str]:
        for feature in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", feature):
                raise ValueError(f"{feature!r} is not a feature column name")
        if len(value) > 10:
            raise ValueError("at most 10 drift features (one alarm metric each)")
        return value

    @model_validator(mode="after")
    def _engine(self) -> "Monitoring":
        if self.engine == "model-monitor" and self.ground_truth:
            raise KeyedError("groundTruth", "model quality on ground truth needs the monitoring pipeline", "engine: pipeline, or no groundTruth")
        return self


class HistoryEntry(ConfigModel):
    """One recorded promotion or rollback (written by ``mlops promote``/``rollback``)."""

    environment: Literal["test", "prod"] = Field(description="test, prod")
    version: str = Field(pattern=MODEL_PACKAGE_ARN, description="a model package version ARN")
    action: Literal["promote", "rollback"] = Field(description="promote, rollback")
    by: str = Field(min_length=1, description="who decided")
    reason: str = Field(min_length=1, description="why")
    at: str = Field(pattern=TIMESTAMP, description="an ISO-8601 UTC time, e.g. 2026-10-05T09:12:00Z")
    id: str | None = Field(None, pattern=r"^[0-9a-f]{16}$", description="16 hex digits, also on the model package")


class Governance(ConfigModel):
    """What the model card records."""

    intended_use: str = Field(min_length=10, description="a sentence on what the model is for and not for")
    risk_rating: Literal["low", "medium", "high"] = Field(description="low, medium, high")
    history: list[HistoryEntry] = Field(
        [], description="a list of {environment, version, action, by, reason, at, id}")
    approvers: list[str] | None = Field(
        None, min_length=1,
        description="IAM role/user ARNs (may end in *, e.g. an SSO permission-set role) allowed to approve and promote")

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, value: list[str] | None) -> list[str] | None:
        for arn in value or ():
            if not re.fullmatch(PRINCIPAL_ARN, arn):
                raise ValueError(f"{arn!r} is not an IAM role or user ARN (a whole account or * is not a named principal)")
        return value


class Versions(ConfigModel):
    """The model package version pinned in each environment (written by ``mlops promote``)."""

    dev: str | None = Field(None, pattern=MODEL_PACKAGE_ARN, description="a model package version ARN")
    test: str | None = Field(None, pattern=MODEL_PACKAGE_ARN, description="a model package version ARN")
    prod: str | None = Field(None, pattern=MODEL_PACKAGE_ARN, description="a model package version ARN")

    def pinned(self, environment: str) -> str | None:
        """The ARN pinned for ``environment``, if any."""
        return getattr(self, environment)


def version_number(model_package_arn: str) -> str:
    """The registry version number at the end of a model package version ARN (``.../churn/3`` -> ``3``)."""
    return model_package_arn.rsplit("/", 1)[-1]


class Usage(ConfigModel):
    """What the cost estimate assumes for this model a month (``mlops cost``); defaults when unset."""

    requests_per_month: int = Field(1_000_000, ge=0, le=100_000_000_000, description="0-1e11 inference requests a month")
    # Async inference takes payloads up to 1 GB and requests up to one hour:
    # https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html
    payload_kb: float = Field(4.0, gt=0, le=1_048_576, description="request plus response size in KB, at most 1 GB")
    inference_seconds: float = Field(0.1, gt=0, le=3600, description="seconds of compute per request, at most 3600")
    # A training job stops after at most 28 days (MaxRuntimeInSeconds):
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html
    training_hours_per_run: float = Field(0.5, gt=0, le=672, description="hours a training run takes, at most 672")
    processing_hours_per_step: float = Field(0.25, gt=0, le=672, description="hours each processing step takes, at most 672")
    triggered_runs_per_month: float = Field(0.0, ge=0, le=10_000, description="pipeline runs a month beyond the schedule (new data, drift)")


class ModelSpec(ConfigModel):
    """One catalog entry."""

    name: str = Field(
        pattern=MODEL_NAME, max_length=MODEL_NAME_MAX,
        description=f"lowercase letters, digits and single hyphens, at most {MODEL_NAME_MAX} characters",
    )
    description: str = Field(min_length=1, max_length=1024, description="1-1024 characters")
    owner: str = Field(pattern=TEAM_NAME, description="the owning team, lowercase with hyphens")
    wave: Literal["pilot", "scale-out"] = Field(description="pilot, scale-out")
    phase: Phase = Field(description="development, test-release, activation")
    problem: Literal["classification", "regression"] = Field(description="classification, regression")
    algorithm: str | None = Field(
        None, description="built-in source only: gradient-boosting, random-forest, logistic-regression (classification), ridge (regression)"
    )
    training: Training = Field(description="schedule, instanceType, metric, direction, threshold, ...")
    serving: Serving = Field(description="target, instanceType, minInstances, maxInstances, serverless, challenger, overrides")
    monitoring: Monitoring = Field(
        Monitoring(),
        description="engine, dataQuality, latencyP99Ms, errorRatePercent, driftFeatures, driftThreshold, groundTruth, qualityThreshold",
    )
    governance: Governance = Field(description="intendedUse, riskRating, history, approvers")
    versions: Versions = Field(Versions(), description="dev, test, prod: model package version ARNs")
    usage: Usage = Field(Usage(), description="requestsPerMonth, payloadKb, inferenceSeconds, trainingHoursPerRun, ... (cost estimate)")

    @property
    def quality_threshold(self) -> float:
        """The bound live model quality is alarmed at: the catalog's, else the training gate's."""
        if self.monitoring.quality_threshold is not None:
            return self.monitoring.quality_threshold
        return self.training.threshold

    @model_validator(mode="after")
    def _consistent(self) -> "ModelSpec":
        source = self.training.source
        if source.custom and self.algorithm is not None:
            raise KeyedError("algorithm", f"a {source.type} source brings its own algorithm", "no algorithm key")
        if not source.custom and self.algorithm is None:
            raise KeyedError("algorithm", "is required for the builtin source", ", ".join(ALGORITHMS[self.problem]))
        if not source.custom and self.algorithm not in ALGORITHMS[self.problem]:
            raise KeyedError("algorithm", f"{self.algorithm!r} does not solve {self.problem}", ", ".join(ALGORITHMS[self.problem]))
        metrics = METRIC_DIRECTIONS[self.problem]
        if self.training.metric not in metrics:
            raise KeyedError("training.metric", f"{self.training.metric!r} is not a {self.problem} metric", ", ".join(metrics))
        if self.training.direction != metrics[self.training.metric]:
            raise KeyedError("training.direction", f"{self.training.metric} improves when it goes the other way", metrics[self.training.metric])
        ratio = self.training.metric not in ("rmse", "mae")
        for key, threshold in (("training.threshold", self.training.threshold), ("monitoring.qualityThreshold", self.monitoring.quality_threshold)):
            if threshold is None:
                continue
            if ratio and not 0 < threshold <= 1:
                raise KeyedError(key, f"{threshold} is out of range for {self.training.metric}", "0-1")
            if not ratio and threshold <= 0:
                raise KeyedError(key, f"{threshold} is out of range for {self.training.metric}", "> 0")
        # Model Monitor alarms on named features; the pipeline engine checks every baseline feature.
        watched = self.monitoring.engine == "pipeline" or self.monitoring.drift_features
        if self.training.retrain_on_drift and self.monitoring.data_quality and not watched:
            raise KeyedError("monitoring.driftFeatures", "retrainOnDrift with engine model-monitor needs features to watch for drift", "one or more feature names")
        problem = image_reference_problem(source, "prod") if self.phase == "activation" else None
        if problem:
            raise KeyedError("training.source.tag", problem, "digest: sha256:<64 hex>")
        for env in ("dev", "test", "prod"):
            arn = self.versions.pinned(env)
            if arn and not re.search(rf":model-package/[^/]+-{re.escape(self.name)}/\d+$", arn):
                raise KeyedError(f"versions.{env}", f"{arn} is not a version of this model's group", f"…:model-package/<prefix>-{self.name}/<n>")
        return self

    @property
    def method(self) -> str:
        """The built-in algorithm, or the model's own source in a few words."""
        return self.algorithm or self.training.source.describe()
