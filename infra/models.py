"""Turning catalog entries into ``ModelComponent`` arguments for one environment.

The environment's serving and monitoring profile (stack settings), the model's own sizes
(catalog) and the migration plan's decisions meet here; components only see typed arguments.
"""

from __future__ import annotations

import pulumi

from components.endpoint import ModelEndpointArgs, VariantSpec
from components.kubernetes_serving import KubernetesServingArgs
from components.model import ModelComponentArgs
from components.model_card import ModelCardArgs
from components.monitor import ModelMonitorArgs
from components.monitoring_pipeline import (
    SCHEDULES,
    MonitoringPipelineArgs,
    ResolvedMonitoringInputs,
)
from components.registry import ModelRegistryArgs
from components.training_pipeline import ResolvedPipelineInputs, TrainingPipelineArgs
from infra.config import Settings, names
from infra.config.catalog import ModelSpec, version_number
from infra.foundation import FoundationView
from pipelines.definition import PipelineSpec, baseline_prefix, step_code
from pipelines.definition.cache import cached_definition
from pipelines.definition.monitoring import MonitoringPipelineSpec


def group_name(settings: Settings, model: ModelSpec) -> str:
    """The model's package group and repository name (shared by every environment)."""
    return names.group_name(settings.env.name_prefix, model.name)


def drift_alarm_name(settings: Settings, environment: str, model: ModelSpec) -> str:
    """Name of the model's drift alarm in ``environment`` (the retraining trigger)."""
    return names.drift_alarm_name(settings.env.name_prefix, environment, model.name)


def quality_alarm_name(settings: Settings, environment: str, model: ModelSpec) -> str:
    """Name of the model's quality alarm in ``environment`` (a retraining trigger too)."""
    return names.quality_alarm_name(settings.env.name_prefix, environment, model.name)


def retraining_alarm_names(settings: Settings, model: ModelSpec) -> list[str]:
    """The test and prod alarms whose ALARM state retrains ``model`` in dev: drift wherever the model
    is monitored, quality where its ground truth lands too."""
    monitoring = model.monitoring
    watched = monitoring.engine == "pipeline" or monitoring.drift_features
    if not (model.training.retrain_on_drift and monitoring.data_quality and watched and model.serving.target == "sagemaker"):
        return []
    alarms = [drift_alarm_name(settings, e, model) for e in ("test", "prod")]
    if monitoring.engine == "pipeline" and monitoring.ground_truth:
        alarms += [quality_alarm_name(settings, e, model) for e in ("test", "prod")]
    return sorted(alarms)


def _monitoring_definition(settings: Settings, model: ModelSpec, pinned: str, window_hours: int):
    """A monitoring definition builder for the monitoring component (called with resolved values)."""

    def build(values: ResolvedMonitoringInputs) -> str:
        spec = MonitoringPipelineSpec(
            model_name=model.name,
            environment=settings.env.environment,
            model_version=version_number(pinned),
            model_package_arn=pinned,
            problem=model.problem,
            metric=model.training.metric,
            quality_threshold=model.quality_threshold,
            region=settings.env.region,
            role_arn=values.role_arn,
            # The pinned version's baseline is read from its model package when the job runs.
            baseline_uri="",
            capture_uri=values.capture_uri,
            ground_truth_uri=values.ground_truth_uri,
            report_uri=values.report_uri,
            code_uris=values.code_uris,
            kms_key_arn=values.kms_key_arn,
            processing_instance_type=model.training.processing_instance_type,
            window_hours=window_hours,
            psi_threshold=model.monitoring.drift_threshold,
            subnet_ids=values.subnet_ids,
            security_group_ids=values.security_group_ids,
        )
        return cached_definition(spec)

    return build


def _ground_truth_uri(ground_truth: str, buckets: dict[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """``<bucket role>/<prefix>/`` of the catalog as an ``s3://`` URI in this environment's bucket."""
    role, _, prefix = ground_truth.partition("/")
    return pulumi.Output.concat("s3://", buckets[role], "/", prefix)


def _definition(settings: Settings, model: ModelSpec, data_prefix: str):
    """A definition builder for the pipeline component (called with resolved values)."""

    def build(values: ResolvedPipelineInputs) -> str:
        spec = PipelineSpec(
            model_name=model.name,
            problem=model.problem,
            algorithm=model.algorithm,
            region=settings.env.region,
            role_arn=values.role_arn,
            artifacts_bucket=values.artifacts_bucket,
            raw_data_uri=f"s3://{values.raw_bucket}/{data_prefix}models/{model.name}/",
            model_package_group_name=group_name(settings, model),
            code_uris=values.code_uris,
            processing_instance_type=model.training.processing_instance_type,
            training_instance_type=model.training.instance_type,
            metric=model.training.metric,
            direction=model.training.direction,
            threshold=model.training.threshold,
            kms_key_arn=values.kms_key_arn,
            subnet_ids=values.subnet_ids,
            security_group_ids=values.security_group_ids,
        )
        return cached_definition(spec)

    return build


def model_args(
    settings: Settings,
    model: ModelSpec,
    view: FoundationView,
    registry_artifacts_bucket: pulumi.Input[str],
    namespaces: dict[str, pulumi.Input[str]] | None = None,
) -> ModelComponentArgs:
    """Everything ``model`` has in this stack's environment.

    ``registry_artifacts_bucket`` is the registry-owning (dev) environment's artifacts bucket,
    where the training pipeline writes each model's data-quality baseline. ``namespaces`` maps
    teams to their Kubernetes namespace (kubernetes-target models only).
    """
    env = settings.env
    environment = env.environment
    prefix = view.resource_prefix
    roles = view.role_arns
    buckets = view.bucket_names
    # The shared dev stack owns the registry; personal stacks register into it.
    owns_registry = environment == "dev" and not settings.personal

    registry = None
    pipeline = None
    if owns_registry:
        registry = ModelRegistryArgs(
            group_name=group_name(settings, model),
            description=model.description,
            region=env.region,
            account_id=view.account_id,
            kms_key_arn=view.kms_key_arn,
            reader_accounts=env.registry.reader_accounts,
            protect=env.registry.protect,
        )
    if environment == "dev":
        drift_alarms = [] if settings.personal else retraining_alarm_names(settings, model)
        pipeline = TrainingPipelineArgs(
            pipeline_name=names.pipeline_name(prefix, model.name),
            description=f"Train, evaluate and register {model.name} ({model.algorithm} {model.problem})",
            definition=_definition(settings, model, view.data_prefix),
            step_code=step_code(),
            artifacts_bucket=buckets["artifacts"],
            raw_bucket=buckets["raw"],
            raw_prefix=f"{view.data_prefix}models/{model.name}/",
            role_arn=roles["pipeline"],
            trigger_role_arn=roles["pipeline-trigger"],
            kms_key_arn=view.kms_key_arn,
            subnet_ids=view.subnet_ids,
            security_group_ids=[view.security_group_id],
            # Personal pipelines run on demand or on new data in the owner's prefix, never on a timer.
            schedule=None if settings.personal else model.training.schedule,
            retrain_on_new_data=model.training.retrain_on_new_data,
            drift_alarm_names=drift_alarms,
            dead_letter_arn=view.dead_letter_arn,
        )

    pinned = model.versions.pinned(environment)
    endpoint = None
    monitor = None
    monitoring = None
    endpoint_name = names.endpoint_name(prefix, model.name)
    if pinned and model.serving.target == "sagemaker":
        serving, size = env.serving, model.serving.size(environment)
        challenger = None
        candidate = model.versions.dev
        if serving.challenger and model.serving.challenger and candidate and candidate != pinned:
            challenger = VariantSpec("challenger", candidate, model.serving.challenger.weight if model.serving.challenger.mode == "ab" else model.serving.challenger.sampling_percent / 100)
        capture = env.monitoring.data_capture and serving.mode == "realtime"
        endpoint = ModelEndpointArgs(
            endpoint_name=endpoint_name,
            champion=VariantSpec("champion", pinned),
            challenger=challenger,
            challenger_mode=model.serving.challenger.mode if model.serving.challenger else "ab",
            mode=serving.mode,
            instance_type=size.instance_type,
            instance_count=max(size.min_instances, serving.min_instances) if environment == "prod" else serving.min_instances,
            max_instances=max(size.max_instances, size.min_instances, serving.min_instances),
            autoscaling=serving.autoscaling,
            target_invocations=model.serving.target_invocations_per_instance,
            serverless_memory_mb=model.serving.serverless.memory_mb,
            serverless_max_concurrency=model.serving.serverless.max_concurrency,
            execution_role_arn=roles["sagemaker-execution"],
            subnet_ids=view.subnet_ids,
            security_group_ids=[view.security_group_id],
            kms_key_arn=view.kms_key_arn,
            capture_uri=pulumi.Output.concat("s3://", buckets["capture"], f"/endpoints/{endpoint_name}/") if capture else None,
            capture_percent=env.monitoring.sampling_percent,
            deployment=serving.deployment,
            canary_percent=serving.canary_percent,
            wait_seconds=serving.wait_seconds,
            termination_wait_seconds=serving.termination_wait_seconds,
            latency_p99_ms=model.monitoring.latency_p99_ms,
            error_rate_percent=model.monitoring.error_rate_percent,
            alarm_topic_arn=view.alert_topic_arn,
        )
        monitored = capture and env.monitoring.schedule != "off" and model.monitoring.data_quality
        if monitored and model.monitoring.engine == "pipeline":
            schedule = env.monitoring.schedule
            ground_truth = model.monitoring.ground_truth
            monitoring = MonitoringPipelineArgs(
                pipeline_name=names.monitoring_pipeline_name(prefix, model.name),
                endpoint_name=endpoint_name,
                model_name=model.name,
                environment=environment,
                version=version_number(pinned),
                definition=_monitoring_definition(settings, model, pinned, SCHEDULES[schedule][1]),
                schedule=schedule,
                code_bucket=buckets["artifacts"],
                # Data capture writes under <destination>/<endpoint>/<variant>/; the champion serves the pin.
                capture_uri=pulumi.Output.concat(endpoint.capture_uri, endpoint_name, "/champion/"),
                report_uri=pulumi.Output.concat("s3://", buckets["monitoring"], f"/reports/{endpoint_name}/"),
                ground_truth_uri=_ground_truth_uri(ground_truth, buckets) if ground_truth else None,
                role_arn=roles["pipeline"],
                trigger_role_arn=roles["pipeline-trigger"],
                kms_key_arn=view.kms_key_arn,
                subnet_ids=view.subnet_ids,
                security_group_ids=[view.security_group_id],
                psi_threshold=model.monitoring.drift_threshold,
                quality_metric=model.training.metric,
                quality_direction=model.training.direction,
                quality_threshold=model.quality_threshold,
                drift_alarm_name=drift_alarm_name(settings, environment, model),
                quality_alarm_name=quality_alarm_name(settings, environment, model),
                alarm_topic_arn=view.alert_topic_arn,
                dead_letter_arn=view.dead_letter_arn,
                region=env.region,
            )
        elif monitored:
            monitor = ModelMonitorArgs(
                endpoint_name=endpoint_name,
                schedule=env.monitoring.schedule,
                region=env.region,
                role_arn=roles["sagemaker-execution"],
                baseline_uri=pulumi.Output.from_input(registry_artifacts_bucket).apply(lambda bucket: baseline_prefix(bucket, model.name)),
                output_uri=pulumi.Output.concat("s3://", buckets["monitoring"], f"/reports/{endpoint_name}/"),
                kms_key_arn=view.kms_key_arn,
                subnet_ids=view.subnet_ids,
                security_group_ids=[view.security_group_id],
                drift_alarm_name=drift_alarm_name(settings, environment, model),
                drift_features=model.monitoring.drift_features,
                drift_threshold=model.monitoring.drift_threshold,
                alarm_topic_arn=view.alert_topic_arn,
            )

    kubernetes = None
    if pinned and model.serving.target == "kubernetes":
        size = model.serving.size(environment)
        kubernetes = KubernetesServingArgs(
            model_name=model.name,
            namespace=(namespaces or {})[model.owner],
            # Release images are tagged v<registry version>, and tags are immutable.
            image=pulumi.Output.concat(
                view.registry_account_id, ".dkr.ecr.", env.region, ".amazonaws.com/", group_name(settings, model), ":v", pinned.rsplit("/", 1)[-1]
            ),
            model_package_arn=pinned,
            min_replicas=max(size.min_instances, 2 if environment == "prod" else 1),
            max_replicas=max(size.max_instances, size.min_instances),
            ingress_namespace=env.kubernetes.ingress_namespace,
            latency_p99_ms=model.monitoring.latency_p99_ms,
            error_rate_percent=model.monitoring.error_rate_percent,
        )

    status = "draft"
    if environment == "prod" and model.phase == "activation":
        status = "approved"
    elif environment in ("test", "prod") and pinned:
        status = "review"
    card = ModelCardArgs(
        card_name=names.endpoint_name(prefix, model.name),
        description=model.description,
        owner=model.owner,
        problem=model.problem,
        algorithm=model.algorithm,
        intended_use=model.governance.intended_use,
        risk_rating=model.governance.risk_rating,
        status=status,
        history=[h.model_dump() for h in model.governance.history],
        pinned_version=pinned,
        kms_key_arn=view.kms_key_arn,
    )
    return ModelComponentArgs(
        registry=registry, pipeline=pipeline, endpoint=endpoint, monitor=monitor, card=card, kubernetes=kubernetes, monitoring=monitoring
    )
