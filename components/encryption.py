"""The environment's customer-managed KMS key: everything stateful is encrypted with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, statement

_USE = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


@dataclass(frozen=True)
class PlatformKeyArgs:
    """Inputs of a ``PlatformKey``.

    Attributes:
        alias: Alias name without the ``alias/`` prefix.
        account_id: The account that owns the key (its root administers it through IAM).
        region: The key's region (for the CloudWatch Logs service principal).
        user_role_arns: Roles that use the key directly; they are named in the key policy.
        reader_accounts: Accounts (test, prod) that decrypt registry artifacts through S3,
            SageMaker and ECR only.
        deletion_window_days: 7-30; a deleted key is recoverable for this long.
        protect: Protect and retain the key (prod).
    """

    alias: str
    account_id: pulumi.Input[str]
    region: str
    user_role_arns: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    reader_accounts: Sequence[str] = field(default_factory=tuple)
    deletion_window_days: int = 30
    protect: bool = False


class PlatformKey(pulumi.ComponentResource):
    """A symmetric CMK with yearly rotation, a key policy naming its users, and an alias."""

    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:security:PlatformKey", name, None, opts)
        root = pulumi.Output.concat("arn:aws:iam::", args.account_id, ":root")
        source_account = {"StringEquals": {"aws:SourceAccount": args.account_id}}
        statements = [
            # Without this statement nobody could ever administer the key again.
            statement("AccountAdministersKeyThroughIam", ["kms:*"], ["*"], principal={"AWS": root}),
            statement("PlatformRolesUseKey", [*_USE, "kms:CreateGrant"], ["*"], principal={"AWS": list(args.user_role_arns)})
            if args.user_role_arns
            else statement("NoDirectUsers", ["kms:DescribeKey"], ["*"], principal={"AWS": root}),
            statement(
                "CloudWatchLogsEncryptLogGroups",
                _USE,
                ["*"],
                principal={"Service": f"logs.{args.region}.amazonaws.com"},
                condition={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            "arn:aws:logs:", args.region, ":", args.account_id, ":log-group:*"
                        )
                    }
                },
            ),
            # Alarms, rules and budgets publish to the encrypted alert topic; each service needs the key
            # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
            statement(
                "AlertPublishersUseKey",
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                ["*"],
                principal={"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                condition=source_account,
            ),
        ]
        if args.reader_accounts:
            statements.append(
                statement(
                    "EnvironmentsDecryptRegistryArtifacts",
                    ["kms:Decrypt", "kms:DescribeKey"],
                    ["*"],
                    principal={"AWS": [f"arn:aws:iam::{account}:root" for account in sorted(args.reader_accounts)]},
                    condition={"StringLike": {"kms:ViaService": [f"{svc}.{args.region}.amazonaws.com" for svc in ("ecr", "s3", "sagemaker")]}},
                )
            )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Platform key {args.alias}: data, artifacts, registry images, logs and alerts",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            policy=document(*statements),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
