"""The environment foundation: key, buckets, network, roles, workspace, alerting and budget.

This is composition, not a reusable component: it turns validated stack settings into the
typed arguments of the components in ``components/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.alerting import (
    AlertTopic,
    AlertTopicArgs,
    DeadLetterQueue,
    DeadLetterQueueArgs,
)
from components.budget import CostBudget, CostBudgetArgs
from components.encryption import PlatformKey, PlatformKeyArgs
from components.identity import (
    PERSONAS,
    AccessPolicies,
    AccessPoliciesArgs,
    PlatformRoles,
    PlatformRolesArgs,
)
from components.network import PlatformNetwork, PlatformNetworkArgs
from components.storage import SecureBucket, SecureBucketArgs
from components.studio import StudioWorkspace, StudioWorkspaceArgs
from infra.config.stack import StackSettings

#: The platform's buckets and, for data that only matters for a while, their object expiry.
BUCKETS = ("raw", "curated", "artifacts", "capture", "monitoring")
SHORT_LIVED = ("capture", "monitoring")


@dataclass(frozen=True)
class FoundationView:
    """What a model needs from an environment's foundation: its own, or the shared dev one.

    Attributes:
        account_id: The environment's account.
        kms_key_arn: The platform key.
        bucket_names: Bucket names by role (raw, curated, artifacts, capture, monitoring).
        role_arns: Service and persona role ARNs by role name.
        subnet_ids: Private subnets.
        security_group_id: The workload security group.
        alert_topic_arn: The alert topic.
        resource_prefix: Prefix of this stack's SageMaker resources.
        registry_account_id: The account owning model package groups and image repositories.
        dead_letter_arn: Queue keeping EventBridge events that could not be delivered.
        data_prefix: Where this stack's data lives in the buckets ("" or ``users/<owner>/``).
    """

    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    bucket_names: dict[str, pulumi.Input[str]]
    role_arns: dict[str, pulumi.Input[str]]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_id: pulumi.Input[str]
    alert_topic_arn: pulumi.Input[str]
    resource_prefix: str
    registry_account_id: pulumi.Input[str]
    dead_letter_arn: pulumi.Input[str]
    data_prefix: str = ""


@dataclass(frozen=True)
class FoundationArgs:
    """What the foundation needs beyond the stack settings.

    Attributes:
        env: The stack's validated settings.
        account_id: The environment's account (configured, or the caller's).
        registry_account_id: The account owning the model registry (dev's).
        audience: Users with access in the migration's current stage.
        admins: Users of the platform-admin persona.
        registry_artifacts_bucket: The registry stack's artifacts bucket when another stack owns
            the registry, else None.
        registry_kms_key_arn: The registry stack's key when another stack owns the registry, else None.
    """

    env: StackSettings
    account_id: pulumi.Input[str]
    registry_account_id: pulumi.Input[str]
    audience: Sequence[str]
    admins: Sequence[str]
    registry_artifacts_bucket: pulumi.Input[str] | None = None
    registry_kms_key_arn: pulumi.Input[str] | None = None


class Foundation(pulumi.ComponentResource):
    """Everything an environment has before any model is onboarded."""

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:platform:Foundation", name, None, opts)
        env, prefix = args.env, name
        protect = env.protection.protect_stateful
        child = pulumi.ResourceOptions(parent=self)
        self.account_id = pulumi.Output.from_input(args.account_id)
        self.registry_account_id = args.registry_account_id
        self.region = env.region
        self.prefix = prefix

        self.roles = PlatformRoles(
            f"{prefix}-roles",
            PlatformRolesArgs(
                name_prefix=prefix, account_id=args.account_id, audience=args.audience, admins=args.admins,
                persona_principals={
                    persona: self.account_id.apply(lambda account, persona=persona: env.personas.principals(persona, account))
                    for persona in PERSONAS
                },
            ),
            opts=child,
        )
        key_users = ["sagemaker-execution", "pipeline", "mlflow", "platform-admin", "data-scientist",
                     "platform-admin-studio", "data-scientist-studio", "model-approver-studio"]
        self.key = PlatformKey(
            f"{prefix}-key",
            PlatformKeyArgs(
                alias=f"{prefix}-platform",
                account_id=args.account_id,
                region=env.region,
                user_role_arns=[self.roles.arns[r] for r in key_users],
                reader_accounts=env.registry.reader_accounts,
                deletion_window_days=env.protection.kms_deletion_window_days,
                protect=protect,
            ),
            # KMS rejects a key policy naming principals that do not exist yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.roles]),
        )
        bucket_name = lambda role: pulumi.Output.concat(prefix, "-", role, "-", args.account_id, "-", env.region)  # noqa: E731
        self.access_logs = SecureBucket(
            f"{prefix}-access-logs",
            SecureBucketArgs(
                bucket_name=bucket_name("access-logs"),
                kms_key_arn=None,
                log_bucket=None,
                noncurrent_version_days=env.retention.noncurrent_version_days,
                expire_objects_days=max(env.retention.log_days, 90),
                account_id=args.account_id,
                force_destroy=env.protection.force_destroy,
                protect=protect,
            ),
            opts=child,
        )
        self.buckets = {
            role: SecureBucket(
                f"{prefix}-{role}",
                SecureBucketArgs(
                    bucket_name=bucket_name(role),
                    kms_key_arn=self.key.arn,
                    log_bucket=self.access_logs.name,
                    noncurrent_version_days=env.retention.noncurrent_version_days,
                    expire_objects_days=env.retention.capture_days if role in SHORT_LIVED else None,
                    reader_accounts=tuple(env.registry.reader_accounts) if role == "artifacts" else (),
                    eventbridge=role == "raw",
                    account_id=args.account_id,
                    force_destroy=env.protection.force_destroy,
                    protect=protect,
                ),
                opts=child,
            )
            for role in BUCKETS
        }
        self.network = PlatformNetwork(
            f"{prefix}-network",
            PlatformNetworkArgs(
                cidr=env.network.cidr,
                zone_count=env.network.availability_zones,
                region=env.region,
                interface_endpoints=env.network.interface_endpoints,
                flow_logs=env.network.flow_logs,
                log_retention_days=env.retention.log_days,
                kms_key_arn=self.key.arn,
                account_id=args.account_id,
                name_prefix=prefix,
                protect=protect,
            ),
            opts=child,
        )
        AccessPolicies(
            f"{prefix}-access",
            AccessPoliciesArgs(
                roles=self.roles.roles,
                region=env.region,
                account_id=args.account_id,
                registry_account_id=args.registry_account_id,
                resource_prefix=prefix,
                registry_prefix=env.name_prefix,
                kms_key_arn=self.key.arn,
                bucket_arns={role: bucket.arn for role, bucket in self.buckets.items()},
                vpc_id=self.network.vpc_id,
                registry_artifacts_bucket=args.registry_artifacts_bucket,
                registry_kms_key_arn=args.registry_kms_key_arn,
            ),
            opts=child,
        )
        self.alerts = AlertTopic(
            f"{prefix}-alerts",
            AlertTopicArgs(topic_name=f"{prefix}-alerts", kms_key_arn=self.key.arn, email=env.alerts.email, account_id=args.account_id),
            opts=child,
        )
        self.dead_letters = DeadLetterQueue(
            f"{prefix}-dead-letters",
            DeadLetterQueueArgs(queue_name=f"{prefix}-event-dead-letters", kms_key_arn=self.key.arn, account_id=args.account_id),
            opts=child,
        )
        CostBudget(
            f"{prefix}-cost",
            CostBudgetArgs(
                budget_name=f"{prefix}-monthly",
                monthly_limit_usd=env.budget.monthly_limit_usd,
                environment=env.environment,
                topic_arn=self.alerts.arn,
                email=env.alerts.email,
            ),
            opts=child,
        )
        self.studio = None
        if env.studio.enabled:
            self.studio = StudioWorkspace(
                f"{prefix}-studio",
                StudioWorkspaceArgs(
                    domain_name=f"{prefix}-studio",
                    vpc_id=self.network.vpc_id,
                    subnet_ids=self.network.subnet_ids,
                    security_group_ids=[self.network.workload_security_group_id],
                    kms_key_arn=self.key.arn,
                    # Studio users run as a persona role of their own, never as the serving role.
                    execution_role_arn=self.roles.arns["data-scientist-studio"],
                    users=args.audience,
                    idle_timeout_minutes=env.studio.idle_timeout_minutes,
                    tracking_server_name=f"{prefix}-mlflow",
                    tracking_artifact_uri=pulumi.Output.concat("s3://", self.buckets["artifacts"].name, "/mlflow"),
                    tracking_role_arn=self.roles.arns["mlflow"],
                    tracking_size=env.studio.mlflow_size,
                    retain_home=protect,
                    protect=protect,
                ),
                opts=child,
            )
        self.register_outputs({})

    def view(self) -> FoundationView:
        """This foundation as the models see it."""
        return FoundationView(
            account_id=self.account_id,
            kms_key_arn=self.key.arn,
            bucket_names={role: b.name for role, b in self.buckets.items()},
            role_arns=dict(self.roles.arns),
            subnet_ids=self.network.subnet_ids,
            security_group_id=self.network.workload_security_group_id,
            alert_topic_arn=self.alerts.arn,
            resource_prefix=self.prefix,
            registry_account_id=self.registry_account_id,
            dead_letter_arn=self.dead_letters.arn,
        )

    def outputs(self) -> dict[str, pulumi.Input]:
        """The stack outputs later stacks and tools read (names are part of the contract)."""
        outputs: dict[str, pulumi.Input] = {
            "accountId": self.account_id,
            "region": self.region,
            "kmsKeyArn": self.key.arn,
            "buckets": {role: b.name for role, b in {**self.buckets, "access-logs": self.access_logs}.items()},
            "roleArns": dict(self.roles.arns),
            "alertTopicArn": self.alerts.arn,
            "deadLetterQueueArn": self.dead_letters.arn,
            "vpcId": self.network.vpc_id,
            "subnetIds": self.network.subnet_ids,
            "workloadSecurityGroupId": self.network.workload_security_group_id,
        }
        if self.studio is not None:
            outputs["studioDomainId"] = self.studio.domain_id
            outputs["mlflowTrackingServerArn"] = self.studio.tracking_server_arn
        return outputs
