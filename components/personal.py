"""A data scientist's own corner of the shared dev environment: a role, a prefix, a Studio profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.identity import account_roots
from components.policy_documents import document, statement


@dataclass(frozen=True)
class PersonalWorkspaceArgs:
    """Inputs of a ``PersonalWorkspace``.

    Attributes:
        owner: The data scientist (the ``mlops-user`` tag their identity carries).
        principals: The data-scientist persona's principal ARNs (``*`` allowed in the name); the
            owner must come through one of them and carry their ``mlops-user`` tag.
        role_name: Name of the owner's role.
        profile_name: Studio user profile name in the shared domain.
        resource_prefix: Prefix of the owner's SageMaker resources (pipelines, endpoints).
        data_prefix: The owner's prefix in the shared buckets, e.g. ``users/alice/``.
        account_id: The dev account.
        region: The dev region.
        kms_key_arn: The shared dev key.
        bucket_names: Shared buckets the owner works in (raw, curated, artifacts).
        domain_id: The shared Studio domain.
        security_group_ids: Security groups of the owner's Studio apps.
    """

    owner: str
    principals: pulumi.Input[Sequence[str]]
    role_name: str
    profile_name: str
    resource_prefix: str
    data_prefix: str
    account_id: pulumi.Input[str]
    region: str
    kms_key_arn: pulumi.Input[str]
    bucket_names: Mapping[str, pulumi.Input[str]]
    domain_id: pulumi.Input[str]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]


class PersonalWorkspace(pulumi.ComponentResource):
    """The owner's role (scoped to their prefix and their own SageMaker resources) and their
    Studio profile; everything else comes from the shared dev stack."""

    role: aws.iam.Role

    def __init__(self, name: str, args: PersonalWorkspaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:workspace:PersonalWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = args
        principals = pulumi.Output.from_input(a.principals).apply(sorted)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=a.role_name,
            description=f"Personal dev workspace of {a.owner}",
            max_session_duration=3600 * 12,
            assume_role_policy=document(
                statement(
                    "StudioRunsAsOwner", ["sts:AssumeRole"], principal={"Service": "sagemaker.amazonaws.com"},
                    condition={"StringEquals": {"aws:SourceAccount": a.account_id}},
                ),
                # As the persona roles: named principals picked out of their accounts with
                # aws:PrincipalArn, the owner's tag set by the identity provider, no sts:TagSession.
                statement(
                    "OwnerAssumesRole", ["sts:AssumeRole"],
                    principal={"AWS": principals.apply(account_roots)},
                    condition={"ArnLike": {"aws:PrincipalArn": principals}, "StringEquals": {"aws:PrincipalTag/mlops-user": a.owner}},
                ),
            ),
            opts=child,
        )
        buckets = sorted(a.bucket_names)
        own_objects = [pulumi.Output.concat("arn:aws:s3:::", a.bucket_names[b], "/", a.data_prefix, "*") for b in buckets]
        sagemaker = lambda kind: pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.account_id, f":{kind}/{a.resource_prefix}-*")  # noqa: E731
        aws.iam.RolePolicy(
            f"{name}-access",
            role=self.role.id,
            policy=document(
                statement("OwnPrefixReadWrite", ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"], own_objects),
                statement(
                    "ListOwnPrefix", ["s3:ListBucket"], [pulumi.Output.concat("arn:aws:s3:::", a.bucket_names[b]) for b in buckets],
                    condition={"StringLike": {"s3:prefix": [f"{a.data_prefix}*"]}},
                ),
                statement("UseSharedKey", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"], [a.kms_key_arn]),
                statement(
                    "RunOwnPipelines",
                    ["sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps", "sagemaker:ListPipelineExecutions", "sagemaker:StartPipelineExecution"],
                    [sagemaker("pipeline"), pulumi.Output.concat(sagemaker("pipeline"), "/execution/*")],
                ),
                statement("InvokeOwnEndpoints", ["sagemaker:InvokeEndpoint"], [sagemaker("endpoint")]),
                statement(
                    "OpenOwnStudio", ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"],
                    [pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.account_id, ":user-profile/", a.domain_id, f"/{a.profile_name}")],
                ),
            ),
            opts=child,
        )
        aws.sagemaker.UserProfile(
            f"{name}-profile",
            domain_id=a.domain_id,
            user_profile_name=a.profile_name,
            user_settings={"execution_role": self.role.arn, "security_groups": a.security_group_ids},
            opts=child,
        )
        self.register_outputs({"role_arn": self.role.arn})
