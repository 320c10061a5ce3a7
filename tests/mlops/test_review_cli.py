"""``mlops plan --diff``, ``mlops diff``, ``mlops cost``, ``mlops diagram`` on the example stacks."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops.cli import app
from mlops.plan.diagram import build, component_changes, to_dot, to_mermaid
from mlops.plan.diff import diff_plans


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _save(tmp_path: Path, name: str, plan: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_diff_of_saved_plans_as_markdown_names_the_new_model_and_the_cost(plans, tmp_path):
    base, head = _save(tmp_path, "base.json", plans("base", "dev")), _save(tmp_path, "head.json", plans("head", "dev"))

    result = _run("diff", str(base), str(head), "--format", "markdown")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("## Plan diff\n")
    assert "| model pricing | " in result.stdout
    assert "| model demand-forecast | 0 | 0 | 0 | " in result.stdout
    assert "monthly cost " in result.stdout.splitlines()[2]


def test_diff_json_matches_the_diff_engine(plans, tmp_path):
    base, head = _save(tmp_path, "base.json", plans("base", "prod")), _save(tmp_path, "head.json", plans("head", "prod"))

    result = _run("diff", str(base), str(head), "--format", "json")

    assert result.exit_code == 0, result.stderr
    [doc] = json.loads(result.stdout)
    assert doc == json.loads(json.dumps(diff_plans(plans("base", "prod"), plans("head", "prod")).to_json()))
    assert doc["summary"]["replace"] >= 1


def test_one_comment_for_every_stack_pair(plans, tmp_path):
    files = [str(_save(tmp_path, f"{variant}-{stack}.json", plans(variant, stack))) for stack in ("dev", "test", "prod") for variant in ("base", "head")]

    result = _run("diff", *files, "--format", "markdown")
    odd = _run("diff", *files[:3])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("## Plan diff") == 1
    assert [line.split("**")[1] for line in result.stdout.splitlines() if line.startswith("**") and ": " in line][:3] == ["dev", "test", "prod"]
    assert odd.exit_code == 2 and "pairs of BASE HEAD_PLAN" in odd.stderr


def test_diff_refuses_plans_of_two_stacks_and_non_plans(plans, tmp_path):
    dev, prod = _save(tmp_path, "dev.json", plans("base", "dev")), _save(tmp_path, "prod.json", plans("base", "prod"))
    junk = tmp_path / "junk.json"
    junk.write_text('{"stack": "dev"}', encoding="utf-8")

    mixed = _run("diff", str(dev), str(prod))
    missing = _run("diff", str(junk), str(dev))

    assert mixed.exit_code == 2 and "two plans of one stack" in mixed.stderr
    assert missing.exit_code == 2
    assert missing.stderr.count("missing") == 2  # environment and resources, both at once
    assert "Traceback" not in mixed.stderr + missing.stderr


def test_plan_diff_against_a_saved_plan(plans, head_project, tmp_path):
    base = _save(tmp_path, "base.json", plans("base", "test"))
    out = tmp_path / "head.json"

    result = _run("plan", "test", "--diff", str(base), "--format", "json", "--out", str(out), "--project-dir", str(head_project))

    assert result.exit_code == 0, result.stderr
    [doc] = json.loads(result.stdout)
    assert doc["stack"] == "test"
    updated = {c["name"]: c for c in doc["changes"] if c["action"] == "update"}
    assert any("threshold" in path for c in updated.values() for path in c["paths"])
    # --out still holds the head plan itself.
    assert json.loads(out.read_text(encoding="utf-8"))["resources"] == plans("head", "test")["resources"]


def test_plan_diff_refuses_tfplan_and_a_saved_plan_of_another_stack(plans, project_dir, tmp_path):
    base = _save(tmp_path, "base.json", plans("base", "prod"))

    tfplan = _run("plan", "dev", "--diff", str(base), "--format", "tfplan", "--project-dir", str(project_dir))

    assert tfplan.exit_code == 2
    assert "--format tfplan" in tfplan.stderr and tfplan.stdout == ""


def _git(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture
def repository(project_copy: Path) -> Path:
    """The example project as a git repository with one commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(project_copy, "init", "--quiet", "--initial-branch", "main")
    _git(project_copy, "add", ".")
    _git(project_copy, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "base")
    return project_copy


def test_plan_diff_against_a_git_ref_plans_its_tree_and_removes_the_worktree(repository):
    added = _run("model", "add", "pricing", "--owner", "revenue-science", "--project-dir", str(repository))
    assert added.exit_code == 0, added.output

    result = _run("plan", "dev", "--diff", "HEAD", "--format", "json", "--project-dir", str(repository))

    assert result.exit_code == 0, result.stderr
    [doc] = json.loads(result.stdout)
    assert doc["groups"]["pricing"]["create"] > 0
    assert set(doc["groups"]) <= {"foundation", "pricing"}
    assert doc["cost"]["deltaMonthlyUsd"] > 0
    assert _git(repository, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_plan_diff_against_a_broken_ref_or_no_ref_exits_2_and_leaves_no_worktree(repository):
    (repository / "stacks" / "models" / "churn.yaml").write_text("name: churn\nowner: [\n", encoding="utf-8")
    _git(repository, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-am", "broken")
    _git(repository, "checkout", "--quiet", "HEAD~1", "--", "stacks/models/churn.yaml")

    broken = _run("plan", "dev", "--diff", "HEAD", "--project-dir", str(repository))
    unknown = _run("plan", "dev", "--diff", "no-such-ref", "--project-dir", str(repository))

    assert broken.exit_code == 2
    assert "stacks/models/churn.yaml:3: owner" in broken.stderr and "Traceback" not in broken.stderr
    assert unknown.exit_code == 2 and "neither a plan file nor a git ref" in unknown.stderr
    assert _git(repository, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_cost_json_has_groups_that_add_up_and_the_budget(project_dir):
    result = _run("cost", "prod", "--json", "--project-dir", str(project_dir))

    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["stack"] == "prod" and doc["budgetUsd"] > 0
    assert round(sum(doc["groups"].values()), 2) == pytest.approx(doc["monthlyUsd"], abs=0.05)
    assert {"churn", "foundation"} <= set(doc["groups"])
    assert doc["overBudget"] == bool(doc["warnings"])


def test_plan_json_carries_the_cost_section(plans):
    cost = plans("base", "dev")["cost"]

    assert cost["currency"] == "USD" and cost["monthlyUsd"] > 0
    assert [line["group"] for line in cost["resources"]] == sorted(
        (line["group"] for line in cost["resources"]), key=lambda g: (g != "foundation", g)
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_diagram_has_every_model_and_the_flows_between_components(plans, stack):
    plan = plans("base", stack)

    text = to_mermaid(build(plan))

    assert text.splitlines()[1] == "flowchart LR"
    for model in plan["outputs"]["models"]:
        assert f'["model {model}"]' in text
    assert "-->|access logs|" in text
    if stack == "dev":  # training and the registries are in dev
        assert "-->|registers versions|" in text and "-->|data|" in text and "-->|pinned version|" in text
    else:
        assert "-->|captured requests|" in text and "-->|captured traffic|" in text
        assert "n_SecureBucket_mlops_prod_capture -->|data| n_MonitoringPipeline_mlops_prod_churn_monitoring_pipeline" in text
    assert to_mermaid(build(plan)) == text  # deterministic
    assert to_dot(build(plan)).startswith(f'digraph "{stack}" {{')


def test_diagram_of_a_diff_colours_the_components_it_touches(plans):
    head = plans("head", "dev")
    changes = [c.to_json() for c in diff_plans(plans("base", "dev"), head).changes]

    text = to_mermaid(build(head), component_changes(head, changes))

    assert "classDef create" in text
    created = next(line for line in text.splitlines() if line.strip().startswith("class ") and line.endswith(" create"))
    assert "pricing" in created


def test_diagram_svg_without_graphviz_is_a_clear_usage_error(project_dir, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)

    result = _run("diagram", "dev", "--format", "svg", "--project-dir", str(project_dir))

    assert result.exit_code == 2
    assert "graphviz" in result.stderr and result.stdout == ""
