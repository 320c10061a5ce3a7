"""Endpoints per environment profile: serverless in dev, champion + challenger in test, HA in prod.

dev: one serverless variant (no instances, no VPC: AWS excludes both). test: the champion (the
version pinned for test) with a challenger (the version pinned in dev) as weighted A/B variants
(churn) or a shadow variant (fraud), capturing data to the capture bucket with the platform key.
prod: at least two instances, autoscaling on invocations per instance between the instance count
and the catalog's maximum, and a blue/green canary that rolls back on the endpoint's own alarms.
Endpoints keep a stable name; Models and EndpointConfigurations are auto-named (replaced, never
edited in place).
"""

from __future__ import annotations

import pytest
from catalog_plans import (
    ENDPOINT,
    ENDPOINT_CONFIG,
    METRIC_ALARM,
    SAGEMAKER_MODEL,
    SCALING_POLICY,
    SCALING_TARGET,
)

STACKS = ("dev", "test", "prod")
PLANS = [(variant, stack) for variant in ("example", "scale-out-open") for stack in STACKS]


def _specs(plan) -> dict:
    return {m.name: m for m in plan.settings.models}


def _endpoint_parts(plan, model: str) -> tuple[dict, dict, dict[str, dict]]:
    """The endpoint, its configuration, and its SageMaker Models by role."""
    own = plan.model_resources(model)
    models = {m["inputs"]["tags"]["model-role"]: m for m in plan.of_type(SAGEMAKER_MODEL, own)}
    return plan.one(ENDPOINT, own), plan.one(ENDPOINT_CONFIG, own), models


def _behind(variant: dict, models: dict[str, dict]) -> dict:
    """The Model a variant serves (auto-named: its logical name plus a suffix)."""
    [model] = [m for m in models.values() if variant["modelName"].rsplit("-", 1)[0] == m["name"]]
    return model


def _package(model: dict) -> str:
    return model["inputs"]["primaryContainer"]["modelPackageName"]


@pytest.mark.parametrize(("variant", "stack"), PLANS)
def test_endpoints_have_stable_names_and_replaceable_parts_are_auto_named(plan_of, variant, stack):
    plan = plan_of(stack, variant)
    names = {m: [e["inputs"]["name"] for e in plan.of_type(ENDPOINT, plan.model_resources(m))] for m in _specs(plan)}
    assert sum(map(len, names.values())) == len(plan.of_type(ENDPOINT)) > 0, "precondition: every endpoint belongs to a model"

    for model, found in names.items():
        assert found in ([], [f"mlops-{stack}-{model}"]), model
    for replaceable in plan.of_type(SAGEMAKER_MODEL) + plan.of_type(ENDPOINT_CONFIG):
        assert "name" not in replaceable["inputs"], replaceable["name"]


@pytest.mark.parametrize("model", ["churn", "fraud"])
def test_dev_serves_one_serverless_variant_outside_the_vpc(plan_of, model):
    dev = plan_of("dev")
    spec = _specs(dev)[model]

    _, config, models = _endpoint_parts(dev, model)

    [variant] = config["inputs"]["productionVariants"]
    assert variant["serverlessConfig"] == {
        "memorySizeInMb": spec.serving.serverless.memory_mb,
        "maxConcurrency": spec.serving.serverless.max_concurrency,
    }
    assert "initialInstanceCount" not in variant and "instanceType" not in variant
    assert "shadowProductionVariants" not in config["inputs"]
    assert "dataCaptureConfig" not in config["inputs"]
    assert list(models) == ["champion"]
    assert _package(models["champion"]) == spec.versions.dev
    assert "vpcConfig" not in models["champion"]["inputs"]
    assert not models["champion"]["inputs"].get("enableNetworkIsolation")


def test_test_runs_churn_champion_and_challenger_as_weighted_ab_variants(plan_of):
    test = plan_of("test")
    spec = _specs(test)["churn"]

    _, config, models = _endpoint_parts(test, "churn")

    variants = {v["variantName"]: v for v in config["inputs"]["productionVariants"]}
    assert set(variants) == {"champion", "challenger"}
    assert variants["champion"]["initialVariantWeight"] == pytest.approx(0.9)
    assert variants["challenger"]["initialVariantWeight"] == pytest.approx(0.1)
    assert _package(_behind(variants["champion"], models)) == spec.versions.test
    assert _package(_behind(variants["challenger"], models)) == spec.versions.dev
    assert "shadowProductionVariants" not in config["inputs"]


def test_test_runs_the_fraud_challenger_as_a_shadow_of_the_champion(plan_of):
    test = plan_of("test")
    spec = _specs(test)["fraud"]

    _, config, models = _endpoint_parts(test, "fraud")

    [champion] = config["inputs"]["productionVariants"]
    [shadow] = config["inputs"]["shadowProductionVariants"]
    assert champion["variantName"] == "champion" and champion["initialVariantWeight"] == 1
    assert shadow["variantName"] == "challenger"
    assert _package(_behind(champion, models)) == spec.versions.test
    assert _package(_behind(shadow, models)) == spec.versions.dev
    assert spec.versions.dev != spec.versions.test


@pytest.mark.parametrize("model", ["churn", "fraud"])
def test_test_endpoints_capture_data_to_the_capture_bucket_with_the_platform_key(plan_of, model):
    test = plan_of("test")

    _, config, models = _endpoint_parts(test, model)

    capture = config["inputs"]["dataCaptureConfig"]
    assert capture["enableCapture"] is True
    assert capture["destinationS3Uri"] == f"s3://{test.outputs['buckets']['capture']}/endpoints/mlops-test-{model}/"
    assert capture["kmsKeyId"] == test.outputs["kmsKeyArn"]
    assert capture["initialSamplingPercentage"] == test.settings.env.monitoring.sampling_percent
    assert {o["captureMode"] for o in capture["captureOptions"]} == {"Input", "Output"}
    assert config["inputs"]["kmsKeyArn"] == test.outputs["kmsKeyArn"]
    for variant in config["inputs"]["productionVariants"] + config["inputs"].get("shadowProductionVariants", []):
        assert variant["initialInstanceCount"] == 1 and "serverlessConfig" not in variant
    for role_model in models.values():
        assert role_model["inputs"]["vpcConfig"]["subnets"] == test.outputs["subnetIds"]


PROD_CASES = [("example", "churn"), ("scale-out-open", "churn"), ("scale-out-open", "fraud")]


@pytest.mark.parametrize(("variant", "model"), PROD_CASES)
def test_prod_endpoints_are_highly_available_and_autoscale_to_the_catalog_maximum(plan_of, variant, model):
    prod = plan_of("prod", variant)
    spec = _specs(prod)[model]
    own = prod.model_resources(model)

    _, config, models = _endpoint_parts(prod, model)

    [champion] = config["inputs"]["productionVariants"]
    assert "shadowProductionVariants" not in config["inputs"] and list(models) == ["champion"]
    assert champion["initialInstanceCount"] >= 2
    assert champion["instanceType"] == spec.serving.size("prod").instance_type
    assert _package(_behind(champion, models)) == spec.versions.prod
    target = prod.one(SCALING_TARGET, own)
    assert target["inputs"]["resourceId"] == f"endpoint/mlops-prod-{model}/variant/champion"
    assert target["inputs"]["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert target["inputs"]["minCapacity"] == champion["initialInstanceCount"]
    assert target["inputs"]["maxCapacity"] == spec.serving.size("prod").max_instances
    scaling = prod.one(SCALING_POLICY, own)
    assert scaling["inputs"]["policyType"] == "TargetTrackingScaling"
    assert scaling["inputs"]["resourceId"] == target["inputs"]["resourceId"]
    tracking = scaling["inputs"]["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"
    assert tracking["targetValue"] == spec.serving.target_invocations_per_instance


def test_churn_prod_scales_to_its_prod_override(plan_of):
    # churn.yaml: maxInstances 4, overrides.prod.maxInstances 6.
    prod = plan_of("prod")

    target = prod.one(SCALING_TARGET, prod.model_resources("churn"))

    assert (target["inputs"]["minCapacity"], target["inputs"]["maxCapacity"]) == (2, 6)


def _alarm_endpoints(alarm: dict) -> set[str]:
    """EndpointName dimensions an alarm watches (plain metric or metric math)."""
    dimensions = [alarm["inputs"].get("dimensions") or {}]
    dimensions += [q["metric"].get("dimensions") or {} for q in alarm["inputs"].get("metricQueries", []) if "metric" in q]
    return {d["EndpointName"] for d in dimensions if "EndpointName" in d}


@pytest.mark.parametrize(("variant", "model"), PROD_CASES)
def test_prod_deploys_blue_green_canary_rolling_back_on_the_endpoints_own_alarms(plan_of, variant, model):
    prod = plan_of("prod", variant)

    endpoint, _, _ = _endpoint_parts(prod, model)

    deployment = endpoint["inputs"]["deploymentConfig"]
    routing = deployment["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing["type"] == "CANARY"
    # Whole instances, at least one and at most half of the fleet (10 % of 2 instances is 1 instance).
    serving = prod.settings.env.serving
    assert routing["canarySize"] == {"type": "INSTANCE_COUNT", "value": max(1, min(serving.min_instances // 2, serving.min_instances * serving.canary_percent // 100))}
    assert 1 <= routing["canarySize"]["value"] * 2 <= serving.min_instances
    names = [a["alarmName"] for a in deployment["autoRollbackConfiguration"]["alarms"]]
    assert names, "a canary without rollback alarms"
    alarms = {a["inputs"]["name"]: a for a in prod.of_type(METRIC_ALARM)}
    for name in names:
        assert name in alarms, f"rollback alarm {name} is not planned"
        assert _alarm_endpoints(alarms[name]) == {endpoint["inputs"]["name"]}
