"""ModelRegistry: the group and image repository every environment deploys from."""

from __future__ import annotations

import json

import pytest
from rendering import ACCOUNT, KEY_ARN, READERS, REGION, statements

from components.registry import PULL_ACTIONS, READ_ACTIONS, ModelRegistry, ModelRegistryArgs

GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
REPOSITORY = "aws:ecr/repository:Repository"
GROUP_POLICY = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"


def registry(**overrides) -> ModelRegistry:
    args = {"group_name": "mlops-churn", "description": "Churn", "region": REGION, "account_id": ACCOUNT, "kms_key_arn": KEY_ARN, **overrides}
    return ModelRegistry("mlops-churn", ModelRegistryArgs(**args))


@pytest.fixture(scope="module")
def unshared(render):
    return render(registry)


def test_group_policy_grants_only_the_reader_accounts_read_and_deploy(render):
    out = render(lambda: registry(reader_accounts=READERS[::-1]))
    (grant,) = statements(out.policy(GROUP_POLICY, "resourcePolicy")).values()
    assert grant["Effect"] == "Allow"
    assert grant["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(READERS)]}
    assert grant["Action"] == sorted(READ_ACTIONS)
    assert not any(a.startswith(("sagemaker:Update", "sagemaker:Delete", "sagemaker:Put")) for a in grant["Action"])
    assert grant["Resource"] == [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/mlops-churn",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/mlops-churn/*",
    ]


def test_readers_pull_images_and_nothing_else(render):
    (grant,) = statements(render(lambda: registry(reader_accounts=READERS)).policy(REPOSITORY_POLICY)).values()
    assert grant["Action"] == sorted(PULL_ACTIONS)
    assert grant["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in READERS]}


def test_no_resource_policies_without_readers(unshared):
    assert not unshared.of_type(GROUP_POLICY) and not unshared.of_type(REPOSITORY_POLICY)


def test_repository_is_immutable_scanned_and_encrypted(unshared):
    repository = unshared.one(REPOSITORY).inputs
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]
    assert repository["forceDelete"] is False


def test_registry_is_protected_by_default(render, unshared):
    assert all(r.protect and r.retain_on_delete for r in (unshared.one(GROUP), unshared.one(REPOSITORY)))
    assert not render(lambda: registry(protect=False)).one(GROUP).protect


def test_lifecycle_keeps_release_images_and_drops_untagged_layers(unshared):
    rules = json.loads(unshared.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} == {"untagged", "tagged"}
    release = next(r for r in rules if r["selection"]["tagStatus"] == "tagged")
    assert release["selection"]["tagPrefixList"] == ["v"] and release["selection"]["countNumber"] >= 100


def test_long_descriptions_are_cut_to_the_api_limit(render):
    # ModelPackageGroupDescription: at most 1024 characters.
    group = render(lambda: registry(description="x" * 2000)).one(GROUP).inputs
    assert len(group["modelPackageGroupDescription"]) == 1024
