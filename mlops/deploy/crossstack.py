"""Cross-stack check: every cross-account read the design relies on is granted on BOTH sides.

test and prod run models registered in dev: their SageMaker execution role reads dev's model
packages, the model artifacts and monitoring baselines in dev's artifacts bucket (SSE-KMS with dev's
key) and the images in dev's ECR repositories; their monitoring pipelines read the pinned version's
metadata and the drift baseline it records there. Across accounts, AWS allows a call only when the
caller's identity policy AND the owner's resource policy (bucket, key, model package group,
repository policy) both allow it; in one account either side is enough.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html

The accesses are derived from the readers' plans (which roles run which models and baselines) and
checked by evaluating the planned policy documents (``policy_eval``).
"""

from __future__ import annotations

import json

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex, policy_document
from mlops.deploy.policy_eval import AccessRequest, Decision, evaluate, evaluate_all

CROSS_ACCOUNT_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
RULE = "cross-account-access"


@dataclass(frozen=True)
class StackPlan:
    """One stack's plan for the cross-stack check.

    Attributes:
        stack: Stack name (``dev``, ``test``, ``prod``).
        account: The stack's AWS account.
        resources: ``resources[]`` as ``mlops plan STACK --json`` prints them.
    """

    stack: str
    account: str
    resources: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class _Access:
    """One call a reader's role makes on an owner's resource."""

    purpose: str
    role_arn: str
    action: str
    resource: str
    owner_policy: Mapping[str, Any] | None  # the owner resource's planned policy resource
    owner_document_key: str  # input of ``owner_policy`` holding the document
    context: Mapping[str, str]


def _arn(arn: str) -> list[str]:
    return arn.split(":", 5) if isinstance(arn, str) and arn.startswith("arn:") else []


def _s3_object_arn(uri: str) -> str | None:
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        return None
    return "arn:aws:s3:::" + uri[len("s3://"):]


def _owner_artifacts(owner: PlanIndex) -> tuple[str, str | None, Mapping[str, Any] | None] | None:
    """(bucket name, its SSE-KMS key ARN, its bucket policy resource) of the owner's artifacts bucket."""
    for bucket in owner.of_type("aws:s3/bucket:Bucket"):
        if bucket["name"].endswith("-artifacts"):
            name = bucket["inputs"].get("bucket")
            key = None
            for sse in owner.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
                if sse["inputs"].get("bucket") == name:
                    for rule in sse["inputs"].get("rules", []):
                        key = (rule.get("applyServerSideEncryptionByDefault") or {}).get("kmsMasterKeyId") or key
            policy = next((p for p in owner.of_type("aws:s3/bucketPolicy:BucketPolicy") if p["inputs"].get("bucket") == name), None)
            return name, key, policy
    return None


def _owner_key(owner: PlanIndex) -> Mapping[str, Any] | None:
    keys = owner.of_type("aws:kms/key:Key")
    return keys[0] if len(keys) == 1 else None


def _accesses(owner: StackPlan, reader: StackPlan) -> Iterator[_Access]:
    """The cross-account calls ``reader``'s plan relies on against ``owner``'s resources."""
    o, r = PlanIndex(owner.resources), PlanIndex(reader.resources)
    artifacts = _owner_artifacts(o)
    key = _owner_key(o)
    region = None
    secure = {"aws:SecureTransport": "true", "aws:PrincipalAccount": reader.account, "kms:CallerAccount": reader.account}
    for model in r.of_type("aws:sagemaker/model:Model"):
        package = (model["inputs"].get("primaryContainer") or {}).get("modelPackageName", "")
        parts = _arn(package)
        role = model["inputs"].get("executionRoleArn")
        if len(parts) < 6 or parts[4] != owner.account or not role:
            continue
        region = parts[3]
        group_name = parts[5].split("/")[1]
        group_policy = next((p for p in o.of_type("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy") if p["inputs"].get("modelPackageGroupName") == group_name), None)
        yield _Access(f"read model package {package}", role, "sagemaker:DescribeModelPackage", package, group_policy, "resourcePolicy", secure)
        repo_policy = next((p for p in o.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy") if p["inputs"].get("repository") == group_name), None)
        if repo_policy is not None:
            repo = f"arn:aws:ecr:{region}:{owner.account}:repository/{group_name}"
            for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
                yield _Access(f"pull images of {repo}", role, action, repo, repo_policy, "policy", secure)
        if artifacts is not None:
            # Model data of a registered version lives under models/<model>/ in the artifacts bucket.
            obj = f"arn:aws:s3:::{artifacts[0]}/models/{group_name.split('-', 1)[-1]}/model.tar.gz"
            yield _Access(f"read model data {obj}", role, "s3:GetObject", obj, artifacts[2], "policy", secure)
    for job in r.of_type("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition"):
        role = job["inputs"].get("roleArn")
        baseline = job["inputs"].get("dataQualityBaselineConfig") or {}
        for kind in ("constraintsResource", "statisticsResource"):
            obj = _s3_object_arn((baseline.get(kind) or {}).get("s3Uri"))
            if role and obj and artifacts is not None and obj.startswith(f"arn:aws:s3:::{artifacts[0]}/"):
                yield _Access(f"read monitoring baseline {obj}", role, "s3:GetObject", obj, artifacts[2], "policy", secure)
    monitoring_roles = set()
    for pipeline, package in _monitored_packages(r):
        parts, role = _arn(package), pipeline["inputs"].get("roleArn")
        if len(parts) < 6 or parts[4] != owner.account or not role:
            continue
        # The monitoring job reads the pinned version's metadata, then the baseline it records under
        # models/<model>/baselines/ in the owner's artifacts bucket.
        monitoring_roles.add(role)
        region = parts[3]
        group_name = parts[5].split("/")[1]
        group_policy = next((p for p in o.of_type("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy") if p["inputs"].get("modelPackageGroupName") == group_name), None)
        yield _Access(f"read the monitored version {package}", role, "sagemaker:DescribeModelPackage", package, group_policy, "resourcePolicy", secure)
        if artifacts is not None:
            obj = f"arn:aws:s3:::{artifacts[0]}/models/{group_name.split('-', 1)[-1]}/baselines/run/baseline.json"
            yield _Access(f"read drift baseline {obj}", role, "s3:GetObject", obj, artifacts[2], "policy", secure)
    if artifacts is not None and artifacts[1] and key is not None and region:
        roles = sorted({m["inputs"].get("executionRoleArn") for m in r.of_type("aws:sagemaker/model:Model") if m["inputs"].get("executionRoleArn")}
                       | {j["inputs"].get("roleArn") for j in r.of_type("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition") if j["inputs"].get("roleArn")}
                       | monitoring_roles)
        for role in roles:
            # S3 decrypts SSE-KMS objects with the caller's permissions, through S3.
            context = {**secure, "kms:ViaService": f"s3.{region}.amazonaws.com"}
            yield _Access(f"decrypt artifacts with {artifacts[1]}", role, "kms:Decrypt", artifacts[1], key, "policy", context)


def _monitored_packages(reader: PlanIndex) -> Iterator[tuple[Mapping[str, Any], str]]:
    """(pipeline, model package ARN) of every pipeline whose steps read a model package's metadata
    (``--model-package``: the monitoring pipeline resolving the pinned version's baseline)."""
    for pipeline in reader.of_type("aws:sagemaker/pipeline:Pipeline"):
        try:
            definition = json.loads(pipeline["inputs"].get("pipelineDefinition") or "{}")
        except (TypeError, json.JSONDecodeError):
            continue
        for step in definition.get("Steps", []) if isinstance(definition, dict) else []:
            arguments = ((step.get("Arguments") or {}).get("AppSpecification") or {}).get("ContainerArguments") or []
            for flag, value in zip(arguments, arguments[1:]):
                if flag == "--model-package" and isinstance(value, str):
                    yield pipeline, value


def _identity_documents(reader: PlanIndex, role_arn: str) -> tuple[Mapping[str, Any] | None, list[dict | None]]:
    role_name = role_arn.rsplit("/", 1)[-1]
    role = next((x for x in reader.of_type("aws:iam/role:Role") if x["inputs"].get("name") == role_name), None)
    documents = [policy_document(p["inputs"].get("policy")) for p in reader.of_type("aws:iam/rolePolicy:RolePolicy") if p["inputs"].get("role") == role_name]
    return role, documents


def _note(decision: Decision) -> str:
    return f" (conditions not evaluated, so not counted: {', '.join(decision.unevaluated)})" if decision.unevaluated else ""


def check_cross_stack(owner: StackPlan, readers: Sequence[StackPlan]) -> tuple[DeployFinding, ...]:
    """Findings for every cross-account access of ``readers`` on ``owner`` that a side does not grant.

    Args:
        owner: The registry stack (dev).
        readers: The stacks reading its registry (test, prod).
    """
    findings: set[DeployFinding] = set()
    for reader in readers:
        r = PlanIndex(reader.resources)
        for access in _accesses(owner, reader):
            request = AccessRequest(access.action, access.resource, access.role_arn, reader.account, access.context)
            role, documents = _identity_documents(r, access.role_arn)
            identity = evaluate_all(documents, request, resource_policy=False)
            owner_document = policy_document(access.owner_policy["inputs"].get(access.owner_document_key)) if access.owner_policy else None
            resource_side = evaluate(owner_document, request, resource_policy=True)
            same_account = reader.account == owner.account
            granted = (identity.allowed or resource_side.allowed) and not (identity.denied or resource_side.denied) if same_account \
                else identity.allowed and resource_side.allowed
            if granted:
                continue
            if not identity.allowed and (not same_account or not resource_side.allowed):
                findings.add(DeployFinding(
                    RULE, "error", role["urn"] if role else access.role_arn, "policy",
                    f"{reader.stack}: {access.role_arn} cannot {access.purpose}: no inline policy of the role allows {access.action} on {access.resource}{_note(identity)}",
                    CROSS_ACCOUNT_DOC,
                ))
            if not same_account and not resource_side.allowed:
                subject = access.owner_policy["urn"] if access.owner_policy else f"{owner.stack}:{access.resource}"
                findings.add(DeployFinding(
                    RULE, "error", subject, access.owner_document_key,
                    f"{owner.stack} does not grant {reader.stack} ({reader.account}) {access.action} on {access.resource} "
                    f"for {access.role_arn}: {access.purpose}{_note(resource_side)}",
                    CROSS_ACCOUNT_DOC,
                ))
    return tuple(sorted(findings))
