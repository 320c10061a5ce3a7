"""StudioWorkspace: a VPC-only, IAM-authenticated, CMK-encrypted domain with a profile per user."""

from __future__ import annotations

import pytest
from rendering import KEY_ARN, ROLE_ARN, SECURITY_GROUPS, SUBNETS

from components.studio import StudioWorkspace, StudioWorkspaceArgs

DOMAIN = "aws:sagemaker/domain:Domain"
MLFLOW = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"


def workspace(**overrides) -> StudioWorkspace:
    args = {
        "domain_name": "mlops-dev", "vpc_id": "vpc-0abc", "subnet_ids": SUBNETS, "security_group_ids": SECURITY_GROUPS,
        "kms_key_arn": KEY_ARN, "execution_role_arn": ROLE_ARN, "users": ("bob", "alice"), "idle_timeout_minutes": 120,
        "tracking_server_name": "mlops-dev", "tracking_artifact_uri": "s3://mlops-dev-artifacts/mlflow/",
        "tracking_role_arn": ROLE_ARN, "tracking_size": "Small", "retain_home": False, "protect": False, **overrides,
    }
    return StudioWorkspace("mlops-dev-studio", StudioWorkspaceArgs(**args))


@pytest.fixture(scope="module")
def studio(render):
    return render(workspace)


def test_domain_is_vpc_only_iam_authenticated_and_encrypted(studio):
    domain = studio.one(DOMAIN).inputs
    assert domain["authMode"] == "IAM"
    assert domain["appNetworkAccessType"] == "VpcOnly"
    assert domain["kmsKeyId"] == KEY_ARN
    assert domain["subnetIds"] == list(SUBNETS) and domain["vpcId"] == "vpc-0abc"
    assert domain["defaultUserSettings"]["securityGroups"] == list(SECURITY_GROUPS)


def test_idle_jupyterlab_apps_shut_down(studio):
    idle = studio.one(DOMAIN).inputs["defaultUserSettings"]["jupyterLabAppSettings"]["appLifecycleManagement"]["idleSettings"]
    assert idle["lifecycleManagement"] == "ENABLED"
    assert idle["idleTimeoutInMinutes"] == 120
    assert idle["minIdleTimeoutInMinutes"] <= idle["idleTimeoutInMinutes"] <= idle["maxIdleTimeoutInMinutes"]


def test_one_profile_per_user_in_the_security_groups(studio):
    profiles = studio.of_type("aws:sagemaker/userProfile:UserProfile")
    assert sorted(p.inputs["userProfileName"] for p in profiles) == ["alice", "bob"]
    assert all(p.inputs["userSettings"] == {"executionRole": ROLE_ARN, "securityGroups": list(SECURITY_GROUPS)} for p in profiles)


def test_prod_protects_domain_home_and_tracking_server(render, studio):
    out = render(lambda: workspace(protect=True, retain_home=True))
    domain, tracking = out.one(DOMAIN), out.one(MLFLOW)
    assert domain.inputs["retentionPolicy"] == {"homeEfsFileSystem": "Retain"}
    assert domain.protect and domain.retain_on_delete and tracking.protect and tracking.retain_on_delete
    dev = studio
    assert dev.one(DOMAIN).inputs["retentionPolicy"] == {"homeEfsFileSystem": "Delete"} and not dev.one(MLFLOW).protect


def test_tracking_server_stores_artifacts_in_the_platform_bucket(studio):
    tracking = studio.one(MLFLOW).inputs
    assert tracking["artifactStoreUri"] == "s3://mlops-dev-artifacts/mlflow/"
    assert tracking["roleArn"] == ROLE_ARN and tracking["trackingServerSize"] == "Small"
