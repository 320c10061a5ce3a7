"""Onboarding a model: ``mlops model add`` writes one valid catalog file, or nothing at all.

The added model (scale-out wave, development phase) appears in the next dev plan with its
component, registry and training pipeline, and nowhere in test or prod.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_plans import ECR_REPOSITORY, ENDPOINT, PACKAGE_GROUP, PIPELINE, run_cli, snapshot

from infra.config.loader import load_models

PRICING = "stacks/models/pricing.yaml"


def test_model_add_writes_one_valid_catalog_file(variants):
    project = variants.folder("pricing")  # `mlops model add pricing --owner revenue-science` ran here
    added = variants.model_add

    assert added.exit_code == 0, added.stderr
    assert "stacks/models/pricing.yaml" in added.stdout
    assert set(added.after) - set(added.before) == {PRICING}
    assert {k: v for k, v in added.after.items() if k != PRICING} == added.before
    spec = next(m for m in load_models(project) if m.name == "pricing")
    assert (spec.owner, spec.wave, spec.phase) == ("revenue-science", "scale-out", "development")
    assert spec.versions.dev is None and spec.versions.test is None and spec.versions.prod is None


def test_the_added_model_appears_in_the_next_dev_plan(plan_of):
    dev = plan_of("dev", "pricing")

    assert dev.model_component("pricing") is not None
    own = dev.model_resources("pricing")
    assert [r["inputs"]["modelPackageGroupName"] for r in dev.of_type(PACKAGE_GROUP, own)] == ["mlops-pricing"]
    assert [r["inputs"]["name"] for r in dev.of_type(ECR_REPOSITORY, own)] == ["mlops-pricing"]
    assert [r["inputs"]["pipelineName"] for r in dev.of_type(PIPELINE, own)] == ["mlops-dev-pricing-training"]
    assert dev.of_type(ENDPOINT, own) == [], "no endpoint before a version is pinned"


@pytest.mark.parametrize("stack", ["test", "prod"])
def test_the_added_model_stays_out_of_test_and_prod(plan_of, stack):
    plan = plan_of(stack, "pricing")
    assert plan.model_component("churn") is not None, "precondition: the stack plans its models"

    mentions = [r["name"] for r in plan.resources if "-pricing" in r["name"] or "-pricing" in str(r["inputs"])]

    assert plan.model_component("pricing") is None
    assert mentions == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["churn", "--owner", "growth-analytics"], "stacks/models/churn.yaml: name: model 'churn' already exists"),
        (["Pricing_V2", "--owner", "revenue-science"], "stacks/models/Pricing_V2.yaml: name: "),
        (["../escaped", "--owner", "revenue-science"], "stacks/models/../escaped.yaml: name: "),
        (["pricing", "--owner", "revenue-science", "--wave", "pilot"], "stacks/models/pricing.yaml: wave: the pilot wave is full"),
    ],
    ids=["existing-name", "bad-name", "path-in-name", "pilot-full"],
)
def test_model_add_refuses_and_writes_nothing(project_copy: Path, args, says):
    before = snapshot(project_copy.parent)

    result = run_cli("model", "add", *args, "--project-dir", str(project_copy))

    assert result.exit_code == 2, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(says), lines[0]
    assert snapshot(project_copy.parent) == before
