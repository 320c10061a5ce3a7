"""The rule registry: every rule of every service, sorted by id."""

from policy.framework import build_registry
from policy.rules import (
    cloudwatch_sns,
    ecr,
    eventbridge,
    iam,
    iam_least_privilege,
    kms,
    s3,
    sagemaker,
    vpc,
)

RULES = build_registry(
    s3.RULES,
    kms.RULES,
    ecr.RULES,
    iam.RULES,
    iam_least_privilege.RULES,
    sagemaker.RULES,
    cloudwatch_sns.RULES,
    eventbridge.RULES,
    vpc.RULES,
)
