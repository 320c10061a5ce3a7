"""The data scientists' workspace: a VPC-only Studio domain, user profiles, and MLflow tracking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class StudioWorkspaceArgs:
    """Inputs of a ``StudioWorkspace``.

    Attributes:
        domain_name: Studio domain name.
        vpc_id: The platform VPC.
        subnet_ids: Private subnets for Studio apps.
        security_group_ids: Security groups of Studio apps.
        kms_key_arn: CMK for the domain's storage.
        execution_role_arn: Default execution role of every user.
        users: User profile names (the migration's current audience).
        idle_timeout_minutes: JupyterLab apps shut down after this idle time (cost).
        tracking_server_name: MLflow tracking server name.
        tracking_artifact_uri: S3 URI where MLflow stores artifacts.
        tracking_role_arn: Role of the tracking server.
        tracking_size: Small, Medium or Large.
        retain_home: Keep users' home file systems when the domain is deleted.
        protect: Protect and retain the domain (prod).
    """

    domain_name: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    users: Sequence[str]
    idle_timeout_minutes: int
    tracking_server_name: str
    tracking_artifact_uri: pulumi.Input[str]
    tracking_role_arn: pulumi.Input[str]
    tracking_size: str
    retain_home: bool
    protect: bool


class StudioWorkspace(pulumi.ComponentResource):
    """Studio domain (IAM auth, VPC-only, CMK), one profile per user, and an MLflow server."""

    domain: aws.sagemaker.Domain
    domain_id: pulumi.Output[str]
    tracking_server_arn: pulumi.Output[str]

    def __init__(self, name: str, args: StudioWorkspaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:workspace:StudioWorkspace", name, None, opts)
        self.domain = aws.sagemaker.Domain(
            f"{name}-domain",
            domain_name=args.domain_name,
            auth_mode="IAM",
            vpc_id=args.vpc_id,
            subnet_ids=list(args.subnet_ids),
            app_network_access_type="VpcOnly",
            kms_key_id=args.kms_key_arn,
            default_user_settings={
                "execution_role": args.execution_role_arn,
                "security_groups": list(args.security_group_ids),
                "jupyter_lab_app_settings": {
                    "app_lifecycle_management": {
                        "idle_settings": {
                            "lifecycle_management": "ENABLED",
                            "idle_timeout_in_minutes": args.idle_timeout_minutes,
                            "min_idle_timeout_in_minutes": 60,
                            "max_idle_timeout_in_minutes": max(args.idle_timeout_minutes, 60),
                        }
                    }
                },
            },
            retention_policy={"home_efs_file_system": "Retain" if args.retain_home else "Delete"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        self.domain_id = self.domain.id
        for user in sorted(args.users):
            aws.sagemaker.UserProfile(
                f"{name}-user-{user}",
                domain_id=self.domain.id,
                user_profile_name=user,
                user_settings={"execution_role": args.execution_role_arn, "security_groups": list(args.security_group_ids)},
                opts=pulumi.ResourceOptions(parent=self),
            )
        tracking = aws.sagemaker.MlflowTrackingServer(
            f"{name}-mlflow",
            tracking_server_name=args.tracking_server_name,
            artifact_store_uri=args.tracking_artifact_uri,
            role_arn=args.tracking_role_arn,
            tracking_server_size=args.tracking_size,
            automatic_model_registration=True,
            weekly_maintenance_window_start="Sun:02:00",
            # Its backend store holds every experiment and run.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        self.tracking_server_arn = tracking.arn
        self.register_outputs({"domain_id": self.domain_id, "tracking_server_arn": self.tracking_server_arn})
