"""The rule framework: environments from stack names, linking side resources, rule metadata."""

from __future__ import annotations

import pytest

from policy.engine import RULES
from policy.framework import (
    EVERYWHERE,
    NOWHERE,
    PROD_ONLY,
    Resource,
    ResourceOptions,
    Rule,
    Stack,
    build_registry,
    environment_of_stack,
    stack_of_urn,
)
from policy.rules.policy_documents import findings, statements

BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"


def _resource(type_: str, name: str, inputs: dict | None = None, **options) -> Resource:
    return Resource(urn=f"urn:pulumi:prod::mlops::{type_}::{name}", type=type_, name=name, inputs=inputs or {},
                    options=ResourceOptions(**options))


@pytest.mark.parametrize(("stack", "environment"), [
    ("dev", "dev"), ("dev-alice", "dev"), ("dev-alice-churn", "dev"), ("test", "test"), ("prod", "prod"),
    ("production", None), ("devops", None), ("staging", None), ("", None),
])
def test_the_environment_comes_from_the_stack_name(stack: str, environment: str | None) -> None:
    assert environment_of_stack(stack) == environment


def test_the_stack_name_is_read_from_a_urn() -> None:
    assert stack_of_urn("urn:pulumi:dev-alice::mlops::mlops:foundation:DataLake$aws:s3/bucket:Bucket::raw") == \
        "dev-alice"
    assert stack_of_urn("not-a-urn") == ""


def test_property_dependencies_link_a_side_resource_exactly() -> None:
    raw, logs = _resource(BUCKET, "raw"), _resource(BUCKET, "logs")
    block = _resource(BLOCK, "raw-block", {"bucket": "raw-a1b2c3"}, depends_on=(raw.urn, logs.urn),
                      property_dependencies={"bucket": (raw.urn,)})
    stack = Stack([raw, logs, block])

    assert stack.referring(raw, BLOCK, "bucket") == [block]
    assert stack.referring(logs, BLOCK, "bucket") == []


def test_a_physical_name_links_a_side_resource() -> None:
    raw = _resource(BUCKET, "raw", {"bucket": "mlops-raw"})
    block = _resource(BLOCK, "raw-block", {"bucket": "mlops-raw"})

    assert Stack([raw, block]).referring(raw, BLOCK, "bucket") == [block]


def test_without_property_dependencies_the_only_dependency_of_the_type_links() -> None:
    vpc, other = _resource(VPC, "main"), _resource(VPC, "other")
    subnet = _resource(SUBNET, "private-a", {"vpcId": "vpc-0abc"}, depends_on=(vpc.urn,))
    ambiguous = _resource(SUBNET, "private-b", {"vpcId": "vpc-0abc"}, depends_on=(vpc.urn, other.urn))
    stack = Stack([vpc, other, subnet, ambiguous])

    assert stack.referring(vpc, SUBNET, "vpcId") == [subnet]
    assert stack.referring(vpc, SUBNET, "vpcId", by_dependency=False) == []


def test_a_literal_input_is_not_linked_through_other_dependencies() -> None:
    # The plan reports property dependencies: the literal `bucket` was not computed from `raw`.
    raw = _resource(BUCKET, "raw")
    block = _resource(BLOCK, "block", {"bucket": "someone-elses-bucket"}, depends_on=(raw.urn,),
                      property_dependencies={"policy": (raw.urn,)})

    assert Stack([raw, block]).referring(raw, BLOCK, "bucket") == []


def test_nested_inputs_are_read_tolerantly() -> None:
    endpoint = _resource("aws:sagemaker/endpoint:Endpoint", "ep", {
        "deploymentConfig": {"autoRollbackConfiguration": {"alarms": [{"alarmName": "ep-5xx"}]}}})

    assert endpoint.get("deploymentConfig", "autoRollbackConfiguration", "alarms", 0, "alarmName") == "ep-5xx"
    assert endpoint.get("deploymentConfig", "blueGreenUpdatePolicy", "trafficRoutingConfiguration") is None
    assert endpoint.get("deploymentConfig", "autoRollbackConfiguration", "alarms", 3, default="none") == "none"


def test_registry_is_sorted_and_unique() -> None:
    assert [rule.id for rule in RULES] == sorted({rule.id for rule in RULES})


def test_duplicate_rule_ids_are_rejected() -> None:
    rule = RULES[0]

    with pytest.raises(ValueError, match=f"duplicate rule ids: {rule.id}"):
        build_registry([rule], [rule])


@pytest.mark.parametrize(("changes", "message"), [
    ({"id": "NoService"}, "kebab-case"),
    ({"severity": "urgent"}, "severity"),
    ({"anchors": ()}, "anchor"),
    ({"mandatory_in": frozenset({"staging"})}, "subset"),
    ({"check_stack": lambda stack, context: []}, "exactly one"),
])
def test_rule_metadata_is_validated(changes: dict, message: str) -> None:
    fields = dict(id="s3-example", title="t", severity="low", anchors=("CKV_AWS_21",), mandatory_in=EVERYWHERE,
                  resource_types=(BUCKET,), check=lambda resource, context: [])

    with pytest.raises(ValueError, match=message):
        Rule(**{**fields, **changes})


def test_every_rule_is_p0_p1_or_p2() -> None:
    # P0 blocks everywhere, P1 (and prod-only P0) in prod, P2 nowhere: no other combination.
    assert {rule.mandatory_in for rule in RULES} == {EVERYWHERE, PROD_ONLY, NOWHERE}
    assert {rule.service for rule in RULES} == {"s3", "kms", "ecr", "iam", "sagemaker", "cloudwatch", "sns",
                                                "eventbridge", "vpc"}


def test_policy_documents_accept_every_principal_and_action_form() -> None:
    [anyone, service, account] = statements(
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},'
        ' {"Effect": "Allow", "Principal": {"Service": ["sagemaker.amazonaws.com"]}, "Action": ["sts:AssumeRole"]},'
        ' {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:*"}]}')

    assert anyone.public and not service.public and not account.public
    assert account.account_roots == ("arn:aws:iam::444455556666:root",)
    assert account.grants("sts:AssumeRole") == ["sts:*"]
    assert statements(None) == []


def test_an_unreadable_policy_document_is_a_finding() -> None:
    assert findings("{not json", lambda statement: None) == ["policy document is not valid JSON (Expecting "
                                                              "property name enclosed in double quotes)"]
    assert findings("[]", lambda statement: None) == ["policy document is not a JSON object"]
