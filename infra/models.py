"""Turning catalog entries into ``ModelComponent`` arguments for one environment.

The environment's serving and monitoring profile (stack settings), the model's own sizes
(catalog) and the migration plan's decisions meet here; components only see typed arguments.
"""

from __future__ import annotations

import pulumi

from components.batch_scoring import BatchScoringArgs, ResolvedBatchInputs
from components.endpoint import AsyncInferenceSpec, ModelEndpointArgs, VariantSpec
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
from pipelines.definition import (
    CustomTraining,
    PipelineSpec,
    baseline_prefix,
    custom_step_code,
    step_code,
)
from pipelines.definition.batch_scoring import BatchScoringSpec
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


def _custom_training(settings: Settings, model: ModelSpec, image: str | None) -> CustomTraining | None:
    """The model's own code (framework images from the loaded settings) or image, if any."""
    source = model.training.source
    if source.type == "code":
        code = settings.code[model.name]
        return CustomTraining("code", code.training_image, code.serving_image, source.entry_point, source.evaluation_script)
    if source.type == "image":
        return CustomTraining("image", image, image)
    return None


def image_reference(settings: Settings, model: ModelSpec, registry_account_id: pulumi.Input[str]) -> pulumi.Output[str] | None:
    """The model's own image in its ECR repository (by digest, or by tag outside prod), if any."""
    source = model.training.source
    if source.type != "image":
        return None
    reference = f"@{source.digest}" if source.digest else f":{source.tag}"
    return pulumi.Output.concat(
        registry_account_id, ".dkr.ecr.", settings.env.region, ".amazonaws.com/", group_name(settings, model), reference
    )


def _custom_code(settings: Settings, model: ModelSpec) -> tuple:
    """The step code objects a model's own code or image adds to the pipeline's."""
    source = model.training.source
    if not source.custom:
        return ()
    return custom_step_code(settings.code[model.name].files if source.type == "code" else None)


def _definition(settings: Settings, model: ModelSpec, data_prefix: str):
    """A definition builder for the pipeline component (called with resolved values)."""

    def build(values: ResolvedPipelineInputs) -> str:
        spec = PipelineSpec(
            model_name=model.name,
            problem=model.problem,
            algorithm=model.algorithm or "",
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
            custom=_custom_training(settings, model, values.container_image),
            model_monitor_baseline=model.monitoring.engine == "model-monitor",
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
            description=f"Train, evaluate and register {model.name} ({model.method} {model.problem})",
            definition=_definition(settings, model, view.data_prefix),
            step_code=step_code() + _custom_code(settings, model),
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
            container_image=image_reference(settings, model, view.registry_account_id),
        )

    pinned = model.versions.pinned(environment)
    endpoint = None
    monitor = None
    monitoring = None
    batch = None
    endpoint_name = names.endpoint_name(prefix, model.name)
    if pinned and model.serving.mode == "batch":
        batch = _batch_args(settings, model, view, pinned)
    elif pinned and model.serving.target == "sagemaker":
        serving, size = env.serving, model.serving.size(environment)
        challenger = None
        candidate = model.versions.dev
        if serving.challenger and model.serving.challenger and candidate and candidate != pinned:
            challenger = VariantSpec("challenger", candidate, model.serving.challenger.weight if model.serving.challenger.mode == "ab" else model.serving.challenger.sampling_percent / 100)
        # An asynchronous endpoint runs on instances in every environment and scales them to zero.
        mode = "realtime" if model.serving.mode == "async" else serving.mode
        capture = env.monitoring.data_capture and mode == "realtime"
        endpoint = ModelEndpointArgs(
            endpoint_name=endpoint_name,
            champion=VariantSpec("champion", pinned),
            challenger=challenger,
            challenger_mode=model.serving.challenger.mode if model.serving.challenger else "ab",
            mode=mode,
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
            async_inference=_async_spec(model, view, environment) if model.serving.mode == "async" else None,
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
        algorithm=model.method,
        intended_use=model.governance.intended_use,
        risk_rating=model.governance.risk_rating,
        status=status,
        history=[h.model_dump() for h in model.governance.history],
        pinned_version=pinned,
        kms_key_arn=view.kms_key_arn,
    )
    return ModelComponentArgs(
        registry=registry, pipeline=pipeline, endpoint=endpoint, monitor=monitor, card=card, kubernetes=kubernetes,
        monitoring=monitoring, batch=batch,
    )


def _async_spec(model: ModelSpec, view: FoundationView, environment: str) -> AsyncInferenceSpec:
    """Results and failures under the curated bucket's ``async/<model>/``; scales to zero outside
    prod, where the fleet keeps its minimum across zones."""
    settings = model.serving.async_inference
    prefix = pulumi.Output.concat("s3://", view.bucket_names["curated"], f"/{view.data_prefix}async/{model.name}/")
    return AsyncInferenceSpec(
        output_uri=pulumi.Output.concat(prefix, "results/"),
        failure_uri=pulumi.Output.concat(prefix, "failures/"),
        max_concurrent_invocations=settings.max_concurrent_invocations_per_instance,
        target_backlog_per_instance=settings.target_backlog_per_instance,
        scale_in_cooldown_seconds=settings.scale_in_cooldown_seconds,
        scale_out_cooldown_seconds=settings.scale_out_cooldown_seconds,
        min_instances=max(model.serving.size(environment).min_instances, 2) if environment == "prod" else 0,
    )


def _batch_args(settings: Settings, model: ModelSpec, view: FoundationView, pinned: str) -> BatchScoringArgs:
    """Scheduled batch scoring of the pinned version: inputs under the raw bucket's
    ``batch/<model>/input/``, predictions under the curated bucket's ``batch/<model>/predictions/``,
    inputs and outputs captured where the environment captures data."""
    env, buckets, data = settings.env, view.bucket_names, view.data_prefix
    sizing = model.serving.batch
    pipeline_name = names.batch_pipeline_name(view.resource_prefix, model.name)

    def build(values: ResolvedBatchInputs) -> str:
        return cached_definition(
            BatchScoringSpec(
                model_name=model.name,
                sagemaker_model=values.sagemaker_model,
                region=env.region,
                artifacts_bucket=values.output_uri.split("/")[2],
                input_uri=values.input_uri,
                output_uri=values.output_uri,
                kms_key_arn=values.kms_key_arn,
                instance_type=sizing.instance_type,
                instance_count=sizing.instance_count,
                max_payload_mb=sizing.max_payload_mb,
                split_type=sizing.split_type,
                capture_uri=values.capture_uri,
            )
        )

    return BatchScoringArgs(
        pipeline_name=pipeline_name,
        model_package_arn=pinned,
        execution_role_arn=view.role_arns["sagemaker-execution"],
        pipeline_role_arn=view.role_arns["pipeline"],
        trigger_role_arn=view.role_arns["pipeline-trigger"],
        subnet_ids=view.subnet_ids,
        security_group_ids=[view.security_group_id],
        kms_key_arn=view.kms_key_arn,
        input_uri=pulumi.Output.concat("s3://", buckets["raw"], f"/{data}batch/{model.name}/input/"),
        output_uri=pulumi.Output.concat("s3://", buckets["curated"], f"/{data}batch/{model.name}/predictions/"),
        capture_uri=(
            pulumi.Output.concat("s3://", buckets["capture"], f"/batch/{pipeline_name}/") if env.monitoring.data_capture else None
        ),
        definition=build,
        schedule=sizing.schedule,
        dead_letter_arn=view.dead_letter_arn,
    )
