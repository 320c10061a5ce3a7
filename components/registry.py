"""A model's registries: the SageMaker model package group and the ECR repository of its images."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, statement

#: What another environment may do with the registry: read, and deploy from it.
READ_ACTIONS = (
    "sagemaker:CreateModel",
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)
PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


@dataclass(frozen=True)
class ModelRegistryArgs:
    """Inputs of a ``ModelRegistry``.

    Attributes:
        group_name: Model package group and repository name, ``<prefix>-<model>``.
        description: What the model is (shown in the registry).
        region: The registry's region.
        account_id: The registry's account.
        kms_key_arn: CMK encrypting the repository.
        reader_accounts: Accounts of the environments that read and deploy from it.
        protect: Protect and retain both (they hold every version ever trained).
    """

    group_name: str
    description: str
    region: str
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    reader_accounts: Sequence[str] = field(default_factory=tuple)
    protect: bool = True


class ModelRegistry(pulumi.ComponentResource):
    """Model package group with a cross-environment read policy, and an immutable, scanned,
    CMK-encrypted ECR repository with a lifecycle policy and a cross-environment pull policy."""

    group: aws.sagemaker.ModelPackageGroup
    repository: aws.ecr.Repository
    group_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]

    def __init__(self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:registry:ModelRegistry", name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        child = pulumi.ResourceOptions(parent=self)
        self.group = aws.sagemaker.ModelPackageGroup(
            f"{name}-group",
            model_package_group_name=args.group_name,
            model_package_group_description=args.description[:1024],
            opts=keep,
        )
        self.repository = aws.ecr.Repository(
            f"{name}-images",
            name=args.group_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
            force_delete=False,
            opts=keep,
        )
        self.group_arn, self.repository_url = self.group.arn, self.repository.repository_url
        aws.ecr.LifecyclePolicy(
            f"{name}-images-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": "Drop untagged layers after 14 days",
                            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
                            "action": {"type": "expire"},
                        },
                        {
                            # Registered versions reference release images by digest: keep plenty.
                            "rulePriority": 2,
                            "description": "Keep the 200 most recent release images",
                            "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 200},
                            "action": {"type": "expire"},
                        },
                    ]
                },
                sort_keys=True,
            ),
            opts=child,
        )
        if args.reader_accounts:
            readers = {"AWS": [f"arn:aws:iam::{account}:root" for account in sorted(args.reader_accounts)]}
            packages = pulumi.Output.concat(
                "arn:aws:sagemaker:", args.region, ":", args.account_id, ":model-package/", args.group_name, "/*"
            )
            aws.sagemaker.ModelPackageGroupPolicy(
                f"{name}-group-readers",
                model_package_group_name=self.group.model_package_group_name,
                resource_policy=document(
                    statement("EnvironmentsReadAndDeploy", list(READ_ACTIONS), [self.group.arn, packages], principal=readers)
                ),
                opts=child,
            )
            aws.ecr.RepositoryPolicy(
                f"{name}-images-readers",
                repository=self.repository.name,
                policy=document(statement("EnvironmentsPullImages", list(PULL_ACTIONS), principal=readers)),
                opts=child,
            )
        self.register_outputs({"group_arn": self.group_arn, "repository_url": self.repository_url})
