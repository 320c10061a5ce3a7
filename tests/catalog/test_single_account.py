"""One AWS account for dev, test and prod also works: no cross-account grants or forwarding."""

from __future__ import annotations

import pytest

ACCOUNT = "111122223333"
GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
DRIFT_FORWARDING = "mlops:eventing:DriftForwarding"


def test_dev_grants_no_other_account(plan_of):
    dev = plan_of("dev", "single-account")

    assert dev.of_type(GROUP_POLICY) == [] and dev.of_type(REPOSITORY_POLICY) == [] and dev.of_type(BUS_POLICY) == []
    assert dev.of_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup")


@pytest.mark.parametrize("stack", ["test", "prod"])
def test_test_and_prod_read_the_registry_in_their_own_account(plan_of, stack):
    plan = plan_of(stack, "single-account")

    assert plan.of_type(DRIFT_FORWARDING) == []  # dev's drift rules see this account's alarms directly
    assert plan.outputs["registryAccountId"] == ACCOUNT == plan.outputs["accountId"]
    assert plan.of_type("pulumi:pulumi:StackReference")
    assert not [v for v in plan.result.violations if v["enforcement"] == "mandatory"]


def test_prod_models_deploy_packages_from_the_shared_account(plan_of):
    prod = plan_of("prod", "single-account")
    packages = [m["inputs"]["primaryContainer"]["modelPackageName"] for m in prod.of_type("aws:sagemaker/model:Model")]

    assert packages and all(f":{ACCOUNT}:model-package/" in arn for arn in packages)
