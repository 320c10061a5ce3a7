"""SageMaker Studio rules: the domain data scientists work in."""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import PROD_ONLY, Context, Resource, resource_rule
from policy.rules.protection import protected_in_prod_rule

DOMAIN = "aws:sagemaker/domain:Domain"


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

RULES = (vpc_only, kms, protected_in_prod)
