"""The delivery commands as a person runs them, mounted on an app the way `mlops` mounts them."""

import json
import socket

import pytest
import typer
from typer.testing import CliRunner

from mlops.cli.delivery import register


@pytest.fixture
def mlops() -> typer.Typer:
    """An app with the delivery commands at the top level, as `mlops promote ...`."""
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def run(mlops, project):
    """Run `mlops <args> --project-dir <project copy>`."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(mlops, [*args, "--project-dir", str(project)])

    return invoke


def one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_promote_prints_the_gate_and_updates_the_catalog(run, catalog_dir, churn_versions):
    result = run("promote", "churn", "--to", "test", "--version", "4", "--by", "dana", "--reason", "AUC 0.92")

    assert result.exit_code == 0, result.output
    assert "Promoted version 4 of mlops-churn to test." in result.stdout
    assert "challenger version 4 has auc 0.92, champion version 3 has 0.91" in result.stdout
    assert f"test: {churn_versions[3]}" in (catalog_dir / "churn.yaml").read_text()


def test_promoting_the_pinned_version_says_nothing_changed(run, churn_versions):
    result = run("promote", "churn", "--to", "prod", "--version", "3", "--by", "dana", "--reason", "again")

    assert result.exit_code == 0
    assert "version 3 of mlops-churn is already pinned in prod: nothing changed." in result.stdout


def test_refused_gate_exits_1_with_both_numbers_on_one_line(run, catalog_dir, fraud_versions):
    before = (catalog_dir / "fraud.yaml").read_bytes()

    result = run("promote", "fraud", "--to", "test", "--version", "8", "--by", "dana", "--reason", "retrained")

    assert result.exit_code == 1
    line = one_error_line(result)
    assert "f1 0.785" in line and "has 0.78" in line and "margin 0.01" in line
    assert (catalog_dir / "fraud.yaml").read_bytes() == before
    accepted = run(
        "promote", "fraud", "--to", "test", "--version", "8", "--by", "dana", "--reason", "r", "--margin", "0"
    )
    assert accepted.exit_code == 0, accepted.output


def test_unknown_model_or_version_exits_2(run, churn_versions):
    unknown_model = run("promote", "churm", "--to", "test", "--by", "dana", "--reason", "r")
    unknown_version = run("approve", "churn", "--version", "9", "--by", "omar", "--reason", "r")

    assert (unknown_model.exit_code, unknown_version.exit_code) == (2, 2)
    assert "unknown model 'churm'" in one_error_line(unknown_model)
    assert "unknown version 9 of model package group mlops-churn" in one_error_line(unknown_version)


def test_bad_options_are_usage_errors(run):
    assert run("promote", "churn", "--to", "staging", "--by", "dana", "--reason", "r").exit_code == 2
    assert run("promote", "churn", "--to", "test", "--reason", "r").exit_code == 2


def test_approve_and_reject_change_the_registry_status(run, churn_versions, pipeline):
    approved = run("approve", "churn", "--version", "4", "--by", "omar", "--reason", "holdout ok")
    rejected = run("reject", "churn", "--version", "2", "--by", "omar", "--reason", "stale data")

    assert approved.exit_code == rejected.exit_code == 0
    assert "Approved version 4 of mlops-churn (was PendingManualApproval)." in approved.stdout
    assert pipeline.describe(churn_versions[3])["ModelApprovalStatus"] == "Approved"
    assert pipeline.describe(churn_versions[1])["ApprovalDescription"] == "omar: stale data"


def test_rollback_exits_1_when_there_is_nothing_to_go_back_to(run, churn_versions):
    result = run("rollback", "churn", "--env", "prod", "--by", "omar", "--reason", "alarm")

    assert result.exit_code == 1
    assert "cannot roll back churn in prod" in one_error_line(result)


def test_versions_lists_status_metric_and_pins(run, churn_versions):
    table = run("versions", "churn")
    listed = run("versions", "churn", "--json")

    assert table.exit_code == listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [(r["version"], r["status"], r["value"], r["pinned"]) for r in rows] == [
        (1, "PendingManualApproval", 0.80, []),
        (2, "PendingManualApproval", 0.85, []),
        (3, "Approved", 0.91, ["test", "prod"]),
        (4, "PendingManualApproval", 0.92, ["dev"]),
    ]
    assert "mlops-churn (maximize auc)" in table.stdout
    assert "Approved" in table.stdout and "test, prod" in table.stdout


def test_project_is_found_upwards_from_the_working_directory(mlops, project, churn_versions, monkeypatch):
    monkeypatch.chdir(project / "stacks" / "models")

    result = CliRunner().invoke(mlops, ["versions", "churn", "--json"])

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 4


def test_prefix_selects_the_model_package_group(run, pipeline):
    pipeline.register_all("acme-churn", "auc", [0.9])

    assert run("versions", "churn", "--prefix", "acme", "--json").exit_code == 0
    assert "model package group mlops-churn not found" in one_error_line(run("versions", "churn"))


def test_unreachable_registry_exits_1(run, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)

    result = run("versions", "churn")

    assert result.exit_code == 1
    assert f"cannot reach the model registry at {closed}" in one_error_line(result)
