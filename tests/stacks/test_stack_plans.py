"""``mlops plan`` on the example stacks: it plans, keeps the JSON contract, and is deterministic."""

from __future__ import annotations

import json
import os
import re

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from infra.config.rules import SHARED_STACKS as STACKS
from mlops.cli import app

CONTRACT_KEYS = {"stack", "environment", "resources", "outputs", "policy", "deploy", "cost"}
COST_KEYS = {
    "currency", "region", "monthlyUsd", "groups", "budgetUsd", "overBudget", "warnings",
    "pricesAsOf", "estimatedPrices", "assumptions", "modelAssumptions", "resources",
}
COST_LINE_KEYS = {"urn", "type", "name", "group", "monthlyUsd", "basis"}
RESOURCE_KEYS = {"urn", "type", "name", "parent", "inputs", "options"}
OPTION_KEYS = {"protect", "retain_on_delete", "depends_on"}
VIOLATION_KEYS = {"rule", "severity", "resource", "message"}


def _run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("stack", STACKS)
def test_every_example_stack_plans_without_mandatory_violations(plan_of, stack):
    plan = plan_of(stack)

    assert plan.doc["stack"] == stack
    assert plan.doc["environment"] == stack
    assert any(r["type"] == "aws:s3/bucket:Bucket" for r in plan.doc["resources"])
    blocking = [v for v in plan.result.violations if v.enforcement == "mandatory"]
    assert blocking == []


def test_plan_prod_json_keeps_the_contract_and_out_writes_the_same_bytes(plan_of, project_dir, tmp_path):
    out = tmp_path / "prod-plan.json"

    result = _run_cli("plan", "prod", "--json", "--out", str(out), "--project-dir", str(project_dir))

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert set(doc) == CONTRACT_KEYS
    assert set(doc["cost"]) == COST_KEYS
    assert doc["cost"]["currency"] == "USD" and doc["cost"]["monthlyUsd"] > 0
    for line in doc["cost"]["resources"]:
        assert set(line) == COST_LINE_KEYS
        assert line["urn"] in {r["urn"] for r in doc["resources"]}
    assert (doc["stack"], doc["environment"]) == ("prod", "prod")
    assert isinstance(doc["outputs"], dict) and doc["outputs"]
    assert set(doc["policy"]) == {"violations"} and isinstance(doc["policy"]["violations"], list)
    for violation in doc["policy"]["violations"]:
        assert VIOLATION_KEYS <= set(violation)
    urns = [r["urn"] for r in doc["resources"]]
    assert urns == sorted(urns) and len(set(urns)) == len(urns)
    for resource in doc["resources"]:
        assert set(resource) == RESOURCE_KEYS, resource["urn"]
        assert set(resource["options"]) == OPTION_KEYS, resource["urn"]
        assert resource["urn"].endswith(f"{resource['type']}::{resource['name']}")
        assert isinstance(resource["inputs"], dict)
        assert isinstance(resource["options"]["protect"], bool)
        assert isinstance(resource["options"]["retain_on_delete"], bool)
        assert isinstance(resource["options"]["depends_on"], list)
    assert out.read_bytes() == result.stdout_bytes
    # A second plan of the same stack in the same process gives the same bytes.
    assert result.stdout == plan_of("prod").result.dumps()


@pytest.mark.parametrize(
    "stack",
    ["dev", "test", "prod"],
)
def test_plan_json_refers_only_to_planned_resources(plan_of, stack):
    resources = plan_of(stack).doc["resources"]
    urns = {r["urn"] for r in resources}

    dangling = [(r["name"], ref) for r in resources for ref in [r["parent"], *r["options"]["depends_on"]] if ref is not None and ref not in urns]

    assert dangling == []


def test_plan_without_json_shows_a_resource_tree_and_counts_by_type(plan_of, project_dir):
    plan = plan_of("dev")

    result = _run_cli("plan", "dev", "--project-dir", str(project_dir))

    assert result.exit_code == plan.exit_code, result.stderr
    text = result.stdout
    assert text.lstrip().startswith("dev (dev)")
    assert "├── " in text and "└── " in text
    for resource in plan.doc["resources"]:
        assert re.search(rf"(?<![\w-]){re.escape(resource['name'])}(?![\w-])", text), resource["name"]
    assert "Resources by type" in text
    buckets = len(plan.of_type("aws:s3/bucket:Bucket"))
    assert re.search(rf"aws:s3/bucket:Bucket\s+│\s+{buckets}\s*$", text, re.MULTILINE)
    assert not text.lstrip().startswith("{")


def test_plan_bytes_do_not_depend_on_the_hash_seed(plan_of, fresh_interpreter_plans):
    code, printed, stderr = fresh_interpreter_plans.wait(timeout=300)

    assert code == 0, stderr
    assert os.environ.get("PYTHONHASHSEED", "random") != fresh_interpreter_plans.hash_seed
    assert printed.decode() == "".join(plan_of(stack).result.dumps() for stack in fresh_interpreter_plans.stacks)


def test_plan_reads_the_project_around_the_working_directory(plan_of, project_copy, monkeypatch):
    yaml = YAML(typ="safe", pure=True)
    settings = project_copy / "stacks" / "Pulumi.dev.yaml"
    data = yaml.load(settings.read_text())
    assert data["config"]["mlops:budget"]["monthlyLimitUsd"] != 4321
    data["config"]["mlops:budget"]["monthlyLimitUsd"] = 4321
    with settings.open("w") as handle:
        yaml.dump(data, handle)
    inside = project_copy / "notebooks" / "scratch"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)

    result = _run_cli("plan", "dev", "--json")

    assert result.exit_code == plan_of("dev").exit_code, result.stderr
    budgets = [r for r in json.loads(result.stdout)["resources"] if r["type"] == "aws:budgets/budget:Budget"]
    assert [b["inputs"]["limitAmount"] for b in budgets] == ["4321.00"]
