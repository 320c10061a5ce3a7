"""Model Monitor rules: data-quality job definitions and monitoring schedules.

Monitoring jobs read captured production payloads, so they get the same isolation and encryption
as training jobs. A schedule that names a job definition is covered by that definition's checks;
a schedule with an inline job definition is checked itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from policy.framework import PROD_ONLY, Context, Resource, is_true, resource_rule

DATA_QUALITY_JOB_DEFINITION = "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"
MONITORING_SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"
MONITORING_JOB_TYPES = (DATA_QUALITY_JOB_DEFINITION, MONITORING_SCHEDULE)


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


RULES = (network_isolation, traffic_encryption, kms)
