"""PersonalWorkspace: a data scientist's role limited to their own prefix and resources, and a profile."""

from __future__ import annotations

import pytest
from rendering import ACCOUNT, KEY_ARN, REGION, SECURITY_GROUPS, statements

from components.personal import PersonalWorkspace, PersonalWorkspaceArgs

PRINCIPALS = [f"arn:aws:iam::{ACCOUNT}:role/DataScience*"]


def workspace() -> PersonalWorkspace:
    return PersonalWorkspace(
        "mlops-dev-alice-exp1",
        PersonalWorkspaceArgs(
            owner="alice", principals=PRINCIPALS, role_name="mlops-dev-alice-exp1", profile_name="alice-exp1",
            resource_prefix="mlops-dev-alice-exp1", data_prefix="users/alice-exp1/", account_id=ACCOUNT, region=REGION,
            kms_key_arn=KEY_ARN, bucket_names={b: f"mlops-dev-{b}" for b in ("raw", "curated", "artifacts")},
            domain_id="d-abc123", security_group_ids=list(SECURITY_GROUPS),
        ),
    )


@pytest.fixture(scope="module")
def out(render):
    return render(workspace)


def test_only_the_owner_through_a_scientist_principal_assumes_the_role(out):
    trust = statements(out.policy("aws:iam/role:Role", "assumeRolePolicy"))
    owner = trust["OwnerAssumesRole"]
    assert owner["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}
    assert owner["Condition"] == {"ArnLike": {"aws:PrincipalArn": PRINCIPALS}, "StringEquals": {"aws:PrincipalTag/mlops-user": "alice"}}
    assert trust["StudioRunsAsOwner"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_data_access_is_limited_to_the_owners_prefix(out):
    access = statements(out.policy("aws:iam/rolePolicy:RolePolicy"))
    assert access["OwnPrefixReadWrite"]["Resource"] == [f"arn:aws:s3:::mlops-dev-{b}/users/alice-exp1/*" for b in ("artifacts", "curated", "raw")]
    assert access["ListOwnPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["users/alice-exp1/*"]}}


def test_sagemaker_access_is_limited_to_the_owners_resources_and_profile(out):
    access = statements(out.policy("aws:iam/rolePolicy:RolePolicy"))
    assert access["InvokeOwnEndpoints"]["Resource"] == [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/mlops-dev-alice-exp1-*"]
    assert access["OpenOwnStudio"]["Resource"] == [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/d-abc123/alice-exp1"]
    actions = {a for s in access.values() for a in s["Action"]}
    assert not any(a.endswith(":*") for a in actions)


def test_profile_in_the_shared_domain_runs_as_the_owners_role(out):
    profile = out.one("aws:sagemaker/userProfile:UserProfile").inputs
    assert profile["domainId"] == "d-abc123" and profile["userProfileName"] == "alice-exp1"
    assert profile["userSettings"]["executionRole"] == f"arn:aws:iam::{ACCOUNT}:role/mlops-dev-alice-exp1"
