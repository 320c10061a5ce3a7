"""Async-served models: an asynchronous endpoint with encrypted S3 output, SNS notices, backlog scaling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from catalog_plans import ENDPOINT_CONFIG, METRIC_ALARM, SCALING_POLICY, SCALING_TARGET, Plan, copy_project, edit_model

from infra.config import load_settings
from mlops.plan import plan_stack


def _serve_async(data: Any) -> None:
    data["serving"]["mode"] = "async"
    data["serving"]["asyncInference"] = {"targetBacklogPerInstance": 3}
    del data["serving"]["serverless"]


@pytest.fixture(scope="module")
def async_plans(tmp_path_factory) -> dict[str, Plan]:
    """churn (live in dev, test and prod) served asynchronously."""
    project = copy_project(Path(__file__).resolve().parents[2], tmp_path_factory.mktemp("async") / "project")
    edit_model(project, "churn", _serve_async)
    return {stack: Plan.of(plan_stack(project, stack), load_settings(project, stack)) for stack in ("dev", "prod")}


@pytest.mark.parametrize(("stack", "floor"), [("dev", 0), ("prod", 2)])
def test_async_endpoint_writes_encrypted_results_notifies_and_scales_on_the_backlog(async_plans, stack, floor):
    plan = async_plans[stack]
    own = plan.model_resources("churn")
    config = plan.one(ENDPOINT_CONFIG, own)["inputs"]
    output = config["asyncInferenceConfig"]["outputConfig"]
    topics = {r["inputs"]["name"]: r["inputs"] for r in plan.of_type("aws:sns/topic:Topic", own)}
    scaling = plan.one(SCALING_TARGET, own)["inputs"]
    policies = {r["name"].rsplit("-", 1)[-1]: r["inputs"] for r in plan.of_type(SCALING_POLICY, own)}
    (alarm,) = [r["inputs"] for r in plan.of_type(METRIC_ALARM, own) if r["name"].endswith("backlog-without-capacity")]

    assert plan.doc["deploy"]["findings"] == [] and plan.doc["policy"]["violations"] == []
    # Instances, never serverless, even where the environment serves serverless (dev).
    assert all("serverlessConfig" not in v and v["instanceType"] for v in config["productionVariants"])
    assert output["kmsKeyId"] == config["kmsKeyArn"]
    assert output["s3OutputPath"].startswith(f"s3://mlops-{stack}-curated-") and output["s3OutputPath"].endswith("/async/churn/results/")
    assert output["s3FailurePath"].endswith("/async/churn/failures/")
    assert set(topics) == {f"mlops-{stack}-churn-async-success", f"mlops-{stack}-churn-async-error"}
    assert all(t["kmsMasterKeyId"] == config["kmsKeyArn"] for t in topics.values())
    assert output["notificationConfig"]["successTopic"].endswith(":mlops-" + stack + "-churn-async-success")
    assert scaling["minCapacity"] == floor
    tracking = policies["backlog"]["targetTrackingScalingPolicyConfiguration"]
    assert tracking["customizedMetricSpecification"]["metricName"] == "ApproximateBacklogSizePerInstance"
    assert tracking["targetValue"] == 3
    assert alarm["metricName"] == "HasBacklogWithoutCapacity"
    assert plan.property_dependencies(plan.with_input(METRIC_ALARM, "metricName", "HasBacklogWithoutCapacity")[0])["alarmActions"]
