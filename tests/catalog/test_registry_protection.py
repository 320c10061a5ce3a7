"""The registries in dev hold every version ever trained: protected, retained, immutable, shared read-only.

Each model's package group and ECR repository are protected and retained on delete; the
repository is immutable, scanned on push and encrypted with the platform key; the package group
policy lets only the test and prod accounts read (and deploy from) it.
"""

from __future__ import annotations

import pytest
from catalog_plans import ECR_REPOSITORY, PACKAGE_GROUP, PACKAGE_GROUP_POLICY, policy

MODELS = ("churn", "demand-forecast", "fraud", "support-triage")
#: What another environment may do with a package group: read it and deploy a Model from it.
READ_AND_DEPLOY = {"sagemaker:CreateModel", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"}


@pytest.mark.parametrize("model", MODELS)
def test_package_group_and_repository_are_protected_and_retained(plan_of, model):
    dev = plan_of("dev")
    own = dev.model_resources(model)

    for resource in (dev.one(PACKAGE_GROUP, own), dev.one(ECR_REPOSITORY, own)):
        assert resource["options"]["protect"] is True, resource["name"]
        assert resource["options"]["retain_on_delete"] is True, resource["name"]


@pytest.mark.parametrize("model", MODELS)
def test_image_repository_is_immutable_scanned_and_encrypted_with_the_platform_key(plan_of, model):
    dev = plan_of("dev")

    repository = dev.one(ECR_REPOSITORY, dev.model_resources(model))

    assert repository["inputs"]["imageTagMutability"] == "IMMUTABLE"
    assert repository["inputs"]["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["inputs"]["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": dev.outputs["kmsKeyArn"]}]
    assert repository["inputs"].get("forceDelete") is not True


@pytest.mark.parametrize("model", MODELS)
def test_package_group_policy_grants_only_the_reader_accounts_read_actions(plan_of, model):
    dev = plan_of("dev")
    readers = sorted(plan_of(env).settings.env.account_id for env in ("test", "prod"))
    assert sorted(dev.settings.env.registry.reader_accounts) == readers, "precondition: dev names test and prod as readers"
    account, region = dev.settings.env.account_id, dev.settings.env.region

    [group_policy] = dev.of_type(PACKAGE_GROUP_POLICY, dev.model_resources(model))

    assert group_policy["inputs"]["modelPackageGroupName"] == f"mlops-{model}"
    statements = policy(group_policy, "resourcePolicy")["Statement"]
    assert [s["Effect"] for s in statements] == ["Allow"]
    [grant] = statements
    assert grant["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in readers]}
    assert set(grant["Action"]) <= READ_AND_DEPLOY
    assert {"sagemaker:DescribeModelPackage", "sagemaker:CreateModel"} <= set(grant["Action"])
    assert sorted(grant["Resource"]) == [
        f"arn:aws:sagemaker:{region}:{account}:model-package-group/mlops-{model}",
        f"arn:aws:sagemaker:{region}:{account}:model-package/mlops-{model}/*",
    ]
