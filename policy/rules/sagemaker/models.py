"""SageMaker model rules: what the inference container may reach and which image it runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policy.framework import (
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    as_list,
    is_true,
    resource_rule,
    stack_rule,
)

MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
VARIANT_KEYS = ("productionVariants", "shadowProductionVariants")


def serverless_only(stack: Stack, model: Resource) -> bool:
    """Whether every endpoint configuration serving ``model`` is serverless.

    Serverless endpoints support neither VPC configuration nor network isolation (AWS feature
    exclusions), so those two rules cannot apply to their models.
    """
    configs = {c.urn: c for key in VARIANT_KEYS for c in stack.referring(model, ENDPOINT_CONFIG, key)}
    if not configs:
        return False
    variants = [v for c in configs.values() for key in VARIANT_KEYS for v in as_list(c.inputs.get(key))]
    return bool(variants) and all(isinstance(v, Mapping) and v.get("serverlessConfig") for v in variants)


def _containers(model: Resource) -> list[Mapping]:
    """The model's containers: the primary container and/or the `containers` list."""
    found = [model.inputs.get("primaryContainer"), *as_list(model.inputs.get("containers"))]
    return [container for container in found if isinstance(container, Mapping)]


@stack_rule(
    id="sagemaker-model-network-isolation",
    title="Models run with network isolation (serverless-only models excepted)",
    severity="medium",
    anchors=("SecurityHub SageMaker.5", "CKV_AWS_370", "MLSEC-08"),
    mandatory_in=PROD_ONLY,
)
def network_isolation(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for model in stack.of_type(MODEL):
        if not is_true(model.inputs.get("enableNetworkIsolation")) and not serverless_only(stack, model):
            yield model, ("set enableNetworkIsolation true: the container then gets no network and no AWS "
                          "credentials; a container that must call AWS at inference time needs a reasoned waiver")


@stack_rule(
    id="sagemaker-model-in-vpc",
    title="Models run in the platform VPC (serverless-only models excepted)",
    severity="medium",
    anchors=("MLSEC-04", "MLSEC-08"),
    mandatory_in=PROD_ONLY,
)
def in_vpc(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for model in stack.of_type(MODEL):
        missing = [key for key in ("subnets", "securityGroupIds") if not as_list(model.get("vpcConfig", key))]
        if missing and not serverless_only(stack, model):
            yield model, (f"vpcConfig has no {' or '.join(missing)}; place the endpoint's network interfaces in "
                          "the platform's private subnets")


@resource_rule(
    id="sagemaker-model-image-pinned-by-digest",
    title="Prod model containers pin their image by digest",
    severity="high",
    anchors=("MLREL-13", "MLREL05-BP02", "CKV_K8S_43"),
    mandatory_in=PROD_ONLY,
    types=(MODEL,),
)
def image_pinned_by_digest(resource: Resource, context: Context) -> Iterator[str]:
    if context.environment != "prod":
        return
    for container in _containers(resource):
        image = container.get("image")
        # A container taken from a model package runs the image the package pinned.
        if container.get("modelPackageName") or not isinstance(image, str):
            continue
        if "@sha256:" not in image:
            yield (f"image {image} is referenced by tag; use <repository>@sha256:<digest> so the deployed model "
                   "is exactly the approved one")


RULES = (network_isolation, in_vpc, image_pinned_by_digest)
