"""A model's SageMaker endpoint, shaped by the environment's serving profile.

dev: one serverless variant. test: champion plus a challenger (weighted A/B or shadow).
prod: an instance fleet across zones with autoscaling and a blue/green canary that rolls back
on the endpoint's own alarms. Models and endpoint configurations are auto-named so every change
replaces them (create-before-delete); the endpoint keeps a stable name for its consumers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.config.names import fitted


def canary_instances(instance_count: int, percent: int) -> int:
    """Whole instances a canary (or linear) step shifts: ``percent`` of the fleet, at least one and at
    most half of it, as SageMaker requires
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html).

    Raises:
        ValueError: With fewer than 2 instances no step can be at most half the fleet.
    """
    if instance_count < 2:
        raise ValueError(f"a canary or linear rollout needs at least 2 instances, not {instance_count}")
    return min(instance_count // 2, max(1, instance_count * percent // 100))


@dataclass(frozen=True)
class VariantSpec:
    """One model version served by the endpoint."""

    role: str  # "champion" or "challenger"
    model_package_arn: str
    weight: float = 1.0


@dataclass(frozen=True)
class AsyncInferenceSpec:
    """An asynchronous endpoint: results in S3, notices on SNS, instances scaling to zero.

    Attributes:
        output_uri: s3:// prefix in a platform bucket for results (encrypted with the CMK).
        failure_uri: s3:// prefix for failed requests' errors.
        max_concurrent_invocations: Requests an instance works on at once.
        target_backlog_per_instance: Queued requests per instance the scaling policy aims at.
        scale_in_cooldown_seconds: Wait after scaling in.
        scale_out_cooldown_seconds: Wait after scaling out.
        min_instances: Scale-in floor: 0 scales to zero; prod keeps its zones (>= 2).
    """

    output_uri: pulumi.Input[str]
    failure_uri: pulumi.Input[str]
    max_concurrent_invocations: int
    target_backlog_per_instance: int
    scale_in_cooldown_seconds: int
    scale_out_cooldown_seconds: int
    min_instances: int = 0


@dataclass(frozen=True)
class ModelEndpointArgs:
    """Inputs of a ``ModelEndpoint``.

    Attributes:
        endpoint_name: Stable endpoint name consumers call.
        champion: The version pinned for this environment.
        challenger: A candidate served next to it (test), or None.
        challenger_mode: "ab" (weighted traffic) or "shadow" (mirrored, responses discarded).
        mode: "serverless" or "realtime".
        instance_type: Instance type of real-time variants.
        instance_count: Initial instances per real-time production variant.
        max_instances: Autoscaling ceiling.
        autoscaling: Register a target-tracking scaling policy.
        target_invocations: Invocations per instance per minute the policy aims at.
        serverless_memory_mb: Serverless memory size.
        serverless_max_concurrency: Serverless concurrency ceiling.
        execution_role_arn: Role of the SageMaker models.
        subnet_ids: Private subnets of the model containers.
        security_group_ids: Security groups of the model containers.
        kms_key_arn: CMK for volumes and captured data.
        capture_uri: s3:// prefix for captured requests and responses, or None (no capture).
        capture_percent: Share of requests captured.
        deployment: "all-at-once", "canary" or "linear".
        canary_percent: Capacity shifted per step, rounded to whole instances (see ``canary_instances``).
        wait_seconds: Baking time between steps (alarms watched).
        termination_wait_seconds: How long the old fleet stays for instant rollback.
        latency_p99_ms: Latency alarm threshold.
        error_rate_percent: 5xx alarm threshold.
        alarm_topic_arn: Where alarm notifications go.
        async_inference: Serve asynchronously (on instances), or None.
    """

    endpoint_name: str
    champion: VariantSpec
    challenger: VariantSpec | None
    challenger_mode: str
    mode: str
    instance_type: str
    instance_count: int
    max_instances: int
    autoscaling: bool
    target_invocations: int
    serverless_memory_mb: int
    serverless_max_concurrency: int
    execution_role_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    kms_key_arn: pulumi.Input[str]
    capture_uri: pulumi.Input[str] | None
    capture_percent: int
    deployment: str
    canary_percent: int
    wait_seconds: int
    termination_wait_seconds: int
    latency_p99_ms: int
    error_rate_percent: float
    alarm_topic_arn: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)
    async_inference: AsyncInferenceSpec | None = None

    def __post_init__(self) -> None:
        """Reject an async endpoint AWS would refuse: serverless, or with a shadow variant."""
        if self.async_inference is None:
            return
        # https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html (feature exclusions)
        if self.mode != "realtime":
            raise ValueError(f"{self.endpoint_name}: an asynchronous endpoint runs on instances, not {self.mode}")
        # https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests.html: real-time endpoints only.
        if self.challenger is not None and self.challenger_mode == "shadow":
            raise ValueError(f"{self.endpoint_name}: shadow variants need a real-time endpoint, not an asynchronous one")


class ModelEndpoint(pulumi.ComponentResource):
    """Model(s) from the registry, an auto-named endpoint configuration, the endpoint, its
    health alarms and, where asked, autoscaling."""

    endpoint: aws.sagemaker.Endpoint
    alarm_names: list[str]

    def __init__(self, name: str, args: ModelEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:serving:ModelEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args
        # Serverless endpoints support neither VPC configuration nor network isolation (AWS
        # feature exclusions); real-time models get both.
        isolation = (
            {"enable_network_isolation": True, "vpc_config": {"subnets": a.subnet_ids, "security_group_ids": a.security_group_ids}}
            if a.mode == "realtime"
            else {}
        )
        models = {
            v.role: aws.sagemaker.Model(
                fitted(name, f"-{v.role}", "sagemaker", "ModelName"),
                primary_container={"model_package_name": v.model_package_arn},
                execution_role_arn=a.execution_role_arn,
                **isolation,
                tags={"model-role": v.role, "model-package": v.model_package_arn.rsplit(":", 1)[-1]},
                opts=child,
            )
            for v in (a.champion, a.challenger)
            if v is not None
        }

        def variant(v: VariantSpec, weight: float) -> dict:
            base = {"variant_name": v.role, "model_name": models[v.role].name, "initial_variant_weight": weight}
            if a.mode == "serverless":
                return {**base, "serverless_config": {"memory_size_in_mb": a.serverless_memory_mb, "max_concurrency": a.serverless_max_concurrency}}
            return {**base, "instance_type": a.instance_type, "initial_instance_count": a.instance_count}

        shadow = a.challenger is not None and a.challenger_mode == "shadow"
        production = [variant(a.champion, 1.0 - (a.challenger.weight if a.challenger and not shadow else 0.0))]
        if a.challenger is not None and not shadow:
            production.append(variant(a.challenger, a.challenger.weight))
        config_args: dict = {"production_variants": production, "tags": {"endpoint": a.endpoint_name}}
        if shadow:
            config_args["shadow_production_variants"] = [variant(a.challenger, a.challenger.weight)]
        # Instance volumes, or for serverless the copied model image, are encrypted with the CMK.
        config_args["kms_key_arn"] = a.kms_key_arn
        if a.capture_uri is not None:
            config_args["data_capture_config"] = {
                "enable_capture": True,
                "initial_sampling_percentage": a.capture_percent,
                "destination_s3_uri": a.capture_uri,
                "kms_key_id": a.kms_key_arn,
                "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
                "capture_content_type_header": {"csv_content_types": ["text/csv"], "json_content_types": ["application/json"]},
            }
        if a.async_inference is not None:
            config_args["async_inference_config"] = self._async_config(name, a, a.async_inference)
        config = aws.sagemaker.EndpointConfiguration(
            fitted(name, "-config", "sagemaker", "EndpointConfigName"), opts=child, **config_args
        )

        # Alarms first: they watch the endpoint by name and guard its deployments.
        self._alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        self.alarm_names = []
        if a.mode == "realtime":
            self.alarm_names = [self._alarm(name, a, "5xx"), self._alarm(name, a, "latency")]
        endpoint_args: dict = {}
        if a.mode == "realtime" and a.deployment != "all-at-once":
            if a.challenger is not None:
                raise ValueError(f"{a.endpoint_name}: a guarded {a.deployment} update needs the same variant names in the old and new "
                                 "configuration; an endpoint whose challenger comes and goes must deploy all at once")
            routing = {"type": a.deployment.upper(), "wait_interval_in_seconds": a.wait_seconds}
            step_instances = canary_instances(a.instance_count, a.canary_percent)
            routing["canary_size" if a.deployment == "canary" else "linear_step_size"] = {"type": "INSTANCE_COUNT", "value": step_instances}
            steps = 2 if a.deployment == "canary" else -(-a.instance_count // step_instances)
            endpoint_args["deployment_config"] = {
                "blue_green_update_policy": {
                    "traffic_routing_configuration": routing,
                    "termination_wait_in_seconds": a.termination_wait_seconds,
                    "maximum_execution_timeout_in_seconds": min(28800, max(600, steps * a.wait_seconds + a.termination_wait_seconds + 1800)),
                },
                "auto_rollback_configuration": {"alarms": [{"alarm_name": n} for n in self.alarm_names]},
            }
        self.endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            name=a.endpoint_name,
            endpoint_config_name=config.name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._alarms[n] for n in self.alarm_names] if self.alarm_names else None),
            **endpoint_args,
        )
        if a.async_inference is not None:
            self._scale_to_zero(name, a, a.async_inference)
        elif a.autoscaling and a.mode == "realtime":
            # Only the champion scales; a challenger is a fixed-size experiment.
            v = a.champion
            target = self._scaling_target(name, a, a.instance_count)
            aws.appautoscaling.Policy(
                f"{name}-{v.role}-invocations",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration={
                    "target_value": a.target_invocations,
                    "predefined_metric_specification": {"predefined_metric_type": "SageMakerVariantInvocationsPerInstance"},
                    # Scale out fast, scale in slowly.
                    "scale_out_cooldown": 60,
                    "scale_in_cooldown": 300,
                },
                opts=child,
            )
        self.register_outputs({"endpoint_name": self.endpoint.name})

    def _async_config(self, name: str, a: ModelEndpointArgs, spec: AsyncInferenceSpec) -> dict:
        """Encrypted S3 output, a success and an error topic (CMK-encrypted), and the per-instance
        concurrency (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AsyncInferenceConfig.html)."""
        topics = {
            kind: aws.sns.Topic(f"{name}-async-{kind}", name=f"{a.endpoint_name}-async-{kind}", kms_master_key_id=a.kms_key_arn, opts=pulumi.ResourceOptions(parent=self))
            for kind in ("success", "error")
        }
        # The endpoint publishes with its model's execution role.
        aws.iam.RolePolicy(
            f"{name}-async-notify",
            role=pulumi.Output.from_input(a.execution_role_arn).apply(lambda arn: arn.rsplit("/", 1)[-1]),
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Sid": "PublishAsyncResults", "Effect": "Allow", "Action": "sns:Publish", "Resource": [topics["success"].arn, topics["error"].arn]}],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return {
            "output_config": {
                "s3_output_path": spec.output_uri,
                "s3_failure_path": spec.failure_uri,
                "kms_key_id": a.kms_key_arn,
                "notification_config": {
                    "success_topic": topics["success"].arn,
                    "error_topic": topics["error"].arn,
                    "include_inference_response_ins": ["SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC"],
                },
            },
            "client_config": {"max_concurrent_invocations_per_instance": spec.max_concurrent_invocations},
        }

    def _scaling_target(self, name: str, a: ModelEndpointArgs, min_capacity: int) -> aws.appautoscaling.Target:
        """The champion variant's instance count as an Application Auto Scaling target."""
        v = a.champion
        return aws.appautoscaling.Target(
            f"{name}-{v.role}-scaling",
            service_namespace="sagemaker",
            resource_id=pulumi.Output.concat("endpoint/", self.endpoint.name, f"/variant/{v.role}"),
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=min_capacity,
            max_capacity=a.max_instances,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.endpoint]),
        )

    def _scale_to_zero(self, name: str, a: ModelEndpointArgs, spec: AsyncInferenceSpec) -> None:
        """Track the backlog per instance down to ``min_instances``, and scale out from zero as soon as
        requests queue (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html)."""
        v = a.champion
        child = pulumi.ResourceOptions(parent=self)
        target = self._scaling_target(name, a, spec.min_instances)
        scaling = {"service_namespace": target.service_namespace, "resource_id": target.resource_id, "scalable_dimension": target.scalable_dimension}
        aws.appautoscaling.Policy(
            f"{name}-{v.role}-backlog",
            policy_type="TargetTrackingScaling",
            target_tracking_scaling_policy_configuration={
                "target_value": spec.target_backlog_per_instance,
                "customized_metric_specification": {
                    "metric_name": "ApproximateBacklogSizePerInstance",
                    "namespace": "AWS/SageMaker",
                    "dimensions": [{"name": "EndpointName", "value": a.endpoint_name}],
                    "statistic": "Average",
                },
                "scale_in_cooldown": spec.scale_in_cooldown_seconds,
                "scale_out_cooldown": spec.scale_out_cooldown_seconds,
            },
            opts=child,
            **scaling,
        )
        from_zero = aws.appautoscaling.Policy(
            f"{name}-{v.role}-from-zero",
            policy_type="StepScaling",
            step_scaling_policy_configuration={
                "adjustment_type": "ChangeInCapacity",
                "metric_aggregation_type": "Average",
                "cooldown": spec.scale_out_cooldown_seconds,
                "step_adjustments": [{"metric_interval_lower_bound": 0, "scaling_adjustment": 1}],
            },
            opts=child,
            **scaling,
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-backlog-without-capacity",
            name=f"{a.endpoint_name}-backlog-without-capacity",
            alarm_description=f"Requests queue on {a.endpoint_name} while it has no instance: scale out from zero",
            namespace="AWS/SageMaker",
            metric_name="HasBacklogWithoutCapacity",
            dimensions={"EndpointName": a.endpoint_name},
            statistic="Average",
            period=60,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="missing",
            alarm_actions=[from_zero.arn],
            opts=child,
        )

    def _alarm(self, name: str, a: ModelEndpointArgs, kind: str) -> str:
        """Create the ``kind`` alarm ("5xx" or "latency") on the champion variant; return its name."""
        alarm_name = f"{a.endpoint_name}-{kind}"
        dimensions = {"EndpointName": a.endpoint_name, "VariantName": a.champion.role}
        if kind == "5xx":
            metric_args = {
                "metric_queries": [
                    {"id": "errors", "metric": {"metric_name": "Invocation5XXErrors", "namespace": "AWS/SageMaker", "period": 60, "stat": "Sum", "dimensions": dimensions}},
                    {"id": "calls", "metric": {"metric_name": "Invocations", "namespace": "AWS/SageMaker", "period": 60, "stat": "Sum", "dimensions": dimensions}},
                    {"id": "rate", "expression": "IF(calls > 0, 100 * errors / calls, 0)", "label": "5xx error rate (%)", "return_data": True},
                ],
                "threshold": a.error_rate_percent,
            }
            description = f"5xx error rate above {a.error_rate_percent}% on {a.endpoint_name}"
        else:
            metric_args = {
                "namespace": "AWS/SageMaker",
                "metric_name": "ModelLatency",
                "extended_statistic": "p99",
                "period": 60,
                "dimensions": dimensions,
                # ModelLatency is reported in microseconds.
                "threshold": a.latency_p99_ms * 1000,
            }
            description = f"p99 model latency above {a.latency_p99_ms} ms on {a.endpoint_name}"
        self._alarms[alarm_name] = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm-{kind}",
            name=alarm_name,
            alarm_description=description,
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data="notBreaching",
            alarm_actions=[a.alarm_topic_arn],
            ok_actions=[a.alarm_topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
            **metric_args,
        )
        return alarm_name
