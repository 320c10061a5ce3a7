"""PlatformKey: a rotating CMK whose policy names its users and limits other accounts to AWS services."""

from __future__ import annotations

import pytest
from rendering import ACCOUNT, READERS, REGION, ROLE_ARN, statements

from components.encryption import PlatformKey, PlatformKeyArgs

KEY = "aws:kms/key:Key"


def key(**overrides) -> PlatformKey:
    args = {"alias": "mlops-dev", "account_id": ACCOUNT, "region": REGION, "user_role_arns": (ROLE_ARN,), **overrides}
    return PlatformKey("mlops-dev", PlatformKeyArgs(**args))


@pytest.fixture(scope="module")
def default_key(render):
    return render(key)


def test_key_rotates_yearly_and_keeps_the_lockout_check(default_key):
    inputs = default_key.one(KEY).inputs
    assert inputs["enableKeyRotation"] is True
    assert inputs["rotationPeriodInDays"] == 365
    assert inputs["deletionWindowInDays"] == 30
    assert inputs["bypassPolicyLockoutSafetyCheck"] is False


def test_account_root_administers_and_named_roles_use_the_key(default_key):
    policy = statements(default_key.policy(KEY))
    assert policy["AccountAdministersKeyThroughIam"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    users = policy["PlatformRolesUseKey"]
    assert users["Principal"] == {"AWS": [ROLE_ARN]}
    assert "kms:*" not in users["Action"] and "kms:Decrypt" in users["Action"]


def test_without_user_roles_no_one_but_the_account_is_named(render):
    policy = statements(render(lambda: key(user_role_arns=())).policy(KEY))
    assert "PlatformRolesUseKey" not in policy
    assert policy["NoDirectUsers"]["Action"] == ["kms:DescribeKey"]


def test_service_principals_are_limited_to_this_account(default_key):
    policy = statements(default_key.policy(KEY))
    logs = policy["CloudWatchLogsEncryptLogGroups"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
    assert policy["AlertPublishersUseKey"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_reader_accounts_decrypt_only_through_ecr_s3_and_sagemaker(render, default_key):
    policy = statements(render(lambda: key(reader_accounts=READERS)).policy(KEY))
    readers = policy["EnvironmentsDecryptRegistryArtifacts"]
    assert readers["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in READERS]}
    assert readers["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert readers["Condition"] == {
        "StringLike": {"kms:ViaService": [f"{s}.{REGION}.amazonaws.com" for s in ("ecr", "s3", "sagemaker")]}
    }
    assert "EnvironmentsDecryptRegistryArtifacts" not in statements(default_key.policy(KEY))


def test_alias_points_at_the_key_and_prod_key_is_protected(render):
    out = render(lambda: key(protect=True))
    assert out.one("aws:kms/alias:Alias").inputs["name"] == "alias/mlops-dev"
    assert out.one(KEY).protect and out.one(KEY).retain_on_delete
