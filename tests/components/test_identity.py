"""PlatformRoles and AccessPolicies: trust limited to the account and named people, least privilege."""

from __future__ import annotations

import json

import pytest
from rendering import ACCOUNT, READERS, REGION, statements

from components.identity import (
    PERSONAS,
    SERVICE_ROLES,
    STUDIO_ROLES,
    AccessPolicies,
    AccessPoliciesArgs,
    PlatformRoles,
    PlatformRolesArgs,
    account_roots,
)

ROLE = "aws:iam/role:Role"
PRINCIPALS = {
    "platform-admin": [f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"],
    "data-scientist": [f"arn:aws:iam::{ACCOUNT}:role/DataScience*", f"arn:aws:iam::{READERS[0]}:role/Shared"],
    "model-approver": [f"arn:aws:iam::{ACCOUNT}:role/Approver"],
}
#: Actions that accept no resource ARN, so "*" is their documented resource.
WILDCARD_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "sagemaker-mlflow:AccessUI", "sagemaker:ListApps", "sagemaker:ListSpaces",
    "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
    "sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModelPackageGroups", "sagemaker:ListModels",
    "sagemaker:ListMonitoringExecutions", "sagemaker:ListMonitoringSchedules", "sagemaker:ListPipelines",
    "sagemaker:ListProcessingJobs", "sagemaker:ListTrainingJobs", "sagemaker:Search",
}


def roles() -> PlatformRoles:
    return PlatformRoles(
        "mlops-dev",
        PlatformRolesArgs(name_prefix="mlops-dev", account_id=ACCOUNT, audience=("bob", "alice"), admins=("carol",), persona_principals=PRINCIPALS),
    )


def roles_and_policies(registry: bool = False) -> AccessPolicies:
    built = roles()
    bucket_arns = {b: f"arn:aws:s3:::mlops-dev-{b}" for b in ("raw", "curated", "artifacts", "capture", "monitoring")}
    return AccessPolicies(
        "mlops-dev",
        AccessPoliciesArgs(
            roles=built.roles, region=REGION, account_id=ACCOUNT, registry_account_id=READERS[1], resource_prefix="mlops-dev",
            registry_prefix="mlops", kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k", bucket_arns=bucket_arns, vpc_id="vpc-0abc",
            registry_artifacts_bucket="mlops-dev-artifacts" if registry else None,
            registry_kms_key_arn=f"arn:aws:kms:{REGION}:{READERS[1]}:key/r" if registry else None,
        ),
    )


def trust(out, role: str) -> dict:
    return statements(json.loads(out.one(ROLE, f"mlops-dev-{role}").inputs["assumeRolePolicy"]))


@pytest.fixture(scope="module")
def trusts(render):
    return render(roles)


@pytest.fixture(scope="module")
def access(render):
    return render(roles_and_policies)


def test_every_role_is_named_after_the_environment(trusts):
    assert sorted(r.inputs["name"] for r in trusts.of_type(ROLE)) == sorted(f"mlops-dev-{r}" for r in (*SERVICE_ROLES, *STUDIO_ROLES, *PERSONAS))


@pytest.mark.parametrize("role", [*SERVICE_ROLES, *STUDIO_ROLES])
def test_service_roles_trust_their_service_from_this_account_only(role, trusts):
    (only,) = trust(trusts, role).values()
    assert set(only["Principal"]) == {"Service"}
    assert only["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_personas_trust_named_principals_carrying_the_audience_tag(trusts):
    scientist = trust(trusts, "data-scientist")["NamedPrincipalsAssumePersona"]
    assert scientist["Action"] == ["sts:AssumeRole"]  # no sts:TagSession: callers cannot bring their own tags
    assert scientist["Principal"] == {"AWS": sorted(f"arn:aws:iam::{a}:root" for a in (ACCOUNT, READERS[0]))}
    assert scientist["Condition"]["ArnLike"] == {"aws:PrincipalArn": sorted(PRINCIPALS["data-scientist"])}
    assert scientist["Condition"]["StringEquals"] == {"aws:PrincipalTag/mlops-user": ["alice", "bob"]}
    admin = trust(trusts, "platform-admin")["NamedPrincipalsAssumePersona"]
    assert admin["Condition"]["StringEquals"] == {"aws:PrincipalTag/mlops-user": ["carol"]}


def test_account_roots_of_principals():
    assert account_roots([f"arn:aws:iam::{ACCOUNT}:role/a", f"arn:aws:iam::{ACCOUNT}:role/b", "arn:aws-cn:iam::999999999999:user/c"]) == [
        "arn:aws-cn:iam::999999999999:root",
        f"arn:aws:iam::{ACCOUNT}:root",
    ]


def policies(out) -> dict[str, list[dict]]:
    return {r.name.removeprefix("mlops-dev-"): json.loads(r.inputs["policy"])["Statement"] for r in out.of_type("aws:iam/rolePolicy:RolePolicy")}


def test_every_role_gets_an_inline_policy_without_wildcard_actions(access):
    by_role = policies(access)
    assert set(by_role) == {*SERVICE_ROLES, *STUDIO_ROLES, *PERSONAS}
    for role, found in by_role.items():
        for s in found:
            assert s["Effect"] == "Allow"
            assert not any(a == "*" or a.endswith(":*") for a in s["Action"]), (role, s["Sid"])
            if "*" in s["Resource"]:
                assert set(s["Action"]) <= WILDCARD_RESOURCE_ACTIONS, (role, s["Sid"])


def test_network_interfaces_only_in_the_platform_vpc(access):
    execution = {s["Sid"]: s for s in policies(access)["sagemaker-execution"]}
    assert execution["RunInPlatformVpc"]["Condition"] == {"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0abc"}}


def test_registry_is_read_in_the_registry_account_under_its_prefix(render, access):
    execution = {s["Sid"]: s for s in policies(access)["sagemaker-execution"]}
    assert execution["ReadModelRegistry"]["Resource"] == [
        f"arn:aws:sagemaker:{REGION}:{READERS[1]}:model-package-group/mlops-*",
        f"arn:aws:sagemaker:{REGION}:{READERS[1]}:model-package/mlops-*",
    ]
    assert "ReadRegistryArtifacts" not in execution
    with_registry = {s["Sid"]: s for s in policies(render(lambda: roles_and_policies(registry=True)))["sagemaker-execution"]}
    assert with_registry["ReadRegistryArtifacts"]["Resource"] == ["arn:aws:s3:::mlops-dev-artifacts/models/*"]
    assert with_registry["DecryptRegistryArtifacts"]["Resource"] == [f"arn:aws:kms:{REGION}:{READERS[1]}:key/r"]


def test_only_the_approver_approves_and_only_scientists_open_studio(access):
    by_role = policies(access)
    actions = {role: {a for s in found for a in s["Action"]} for role, found in by_role.items()}
    # Each persona's Studio role does inside Studio what the persona may do.
    assert sorted(r for r, a in actions.items() if "sagemaker:UpdateModelPackage" in a) == ["model-approver", "model-approver-studio"]
    assert [r for r, a in actions.items() if "sagemaker:CreatePresignedDomainUrl" in a] == ["data-scientist"]
    pass_role = next(s for s in by_role["pipeline"] if s["Sid"] == "PassExecutionRoleToSageMaker")
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
