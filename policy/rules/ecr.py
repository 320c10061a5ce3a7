"""ECR rules: inference and training images.

A model version must map to exactly one scanned image, so tags are immutable and scanned on push.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    is_true,
    resource_rule,
    stack_rule,
)
from policy.rules.policy_documents import Statement, findings
from policy.rules.protection import protected_in_prod_rule

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


@resource_rule(
    id="ecr-repository-scan-on-push",
    title="Repositories scan images on push",
    severity="high",
    anchors=("CKV_AWS_163", "SecurityHub ECR.1", "aws-ecr-repository-enable-image-scan"),
    mandatory_in=EVERYWHERE,
    types=(REPOSITORY,),
)
def scan_on_push(resource: Resource, context: Context) -> Iterator[str]:
    if not is_true(resource.get("imageScanningConfiguration", "scanOnPush")):
        yield "set imageScanningConfiguration.scanOnPush true"


@resource_rule(
    id="ecr-repository-tags-immutable",
    title="Repositories have immutable image tags",
    severity="high",
    anchors=("CKV_AWS_51", "SecurityHub ECR.2", "aws-ecr-repository-disallow-mutable-image"),
    mandatory_in=EVERYWHERE,
    types=(REPOSITORY,),
)
def tags_immutable(resource: Resource, context: Context) -> Iterator[str]:
    mutability = resource.inputs.get("imageTagMutability") or "MUTABLE (the default)"
    if mutability != "IMMUTABLE":
        yield f"imageTagMutability is {mutability}; set IMMUTABLE so a tag always names the same image"


@resource_rule(
    id="ecr-repository-kms-encrypted",
    title="Repositories are encrypted with a customer managed KMS key",
    severity="medium",
    anchors=("CKV_AWS_136", "SecurityHub ECR.5", "aws-ecr-repository-configure-customer-managed-key"),
    mandatory_in=PROD_ONLY,
    types=(REPOSITORY,),
)
def kms_encrypted(resource: Resource, context: Context) -> Iterator[str]:
    encryption_type = resource.get("encryptionConfigurations", 0, "encryptionType")
    if encryption_type != "KMS":
        yield (f"encryptionType is {encryption_type or 'unset (AES256)'}; use KMS with the platform key "
               "(it cannot be changed later without recreating the repository)")
    elif not resource.get("encryptionConfigurations", 0, "kmsKey"):
        yield "set encryptionConfigurations[0].kmsKey to the platform key instead of the AWS managed key"


@resource_rule(
    id="ecr-repository-policy-no-public-principal",
    title='Repository policies never grant to Principal "*"',
    severity="critical",
    anchors=("AwsSolutions-ECR1", "CKV_AWS_32"),
    mandatory_in=EVERYWHERE,
    types=(REPOSITORY_POLICY,),
)
def policy_no_public_principal(resource: Resource, context: Context) -> list[str]:
    def public_grant(statement: Statement) -> str | None:
        if statement.allows and statement.public:
            return (f'{statement.label} grants to Principal "*"; name the consumer account\'s SageMaker '
                    "execution role or account instead")
        return None

    return findings(resource.inputs.get("policy"), public_grant)


@stack_rule(
    id="ecr-repository-lifecycle-policy",
    title="Every repository has a lifecycle policy",
    severity="low",
    anchors=("SecurityHub ECR.3",),
    mandatory_in=PROD_ONLY,
)
def lifecycle_policy(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for repository in stack.of_type(REPOSITORY):
        if not stack.referring(repository, LIFECYCLE_POLICY, "repository"):
            yield repository, ("no LifecyclePolicy refers to this repository; expire untagged images "
                               "(never images an Approved model package uses)")


protected_in_prod = protected_in_prod_rule(id="ecr-repository-protected-in-prod", what="ECR repositories",
                                           types=(REPOSITORY,), severity="medium")

RULES = (
    scan_on_push,
    tags_immutable,
    kms_encrypted,
    policy_no_public_principal,
    lifecycle_policy,
    protected_in_prod,
)
