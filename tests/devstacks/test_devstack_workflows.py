"""The GitHub workflows that preview, deploy and reap: triggers, job order, protection, permissions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def permissions(workflow: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    """The job's effective token permissions: its own block, else the workflow's."""
    return job.get("permissions", workflow.get("permissions", {}))


@pytest.fixture(scope="module")
def infra() -> dict[str, Any]:
    return load("infrastructure.yml")


@pytest.fixture(scope="module")
def reaper() -> dict[str, Any]:
    return load("dev-stack-reaper.yml")


def test_infrastructure_runs_on_pull_requests_and_pushes_to_main(infra):
    assert "pull_request" in infra["on"]
    assert infra["on"]["push"]["branches"] == ["main"]


def test_pull_requests_get_tests_plan_and_a_commented_preview_per_shared_stack(infra):
    jobs = infra["jobs"]
    assert any("uv run pytest" in step.get("run", "") for step in jobs["tests"]["steps"])
    assert jobs["plan"]["strategy"]["matrix"]["stack"] == ["dev", "test", "prod"]
    assert any("uv run mlops plan" in step.get("run", "") for step in jobs["plan"]["steps"])

    preview = jobs["preview"]
    assert "pull_request" in preview["if"]
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "test", "prod"]
    (pulumi,) = steps_using(preview, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["comment-on-pr"] is True
    assert permissions(infra, preview)["pull-requests"] == "write"


def test_main_deploys_dev_then_test_then_prod(infra):
    jobs = infra["jobs"]
    for job, stack in [("deploy-dev", "dev"), ("deploy-test", "test"), ("deploy-prod", "prod")]:
        (pulumi,) = steps_using(jobs[job], "pulumi/actions")
        assert (pulumi["with"]["command"], pulumi["with"]["stack-name"]) == ("up", stack)
    assert "push" in jobs["deploy-dev"]["if"] and "refs/heads/main" in jobs["deploy-dev"]["if"]
    assert set(jobs["deploy-dev"]["needs"]) == {"tests", "plan", "team-stacks", "plan-team"}
    # Each environment's team stacks deploy after it, and the next environment after both.
    for environment, previous in [("test", "dev"), ("prod", "test")]:
        assert set(jobs[f"deploy-{environment}"]["needs"]) == {f"deploy-{previous}", f"deploy-{previous}-teams"}
        assert f"needs.deploy-{previous}.result == 'success'" in jobs[f"deploy-{environment}"]["if"]
        assert f"needs.deploy-{previous}-teams.result != 'failure'" in jobs[f"deploy-{environment}"]["if"]
    for environment in ("dev", "test", "prod"):
        teams = jobs[f"deploy-{environment}-teams"]
        assert set(teams["needs"]) == {f"deploy-{environment}", "team-stacks"}
        (pulumi,) = steps_using(teams, "pulumi/actions")
        assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"


def test_prod_waits_for_approval_in_the_production_environment(infra):
    assert infra["jobs"]["deploy-prod"]["environment"] == "production"


@pytest.mark.parametrize(("job", "stack"), [("deploy-dev", "dev"), ("deploy-test", "test"), ("deploy-prod", "prod")])
def test_each_stack_deploys_one_at_a_time_with_short_lived_aws_credentials(infra, job, stack):
    deploy = infra["jobs"][job]
    assert deploy["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
    assert permissions(infra, deploy) == {"contents": "read", "id-token": "write"}
    (aws,) = steps_using(deploy, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in aws["with"]
    assert "aws-access-key-id" not in aws["with"]


def test_previews_of_one_stack_do_not_pile_up(infra):
    concurrency = infra["jobs"]["preview"]["concurrency"]
    assert "${{ matrix.stack }}" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_workflow_default_token_is_read_only(infra, reaper):
    assert infra["permissions"] == {"contents": "read"}
    assert set(reaper["permissions"]) == {"contents", "id-token"}
    assert reaper["permissions"]["contents"] == "read"


def test_reaper_runs_nightly_and_on_demand(reaper):
    (schedule,) = reaper["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month, weekday) == ("*", "*", "*")
    assert minute.isdigit() and hour.isdigit()
    assert "workflow_dispatch" in reaper["on"]


def test_reaper_installs_the_project_and_pulumi_then_reaps_with_oidc_credentials(reaper):
    (job,) = reaper["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]

    assert "uv sync --frozen" in runs
    assert uses.index("astral-sh/setup-uv") < uses.index("pulumi/actions") < uses.index(
        "aws-actions/configure-aws-credentials"
    )
    assert "uv run mlops dev reap" in runs[-1], "reaping is the last step, after credentials"
    assert permissions(reaper, job)["id-token"] == "write"
    assert reaper["concurrency"]["cancel-in-progress"] is False


PINS = WORKFLOWS.parent / "actions-pins.txt"


def pins() -> dict[str, tuple[str, str]]:
    """The project's list of allowed actions: action -> (version, commit)."""
    rows = [line.split() for line in PINS.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    return {action: (version, commit) for action, version, commit in rows}


@pytest.mark.parametrize("name", ["infrastructure.yml", "dev-stack-reaper.yml"])
def test_every_action_is_pinned_to_a_listed_commit_with_its_version_beside_it(name):
    allowed = pins()
    lines = [line.strip() for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()]
    uses = [line.removeprefix("- ").removeprefix("uses:").strip() for line in lines if line.removeprefix("- ").startswith("uses:")]
    assert uses
    for ref in uses:
        action, _, rest = ref.partition("@")
        commit, _, comment = rest.partition(" # ")
        assert action in allowed, f"{action} is not in {PINS.name}"
        assert (comment.strip(), commit) == allowed[action], ref


def test_the_pin_list_holds_full_versions_and_commits():
    for action, (version, commit) in pins().items():
        assert re.fullmatch(r"v\d+\.\d+\.\d+", version), action
        assert re.fullmatch(r"[0-9a-f]{40}", commit), action


def test_each_stack_previews_with_a_role_in_its_own_account(infra):
    preview = infra["jobs"]["preview"]
    roles = {entry["stack"]: entry["preview-role"] for entry in preview["strategy"]["matrix"]["include"]}
    assert roles == {"dev": "AWS_PREVIEW_ROLE_ARN_DEV", "test": "AWS_PREVIEW_ROLE_ARN_TEST", "prod": "AWS_PREVIEW_ROLE_ARN_PROD"}
    (aws,) = steps_using(preview, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ vars[matrix.preview-role] }}"


@pytest.mark.parametrize("job", ["tests", "plan"])
def test_pipeline_definitions_are_cached_between_runs(infra, job):
    steps = infra["jobs"][job]["steps"]
    (cache,) = steps_using(infra["jobs"][job], "actions/cache")
    assert cache["with"]["path"] == "~/.cache/mlops-platform"
    assert "hashFiles('pipelines/**', 'uv.lock')" in cache["with"]["key"]
    runs = [step.get("run", "") for step in steps]
    assert steps.index(cache) < next(i for i, run in enumerate(runs) if "uv run" in run)
