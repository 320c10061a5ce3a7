"""The Terraform plan export: types, attributes, blocks and references a scanner reads."""

from __future__ import annotations

import json

import pytest

from mlops.plan.tfplan import snake, terraform_type, to_tfplan

ACCOUNT, REGION = "111122223333", "eu-west-1"
URN = "urn:pulumi:dev::mlops::{type}::{name}"


def resource(type_: str, name: str, inputs: dict, depends_on: tuple[str, ...] = ()) -> dict:
    return {"urn": URN.format(type=type_, name=name), "type": type_, "name": name, "inputs": inputs,
            "options": {"depends_on": list(depends_on), "protect": False, "retain_on_delete": False}}


BUCKET = resource("aws:s3/bucket:Bucket", "raw", {"bucket": "mlops-dev-raw", "tags": {"team": "ml"}})
KEY = resource("aws:kms/key:Key", "platform-key", {"enableKeyRotation": True})
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/"
PLAN = {
    "stack": "dev", "environment": "dev", "outputs": {"accountId": ACCOUNT, "region": REGION},
    "resources": [
        resource("mlops:storage:SecureBucket", "raw", {}),
        BUCKET,
        KEY,
        resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "raw-sse", {
            "bucket": "mlops-dev-raw",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}],
        }, depends_on=(BUCKET["urn"],)),
        resource("aws:ec2/vpc:Vpc", "network-vpc", {"cidrBlock": "10.40.0.0/16"}),
        resource("aws:sns/topicSubscription:TopicSubscription", "alerts-mail", {"topic": "arn:aws:sns:x", "protocol": "email"}),
        resource("aws:cloudwatch/eventBusPolicy:EventBusPolicy", "bus", {"policy": "{}"}),
    ],
}


@pytest.mark.parametrize(("token", "expected"), [
    ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
    ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
    ("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "aws_sagemaker_endpoint_configuration"),
    ("aws:cloudwatch/eventBusPolicy:EventBusPolicy", "aws_cloudwatch_event_bus_policy"),
    ("aws:s3/bucketObjectv2:BucketObjectv2", "aws_s3_bucket_object"),
    ("mlops:storage:SecureBucket", None),
    ("pulumi:providers:aws", None),
])
def test_pulumi_tokens_become_terraform_types(token: str, expected: str | None) -> None:
    assert terraform_type(token) == expected


def test_camel_case_becomes_snake_case() -> None:
    assert [snake(n) for n in ("kmsKeyId", "retentionInDays", "SSEAlgorithm", "bucket")] == [
        "kms_key_id", "retention_in_days", "sse_algorithm", "bucket"]


def test_resources_attributes_blocks_and_maps() -> None:
    doc = to_tfplan(PLAN)
    by_address = {r["address"]: r for r in doc["planned_values"]["root_module"]["resources"]}
    assert sorted(by_address) == [
        "aws_cloudwatch_event_bus_policy.bus", "aws_kms_key.platform-key", "aws_s3_bucket.raw",
        "aws_s3_bucket_server_side_encryption_configuration.raw-sse", "aws_sns_topic_subscription.alerts-mail",
        "aws_vpc.network-vpc"]
    assert by_address["aws_s3_bucket.raw"]["values"]["tags"] == {"team": "ml"}
    sse = by_address["aws_s3_bucket_server_side_encryption_configuration.raw-sse"]["values"]
    assert sse["rule"] == [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}]
    assert by_address["aws_sns_topic_subscription.alerts-mail"]["values"]["topic_arn"] == "arn:aws:sns:x"
    assert by_address["aws_kms_key.platform-key"]["mode"] == "managed"
    assert [c["change"]["actions"] for c in doc["resource_changes"]] == [["create"]] * 6


def test_links_between_resources_become_references() -> None:
    configured = {r["address"]: r for r in to_tfplan(PLAN)["configuration"]["root_module"]["resources"]}
    sse = configured["aws_s3_bucket_server_side_encryption_configuration.raw-sse"]
    assert sse["expressions"]["bucket"] == {"references": ["aws_s3_bucket.raw.id", "aws_s3_bucket.raw"]}
    assert sse["depends_on"] == ["aws_s3_bucket.raw"]
    # A resource's own name is no reference.
    assert "references" not in configured["aws_s3_bucket.raw"]["expressions"]["bucket"]


def test_the_same_plan_gives_the_same_bytes() -> None:
    shuffled = {**PLAN, "resources": list(reversed(PLAN["resources"]))}
    assert json.dumps(to_tfplan(PLAN)) == json.dumps(to_tfplan(shuffled))
