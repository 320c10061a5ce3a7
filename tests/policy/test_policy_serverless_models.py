"""Serverless endpoints exclude VPC configuration and network isolation: the model rules know it."""

from __future__ import annotations

import pulumi_aws as aws
import pytest
from policy_harness import planned

from policy.engine import evaluate

RULES = ("sagemaker-model-in-vpc", "sagemaker-model-network-isolation")
PACKAGE = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-churn/4"


def _endpoint(serverless: bool) -> None:
    model = aws.sagemaker.Model("churn-champion", execution_role_arn="arn:aws:iam::111122223333:role/exec",
                                primary_container={"model_package_name": PACKAGE})
    variant = {"variant_name": "champion", "model_name": model.name}
    variant |= ({"serverless_config": {"memory_size_in_mb": 2048, "max_concurrency": 5}} if serverless
                else {"instance_type": "ml.m5.large", "initial_instance_count": 2})
    aws.sagemaker.EndpointConfiguration("churn-config", production_variants=[variant],
                                        kms_key_arn="arn:aws:kms:eu-west-1:111122223333:key/k")


def _findings(serverless: bool) -> set[str]:
    return {v.rule for v in evaluate(planned(lambda: _endpoint(serverless)), "prod") if v.rule in RULES}


def test_a_model_served_only_serverless_needs_no_vpc_or_isolation():
    assert _findings(serverless=True) == set()


@pytest.mark.parametrize("rule", RULES)
def test_the_same_model_on_instances_must_have_both(rule):
    assert rule in _findings(serverless=False)
