"""Monitoring rules: every served endpoint is monitored on a schedule, and monitoring jobs are isolated.

Monitoring runs either as the platform's monitoring pipeline (a SageMaker pipeline started by an
EventBridge schedule, the default since Model Monitor is closed to new AWS customers) or as Model
Monitor (data-quality job definitions and monitoring schedules). Monitoring jobs read captured
production payloads, so they get the same isolation and encryption as training jobs. A schedule
that names a job definition is covered by that definition's checks; a schedule with an inline job
definition is checked itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    as_list,
    dig,
    is_true,
    resource_rule,
    stack_rule,
)
from policy.rules.sagemaker.endpoints import ENDPOINT
from policy.rules.sagemaker.pipelines import PIPELINE, _steps

DATA_QUALITY_JOB_DEFINITION = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
MONITORING_SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
MONITORING_JOB_TYPES = (DATA_QUALITY_JOB_DEFINITION, MONITORING_SCHEDULE)
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"


@dataclass(frozen=True)
class _JobShape:
    """Where a resource type keeps its job settings."""

    definition: tuple[str, ...]
    output_kms_key: tuple[str, ...]
    volume_kms_key: tuple[str, ...]


_SHAPES = {
    DATA_QUALITY_JOB_DEFINITION: _JobShape(
        definition=(),
        output_kms_key=("dataQualityJobOutputConfig", "kmsKeyId"),
        volume_kms_key=("jobResources", "clusterConfig", "volumeKmsKeyId"),
    ),
    MONITORING_SCHEDULE: _JobShape(
        definition=("monitoringScheduleConfig", "monitoringJobDefinition"),
        output_kms_key=("monitoringOutputConfig", "kmsKeyId"),
        volume_kms_key=("monitoringResources", "clusterConfig", "volumeKmsKeyId"),
    ),
}


def _defines_job(resource: Resource) -> bool:
    """False for a schedule that names a separate job definition instead of defining one inline."""
    definition = _SHAPES[resource.type].definition
    return not definition or isinstance(resource.get(*definition), Mapping)


def _job_setting(resource: Resource, *path: str) -> object:
    return resource.get(*_SHAPES[resource.type].definition, *path)


@resource_rule(
    id="sagemaker-monitoring-job-network-isolation",
    title="Monitoring jobs run with network isolation",
    severity="medium",
    anchors=("SecurityHub SageMaker.11", "SecurityHub SageMaker.12", "SecurityHub SageMaker.14",
             "SecurityHub SageMaker.20", "SecurityHub SageMaker.25"),
    mandatory_in=PROD_ONLY,
    types=MONITORING_JOB_TYPES,
)
def network_isolation(resource: Resource, context: Context) -> Iterator[str]:
    if _defines_job(resource) and not is_true(_job_setting(resource, "networkConfig", "enableNetworkIsolation")):
        yield "set networkConfig.enableNetworkIsolation true"


@resource_rule(
    id="sagemaker-monitoring-job-traffic-encryption",
    title="Monitoring jobs encrypt inter-container traffic",
    severity="medium",
    anchors=("SecurityHub SageMaker.9", "SecurityHub SageMaker.13", "SecurityHub SageMaker.22", "CKV_AWS_369",
             "MLSEC-09"),
    mandatory_in=PROD_ONLY,
    types=MONITORING_JOB_TYPES,
)
def traffic_encryption(resource: Resource, context: Context) -> Iterator[str]:
    encrypted = _job_setting(resource, "networkConfig", "enableInterContainerTrafficEncryption")
    if _defines_job(resource) and not is_true(encrypted):
        yield "set networkConfig.enableInterContainerTrafficEncryption true (it cannot be changed in place)"


@resource_rule(
    id="sagemaker-monitoring-job-kms",
    title="Monitoring jobs encrypt their output and storage volume with KMS",
    severity="medium",
    anchors=("CKV_AWS_367", "CKV_AWS_368"),
    mandatory_in=PROD_ONLY,
    types=MONITORING_JOB_TYPES,
)
def kms(resource: Resource, context: Context) -> Iterator[str]:
    if not _defines_job(resource):
        return
    shape = _SHAPES[resource.type]
    for path in (shape.output_kms_key, shape.volume_kms_key):
        if not _job_setting(resource, *path):
            yield f"set {'.'.join(path)} to the platform key"


def _definition(pipeline: Resource) -> Mapping | None:
    """The parsed inline definition of a pipeline, or None when it is not readable here."""
    definition = pipeline.inputs.get("pipelineDefinition")
    try:
        parsed = json.loads(definition) if isinstance(definition, str) else definition
    except json.JSONDecodeError:
        return None  # sagemaker-pipeline-steps-encrypted reports an unreadable definition
    return parsed if isinstance(parsed, Mapping) else None


@resource_rule(
    id="sagemaker-pipeline-processing-in-vpc",
    title="Pipeline processing steps (monitoring's among them) run in the platform VPC",
    severity="high",
    # Processing jobs in a VPC: https://docs.aws.amazon.com/sagemaker/latest/dg/process-vpc.html
    anchors=("SecurityHub SageMaker.2", "MLSEC-10"),
    mandatory_in=EVERYWHERE,
    types=(PIPELINE,),
)
def processing_in_vpc(resource: Resource, context: Context) -> Iterator[str]:
    definition = _definition(resource)
    if definition is None:
        return
    for step in _steps(definition.get("Steps")):
        if step.get("Type") != "Processing":
            continue
        vpc = dig(step.get("Arguments"), "NetworkConfig", "VpcConfig")
        if not (isinstance(vpc, Mapping) and as_list(vpc.get("Subnets")) and as_list(vpc.get("SecurityGroupIds"))):
            yield (f"processing step {step.get('Name') or '(unnamed)'} sets no NetworkConfig.VpcConfig with subnets and "
                   "security groups; captured payloads must not leave the platform VPC")


def _scheduled(stack: Stack, pipeline: Resource) -> bool:
    """Whether an EventBridge rule with a schedule expression starts ``pipeline``."""
    targets = stack.referring(pipeline, EVENT_TARGET, "arn")
    return any(target in stack.referring(rule, EVENT_TARGET, "rule")
               for rule in stack.of_type(EVENT_RULE) if rule.inputs.get("scheduleExpression") for target in targets)


def _model_monitored(stack: Stack) -> set[str]:
    """Endpoint names a scheduled Model Monitor job watches (inline, or by a job definition it names)."""
    watched = set()
    for schedule in stack.of_type(MONITORING_SCHEDULE):
        config = schedule.get("monitoringScheduleConfig")
        if not isinstance(config, Mapping) or not dig(config, "scheduleConfig", "scheduleExpression"):
            continue
        for entry in as_list(dig(config, "monitoringJobDefinition", "monitoringInputs")):
            watched.add(dig(entry, "endpointInput", "endpointName"))
        for job in stack.of_type(DATA_QUALITY_JOB_DEFINITION):
            named = config.get("monitoringJobDefinitionName") in job.identifiers
            if named or schedule in stack.referring(job, MONITORING_SCHEDULE, "monitoringScheduleConfig", by_dependency=False):
                watched.add(job.get("dataQualityJobInput", "endpointInput", "endpointName"))
    return {name for name in watched if isinstance(name, str)}


@stack_rule(
    id="sagemaker-endpoint-monitored-on-schedule",
    title="Every test and prod endpoint is monitored on a schedule (monitoring pipeline or Model Monitor)",
    severity="high",
    # Monitoring deployed models: https://docs.aws.amazon.com/wellarchitected/latest/machine-learning-lens/mlrel-12.html
    anchors=("MLREL-12", "MLOE-15"),
    # P0, and dev has nothing to check: test rehearses prod monitoring, so both block (DESIGN.md).
    mandatory_in=EVERYWHERE,
)
def endpoint_monitored(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    if context.environment == "dev":
        return
    # A monitoring pipeline reads the endpoint's capture: <destination>/<endpoint>/<variant>/.
    scheduled = [json.dumps(_definition(p)) for p in stack.of_type(PIPELINE) if _definition(p) and _scheduled(stack, p)]
    model_monitored = _model_monitored(stack)
    for endpoint in stack.of_type(ENDPOINT):
        name = endpoint.inputs.get("name")
        if not isinstance(name, str) or not name:
            yield endpoint, "the endpoint has no explicit name, so no monitor can be shown to watch it; set name"
            continue
        if name in model_monitored or any(f"/{name}/" in text for text in scheduled):
            continue
        yield endpoint, (f"{name} is not monitored on a schedule: no scheduled monitoring pipeline reads its capture "
                         "and no Model Monitor schedule watches it")


RULES = (network_isolation, traffic_encryption, kms, processing_in_vpc, endpoint_monitored)
