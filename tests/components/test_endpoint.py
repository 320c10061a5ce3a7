"""ModelEndpoint: real-time in the VPC and isolated, serverless without, guarded canary rollouts."""

from __future__ import annotations

import pytest
from rendering import KEY_ARN, LONG_BASE, ROLE_ARN, SECURITY_GROUPS, SUBNETS, TOPIC_ARN, auto_named_length

from components.endpoint import ModelEndpoint, ModelEndpointArgs, VariantSpec, canary_instances
from infra.config.aws_data import name_limit
from infra.config.names import bounded

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PACKAGE = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/mlops-churn/"
CHAMPION = VariantSpec("champion", PACKAGE + "3")
CHALLENGER = VariantSpec("challenger", PACKAGE + "4", weight=0.2)


def endpoint(name: str = "mlops-prod-churn", **overrides) -> ModelEndpoint:
    args = {
        "endpoint_name": name, "champion": CHAMPION, "challenger": None, "challenger_mode": "ab", "mode": "realtime",
        "instance_type": "ml.m5.large", "instance_count": 4, "max_instances": 8, "autoscaling": True, "target_invocations": 500,
        "serverless_memory_mb": 2048, "serverless_max_concurrency": 5, "execution_role_arn": ROLE_ARN,
        "subnet_ids": list(SUBNETS), "security_group_ids": list(SECURITY_GROUPS), "kms_key_arn": KEY_ARN,
        "capture_uri": "s3://mlops-prod-capture/churn/", "capture_percent": 20, "deployment": "canary", "canary_percent": 10,
        "wait_seconds": 600, "termination_wait_seconds": 300, "latency_p99_ms": 250, "error_rate_percent": 1.0,
        "alarm_topic_arn": TOPIC_ARN, **overrides,
    }
    return ModelEndpoint(name, ModelEndpointArgs(**args))


def endpoint_name_of(base: str) -> str:
    return bounded(base, "", "sagemaker", "EndpointName")


def serverless(**overrides) -> ModelEndpoint:
    return endpoint("mlops-dev-churn", mode="serverless", deployment="all-at-once", autoscaling=False, capture_uri=None, **overrides)


@pytest.fixture(scope="module")
def prod(render):
    return render(endpoint)


@pytest.fixture(scope="module")
def dev(render):
    return render(serverless)


def test_realtime_models_run_isolated_in_the_vpc(prod):
    model = prod.one(MODEL).inputs
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"] == {"subnets": list(SUBNETS), "securityGroupIds": list(SECURITY_GROUPS)}
    assert model["primaryContainer"] == {"modelPackageName": CHAMPION.model_package_arn}


def test_serverless_models_have_neither_vpc_nor_isolation(dev):
    # Serverless endpoints reject both (SageMaker serverless feature exclusions).
    model = dev.one(MODEL).inputs
    assert "vpcConfig" not in model and "enableNetworkIsolation" not in model
    (variant,) = dev.one(CONFIG).inputs["productionVariants"]
    assert variant["serverlessConfig"] == {"memorySizeInMb": 2048, "maxConcurrency": 5}
    assert "instanceType" not in variant


def test_serverless_endpoint_has_no_alarms_guarding_it(dev):
    assert not dev.of_type(ALARM)
    assert "deploymentConfig" not in dev.one(ENDPOINT).inputs


def test_config_encrypts_volumes_and_captured_traffic(prod):
    config = prod.one(CONFIG).inputs
    assert config["kmsKeyArn"] == KEY_ARN
    capture = config["dataCaptureConfig"]
    assert capture["enableCapture"] is True and capture["kmsKeyId"] == KEY_ARN
    assert capture["destinationS3Uri"] == "s3://mlops-prod-capture/churn/" and capture["initialSamplingPercentage"] == 20


def test_canary_shifts_whole_instances_and_rolls_back_on_the_endpoints_alarms(prod):
    policy = prod.one(ENDPOINT).inputs["deploymentConfig"]
    routing = policy["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing["type"] == "CANARY"
    assert routing["canarySize"] == {"type": "INSTANCE_COUNT", "value": canary_instances(4, 10)} == {"type": "INSTANCE_COUNT", "value": 1}
    assert routing["waitIntervalInSeconds"] == 600
    alarms = {a.inputs["name"] for a in prod.of_type(ALARM)}
    assert alarms == {"mlops-prod-churn-5xx", "mlops-prod-churn-latency"}
    assert {a["alarmName"] for a in policy["autoRollbackConfiguration"]["alarms"]} == alarms
    # The alarms exist before the endpoint update that they guard.
    assert {a.urn for a in prod.of_type(ALARM)} <= set(prod.one(ENDPOINT).depends_on)


def test_alarms_watch_the_champion_and_notify_the_topic(prod):
    latency = prod.one(ALARM, "mlops-prod-churn-alarm-latency").inputs
    assert latency["dimensions"] == {"EndpointName": "mlops-prod-churn", "VariantName": "champion"}
    assert latency["threshold"] == 250_000  # ModelLatency is in microseconds
    assert latency["alarmActions"] == [TOPIC_ARN] == latency["okActions"]


def test_linear_rollout_steps(render):
    routing = render(lambda: endpoint(deployment="linear", canary_percent=25, instance_count=8)).one(ENDPOINT).inputs[
        "deploymentConfig"]["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing["type"] == "LINEAR" and routing["linearStepSize"] == {"type": "INSTANCE_COUNT", "value": 2}


@pytest.mark.parametrize(("count", "percent", "step"), [(2, 10, 1), (4, 10, 1), (10, 30, 3), (10, 90, 5), (3, 50, 1)])
def test_canary_step_is_at_least_one_and_at_most_half_the_fleet(count, percent, step):
    assert canary_instances(count, percent) == step


def test_canary_needs_two_instances():
    with pytest.raises(ValueError, match="at least 2 instances"):
        canary_instances(1, 50)


def test_champion_scales_on_invocations_between_the_fleet_size_and_the_ceiling(prod):
    target = prod.one("aws:appautoscaling/target:Target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (4, 8)
    assert target["resourceId"] == "endpoint/mlops-prod-churn/variant/champion"
    policy = prod.one("aws:appautoscaling/policy:Policy").inputs["targetTrackingScalingPolicyConfiguration"]
    assert policy["targetValue"] == 500
    assert policy["predefinedMetricSpecification"] == {"predefinedMetricType": "SageMakerVariantInvocationsPerInstance"}


def test_ab_challenger_takes_its_weight_from_the_champion(render):
    variants = render(lambda: endpoint(challenger=CHALLENGER, deployment="all-at-once")).one(CONFIG).inputs["productionVariants"]
    assert {v["variantName"]: v["initialVariantWeight"] for v in variants} == pytest.approx({"champion": 0.8, "challenger": 0.2})


def test_shadow_challenger_gets_mirrored_traffic_only(render):
    config = render(lambda: endpoint(challenger=CHALLENGER, challenger_mode="shadow", deployment="all-at-once")).one(CONFIG).inputs
    assert [(v["variantName"], v["initialVariantWeight"]) for v in config["productionVariants"]] == [("champion", 1)]
    assert [v["variantName"] for v in config["shadowProductionVariants"]] == ["challenger"]


def test_guarded_rollout_with_a_challenger_is_refused(render):
    with pytest.raises(Exception, match="must deploy all at once"):
        render(lambda: endpoint(challenger=CHALLENGER))


def test_long_names_stay_within_sagemaker_limits_after_auto_naming(render):
    endpoint_name = endpoint_name_of(LONG_BASE)
    out = render(lambda: endpoint(LONG_BASE, endpoint_name=endpoint_name, challenger=CHALLENGER, deployment="all-at-once"))
    assert out.one(ENDPOINT).inputs["name"] == endpoint_name
    assert len(endpoint_name) <= name_limit("sagemaker", "EndpointName").max_length
    assert len(out.of_type(MODEL)) == 2
    for model in out.of_type(MODEL):
        assert auto_named_length(model) <= name_limit("sagemaker", "ModelName").max_length, model.name
    assert auto_named_length(out.one(CONFIG)) <= name_limit("sagemaker", "EndpointConfigName").max_length
