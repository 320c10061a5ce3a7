"""Per-model approvers: `governance.approvers` in the catalog decides who may approve, reject and
promote, judged by the caller's identity from STS (moto's), never by the free-text `--by`; and
the command line is checked before the project, the project before AWS."""

import boto3
import pytest
import typer
from ruamel.yaml import YAML
from typer.testing import CliRunner

from infra.config.catalog import ModelSpec
from infra.config.errors import ConfigError
from infra.config.validation import validate
from mlops.cli.delivery import register
from mlops.delivery.approvers import is_approver, principal_of

ACCOUNT = "111122223333"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
APPROVERS = [
    f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_MlopsModelApprover_*",
    f"arn:aws:iam::{ACCOUNT}:user/omar.approver",
]


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_MlopsModelApprover_0a1b2c/omar@example.com", True),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_MlopsDataScientist_0a1b2c/dana@example.com", False),
        ("arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_MlopsModelApprover_0a1b2c/omar", False),
        (f"arn:aws:iam::{ACCOUNT}:user/omar.approver", True),
        (f"arn:aws:iam::{ACCOUNT}:user/omar.approver2", False),
        (f"arn:aws:iam::{ACCOUNT}:root", False),
        (f"arn:aws:sts::{ACCOUNT}:federated-user/omar.approver", False),
    ],
)
def test_callers_match_approvers_by_role_name_or_user_arn(caller, expected):
    assert is_approver(caller, tuple(APPROVERS)) is expected


def test_an_assumed_role_session_maps_back_to_its_role():
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/ModelApprover/omar"
    assert principal_of(session) == f"arn:aws:iam::{ACCOUNT}:role/ModelApprover"
    assert principal_of(f"arn:aws:iam::{ACCOUNT}:user/omar") == f"arn:aws:iam::{ACCOUNT}:user/omar"


def test_the_catalog_refuses_approvers_that_are_not_named_principals(catalog_dir):
    data = YAML(typ="safe").load((catalog_dir / "churn.yaml").read_text())
    data["governance"]["approvers"] = [f"arn:aws:iam::{ACCOUNT}:root", APPROVERS[1]]

    with pytest.raises(ConfigError) as caught:
        validate(ModelSpec, data, "stacks/models/churn.yaml")

    assert caught.value.lines() == [
        f"stacks/models/churn.yaml: governance.approvers: 'arn:aws:iam::{ACCOUNT}:root' is not an IAM "
        "role or user ARN (a whole account or * is not a named principal) (allowed: IAM role/user ARNs "
        "(may end in *, e.g. an SSO permission-set role) allowed to approve and promote)"
    ]


@pytest.fixture
def run(project, catalog_dir, monkeypatch):
    """`mlops <args> --project-dir <project copy>` with churn's approvers set, as `role_name`
    (a role in moto's IAM, assumed through moto's STS), or with the environment's credentials."""
    path = catalog_dir / "churn.yaml"
    path.write_text(
        path.read_text().replace(
            "  riskRating: medium\n",
            "  riskRating: medium\n  approvers:\n" + "".join(f"    - {arn}\n" for arn in APPROVERS),
        )
    )
    app = typer.Typer()
    register(app)

    def invoke(*args: str, role_name: str | None = None):
        if role_name:
            iam, sts = boto3.client("iam"), boto3.client("sts")
            role = iam.create_role(RoleName=role_name, Path=SSO_PATH, AssumeRolePolicyDocument="{}")
            credentials = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="someone@example.com")[
                "Credentials"
            ]
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
            monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
        return CliRunner().invoke(app, [*args, "--project-dir", str(project)])

    return invoke


def test_an_approver_role_approves_and_the_registry_records_who(run, pipeline, churn_versions):
    result = run("approve", "churn", "--version", "4", "--by", "omar", "--reason", "AUC 0.92",
                 role_name="AWSReservedSSO_MlopsModelApprover_0a1b2c")

    assert result.exit_code == 0, result.output
    described = pipeline.describe(churn_versions[3])
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"]["approval.principal"] == (
        f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_MlopsModelApprover_0a1b2c"
    )


def test_an_approver_promotes_and_the_registry_records_who(run, pipeline, catalog_dir, churn_versions):
    result = run("promote", "churn", "--to", "test", "--version", "4", "--by", "omar", "--reason", "AUC 0.92",
                 role_name="AWSReservedSSO_MlopsModelApprover_0a1b2c")

    assert result.exit_code == 0, result.output
    metadata = pipeline.describe(churn_versions[3])["CustomerMetadataProperties"]
    assert metadata["promoted.test.principal"] == f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_MlopsModelApprover_0a1b2c"


@pytest.mark.parametrize(
    "args",
    [
        ("approve", "churn", "--version", "4"),
        ("reject", "churn", "--version", "4"),
        ("promote", "churn", "--to", "test", "--version", "4"),
        # the permission is checked before the registry: an unknown version is not looked up
        ("promote", "churn", "--to", "test", "--version", "99"),
    ],
)
def test_a_non_approver_is_refused_with_one_line_naming_the_model(run, pipeline, catalog_dir, churn_versions, args):
    before = (catalog_dir / "churn.yaml").read_bytes()

    result = run(*args, "--by", "omar.approver", "--reason", "looks fine",
                 role_name="AWSReservedSSO_MlopsDataScientist_0a1b2c")

    assert result.exit_code == 1
    verb = {"approve": "approve versions of", "reject": "reject versions of", "promote": "promote to test"}[args[0]]
    assert result.stderr.splitlines() == [
        f"error: arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_MlopsDataScientist_0a1b2c may not {verb} model "
        f"churn: it is not one of its governance.approvers ({', '.join(APPROVERS)})"
    ]
    assert (catalog_dir / "churn.yaml").read_bytes() == before
    described = pipeline.describe(churn_versions[3])
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert "CustomerMetadataProperties" not in described


def test_bad_input_is_reported_before_missing_aws_settings(run, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_ENDPOINT_URL")

    promote = run("promote", "churn", "--to", "test", "--by", " ", "--reason", "x")
    margin = run("promote", "churn", "--to", "test", "--by", "omar", "--reason", "x", "--margin", "-1")
    approve = run("approve", "churn", "--version", "4", "--by", "omar", "--reason", "x" * 1100)

    assert (promote.exit_code, margin.exit_code, approve.exit_code) == (2, 2, 2)
    assert promote.stderr.startswith("error: --by is empty")
    assert margin.stderr.startswith("error: --margin is -1; it must be >= 0")
    assert approve.stderr.startswith("error: '--by' plus '--reason' is 1106 characters")
