"""`mlops preflight STACK` against moto's server: an empty registry blocks and names every missing
version; once the versions the catalog pins are registered (and approved for prod), it passes."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import BUCKET
from typer.testing import CliRunner

from mlops.cli import app
from mlops.cli import preflight as preflight_cli
from mlops.devstacks.automation import PulumiCliUnavailableError, StackNotFoundError
from mlops.plan import plan_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def full_project(tmp_path: Path) -> Path:
    """A copy of the project's settings and catalog (stack files, models, migration)."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    return root


def preflight(project: Path, stack: str):
    result = CliRunner().invoke(app, ["preflight", stack, "--json", "--project-dir", str(project)])
    rows = json.loads(result.stdout) if result.stdout.strip().startswith("[") else []
    return result, {row["check"]: row for row in rows}


def test_empty_registry_blocks_prod_and_names_every_missing_version(full_project):
    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 1, result.output
    assert rows["churn: registry group mlops-churn"]["status"] == "blocked"
    assert rows["churn: registry group mlops-churn"]["next_step"] == "deploy dev first (pulumi up --stack dev)"


def test_dev_in_a_new_account_names_the_pins_that_cannot_exist_yet(full_project):
    result, rows = preflight(full_project, "dev")

    assert result.exit_code == 1
    missing = {check for check, row in rows.items() if row["status"] == "missing"}
    assert missing == {f"{m}: registry group mlops-{m}" for m in ("churn", "customer-ltv", "fraud", "support-triage")}
    assert "remove versions.dev" in rows["churn: registry group mlops-churn"]["next_step"]


def in_one_account(project: Path) -> Path:
    """Prod deployed into dev's account (moto's server is that one account)."""
    path = project / "stacks" / "Pulumi.prod.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('mlops:accountId: "777788889999"', 'mlops:accountId: "111122223333"'), encoding="utf-8")
    return project


def test_credentials_of_another_account_block_and_say_which(full_project):
    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 1
    row = rows["credentials: account of the stack"]
    assert row["status"] == "missing"
    assert row["detail"] == "the credentials are for account 111122223333; the stack deploys to 777788889999"
    assert list(rows)[0] == "credentials: account of the stack"


def test_registered_pinned_versions_pass_and_an_unapproved_prod_pin_blocks(full_project, pipeline):
    in_one_account(full_project)
    baseline = f"s3://{BUCKET}/models/churn/baselines/run-3/baseline.json"
    pipeline.s3.put_object(Bucket=BUCKET, Key="models/churn/baselines/run-3/baseline.json", Body=b"{}")
    pipeline.create_group("mlops-churn")
    for value in (0.80, 0.85):
        pipeline.register("mlops-churn", metric="auc", value=value)
    pinned = pipeline.register(
        "mlops-churn", metric="auc", value=0.91, status="Approved", metadata={"mlops:baseline-uri": baseline}
    )

    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 0, result.output
    assert rows["churn: version pinned in prod"]["status"] == "ok"
    assert rows["churn: drift baseline of the pinned version"] == {
        "check": "churn: drift baseline of the pinned version", "status": "ok", "detail": baseline, "next_step": "",
    }

    pipeline.sagemaker.update_model_package(ModelPackageArn=pinned, ModelApprovalStatus="Rejected")
    result, rows = preflight(full_project, "prod")
    assert result.exit_code == 1
    assert rows["churn: version pinned in prod"]["status"] == "missing"
    assert "prod runs only Approved versions" in rows["churn: version pinned in prod"]["detail"]


def test_a_version_without_a_baseline_is_reported_not_silent(full_project, churn_versions):
    in_one_account(full_project)
    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 0
    assert rows["churn: drift baseline of the pinned version"]["status"] == "warning"
    assert "records no mlops:baseline-uri" in rows["churn: drift baseline of the pinned version"]["detail"]


class _Backend:
    """The Pulumi backend seam with deployed stacks' outputs (only what preflight reads)."""

    def __init__(self, stacks: dict[str, dict]) -> None:
        self.stacks = stacks

    def outputs(self, name: str) -> dict:
        if name not in self.stacks:
            raise StackNotFoundError(f"{name}: no such stack")
        return self.stacks[name]


@pytest.fixture(scope="module")
def dev_outputs() -> dict:
    """What the current code's dev stack exports (its offline plan's outputs)."""
    return dict(plan_stack(ROOT, "dev").outputs)


def _with_backend(monkeypatch, factory) -> None:
    monkeypatch.setattr(preflight_cli, "backend_factory", factory)


def test_a_referenced_stack_deployed_with_every_output_the_program_reads_passes(full_project, churn_versions, dev_outputs, monkeypatch):
    in_one_account(full_project)
    _with_backend(monkeypatch, lambda folder: _Backend({"dev": dev_outputs}))

    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 0, result.output
    assert rows["stack reference: dev outputs"]["status"] == "ok"


def test_a_referenced_stack_deployed_by_older_code_or_not_at_all_blocks_with_the_next_step(full_project, churn_versions, dev_outputs, monkeypatch):
    in_one_account(full_project)
    old = {key: value for key, value in dev_outputs.items() if key != "kmsKeyArn"}
    _with_backend(monkeypatch, lambda folder: _Backend({"dev": old}))

    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 1
    assert rows["stack reference: dev outputs"] == {
        "check": "stack reference: dev outputs", "status": "missing", "detail": "dev was deployed without kmsKeyArn",
        "next_step": "deploy dev with the current code first (pulumi up --stack dev)",
    }
    _with_backend(monkeypatch, lambda folder: _Backend({}))
    result, rows = preflight(full_project, "prod")
    assert result.exit_code == 1
    assert rows["stack reference: dev outputs"]["status"] == "blocked"


def test_without_the_pulumi_cli_the_outputs_are_a_warning_not_a_block(full_project, churn_versions, monkeypatch):
    in_one_account(full_project)

    def no_cli(folder):
        raise PulumiCliUnavailableError("the Pulumi CLI is not installed")

    _with_backend(monkeypatch, no_cli)
    result, rows = preflight(full_project, "prod")

    assert result.exit_code == 0, result.output
    assert rows["stack reference: dev outputs"]["status"] == "warning"
