"""SageMaker serving rules: endpoint configurations, endpoints and their autoscaling.

A prod endpoint must survive an AZ loss (two instances per variant), roll out new model versions
gradually with alarms that can roll it back, and capture its traffic, encrypted, for Model Monitor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    as_list,
    dig,
    resource_rule,
    show,
    stack_rule,
)
from policy.rules.s3 import BUCKET

ENDPOINT_CONFIGURATION = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"

PROD_MIN_INSTANCES = 2
GRADUAL_TRAFFIC_SHIFTS = ("CANARY", "LINEAR")


def _variants(config: Resource) -> Iterator[tuple[str, Mapping]]:
    """(label, variant) for every production and shadow variant."""
    for key in ("productionVariants", "shadowProductionVariants"):
        for index, variant in enumerate(as_list(config.inputs.get(key))):
            if isinstance(variant, Mapping):
                yield f"{key}[{index}] ({variant.get('variantName') or 'unnamed'})", variant


@resource_rule(
    id="sagemaker-endpoint-config-kms-key",
    title="Endpoint configurations encrypt the ML storage volume with a KMS key",
    severity="high",
    anchors=("NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
             "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured", "CKV_AWS_98"),
    mandatory_in=EVERYWHERE,
    types=(ENDPOINT_CONFIGURATION,),
)
def config_kms_key(resource: Resource, context: Context) -> Iterator[str]:
    if not resource.inputs.get("kmsKeyArn"):
        yield ("set kmsKeyArn to the platform key (instance types with local NVMe storage that reject a volume "
               "key need a waiver naming the instance type)")


@resource_rule(
    id="sagemaker-endpoint-config-prod-instance-count",
    title="Prod instance-based production and shadow variants start with at least two instances",
    severity="high",
    anchors=("SecurityHub SageMaker.4",),
    mandatory_in=PROD_ONLY,
    types=(ENDPOINT_CONFIGURATION,),
)
def prod_instance_count(resource: Resource, context: Context) -> Iterator[str]:
    if context.environment != "prod":
        return
    for label, variant in _variants(resource):
        if variant.get("serverlessConfig"):
            continue
        count = variant.get("initialInstanceCount")
        if count is None or count < PROD_MIN_INSTANCES:
            yield (f"{label}: initialInstanceCount is {show(count)}; use at least "
                   f"{PROD_MIN_INSTANCES} so SageMaker spreads the variant across Availability Zones")


def _s3_bucket_of(uri: object) -> str | None:
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        return None
    return uri[len("s3://"):].split("/", 1)[0]


@stack_rule(
    id="sagemaker-endpoint-config-data-capture",
    title="Test and prod endpoint configurations capture traffic, KMS-encrypted, into the platform capture bucket",
    severity="medium",
    anchors=("SecurityHub SageMaker.24", "MLOE-15", "MLPER-14"),
    mandatory_in=PROD_ONLY,
)
def data_capture(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    if context.environment == "dev":
        return
    capture_names = {name for bucket in stack.of_type(BUCKET)
                     for name in (bucket.name, bucket.inputs.get("bucket"))
                     if isinstance(name, str) and "capture" in name}
    # A team stack captures into its environment stack's bucket, read through a StackReference.
    for reference in stack.of_type(STACK_REFERENCE):
        outputs = reference.inputs.get("outputs")
        if isinstance(outputs, Mapping) and outputs.get("environment") == context.environment:
            buckets = outputs.get("buckets")
            if isinstance(buckets, Mapping) and isinstance(buckets.get("capture"), str):
                capture_names.add(buckets["capture"])
    for config in stack.of_type(ENDPOINT_CONFIGURATION):
        capture = config.inputs.get("dataCaptureConfig")
        if not isinstance(capture, Mapping) or capture.get("enableCapture") is False:
            yield config, "data capture is off; enable dataCaptureConfig so Model Monitor has traffic to compare"
            continue
        if not capture.get("kmsKeyId"):
            yield config, "dataCaptureConfig has no kmsKeyId; captured payloads must be encrypted with the platform key"
        destination = capture.get("destinationS3Uri")
        if _s3_bucket_of(destination) not in capture_names:
            yield config, (f"destinationS3Uri {destination or '(unset)'} is not in a platform capture bucket "
                           "(a bucket of this stack whose name contains 'capture', or its environment stack's)")


@resource_rule(
    id="sagemaker-endpoint-blue-green-deployment",
    title="Prod endpoints deploy blue/green with canary or linear traffic shifting and auto-rollback alarms",
    severity="high",
    anchors=("MLREL-11", "MLREL-10", "MLREL04-BP01"),
    mandatory_in=PROD_ONLY,
    types=(ENDPOINT,),
)
def blue_green_deployment(resource: Resource, context: Context) -> Iterator[str]:
    if context.environment != "prod":
        return
    shift = resource.get("deploymentConfig", "blueGreenUpdatePolicy", "trafficRoutingConfiguration", "type")
    if shift not in GRADUAL_TRAFFIC_SHIFTS:
        yield (f"blue/green traffic routing type is {shift or 'unset (all at once)'}; use CANARY or LINEAR so a bad "
               "model version only ever sees part of the traffic")
    alarms = [a for a in as_list(resource.get("deploymentConfig", "autoRollbackConfiguration", "alarms"))
              if isinstance(a, Mapping) and a.get("alarmName")]
    if not alarms:
        yield "deploymentConfig.autoRollbackConfiguration lists no alarms; name the error-rate and latency alarms"


def _watched_endpoints(alarm: Resource) -> set[str]:
    """EndpointName dimensions of the alarm's metric or of its metric-math queries."""
    dimensions = [alarm.inputs.get("dimensions")]
    dimensions += [dig(query, "metric", "dimensions") for query in as_list(alarm.inputs.get("metricQueries"))]
    return {d["EndpointName"] for d in dimensions if isinstance(d, Mapping) and d.get("EndpointName")}


@stack_rule(
    id="sagemaker-endpoint-rollback-alarms-watch-endpoint",
    title="Prod endpoints' rollback alarms exist in the stack and watch that endpoint",
    severity="high",
    anchors=("MLREL-11", "MLREL04-BP01"),
    mandatory_in=PROD_ONLY,
)
def rollback_alarms_watch_endpoint(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    if context.environment != "prod":
        return
    alarms_by_name = {}
    for alarm in stack.of_type(METRIC_ALARM):
        if isinstance(name := alarm.inputs.get("name"), str):
            alarms_by_name.setdefault(name, alarm)
    for endpoint in stack.of_type(ENDPOINT):
        endpoint_name = endpoint.inputs.get("name")
        if not endpoint_name:
            yield endpoint, "the endpoint has no explicit name, so no alarm can be shown to watch it; set name"
            continue
        for entry in as_list(endpoint.get("deploymentConfig", "autoRollbackConfiguration", "alarms")):
            alarm_name = entry.get("alarmName") if isinstance(entry, Mapping) else None
            if not alarm_name:
                continue
            alarm = alarms_by_name.get(alarm_name)
            if alarm is None:
                yield endpoint, f"rollback alarm {alarm_name} is not created by this stack, so it can never fire"
            elif endpoint_name not in _watched_endpoints(alarm):
                yield endpoint, (f"rollback alarm {alarm_name} does not watch this endpoint (no dimension "
                                 f"EndpointName={endpoint_name}); a failing rollout would not roll back")


@resource_rule(
    id="sagemaker-endpoint-autoscaling-prod-min-capacity",
    title="Prod endpoint variant autoscaling keeps at least two instances",
    severity="high",
    anchors=("SecurityHub SageMaker.4", "MLREL-12"),
    mandatory_in=PROD_ONLY,
    types=(SCALABLE_TARGET,),
)
def autoscaling_prod_min_capacity(resource: Resource, context: Context) -> Iterator[str]:
    if context.environment != "prod" or resource.inputs.get("serviceNamespace") != "sagemaker":
        return
    if resource.inputs.get("scalableDimension") != "sagemaker:variant:DesiredInstanceCount":
        return
    low, high = resource.inputs.get("minCapacity"), resource.inputs.get("maxCapacity")
    if low is None or low < PROD_MIN_INSTANCES:
        yield (f"minCapacity is {show(low)}; scale-in must keep at least "
               f"{PROD_MIN_INSTANCES} instances or the variant loses its second Availability Zone")
    if low is not None and high is not None and high < low:
        yield f"maxCapacity {show(high)} is below minCapacity {show(low)}"


@resource_rule(
    id="sagemaker-async-output-encrypted",
    title="Asynchronous endpoints write results and failures to S3 encrypted with a KMS key, and notify on SNS",
    severity="high",
    anchors=("MLSEC-02", "CKV_AWS_98"),
    mandatory_in=EVERYWHERE,
    types=(ENDPOINT_CONFIGURATION,),
)
def async_output_encrypted(resource: Resource, context: Context) -> Iterator[str]:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AsyncInferenceOutputConfig.html
    config = resource.inputs.get("asyncInferenceConfig")
    if not isinstance(config, Mapping):
        return
    output = config.get("outputConfig") or {}
    if not output.get("kmsKeyId"):
        yield "asyncInferenceConfig.outputConfig sets no kmsKeyId; encrypt results with the platform key"
    if not output.get("s3FailurePath"):
        yield "asyncInferenceConfig.outputConfig sets no s3FailurePath; keep failed requests' errors apart from results"
    notification = output.get("notificationConfig") or {}
    missing = [key for key in ("successTopic", "errorTopic") if not notification.get(key)]
    if missing:
        yield f"asyncInferenceConfig.outputConfig.notificationConfig has no {' or '.join(missing)}; callers learn of results from SNS"


RULES = (
    async_output_encrypted,
    config_kms_key,
    prod_instance_count,
    data_capture,
    blue_green_deployment,
    rollback_alarms_watch_endpoint,
    autoscaling_prod_min_capacity,
)
