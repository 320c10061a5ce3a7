"""SageMaker cross-field rules: what one request's API model cannot express."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex

_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
_MODEL = "aws:sagemaker/model:Model"
_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"

# https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions
SERVERLESS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions"
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
CANARY_DOC = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html"
# https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html
GUARDRAILS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html"
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-schedule-expression.html
MONITOR_CRON_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-schedule-expression.html"


def _variants(config: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    inputs = config["inputs"]
    return [(f"{key}[{i}]", v) for key in ("productionVariants", "shadowProductionVariants") for i, v in enumerate(inputs.get(key, []))]


def serverless_exclusions(plan: PlanIndex) -> Iterator[DeployFinding]:
    """A serverless variant excludes data capture, other variants, VPC configuration and
    network isolation on its model."""
    for config in plan.of_type(_CONFIG):
        variants = _variants(config)
        serverless = [(path, v) for path, v in variants if v.get("serverlessConfig")]
        if not serverless:
            continue
        finding = lambda resource, field, message: DeployFinding(  # noqa: E731
            "sagemaker-serverless-exclusions", "error", resource["urn"], field, message, SERVERLESS_DOC)
        if (config["inputs"].get("dataCaptureConfig") or {}).get("enableCapture"):
            yield finding(config, "dataCaptureConfig.enableCapture", "serverless endpoints do not support data capture")
        if len(variants) > 1:
            yield finding(config, "productionVariants", f"serverless endpoints serve one variant; this configuration has {len(variants)}")
        for path, variant in serverless:
            model = plan.named(_MODEL, variant.get("modelName"))
            if model is None:
                continue
            for key in ("vpcConfig", "enableNetworkIsolation"):
                if model["inputs"].get(key):
                    yield finding(model, key, f"model of serverless variant {config['name']}.{path} sets {key}; serverless endpoints support neither VPC configuration nor network isolation")


def _endpoint_config(plan: PlanIndex, endpoint: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return plan.named(_CONFIG, endpoint["inputs"].get("endpointConfigName"))


def canary_size(plan: PlanIndex) -> Iterator[DeployFinding]:
    """A canary or linear step is at most 50 % of each variant's instance count, in whole instances."""
    for endpoint in plan.of_type(_ENDPOINT):
        routing = ((endpoint["inputs"].get("deploymentConfig") or {}).get("blueGreenUpdatePolicy") or {}).get("trafficRoutingConfiguration") or {}
        key = {"CANARY": "canarySize", "LINEAR": "linearStepSize"}.get(routing.get("type", ""))
        size = routing.get(key) if key else None
        config = _endpoint_config(plan, endpoint)
        if not size or config is None:
            continue
        field = f"deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.{key}"
        for path, variant in _variants(config):
            count = variant.get("initialInstanceCount")
            if not count:
                continue
            value = size.get("value", 0)
            instances = value * count / 100 if size.get("type") == "CAPACITY_PERCENT" else value
            problem = None
            if instances * 2 > count:
                problem = f"{instances:g} of {count} instances is more than 50 % of variant {variant.get('variantName')}"
            elif instances < 1 or instances != int(instances):
                problem = (f"{value} % of {count} instances is {instances:g} instances; SageMaker shifts whole instances, so what runs "
                           "is not what is configured (use INSTANCE_COUNT, and at least 2 instances for a canary)")
            if problem:
                yield DeployFinding("sagemaker-canary-size", "error", endpoint["urn"], field, problem, CANARY_DOC)


def guarded_variant_names(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Guarded (blue/green or rolling) updates need the same variant names in the old and new
    configuration: a variant that exists only while a challenger is pinned breaks the update that
    adds or removes it."""
    for endpoint in plan.of_type(_ENDPOINT):
        deployment = endpoint["inputs"].get("deploymentConfig") or {}
        if not (deployment.get("blueGreenUpdatePolicy") or deployment.get("rollingUpdatePolicy")):
            continue
        config = _endpoint_config(plan, endpoint)
        if config is None:
            continue
        for path, variant in _variants(config):
            model = plan.named(_MODEL, variant.get("modelName"))
            role = ((model or {}).get("inputs", {}).get("tags") or {}).get("model-role")
            if path.startswith("shadow") or role == "challenger":
                yield DeployFinding(
                    "sagemaker-guarded-variant-names", "error", endpoint["urn"], "deploymentConfig",
                    f"variant {variant.get('variantName')!r} ({path} of {config['name']}) exists only while a challenger is pinned; "
                    "adding or removing it, or switching A/B and shadow, changes the variant set under a guarded update. "
                    "Deploy all at once where challengers come and go.",
                    GUARDRAILS_DOC,
                )


_MONITOR_CRON = re.compile(r"cron\(0 (\*|(?P<h>\d{1,2})(/(?P<n>\d{1,2}))?) \? \* \* \*\)")


def monitor_schedule_cron(plan: PlanIndex) -> Iterator[DeployFinding]:
    """Model Monitor accepts only hourly, daily-at-an-hour, every-N-hours crons, or NOW."""
    for schedule in plan.of_type("aws:sagemaker/monitoringSchedule:MonitoringSchedule"):
        expression = ((schedule["inputs"].get("monitoringScheduleConfig") or {}).get("scheduleConfig") or {}).get("scheduleExpression")
        if expression is None or expression == "NOW":
            continue
        match = _MONITOR_CRON.fullmatch(expression)
        ok = match is not None and (match["h"] is None or 0 <= int(match["h"]) <= 23) and (match["n"] is None or 1 <= int(match["n"]) <= 24)
        if not ok:
            yield DeployFinding(
                "sagemaker-monitor-cron", "error", schedule["urn"], "monitoringScheduleConfig.scheduleConfig.scheduleExpression",
                f"{expression!r} is not a Model Monitor schedule: use cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *) or NOW",
                MONITOR_CRON_DOC,
            )


RULES = (serverless_exclusions, canary_size, guarded_variant_names, monitor_schedule_cron)
