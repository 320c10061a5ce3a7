"""The SageMaker model registry as the delivery workflow sees it.

A client factory (botocore standard retries, endpoint overridable through `AWS_ENDPOINT_URL`,
which botocore honours by itself) and the queries and updates on model package versions: find a
version by number, the latest approved one, read its quality metric, update its approval state.
Every AWS failure leaves here as a `DeliveryError`.
"""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from mlops.delivery.errors import DeliveryError, Problem

DEFAULT_MAX_ATTEMPTS = 5
APPROVED = "Approved"
REJECTED = "Rejected"
PENDING = "PendingManualApproval"

# Codes AWS uses for "no such thing" on the calls below (SageMaker says ValidationException).
_MISSING_CODES = {"ValidationException", "ResourceNotFound", "NoSuchKey", "NoSuchBucket", "404"}
# Parsed AWS API models, shared by every session in the process: the SageMaker model is large and
# re-reading it made each client factory call cost a quarter of a second.
_API_MODELS = botocore.loaders.create_loader()
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
)


class _NotFound(Exception):
    """The service answered that the requested thing does not exist."""


@dataclass(frozen=True)
class RegistryClients:
    """The boto3 clients the delivery workflow needs: SageMaker for the registry, S3 for
    reports, STS for who is calling (checked against a model's approvers)."""

    sagemaker: Any
    s3: Any
    sts: Any

    @property
    def endpoint(self) -> str:
        """Where the registry calls go, for messages."""
        return self.sagemaker.meta.endpoint_url


@dataclass(frozen=True)
class ModelVersion:
    """One model package version in a group, as the registry describes it."""

    group: str
    number: int
    arn: str
    status: str
    created: datetime | None = None
    approval_description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    evaluation_uri: str | None = None

    @property
    def label(self) -> str:
        """`"version 3 of mlops-churn"`, for messages."""
        return f"version {self.number} of {self.group}"


def registry_clients(
    *,
    region: str | None = None,
    fallback_region: str | None = None,
    endpoint_url: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> RegistryClients:
    """Create SageMaker and S3 clients with botocore's standard retry mode.

    The clients are the ones `boto3.client` returns, built from a fresh botocore session so
    the environment (credentials, AWS_ENDPOINT_URL, region) is read at each call.

    Args:
        region: Explicit region; otherwise AWS_REGION, AWS_DEFAULT_REGION or the profile's
            region, otherwise `fallback_region`.
        fallback_region: Used when nothing else names a region, typically the region of an ARN
            already pinned in the model's catalog file.
        endpoint_url: Explicit endpoint (tests). Left unset, boto3 applies `AWS_ENDPOINT_URL`.
        max_attempts: Calls per request, the first one included. (botocore's own
            `max_attempts` key counts retries only, so this sets `total_max_attempts`.)

    Raises:
        DeliveryError: (INVALID) when no region can be found or the AWS profile is broken.
    """
    try:
        session = botocore.session.get_session()
        session.register_component("data_loader", _API_MODELS)
        region_name = (
            region
            or os.environ.get("AWS_REGION")  # other AWS SDKs' variable; botocore ignores it
            or session.get_config_variable("region")
            or fallback_region
        )
        if not region_name:
            raise DeliveryError(
                "no AWS region for the model registry: set AWS_REGION or AWS_DEFAULT_REGION",
                Problem.INVALID,
            )
        config = Config(
            region_name=region_name,
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=10,
            read_timeout=60,
        )
        return RegistryClients(
            sagemaker=session.create_client("sagemaker", config=config, endpoint_url=endpoint_url),
            s3=session.create_client("s3", config=config, endpoint_url=endpoint_url),
            sts=session.create_client("sts", config=config, endpoint_url=endpoint_url),
        )
    except BotoCoreError as error:
        raise DeliveryError(f"cannot set up AWS access: {error}", Problem.INVALID) from None


@contextmanager
def _aws_errors(client: Any, action: str, missing: Exception | None = None) -> Iterator[None]:
    """Turn botocore failures inside the block into one-line DeliveryErrors.

    Args:
        client: The client making the calls (names the service and endpoint in messages).
        action: What was being done, e.g. "describe model package group mlops-churn".
        missing: Raised instead when the service answers that the thing does not exist.
    """
    service = {"sagemaker": "the model registry", "s3": "S3", "sts": "AWS STS"}[
        client.meta.service_model.service_name
    ]
    endpoint = client.meta.endpoint_url
    try:
        yield
    except ClientError as error:
        if missing is not None and error.response.get("Error", {}).get("Code") in _MISSING_CODES:
            raise missing from None
        raise DeliveryError(
            f"{service} at {endpoint} failed to {action}: {error}", Problem.UNAVAILABLE
        ) from None
    except _UNREACHABLE as error:
        raise DeliveryError(
            f"cannot reach {service} at {endpoint}: {error}; check AWS_ENDPOINT_URL, the network "
            "and the region",
            Problem.UNAVAILABLE,
        ) from None
    except NoCredentialsError:
        raise DeliveryError(
            f"no AWS credentials to {action}: configure a profile or AWS_ACCESS_KEY_ID",
            Problem.UNAVAILABLE,
        ) from None
    except BotoCoreError as error:
        raise DeliveryError(
            f"{service} at {endpoint} failed to {action}: {error}", Problem.UNAVAILABLE
        ) from None


def caller_arn(clients: RegistryClients) -> str:
    """The ARN of whoever the credentials belong to (STS GetCallerIdentity).

    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
    """
    with _aws_errors(clients.sts, "tell who is calling (GetCallerIdentity)"):
        return clients.sts.get_caller_identity()["Arn"]


def _version_from(description: Mapping[str, Any]) -> ModelVersion:
    statistics = description.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {})
    return ModelVersion(
        group=description["ModelPackageGroupName"],
        number=int(description["ModelPackageVersion"]),
        arn=description["ModelPackageArn"],
        # Registered versions always carry a status; treat a missing one as undecided.
        status=description.get("ModelApprovalStatus") or PENDING,
        created=description.get("CreationTime"),
        approval_description=description.get("ApprovalDescription"),
        metadata=dict(description.get("CustomerMetadataProperties") or {}),
        evaluation_uri=statistics.get("S3Uri"),
    )


def describe_version(clients: RegistryClients, arn: str) -> ModelVersion | None:
    """Describe a model package version by ARN; None when the registry does not know it."""
    try:
        with _aws_errors(clients.sagemaker, f"describe model package {arn}", missing=_NotFound()):
            description = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    except _NotFound:
        return None
    return _version_from(description)


def _version_arns(
    clients: RegistryClients, group: str, status: str | None = None
) -> dict[int, str]:
    """Version number -> ARN for a group, optionally only versions with one approval status."""
    unknown_group = DeliveryError(
        f"model package group {group} not found in the registry at {clients.endpoint} "
        f"({clients.sagemaker.meta.region_name}): check --prefix, the region, and that the dev "
        "stack is deployed",
        Problem.INVALID,
    )
    with _aws_errors(clients.sagemaker, f"describe model package group {group}", unknown_group):
        clients.sagemaker.describe_model_package_group(ModelPackageGroupName=group)
    filters = {"ModelApprovalStatus": status} if status else {}
    with _aws_errors(clients.sagemaker, f"list the versions of {group}"):
        pages = clients.sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group, **filters
        )
        return {
            int(summary["ModelPackageVersion"]): summary["ModelPackageArn"]
            for page in pages
            for summary in page["ModelPackageSummaryList"]
        }


def _described(clients: RegistryClients, arn: str, group: str) -> ModelVersion:
    version = describe_version(clients, arn)
    if version is None:
        raise DeliveryError(
            f"{arn} was listed in {group} but cannot be described; retry", Problem.UNAVAILABLE
        )
    return version


def find_version(clients: RegistryClients, group: str, number: int) -> ModelVersion:
    """The version with this number in the group.

    Raises:
        DeliveryError: (INVALID) unknown group or version number.
    """
    arns = _version_arns(clients, group)
    if number not in arns:
        known = f"versions {min(arns)} to {max(arns)}" if arns else "no versions yet"
        raise DeliveryError(
            f"unknown version {number} of model package group {group}: it has {known}",
            Problem.INVALID,
        )
    return _described(clients, arns[number], group)


def latest_approved_version(clients: RegistryClients, group: str) -> ModelVersion:
    """The highest-numbered Approved version of the group.

    Raises:
        DeliveryError: (REFUSED) when no version is approved yet.
    """
    arns = _version_arns(clients, group, status=APPROVED)
    if not arns:
        raise DeliveryError(
            f"no Approved version in model package group {group}: approve one first "
            "(mlops approve MODEL --version N) or name the version to promote",
            Problem.REFUSED,
        )
    return _described(clients, arns[max(arns)], group)


def list_versions(clients: RegistryClients, group: str) -> list[ModelVersion]:
    """Every version of the group, oldest first, fully described."""
    arns = _version_arns(clients, group)
    return [_described(clients, arns[number], group) for number in sorted(arns)]


def read_metric(clients: RegistryClients, version: ModelVersion, metric: str) -> float | None:
    """A version's value for `metric`; None when the version carries no such metric.

    Read from CustomerMetadataProperties `metric.<name>` when present, otherwise from the
    evaluation report its ModelMetrics point to (`metrics.<name>.value`).

    Raises:
        DeliveryError: the value is not a number, or the report cannot be read.
    """
    raw = version.metadata.get(f"metric.{metric}")
    if raw is None:
        raw = _report_metric(clients, version, metric)
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise DeliveryError(
            f"{version.label}: metric {metric} is {raw!r}, not a number; fix its registration",
            Problem.INVALID,
        ) from None


def _report_metric(clients: RegistryClients, version: ModelVersion, metric: str) -> Any:
    uri = version.evaluation_uri
    if not uri:
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    missing = DeliveryError(
        f"{version.label}: evaluation report {uri} does not exist", Problem.UNAVAILABLE
    )
    with _aws_errors(clients.s3, f"read evaluation report {uri}", missing):
        body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        report = json.loads(body)
    except ValueError:
        raise DeliveryError(
            f"{version.label}: evaluation report {uri} is not JSON", Problem.INVALID
        ) from None
    try:
        return report["metrics"][metric]["value"]
    except (KeyError, TypeError):
        return None


def update_version(
    clients: RegistryClients,
    version: ModelVersion,
    *,
    status: str | None = None,
    approval_description: str | None = None,
    metadata: Mapping[str, str] | None = None,
    remove: tuple[str, ...] = (),
) -> ModelVersion:
    """Change a version's approval state and/or custom metadata; return the new state.

    The call always carries the version's whole approval state (status, description, all
    metadata), not only the change: AWS merges metadata, but moto's UpdateModelPackage resets
    whatever is omitted, and sending everything is correct for both.
    """
    merged = {**version.metadata, **(metadata or {})}
    for key in remove:
        merged.pop(key, None)
    updated = replace(
        version,
        status=status or version.status,
        approval_description=approval_description or version.approval_description,
        metadata=merged,
    )
    params: dict[str, Any] = {
        "ModelPackageArn": version.arn,
        "ModelApprovalStatus": updated.status,
    }
    if updated.approval_description:
        params["ApprovalDescription"] = updated.approval_description
    if merged:
        params["CustomerMetadataProperties"] = merged
    gone = [key for key in remove if key in version.metadata]
    if gone:
        params["CustomerMetadataPropertiesToRemove"] = gone
    with _aws_errors(clients.sagemaker, f"update {version.label}"):
        clients.sagemaker.update_model_package(**params)
    return updated
