"""Batch-served models: a scheduled transform of the pinned version instead of any endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from catalog_plans import (
    ENDPOINT,
    EVENT_RULE,
    EVENT_TARGET,
    PIPELINE,
    SAGEMAKER_MODEL,
    Plan,
    activate_fraud,
    copy_project,
    edit_model,
    sign_off_pilot,
)

from infra.config import load_settings
from mlops.plan import plan_stack

LTV = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-customer-ltv/{}"


def _activate_ltv(data: Any) -> None:
    data["phase"] = "activation"
    data["versions"]["test"] = LTV.format(1)
    data["versions"]["prod"] = LTV.format(1)
    data["governance"]["history"] = [
        {"environment": env, "version": LTV.format(1), "action": "promote", "by": "omar.approver", "reason": "Backtest on 2025 cohorts", "at": "2026-11-24T10:00:00Z"}
        for env in ("test", "prod")
    ]


@pytest.fixture(scope="module")
def live_ltv(tmp_path_factory) -> Path:
    """The pilot signed off and complete; customer-ltv live (activation) in test and prod."""
    project = copy_project(Path(__file__).resolve().parents[2], tmp_path_factory.mktemp("ltv") / "project")
    sign_off_pilot(project)
    activate_fraud(project)
    edit_model(project, "customer-ltv", _activate_ltv)
    return project


@pytest.fixture(scope="module")
def ltv_plans(live_ltv: Path) -> dict[str, Plan]:
    return {stack: Plan.of(plan_stack(live_ltv, stack), load_settings(live_ltv, stack)) for stack in ("test", "prod")}


def batch_parts(plan: Plan) -> dict[str, dict]:
    resources = plan.model_resources("customer-ltv")
    types = {r["type"] for r in resources}
    assert ENDPOINT not in types, "a batch-served model has no endpoint"
    (model,) = plan.of_type(SAGEMAKER_MODEL, resources)
    (pipeline,) = [r for r in plan.of_type(PIPELINE, resources) if r["name"].endswith("-batch-pipeline")]
    (rule,) = [r for r in plan.of_type(EVENT_RULE, resources) if "-batch-" in r["name"]]
    (target,) = [r for r in plan.of_type(EVENT_TARGET, resources) if "-batch-" in r["name"]]
    return {"model": model, "pipeline": pipeline, "rule": rule, "target": target}


def transform_of(pipeline: dict) -> dict:
    (step,) = json.loads(pipeline["inputs"]["pipelineDefinition"])["Steps"]
    assert step["Type"] == "Transform"
    return step["Arguments"]


def test_dev_scores_the_dev_pin_in_batch_without_capture(plan_of):
    plan = plan_of("dev")
    parts = batch_parts(plan)
    transform = transform_of(parts["pipeline"])

    assert parts["model"]["inputs"]["primaryContainer"]["modelPackageName"] == LTV.format(1)
    assert parts["rule"]["inputs"]["scheduleExpression"] == "cron(0 5 1 * ? *)"
    assert transform["TransformResources"]["InstanceType"] == "ml.m5.xlarge"
    assert "DataCaptureConfig" not in transform


@pytest.mark.parametrize("stack", ["test", "prod"])
def test_live_batch_model_is_scored_in_the_vpc_encrypted_and_captured(ltv_plans, stack):
    plan = ltv_plans[stack]
    parts = batch_parts(plan)
    model = parts["model"]["inputs"]
    transform = transform_of(parts["pipeline"])
    key = transform["TransformOutput"]["KmsKeyId"]

    assert plan.doc["deploy"]["findings"] == [] and plan.doc["policy"]["violations"] == []
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"]["subnets"] and model["vpcConfig"]["securityGroupIds"]
    assert transform["ModelName"].startswith(f"mlops-{stack}-customer-ltv-batch-model")
    assert key.startswith("arn:aws:kms:") and transform["TransformResources"]["VolumeKmsKeyId"] == key
    assert transform["DataCaptureConfig"]["KmsKeyId"] == key
    assert transform["DataCaptureConfig"]["DestinationS3Uri"].startswith(f"s3://mlops-{stack}-capture-")
    output = transform["TransformOutput"]["S3OutputPath"]["Std:Join"]["Values"]
    assert output[0].startswith(f"s3://mlops-{stack}-curated-") and output[0].endswith("/batch/customer-ltv/predictions")
    (default_input,) = json.loads(parts["pipeline"]["inputs"]["pipelineDefinition"])["Parameters"]
    assert default_input["DefaultValue"].startswith(f"s3://mlops-{stack}-raw-")
    assert parts["target"]["inputs"]["roleArn"].endswith(f"mlops-{stack}-pipeline-trigger")


def test_batch_model_waits_behind_the_migration_gate_like_any_other(plan_of):
    assert plan_of("test").model_component("customer-ltv") is None
    assert plan_of("prod").model_component("customer-ltv") is None
