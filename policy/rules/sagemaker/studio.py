"""SageMaker Studio rules: the domain data scientists work in."""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import (
    EVERYWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    dig,
    resource_rule,
    stack_rule,
)
from policy.rules.protection import protected_in_prod_rule

DOMAIN = "aws:sagemaker/domain:Domain"
USER_PROFILE = "aws:sagemaker/userProfile:UserProfile"
MODEL = "aws:sagemaker/model:Model"


@resource_rule(
    id="sagemaker-domain-vpc-only",
    title="Studio domains route all traffic through the platform VPC (VpcOnly)",
    severity="high",
    anchors=("MLSEC-04", "MLSEC-08"),
    mandatory_in=PROD_ONLY,
    types=(DOMAIN,),
)
def vpc_only(resource: Resource, context: Context) -> Iterator[str]:
    access = resource.inputs.get("appNetworkAccessType") or "PublicInternetOnly (the default)"
    if access != "VpcOnly":
        yield f"appNetworkAccessType is {access}; set VpcOnly so notebooks reach data only through the VPC"


@resource_rule(
    id="sagemaker-domain-kms",
    title="Studio domains encrypt their storage with a KMS key",
    severity="medium",
    anchors=("CKV_AWS_187",),
    mandatory_in=PROD_ONLY,
    types=(DOMAIN,),
)
def kms(resource: Resource, context: Context) -> Iterator[str]:
    if not resource.inputs.get("kmsKeyId"):
        yield "set kmsKeyId to the platform key (it encrypts the domain's home directories)"


protected_in_prod = protected_in_prod_rule(id="sagemaker-domain-protected-in-prod", what="Studio domains",
                                           types=(DOMAIN,), severity="medium")

@stack_rule(
    id="sagemaker-studio-not-serving-role",
    title="Studio users do not run as the role that serves models",
    severity="high",
    anchors=("MLSEC-03", "MLSEC-05"),
    mandatory_in=EVERYWHERE,
)
def not_serving_role(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    # A notebook running as the endpoints' role can read and change what production serves:
    # separation of duties needs a user role of its own.
    # https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html
    serving = {role for model in stack.of_type(MODEL) if isinstance(role := model.inputs.get("executionRoleArn"), str)}
    for resource in stack.of_type(DOMAIN, USER_PROFILE):
        path = ("defaultUserSettings", "executionRole") if resource.type == DOMAIN else ("userSettings", "executionRole")
        role = dig(resource.inputs, *path)
        if role in serving:
            yield resource, (f"{'.'.join(path)} is {role}, the execution role of served models; give Studio users "
                             "a role of their own")


RULES = (vpc_only, kms, protected_in_prod, not_serving_role)
