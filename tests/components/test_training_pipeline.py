"""TrainingPipeline: the pipeline built from its resolved inputs, and triggers that never lose an event."""

from __future__ import annotations

import json

import pytest
from rendering import KEY_ARN, LONG_BASE, QUEUE_ARN, ROLE_ARN, SECURITY_GROUPS, SUBNETS, auto_named_length

from components.training_pipeline import ResolvedPipelineInputs, TrainingPipeline, TrainingPipelineArgs
from infra.config.aws_data import name_limit
from pipelines.definition.step_code import StepCode

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PIPELINE = "aws:sagemaker/pipeline:Pipeline"
TRIGGER_ROLE = ROLE_ARN.replace("sagemaker-execution", "pipeline-trigger")
CODE = StepCode.of("train", "train.py", b"print('train')\n")


def definition(inputs: ResolvedPipelineInputs) -> str:
    """A stand-in for the SDK-built definition that shows which resolved values it received."""
    return json.dumps({"role": inputs.role_arn, "code": dict(inputs.code_uris), "subnets": list(inputs.subnet_ids), "key": inputs.kms_key_arn}, sort_keys=True)


def pipeline(name: str = "mlops-dev-churn", **overrides) -> TrainingPipeline:
    args = {
        "pipeline_name": f"{name}-training", "description": "Churn training", "definition": definition, "step_code": (CODE,),
        "artifacts_bucket": "mlops-dev-artifacts", "raw_bucket": "mlops-dev-raw", "raw_prefix": "churn/", "role_arn": ROLE_ARN,
        "trigger_role_arn": TRIGGER_ROLE, "kms_key_arn": KEY_ARN, "subnet_ids": list(SUBNETS), "security_group_ids": list(SECURITY_GROUPS),
        "schedule": "cron(0 3 ? * MON *)", "drift_alarm_names": ("mlops-dev-churn-drift",), "dead_letter_arn": QUEUE_ARN, **overrides,
    }
    return TrainingPipeline(name, TrainingPipelineArgs(**args))


@pytest.fixture(scope="module")
def out(render):
    return render(pipeline)


def test_step_code_is_uploaded_encrypted_at_its_content_address(out):
    code = out.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs
    assert code["key"] == CODE.key and code["bucket"] == "mlops-dev-artifacts"
    assert code["serverSideEncryption"] == "aws:kms" and code["kmsKeyId"] == KEY_ARN


def test_definition_is_built_from_the_resolved_deployed_values(out):
    built = json.loads(out.one(PIPELINE).inputs["pipelineDefinition"])
    assert built == {"role": ROLE_ARN, "code": {"train": f"s3://mlops-dev-artifacts/{CODE.key}"}, "subnets": list(SUBNETS), "key": KEY_ARN}
    assert out.one(PIPELINE).inputs["pipelineName"] == "mlops-dev-churn-training"


def test_schedule_new_data_and_drift_each_start_the_pipeline(out):
    rules = {r.name.removeprefix("mlops-dev-churn-on-"): r.inputs for r in out.of_type(RULE)}
    assert set(rules) == {"schedule", "new-data", "drift"}
    assert rules["schedule"]["scheduleExpression"] == "cron(0 3 ? * MON *)"
    new_data = json.loads(rules["new-data"]["eventPattern"])
    assert new_data["detail"] == {"bucket": {"name": ["mlops-dev-raw"]}, "object": {"key": [{"prefix": "churn/"}]}}
    drift = json.loads(rules["drift"]["eventPattern"])
    assert drift["detail"] == {"alarmName": ["mlops-dev-churn-drift"], "state": {"value": ["ALARM"]}}


def test_every_trigger_retries_and_keeps_failed_events_in_the_dead_letter_queue(out):
    targets = out.of_type(TARGET)
    assert len(targets) == 3
    for target in targets:
        assert target.inputs["roleArn"] == TRIGGER_ROLE
        assert target.inputs["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 3}
        assert target.inputs["deadLetterConfig"] == {"arn": QUEUE_ARN}


def test_triggers_can_be_switched_off(render):
    out = render(lambda: pipeline(schedule=None, retrain_on_new_data=False, drift_alarm_names=()))
    assert not out.of_type(RULE) and not out.of_type(TARGET)
    assert out.one(PIPELINE)


def test_long_model_names_keep_rules_and_targets_within_aws_limits(render):
    out = render(lambda: pipeline(LONG_BASE))
    rule_limit, target_limit = name_limit("events", "RuleName").max_length, name_limit("events", "TargetId").max_length
    assert len(out.of_type(RULE)) == 3
    for rule in out.of_type(RULE):
        assert auto_named_length(rule) <= rule_limit, rule.name
    for target in out.of_type(TARGET):
        assert auto_named_length(target) <= target_limit, target.name
    assert len({r.name for r in out.of_type(RULE)}) == 3  # still one rule per trigger
