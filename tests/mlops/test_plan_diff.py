"""The plan diff of a catalog change, as a reviewer reads it."""

from __future__ import annotations

import copy
import json

from mlops.plan.diff import FOUNDATION, changed_paths, diff_plans
from mlops.plan.diff_report import render_json, render_markdown
from mlops.plan.replacements import REPLACE_RULES

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_the_same_plan_changes_nothing(plans):
    plan = plans("base", "prod")
    diff = diff_plans(plan, copy.deepcopy(plan))
    assert diff.is_empty and diff.summary() == "0 to create, 0 to update, 0 to replace, 0 to delete"
    assert diff.unchanged == sum(1 for r in plan["resources"] if not r["type"].startswith("mlops:"))


def test_a_model_added_is_created_in_its_own_group(plans):
    diff = diff_plans(plans("base", "dev"), plans("head", "dev"))
    created = diff.in_group("pricing")
    assert created and all(c.action == "create" for c in created)
    assert {"aws:sagemaker/pipeline:Pipeline", "aws:sagemaker/modelPackageGroup:ModelPackageGroup"} <= {c.type for c in created}
    # No other model's resources change; the foundation changes only where it lists the models.
    assert all(c.group in {"pricing", "demand-forecast", FOUNDATION} for c in diff.changes)


def test_a_removed_model_is_deleted(plans):
    diff = diff_plans(plans("base", "dev"), plans("head", "dev"))
    removed = diff.in_group("demand-forecast")
    assert removed and all(c.action == "delete" for c in removed)
    assert diff.counts("demand-forecast")["delete"] == len(removed)


def test_a_variant_instance_type_change_replaces_the_endpoint_configuration(plans):
    diff = diff_plans(plans("base", "prod"), plans("head", "prod"))
    config = next(c for c in diff.in_group("churn") if c.type == ENDPOINT_CONFIG)
    assert config.action == "replace"
    assert config.replace_paths == ("productionVariants[0].instanceType",)
    assert diff.counts()["replace"] >= 1


def test_an_alarm_threshold_change_is_an_update_in_place(plans):
    diff = diff_plans(plans("base", "test"), plans("head", "test"))
    latency = [c for c in diff.in_group("churn") if c.type == METRIC_ALARM and c.name.endswith("latency")]
    assert [(c.action, c.paths) for c in latency] == [("update", ("alarmDescription", "threshold"))]


def test_paths_point_inside_json_documents():
    old = {"policy": json.dumps({"Statement": [{"Action": ["s3:GetObject"]}]}), "tags": {"a": "1"}}
    new = {"policy": json.dumps({"Statement": [{"Action": ["s3:PutObject"]}]}), "tags": {"a": "1", "b": "2"}}
    assert changed_paths(old, new) == ["policy:Statement[0].Action[0]", "tags.b"]


def test_policy_violations_and_deploy_findings_added_and_removed(plans):
    base = copy.deepcopy(plans("base", "dev"))
    kept = {"rule": "s3-bucket-versioning", "severity": "high", "resource": "urn:kept", "message": "off"}
    removed = {"rule": "kms-key-rotation", "severity": "high", "resource": "urn:x", "message": "off"}
    base["policy"]["violations"] = [kept, removed]
    finding = {"rule": "sagemaker-name", "severity": "error", "resource": "urn:y", "field": "endpointName", "message": "too long", "doc": "botocore"}
    base["deploy"] = {"findings": [finding]}
    head = copy.deepcopy(base)
    head["policy"]["violations"] = [kept, added := {**removed, "resource": "urn:z"}]
    head["deploy"]["findings"].append(other_field := {**finding, "field": "endpointConfigName"})
    diff = diff_plans(base, head)
    assert diff.violations_added == (added,) and diff.violations_removed == (removed,)
    assert diff.findings_added == (other_field,) and diff.findings_removed == ()
    assert "sagemaker-name" in render_markdown([diff])


def test_markdown_comment_tells_each_environment(plans):
    diffs = [diff_plans(plans("base", s), plans("head", s)) for s in ("dev", "prod")]
    text = render_markdown(diffs)
    dev, prod = diffs
    assert f"**dev**: {dev.summary()}" in text and f"**prod**: {prod.summary()}" in text
    assert "| model pricing | " in text and "| model demand-forecast | 0 | 0 | 0 | " in text
    assert "<details><summary>model churn: " in text
    assert "productionVariants[0].instanceType (replaces)" in text
    assert "`-/+` | `mlops-prod-churn-serving-config`" in text
    assert json.loads(render_json(diffs))[1]["summary"] == prod.counts()


def test_replacement_table_covers_every_aws_type_planned(plans):
    planned = {r["type"] for s in ("dev", "test", "prod") for r in plans("base", s)["resources"] if r["type"].startswith("aws:")}
    assert planned - REPLACE_RULES.keys() == set()
    assert all(rule.source.startswith("terraform-provider-aws internal/service/") for rule in REPLACE_RULES.values())
