"""The cross-stack check proves both sides of every cross-account read test and prod rely on."""

from __future__ import annotations

import json

import pytest
from plan_edits import mutated

from mlops.deploy.crossstack import StackPlan, check_cross_stack


def _without_statement(sid):
    def change(inputs):
        key = "policy" if "policy" in inputs else "resourcePolicy"
        document = json.loads(inputs[key])
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]
        inputs[key] = json.dumps(document)
    return change


def test_example_stacks_grant_every_cross_account_read_on_both_sides(planned):
    assert check_cross_stack(planned("dev"), [planned("test"), planned("prod")]) == ()


@pytest.mark.parametrize(
    "side, stack, name, sid, expect",
    [
        ("reader", "test", "mlops-test-access-sagemaker-execution", "ReadRegistryArtifacts", "s3:GetObject"),
        ("reader", "prod", "mlops-prod-access-sagemaker-execution", "DecryptRegistryArtifacts", "kms:Decrypt"),
        ("reader", "test", "mlops-test-access-sagemaker-execution", "ReadModelRegistry", "sagemaker:DescribeModelPackage"),
        ("reader", "prod", "mlops-prod-access-sagemaker-execution", "PullPlatformImages", "ecr:BatchGetImage"),
        ("reader", "prod", "mlops-prod-access-pipeline", "ReadRegistryArtifacts", "drift baseline"),
        ("reader", "test", "mlops-test-access-pipeline", "DecryptRegistryArtifacts", "kms:Decrypt"),
        ("owner", "dev", "mlops-dev-artifacts-policy", "EnvironmentsReadModelArtifacts", "s3:GetObject"),
        ("owner", "dev", "mlops-dev-key-key", "EnvironmentsDecryptRegistryArtifacts", "kms:Decrypt"),
        ("owner", "dev", "mlops-dev-churn-registry-group-readers", "EnvironmentsReadAndDeploy", "sagemaker:DescribeModelPackage"),
        ("owner", "dev", "mlops-dev-churn-registry-images-readers", "EnvironmentsPullImages", "ecr:BatchGetImage"),
    ],
)
def test_removing_either_side_of_a_grant_fails(planned, side, stack, name, sid, expect):
    plans = {s: planned(s) for s in ("dev", "test", "prod")}
    broken = plans[stack]
    plans[stack] = StackPlan(broken.stack, broken.account, tuple(mutated(broken.resources, name, _without_statement(sid))))
    findings = check_cross_stack(plans["dev"], [plans["test"], plans["prod"]])
    assert findings, "the missing grant went unnoticed"
    assert all(f.rule == "cross-account-access" and f.severity == "error" for f in findings)
    assert any(expect in f.message for f in findings)
    subject = next(r["urn"] for r in broken.resources if r["name"] == name and r["type"].startswith("aws:"))
    if side == "owner":
        assert any(f.resource == subject for f in findings)
    else:
        assert all(f.message.startswith(f"{stack}:") or stack in f.message for f in findings)
