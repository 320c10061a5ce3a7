"""Team stacks (``mlops:layout: team-stacks``): the environment stack keeps the foundation, each
team's models move to ``<environment>.<team>`` under the same names, and a model change stays in
its team's stack."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import pytest
from catalog_plans import DASHBOARD, MODEL_COMPONENT, PIPELINE, STACK_REFERENCE, edit_model, edit_yaml, run_cli

from components.dashboard import page_models
from infra.config.limits import DASHBOARD_MAX_METRICS, DASHBOARD_MAX_WIDGETS

TEAMS = {
    "churn": "growth-analytics",
    "customer-ltv": "growth-analytics",
    "demand-forecast": "supply-chain-science",
    "fraud": "payments-risk",
    "lead-scoring": "sales-analytics",
    "support-triage": "customer-care-analytics",
}
#: Which teams have a model in each environment once the scale-out is moving.
TEAM_STACKS = {
    "dev": sorted(set(TEAMS.values())),
    "test": ["growth-analytics", "payments-risk", "supply-chain-science"],
    "prod": ["growth-analytics", "payments-risk"],
}


def _moved(plan) -> Counter:
    """URNs without their stack, of what a state move carries: everything but providers, stack
    references and dashboards (which each layout draws its own way)."""
    skip = ("pulumi:providers:", STACK_REFERENCE, DASHBOARD, "mlops:observability:PlatformDashboard")
    return Counter(
        re.sub(r"^urn:pulumi:[^:]+::", "urn:pulumi:*::", r["urn"])
        for r in plan.resources
        if not r["type"].startswith(skip)
    )


@pytest.mark.parametrize("environment", ["dev", "test", "prod"])
def test_the_environment_stack_keeps_the_foundation_and_no_model(plan_of, environment):
    plan = plan_of(environment, "team-stacks")

    assert plan.of_type(MODEL_COMPONENT) == []
    assert "models" not in plan.outputs
    assert plan.outputs["registryArtifactsBucket"] == plan_of("dev", "team-stacks").outputs["buckets"]["artifacts"]
    body = plan.one(DASHBOARD)["inputs"]["dashboardBody"]
    assert not [model for model in TEAMS if model in body]
    assert f"PipelineName=mlops-{environment}-" in body


@pytest.mark.parametrize("environment", ["dev", "test", "prod"])
def test_every_model_moves_to_its_team_stack_under_the_same_urn_and_inputs(plan_of, environment):
    single = plan_of(environment, "scale-out-open")
    stacks = [plan_of(f"{environment}.{team}", "team-stacks") for team in TEAM_STACKS[environment]]
    split = _moved(plan_of(environment, "team-stacks"))
    for stack in stacks:
        split += _moved(stack)
        team = stack.settings.env.team
        assert {c["name"] for c in stack.of_type(MODEL_COMPONENT)} == {
            f"mlops-{environment}-{model}" for model in TEAMS if TEAMS[model] == team and single.model_component(model)
        }
        assert [r["name"] for r in stack.of_type(STACK_REFERENCE)] == [f"organization/mlops/{environment}"]

    # Same URNs (but the stack) and the same inputs: `pulumi state move` replaces nothing.
    assert split == _moved(single)
    inputs = {r["urn"].split("::", 1)[1]: r["inputs"] for r in single.resources}
    for stack in stacks:
        for resource in stack.resources:
            key = resource["urn"].split("::", 1)[1]
            if key in inputs and not resource["type"].startswith(("pulumi:providers:", DASHBOARD)):
                assert resource["inputs"] == inputs[key], key


def test_dev_team_stacks_keep_registry_ownership_schedules_and_drift_triggers(plan_of):
    fraud = plan_of("dev.payments-risk", "team-stacks")

    assert [r["inputs"]["modelPackageGroupName"] for r in fraud.of_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup")] == ["mlops-fraud"]
    assert [r["name"] for r in fraud.of_type(PIPELINE)] == ["mlops-dev-fraud-training-pipeline"]
    rules = {r["name"]: r["inputs"] for r in fraud.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert any("scheduleExpression" in inputs for inputs in rules.values())
    assert any("mlops-prod-fraud-drift" in inputs.get("eventPattern", "") for inputs in rules.values())


def test_a_team_stack_charts_its_own_pipelines_on_its_dashboard(plan_of):
    fraud = plan_of("dev.payments-risk", "team-stacks")

    dashboard = fraud.one(DASHBOARD)
    assert dashboard["inputs"]["dashboardName"] == "mlops-dev-payments-risk-overview"
    assert "mlops-dev-fraud-training" in dashboard["inputs"]["dashboardBody"]
    assert "churn" not in dashboard["inputs"]["dashboardBody"]


def test_adding_a_model_changes_only_its_team_stack(plan_of):
    before = {stack: plan_of(stack, "team-stacks") for stack in ("dev", "dev.payments-risk", "dev.growth-analytics")}
    after = {stack: plan_of(stack, "team-stacks-model-added") for stack in before}

    assert after["dev"].result.dumps() == before["dev"].result.dumps()
    assert after["dev.growth-analytics"].result.dumps() == before["dev.growth-analytics"].result.dumps()
    assert "mlops-dev-pricing" in {c["name"] for c in after["dev.payments-risk"].of_type(MODEL_COMPONENT)}
    assert after["dev.payments-risk"].result.dumps() != before["dev.payments-risk"].result.dumps()


def test_team_dashboards_page_models_within_cloudwatch_quotas():
    # 700 models with a pipeline and four two-metric widgets each: more than one dashboard holds.
    models = [(f"p{i:03d}", [{"type": "metric", "properties": {"metrics": [["A", "m", "n", str(i)]] * 2}}] * 4) for i in range(700)]

    pages = page_models(models)

    assert len(pages) > 1
    assert [p for page in pages for p in page.pipeline_names] == [name for name, _ in models]
    for page in pages:
        charts = -(-len(page.pipeline_names) // 250)
        assert 1 + charts + len(page.widgets) <= DASHBOARD_MAX_WIDGETS
        assert 2 * len(page.pipeline_names) + sum(len(w["properties"]["metrics"]) for w in page.widgets) <= DASHBOARD_MAX_METRICS


def test_plan_teams_prints_one_row_per_team_stack(variants, plan_of):
    result = run_cli("plan", "prod", "--teams", "--json", "--project-dir", str(variants.folder("team-stacks")))

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["stacks"]
    assert [row["stack"] for row in rows] == ["prod", *(f"prod.{team}" for team in TEAM_STACKS["prod"])]
    for row in rows:
        plan = plan_of(row["stack"], "team-stacks")
        assert row["resources"] == sum(1 for r in plan.resources if not r["type"].startswith("mlops:"))
        assert (row["deployErrors"], row["mandatoryViolations"], row["blocking"]) == (0, 0, False)


def test_plan_team_and_teams_misuse_is_reported_line_by_line(project_dir):
    result = run_cli("plan", "dev-alice", "--team", "Bad Team", "--teams", "--out", "x.json", "--project-dir", str(project_dir))

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["stack", "--team", "--team", "--teams"]
    assert "Traceback" not in result.output


def test_a_team_stack_needs_the_team_stacks_layout_and_a_known_team(project_dir, variants):
    single = run_cli("plan", "dev", "--team", "payments-risk", "--project-dir", str(project_dir))
    unknown = run_cli("plan", "dev", "--team", "nobody", "--project-dir", str(variants.folder("team-stacks")))
    teams_of_single = run_cli("plan", "dev", "--teams", "--project-dir", str(project_dir))

    assert single.exit_code == 2
    assert "stacks/Pulumi.dev.yaml: mlops:layout: team stack dev.payments-risk needs the team-stacks layout" in single.stderr
    assert unknown.exit_code == 2
    assert "no catalog model is owned by team 'nobody'" in unknown.stderr and "dev.payments-risk" in unknown.stderr
    assert teams_of_single.exit_code == 2
    assert "mlops:layout" in teams_of_single.stderr


def test_migration_status_names_each_models_stack(variants):
    result = run_cli("migration", "status", "--json", "--project-dir", str(variants.folder("team-stacks")))

    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    fraud = next(m for m in status["models"] if m["name"] == "fraud")
    assert fraud["stacks"] == {"dev": "dev.payments-risk", "test": "test.payments-risk", "prod": "prod.payments-risk"}
    assert status["stacks"]["prod"] == ["prod", *(f"prod.{team}" for team in TEAM_STACKS["prod"])]


def test_a_broken_migration_gate_stops_every_team_stack(project_copy):
    edit_yaml(project_copy / "stacks" / "Pulumi.dev.yaml", lambda data: data["config"].__setitem__("mlops:layout", "team-stacks"))
    edit_model(project_copy, "demand-forecast", lambda data: data.__setitem__("phase", "test-release"))

    # The gate is the catalog's: another team's stack is stopped as well as the model's own.
    for team in ("supply-chain-science", "growth-analytics"):
        result = run_cli("plan", "dev", "--team", team, "--project-dir", str(project_copy))
        assert result.exit_code == 2
        assert result.stderr.startswith("stacks/models/demand-forecast.yaml: phase: scale-out models stay in development")


def test_the_team_comes_from_the_stack_name_never_from_a_file(project_copy):
    edit_yaml(project_copy / "stacks" / "Pulumi.dev.yaml", lambda data: data["config"].__setitem__("mlops:team", "payments-risk"))

    result = run_cli("plan", "dev", "--project-dir", str(project_copy))

    assert result.exit_code == 2
    assert result.stderr.strip() == "stacks/Pulumi.dev.yaml: mlops:team: is set from the stack name, never in a file (allowed: remove it; plan <environment>.<team>)"


def test_mlops_check_plans_every_team_stack_and_proves_the_cross_account_reads_of_their_models(variants):
    result = run_cli("check", "--json", "--project-dir", str(variants.folder("team-stacks")))

    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    stacks = [row["stack"] for row in doc["stacks"]]
    assert stacks[:1] == ["dev"] and {f"test.{t}" for t in TEAM_STACKS["test"]} <= set(stacks)
    assert {f"{e}.{t}" for e, teams in TEAM_STACKS.items() for t in teams} | {"dev", "test", "prod"} == set(stacks)
    assert all(row["deploy_errors"] == row["mandatory_violations"] == 0 for row in doc["stacks"])
    assert doc["crossStack"] == []


def test_mlops_check_fails_when_dev_stops_granting_prod_whose_models_live_in_team_stacks(variants, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(variants.folder("team-stacks"), project)
    edit_yaml(project / "stacks" / "Pulumi.dev.yaml", lambda data: data["config"]["mlops:registry"]["readerAccounts"].remove("777788889999"))

    result = run_cli("check", "--json", "--project-dir", str(project))

    assert result.exit_code == 1
    findings = json.loads(result.stdout)["crossStack"]
    assert findings and all("dev does not grant prod (777788889999)" in f["message"] for f in findings)
