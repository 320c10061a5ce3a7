"""Phase × environment: which model has which resources in dev, test and prod.

The example catalog: churn is in activation (dev, test, prod), fraud in test-release (dev, test),
demand-forecast, support-triage, lead-scoring and customer-ltv in development (dev only;
support-triage is served on Kubernetes, customer-ltv in batch, with no endpoint anywhere). The registry and the training pipeline live in dev only; a SageMaker endpoint exists
where a version is pinned for the environment and the model is served by SageMaker.
"""

from __future__ import annotations

import pytest
from catalog_plans import (
    ECR_REPOSITORY,
    ENDPOINT,
    ENDPOINT_CONFIG,
    MODEL_COMPONENT,
    PACKAGE_GROUP,
    PIPELINE,
    SAGEMAKER_MODEL,
)

STACKS = ("dev", "test", "prod")
MODELS = ("churn", "customer-ltv", "demand-forecast", "fraud", "lead-scoring", "support-triage")

#: Where each model of the example catalog exists, by its phase.
EXAMPLE_ENVIRONMENTS = {
    "churn": {"dev", "test", "prod"},
    "fraud": {"dev", "test"},
    "demand-forecast": {"dev"},
    "support-triage": {"dev"},
    "lead-scoring": {"dev"},
    "customer-ltv": {"dev"},
}
#: Where each has a SageMaker endpoint: churn is pinned in all three, fraud in dev and test,
#: demand-forecast and lead-scoring nowhere, support-triage is served on Kubernetes, customer-ltv
#: (pinned in dev) in batch.
EXAMPLE_ENDPOINTS = {
    "churn": {"dev", "test", "prod"}, "fraud": {"dev", "test"}, "demand-forecast": set(), "support-triage": set(),
    "lead-scoring": set(), "customer-ltv": set(),
}

#: After the pilot is signed off: fraud live in prod, demand-forecast pinned for test only,
#: support-triage pinned for dev (and still served on Kubernetes).
OPENED_ENVIRONMENTS = {
    "churn": {"dev", "test", "prod"},
    "fraud": {"dev", "test", "prod"},
    "demand-forecast": {"dev", "test"},
    "support-triage": {"dev"},
    "lead-scoring": {"dev"},
    "customer-ltv": {"dev"},
}
OPENED_ENDPOINTS = {
    "churn": {"dev", "test", "prod"}, "fraud": {"dev", "test", "prod"}, "demand-forecast": {"test"}, "support-triage": set(),
    "lead-scoring": set(), "customer-ltv": set(),
}

CASES = [("example", EXAMPLE_ENVIRONMENTS, EXAMPLE_ENDPOINTS), ("scale-out-open", OPENED_ENVIRONMENTS, OPENED_ENDPOINTS)]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("variant", "environments", "endpoints"), CASES, ids=[c[0] for c in CASES])
def test_each_model_has_a_component_exactly_where_its_phase_reaches(plan_of, variant, environments, endpoints, stack):
    plan = plan_of(stack, variant)

    present = {m for m in MODELS if plan.model_component(m) is not None}

    assert present == {m for m, envs in environments.items() if stack in envs}
    assert len(plan.of_type(MODEL_COMPONENT)) == len(present), "a component of a model outside the catalog"


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("variant", "environments", "endpoints"), CASES, ids=[c[0] for c in CASES])
def test_endpoints_exist_only_where_a_version_is_pinned_for_the_environment(plan_of, variant, environments, endpoints, stack):
    plan = plan_of(stack, variant)

    serving = {m for m in MODELS if plan.of_type(ENDPOINT, plan.model_resources(m))}

    assert serving == {m for m, envs in endpoints.items() if stack in envs}
    assert len(plan.of_type(ENDPOINT)) == len(serving)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("variant", ["example", "scale-out-open"])
def test_each_endpoint_serves_the_version_pinned_for_its_environment(plan_of, variant, stack):
    plan = plan_of(stack, variant)
    specs = {m.name: m for m in plan.settings.models}

    for model in MODELS:
        own = plan.model_resources(model)
        if not plan.of_type(ENDPOINT, own):
            continue
        champion = [m for m in plan.of_type(SAGEMAKER_MODEL, own) if m["inputs"]["tags"]["model-role"] == "champion"]
        assert [m["inputs"]["primaryContainer"]["modelPackageName"] for m in champion] == [specs[model].versions.pinned(stack)]


def test_kubernetes_models_get_no_sagemaker_endpoint_even_with_a_pinned_version(plan_of):
    plan = plan_of("dev", "scale-out-open")
    kubernetes = [m for m in plan.settings.models if m.serving.target == "kubernetes"]
    assert [m.name for m in kubernetes] == ["support-triage"]
    assert kubernetes[0].versions.dev, "precondition: the Kubernetes model has a version pinned in dev"

    own = plan.model_resources("support-triage")

    assert own, "support-triage still exists in dev (registry and pipeline)"
    assert [r["name"] for r in own if r["type"] in (ENDPOINT, ENDPOINT_CONFIG, SAGEMAKER_MODEL)] == []


@pytest.mark.parametrize("variant", ["example", "scale-out-open"])
def test_registry_and_training_pipeline_exist_in_dev_for_every_model(plan_of, variant):
    dev = plan_of("dev", variant)

    for model in MODELS:
        own = dev.model_resources(model)
        assert [r["inputs"]["modelPackageGroupName"] for r in dev.of_type(PACKAGE_GROUP, own)] == [f"mlops-{model}"]
        assert [r["inputs"]["name"] for r in dev.of_type(ECR_REPOSITORY, own)] == [f"mlops-{model}"]
        pipelines = [r["inputs"]["pipelineName"] for r in dev.of_type(PIPELINE, own)]
        assert [p for p in pipelines if p.endswith("-training")] == [f"mlops-dev-{model}-training"]


@pytest.mark.parametrize("stack", ["test", "prod"])
@pytest.mark.parametrize("variant", ["example", "scale-out-open"])
def test_test_and_prod_have_no_registry_and_no_training_pipeline(plan_of, variant, stack):
    plan = plan_of(stack, variant)
    assert plan.model_component("churn") is not None, "precondition: churn is planned here"

    found = [r["name"] for r in plan.resources if r["type"] in (PACKAGE_GROUP, ECR_REPOSITORY)]
    pipelines = [r["inputs"]["pipelineName"] for r in plan.of_type(PIPELINE)]

    assert found == []
    # The only pipelines here monitor served models; training runs in dev.
    assert pipelines and all(name.endswith("-monitoring") for name in pipelines)
