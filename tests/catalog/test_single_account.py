"""One AWS account for dev, test and prod also works: no cross-account grants or forwarding."""

from __future__ import annotations

import json

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
    assert not [v for v in plan.result.violations if v.enforcement == "mandatory"]


def test_dev_shares_its_key_and_artifacts_with_no_other_account(plan_of):
    dev = plan_of("dev", "single-account")
    key_policy = json.loads(dev.one("aws:kms/key:Key")["inputs"]["policy"])
    artifacts = next(p for p in dev.of_type("aws:s3/bucketPolicy:BucketPolicy") if "-artifacts-" in p["inputs"]["bucket"])
    bucket_policy = json.loads(artifacts["inputs"]["policy"])

    sids = {s["Sid"] for s in key_policy["Statement"]} | {s["Sid"] for s in bucket_policy["Statement"]}
    assert "EnvironmentsDecryptRegistryArtifacts" not in sids and "EnvironmentsReadModelArtifacts" not in sids
