"""The fixture table: for every rule, a compliant fixture and the ways to break it.

Every non-compliant fixture is its compliant family with one thing changed, and names the message
fragment (and optionally the resource) the rule must report. A `Broken` fixture is built with the
real constructors; an `Edit` changes an input the compliant plan already has (or removes a
resource), which costs no extra build and can never invent an input shape. Each rule's first
non-compliant fixture is a `Broken` one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import policy_fixtures as f
import pulumi
from policy_fixtures import DROP, KEEP, UNPROTECTED
from policy_harness import edited

KMS_ARN = "arn:aws:kms:us-east-1:111122223333:key/platform"


def document(*statements: dict) -> str:
    """A literal policy document; fixtures are built in their own event loop, so no Outputs here."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass(frozen=True)
class Broken:
    """A non-compliant fixture and what the rule must say about it."""

    build: Callable[[], None]
    expect: str
    flagged: str | None = None
    environment: str = "prod"


@dataclass(frozen=True)
class Edit:
    """A non-compliant fixture made by editing the compliant plan.

    `path` leads to an input that must exist in the plan; `value` replaces it, or DROP deletes
    it. An empty `path` with DROP removes the resource itself.
    """

    resource: str
    path: tuple[str | int, ...]
    value: Any
    expect: str
    flagged: str | None = None
    environment: str = "prod"

    def apply(self, resources: Sequence[dict]) -> list[dict]:
        """A copy of `resources` with the edit made."""
        return edited(resources, self.resource, self.path, self.value)


@dataclass(frozen=True)
class Case:
    """The compliant family a rule passes on, and fixtures it must fail."""

    compliant: Callable[[], None]
    noncompliant: tuple[Broken | Edit, ...]


def _sse(**default: object) -> dict:
    by_default = f.args({"sse_algorithm": "aws:kms", "kms_master_key_id": KMS_ARN}, default)
    return {"rules": [{"apply_server_side_encryption_by_default": by_default, "bucket_key_enabled": True}]}


_PUBLIC_READ = document({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                         "Resource": "arn:aws:s3:::mlops-artifacts/*"})
_NO_TLS = document({"Sid": "ConsumerRead", "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:role/consumer-execution"},
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mlops-artifacts/*"})


def _identity_doc(action: str, resource: str = "*") -> str:
    return document({"Sid": "TooBroad", "Effect": "Allow", "Action": action, "Resource": resource})


def _trust(principal: object) -> dict:
    return {"assume_role_policy": document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})}


_NAMED_SSO_ROLE = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*/"
                                                    "AWSReservedSSO_MlopsDataScientist_*"}}


def _persona_trust(condition: dict, *, tag_session: bool = False) -> str:
    """A persona trust: the account root narrowed by ``condition``."""
    return document({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                     "Action": ["sts:AssumeRole", *(["sts:TagSession"] if tag_session else [])], "Condition": condition})


def _variants(count: int) -> list[dict]:
    return [{"variant_name": "champion", "model_name": "churn-champion", "initial_instance_count": count,
             "instance_type": "ml.c5.xlarge"}]


def _rollback_alarms(*names: str) -> dict:
    return {"deployment_config": {
        "blue_green_update_policy": {"traffic_routing_configuration": {"type": "CANARY",
                                                                       "wait_interval_in_seconds": 600}},
        "auto_rollback_configuration": {"alarms": [{"alarm_name": name} for name in names]}}}


_NETWORK_OFF = {"network_config": {"enable_inter_container_traffic_encryption": True,
                                   "enable_network_isolation": False}}
_CLEAR_TRAFFIC = {"network_config": {"enable_network_isolation": True}}
_REGISTRY_WRITE = document({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/consumer-deploy"},
                            "Action": ["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"],
                            "Resource": "*"})

b, e = Broken, Edit
_DEFAULT_ENCRYPTION = ("rules", 0, "applyServerSideEncryptionByDefault")
_INLINE_NETWORK = ("monitoringScheduleConfig", "monitoringJobDefinition", "networkConfig")
CASES: dict[str, Case] = {
    # S3
    "s3-bucket-public-access-blocked": Case(f.storage, (
        b(partial(f.storage, public_access={"restrict_public_buckets": False}), "set restrictPublicBuckets",
          "artifacts-public-access"),
        e("artifacts-public-access", (), DROP, "no BucketPublicAccessBlock", "artifacts"),
    )),
    "s3-bucket-encrypted-with-kms": Case(f.storage, (
        b(partial(f.storage, encryption=_sse(sse_algorithm="AES256", kms_master_key_id=DROP)),
          "sseAlgorithm is AES256"),
        e("artifacts-encryption", (*_DEFAULT_ENCRYPTION, "kmsMasterKeyId"), DROP, "set kmsMasterKeyId"),
        e("artifacts-encryption", (), DROP, "no BucketServerSideEncryptionConfiguration", "artifacts"),
        b(partial(f.storage, logging={"target_bucket": "mlops-artifacts"}), "must use AES256", "artifacts-encryption"),
    )),
    "s3-bucket-key-enabled": Case(f.storage, (
        b(partial(f.storage, encryption={"rules": [{**_sse()["rules"][0], "bucket_key_enabled": False}]}),
          "bucketKeyEnabled", "artifacts-encryption"),
    )),
    "s3-bucket-versioning-enabled": Case(f.storage, (
        b(partial(f.storage, versioning={"versioning_configuration": {"status": "Suspended"}}), "status is Suspended"),
        e("artifacts-versioning", (), DROP, "no BucketVersioning", "artifacts"),
    )),
    "s3-bucket-ownership-enforced": Case(f.storage, (
        b(partial(f.storage, ownership={"rule": {"object_ownership": "ObjectWriter"}}),
          "objectOwnership is ObjectWriter"),
        e("artifacts-ownership", (), DROP, "no BucketOwnershipControls", "artifacts"),
    )),
    "s3-bucket-tls-only": Case(f.storage, (
        b(partial(f.storage, policy=_NO_TLS), "allows plain-HTTP requests", "artifacts-policy"),
        e("artifacts-policy", (), DROP, "no BucketPolicy", "artifacts"),
        e("artifacts-policy", ("policy",), "{not json", "not valid JSON", "artifacts-policy"),
    )),
    "s3-bucket-policy-no-public-principal": Case(f.storage, (
        b(partial(f.storage, policy=_PUBLIC_READ), "statement 'Everyone' allows s3:GetObject to Principal",
          "artifacts-policy"),
    )),
    "s3-bucket-access-logging": Case(f.storage, (
        b(partial(f.storage, logging=None), "no BucketLogging", "artifacts"),
    )),
    "s3-bucket-lifecycle-configured": Case(f.storage, (
        b(partial(f.storage, lifecycle={"rules": [{"id": "tidy", "status": "Disabled", "filter": {}}]}),
          "no rule has status Enabled"),
        e("artifacts-lifecycle", (), DROP, "no BucketLifecycleConfiguration", "artifacts"),
    )),
    "s3-bucket-no-force-destroy-in-prod": Case(f.storage, (
        b(partial(f.storage, bucket={"force_destroy": True}), "forceDestroy is true", "artifacts"),
    )),
    "s3-bucket-protected-in-prod": Case(f.storage, (
        b(partial(f.storage, opts=UNPROTECTED), "protect=True", "artifacts"),
        b(partial(f.storage, opts=pulumi.ResourceOptions(protect=True)), "retain_on_delete=True", "artifacts"),
    )),
    # KMS
    "kms-key-rotation-enabled": Case(f.key_only, (
        b(partial(f.key_only, enable_key_rotation=False), "set enableKeyRotation true"),
        b(partial(f.key_only, rotation_period_in_days=30), "rotationPeriodInDays is 30"),
    )),
    "kms-key-deletion-window": Case(f.key_only, (
        b(partial(f.key_only, deletion_window_in_days=7), "use 30 in prod"),
        e("platform-key", ("deletionWindowInDays",), 45, "must be between 7 and 30", environment="dev"),
    )),
    "kms-key-no-lockout-bypass": Case(f.key_only, (
        b(partial(f.key_only, bypass_policy_lockout_safety_check=True), "bypassPolicyLockoutSafetyCheck is true"),
    )),
    "kms-key-policy-no-public-principal": Case(f.key_only, (
        b(partial(f.key_only, policy=document({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
                                               "Resource": "*"})), 'to Principal "*"'),
    )),
    "kms-key-policy-defined": Case(f.key_only, (
        b(partial(f.key_only, policy=DROP), "no key policy"),
    )),
    "kms-key-description": Case(f.key_only, (
        b(partial(f.key_only, description=DROP), "add a description"),
    )),
    "kms-key-protected-in-prod": Case(f.key_only, (
        b(partial(f.key_only, opts=UNPROTECTED), "protect=True", "platform-key"),
    )),
    # ECR
    "ecr-repository-scan-on-push": Case(f.images, (
        b(partial(f.images, repository={"image_scanning_configuration": {"scan_on_push": False}}), "scanOnPush"),
    )),
    "ecr-repository-tags-immutable": Case(f.images, (
        b(partial(f.images, repository={"image_tag_mutability": "MUTABLE"}), "imageTagMutability is MUTABLE"),
        e("inference-images", ("imageTagMutability",), DROP, "MUTABLE (the default)"),
    )),
    "ecr-repository-kms-encrypted": Case(f.images, (
        b(partial(f.images, repository={"encryption_configurations": DROP}), "encryptionType is unset"),
        e("inference-images", ("encryptionConfigurations", 0, "kmsKey"), DROP,
          "set encryptionConfigurations[0].kmsKey"),
    )),
    "ecr-repository-policy-no-public-principal": Case(f.images, (
        b(partial(f.images, policy=document({"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage",
                                             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}})),
          'grants to Principal "*"', "inference-images-policy"),
    )),
    "ecr-repository-lifecycle-policy": Case(f.images, (
        b(partial(f.images, lifecycle=False), "no LifecyclePolicy", "inference-images"),
    )),
    "ecr-repository-protected-in-prod": Case(f.images, (
        b(partial(f.images, opts=UNPROTECTED), "protect=True", "inference-images"),
    )),
    # IAM
    "iam-no-aws-managed-full-access": Case(f.identity, (
        b(partial(f.identity, role={"managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"]}),
          "AmazonSageMakerFullAccess is attached", "training-role"),
        e("training-role-pass-role", ("policyArn",), "arn:aws:iam::aws:policy/AdministratorAccess",
          "AdministratorAccess is attached", "training-role-pass-role"),
    )),
    "iam-policy-no-wildcard-action": Case(f.identity, (
        b(partial(f.identity, role_policy=_identity_doc("s3:*")), "allows s3:*", "training-role-access"),
        b(partial(f.identity, role={"inline_policies": [
            {"name": "admin", "policy": document({"Effect": "Allow", "Action": "*", "Resource": "*"})}]}),
          "inline policy admin: a statement allows *", "training-role"),
    )),
    "iam-passrole-scoped": Case(f.identity, (
        b(partial(f.identity, policy=_identity_doc("iam:Pass*")), 'allows iam:PassRole on "*"', "pipeline-pass-role"),
    )),
    "iam-policy-no-kms-decrypt-on-all-keys": Case(f.identity, (
        b(partial(f.identity, role_policy=_identity_doc("kms:Decrypt")), 'kms:Decrypt on "*"'),
    )),
    "iam-trust-policy-restricted": Case(f.identity, (
        b(partial(f.identity, role=_trust({"AWS": "*"})), 'lets Principal "*" assume'),
        e("training-role", ("assumeRolePolicy",), document(
            {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}),
          "every identity in 444455556666"),
        # The persona trust before the fix: any identity of the account that carries the tag.
        e("training-role", ("assumeRolePolicy",), _persona_trust({"StringEquals": {"aws:PrincipalTag/mlops-user": ["alice"]}}),
          "every identity in arn:aws:iam::111122223333:root"),
        e("training-role", ("assumeRolePolicy",), _persona_trust({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:*"}}),
          "add an aws:PrincipalArn"),
    )),
    "iam-trust-policy-no-session-tags": Case(f.identity, (
        b(partial(f.identity, role={"assume_role_policy": _persona_trust(_NAMED_SSO_ROLE, tag_session=True)}),
          "allows sts:TagSession to arn:aws:iam::111122223333:root", "training-role"),
    )),
    "iam-policy-eni-actions-in-vpc": Case(f.identity, (
        b(partial(f.identity, role_policy=_identity_doc("ec2:CreateNetworkInterface")),
          'allows ec2:CreateNetworkInterface on "*" in any VPC', "training-role-access"),
        e("training-role-access", ("policy",), document(
            {"Sid": "RunInVpc", "Effect": "Allow", "Action": ["ec2:DeleteNetworkInterface*"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}}}),
          "ec2:DeleteNetworkInterface* on \"*\" in any VPC"),
    )),
    "iam-policy-actions-match-resources": Case(f.identity, (
        b(partial(f.identity, role_policy=_identity_doc("sagemaker:Search", "arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn")),
          'sagemaker:Search accepts no resource ARN; grant it on "*"', "training-role-access"),
        e("training-role-access", ("policy",), _identity_doc(
            "sagemaker:Describe*", "arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-prod"),
          "sagemaker:Describe* covers"),
        e("training-role-access", ("policy",), _identity_doc("s3:GetObject", "arn:aws:s3:::mlops-artifacts"),
          "s3:GetObject accepts none of these resources"),
    )),
    "iam-role-no-policy-management-conflicts": Case(f.identity, (
        b(partial(f.identity, role={"inline_policies": [{"name": "read", "policy": json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}]})}]}),
          "declares inlinePolicies", "training-role-access"),
        b(partial(f.identity, role={"managed_policy_arns": ["arn:aws:iam::111122223333:policy/read"]}),
          "declares managedPolicyArns", "training-role-pass-role"),
    )),
    # SageMaker: models
    "sagemaker-model-network-isolation": Case(f.serving, (
        b(partial(f.serving, model={"enable_network_isolation": False}), "enableNetworkIsolation", "churn-champion"),
    )),
    "sagemaker-model-in-vpc": Case(f.serving, (
        b(partial(f.serving, model={"vpc_config": DROP}), "vpcConfig has no subnets or securityGroupIds"),
    )),
    "sagemaker-model-image-pinned-by-digest": Case(f.serving, (
        b(partial(f.serving, model={"primary_container": {"image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/"
                                                                   "churn-inference:latest"}}),
          "churn-inference:latest is referenced by tag", "churn-champion"),
    )),
    # SageMaker: serving
    "sagemaker-async-output-encrypted": Case(f.serving, (
        b(partial(f.serving, config={"async_inference_config": {"output_config": {
            "s3_output_path": "s3://mlops-artifacts/async/churn/results/", "s3_failure_path": "s3://mlops-artifacts/async/churn/failures/",
            "notification_config": {"success_topic": "arn:aws:sns:us-east-1:111122223333:ok", "error_topic": "arn:aws:sns:us-east-1:111122223333:err"}}}}),
          "outputConfig sets no kmsKeyId", "churn-config", environment="dev"),
        b(partial(f.serving, config={"async_inference_config": {"output_config": {
            "s3_output_path": "s3://mlops-artifacts/async/churn/results/", "kms_key_id": KMS_ARN}}}),
          "notificationConfig has no successTopic or errorTopic", "churn-config"),
    )),
    "sagemaker-endpoint-config-kms-key": Case(f.serving, (
        b(partial(f.serving, config={"kms_key_arn": DROP}), "set kmsKeyArn", environment="dev"),
    )),
    "sagemaker-endpoint-config-prod-instance-count": Case(f.serving, (
        b(partial(f.serving, config={"production_variants": _variants(1)}), "(champion): initialInstanceCount is 1"),
        e("churn-config", ("shadowProductionVariants", 0, "initialInstanceCount"), 1,
          "shadowProductionVariants[0] (challenger): initialInstanceCount is 1"),
    )),
    "sagemaker-endpoint-config-data-capture": Case(f.serving, (
        b(partial(f.serving, config={"data_capture_config": DROP}), "data capture is off", "churn-config"),
        e("churn-config", ("dataCaptureConfig", "enableCapture"), False, "data capture is off", environment="test"),
        e("churn-config", ("dataCaptureConfig", "kmsKeyId"), DROP, "has no kmsKeyId"),
        e("churn-config", ("dataCaptureConfig", "destinationS3Uri"), "s3://mlops-artifacts/capture",
          "s3://mlops-artifacts/capture is not in a platform capture bucket"),
    )),
    "sagemaker-endpoint-blue-green-deployment": Case(f.serving, (
        b(partial(f.serving, endpoint={"deployment_config": DROP}), "unset (all at once)", "churn-endpoint"),
        e("churn-endpoint", ("deploymentConfig", "blueGreenUpdatePolicy", "trafficRoutingConfiguration", "type"),
          "ALL_AT_ONCE", "type is ALL_AT_ONCE"),
        e("churn-endpoint", ("deploymentConfig", "autoRollbackConfiguration", "alarms"), [], "lists no alarms"),
    )),
    "sagemaker-endpoint-rollback-alarms-watch-endpoint": Case(f.serving, (
        b(partial(f.serving, endpoint=_rollback_alarms("churn-prod-ghost")),
          "churn-prod-ghost is not created by this stack", "churn-endpoint"),
        b(partial(f.serving, alarms={"dimensions": {"EndpointName": "fraud-prod"}}),
          f"rollback alarm {f.ROLLBACK_ALARMS[0]} does not watch this endpoint"),
        e("churn-endpoint", ("name",), DROP, "no explicit name"),
    )),
    "sagemaker-endpoint-autoscaling-prod-min-capacity": Case(f.serving, (
        b(partial(f.serving, scaling={"min_capacity": 1}), "minCapacity is 1", "churn-scaling"),
        e("churn-scaling", ("maxCapacity",), 1, "maxCapacity 1 is below minCapacity 2"),
    )),
    # SageMaker: monitoring
    "sagemaker-monitoring-job-network-isolation": Case(f.monitoring, (
        b(partial(f.monitoring, job=_NETWORK_OFF), "enableNetworkIsolation", "churn-data-quality"),
        e("churn-data-quality-inline", (*_INLINE_NETWORK, "enableNetworkIsolation"), False,
          "enableNetworkIsolation", "churn-data-quality-inline"),
    )),
    "sagemaker-monitoring-job-traffic-encryption": Case(f.monitoring, (
        b(partial(f.monitoring, job=_CLEAR_TRAFFIC), "enableInterContainerTrafficEncryption", "churn-data-quality"),
        e("churn-data-quality-inline", (*_INLINE_NETWORK, "enableInterContainerTrafficEncryption"), DROP,
          "enableInterContainerTrafficEncryption", "churn-data-quality-inline"),
    )),
    "sagemaker-monitoring-job-kms": Case(f.monitoring, (
        b(partial(f.monitoring, job={"job_resources": {"cluster_config": {
            "instance_count": 1, "instance_type": "ml.m5.large", "volume_size_in_gb": 20}}}),
          "jobResources.clusterConfig.volumeKmsKeyId", "churn-data-quality"),
        e("churn-data-quality-inline", ("monitoringScheduleConfig", "monitoringJobDefinition",
                                         "monitoringOutputConfig", "kmsKeyId"), DROP,
          "monitoringOutputConfig.kmsKeyId", "churn-data-quality-inline"),
    )),
    "sagemaker-pipeline-processing-in-vpc": Case(f.monitored_serving, (
        b(partial(f.monitored_serving, definition=f.monitoring_definition(vpc=False)),
          "processing step DriftCheck sets no NetworkConfig.VpcConfig", "churn-monitoring", environment="test"),
    )),
    "sagemaker-endpoint-monitored-on-schedule": Case(f.monitored_serving, (
        b(partial(f.monitored_serving, schedule={"schedule_expression": DROP,
                                                 "event_pattern": json.dumps({"source": ["aws.sagemaker"]})}),
          f"{f.ENDPOINT_NAME} is not monitored on a schedule", "churn-endpoint", environment="test"),
        b(partial(f.monitored_serving, definition=f.monitoring_definition(capture="s3://mlops-capture/endpoints/fraud-prod/fraud-prod/champion/")),
          f"{f.ENDPOINT_NAME} is not monitored on a schedule", "churn-endpoint"),
        e("churn-monitoring-start", (), DROP, f"{f.ENDPOINT_NAME} is not monitored on a schedule", "churn-endpoint"),
    )),
    # SageMaker: registry
    "sagemaker-registry-policy-no-public-principal": Case(f.registry, (
        b(partial(f.registry, policy=document({"Effect": "Allow", "Principal": "*", "Action": "sagemaker:Describe*",
                                               "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}})),
          'grants to Principal "*"', "churn-registry-policy"),
    )),
    "sagemaker-registry-policy-read-only": Case(f.registry, (
        b(partial(f.registry, policy=_REGISTRY_WRITE), "grants sagemaker:UpdateModelPackage", "churn-registry-policy"),
        e("churn-registry-policy", ("resourcePolicy",), document(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/x"}, "Action": "sagemaker:*"}),
          "grants sagemaker:*"),
    )),
    "sagemaker-model-package-group-protected-in-prod": Case(f.registry, (
        b(partial(f.registry, opts=UNPROTECTED), "protect=True", "churn-registry"),
    )),
    # SageMaker: pipelines
    "sagemaker-pipeline-steps-encrypted": Case(f.pipelines, (
        b(partial(f.pipelines, definition=f.pipeline_definition(nested_transform_kms=False)),
          "step ScoreHoldout (Transform) sets no TransformOutput.KmsKeyId", "churn-training"),
        e("churn-training", ("pipelineDefinition",), "{not json", "not valid JSON"),
    )),
    "sagemaker-pipeline-definition-versioned": Case(f.pipelines, (
        b(partial(f.pipelines, s3_location={"version_id": DROP}), "no versionId", "churn-batch"),
    )),
    # SageMaker: Studio
    "sagemaker-domain-vpc-only": Case(f.studio, (
        b(partial(f.studio, domain={"app_network_access_type": "PublicInternetOnly"}), "is PublicInternetOnly"),
        e("studio", ("appNetworkAccessType",), DROP, "PublicInternetOnly (the default)"),
    )),
    "sagemaker-domain-kms": Case(f.studio, (
        b(partial(f.studio, domain={"kms_key_id": DROP}), "set kmsKeyId", "studio"),
    )),
    "sagemaker-domain-protected-in-prod": Case(f.studio, (
        b(partial(f.studio, opts=UNPROTECTED), "protect=True", "studio"),
    )),
    "sagemaker-studio-not-serving-role": Case(f.workspace_beside_serving, (
        b(partial(f.workspace_beside_serving, users_run_as_serving_role=True),
          "userSettings.executionRole is", "studio-alice"),
        b(partial(f.workspace_beside_serving, domain_default_is_serving_role=True),
          "defaultUserSettings.executionRole is", "studio"),
    )),
    # CloudWatch and SNS
    "cloudwatch-log-group-kms": Case(f.observability, (
        b(partial(f.observability, log_group={"kms_key_id": DROP}), "set kmsKeyId", "endpoint-logs"),
    )),
    "cloudwatch-log-group-retention": Case(f.observability, (
        b(partial(f.observability, log_group={"retention_in_days": DROP}), "kept forever"),
        e("endpoint-logs", ("retentionInDays",), 42, "retentionInDays 42 is not a value"),
    )),
    "cloudwatch-log-group-protected-in-prod": Case(f.observability, (
        b(partial(f.observability, log_group_opts=UNPROTECTED), "protect=True", "endpoint-logs"),
    )),
    "cloudwatch-alarm-actions-in-prod": Case(f.serving, (
        b(partial(f.serving, alarms={"alarm_actions": DROP}), "alarmActions is empty", "rollback-5xx"),
        e("rollback-latency", ("actionsEnabled",), False, "actionsEnabled is false", "rollback-latency"),
    )),
    "sns-topic-kms": Case(f.observability, (
        b(partial(f.observability, topic={"kms_master_key_id": DROP}), "set kmsMasterKeyId", "platform-alerts"),
    )),
    "sns-topic-policy-no-public-principal": Case(f.observability, (
        b(partial(f.observability, topic_policy=document({"Effect": "Allow", "Principal": {"AWS": "*"},
                                                          "Action": "sns:Publish", "Resource": "*"})),
          'sns:Publish to Principal "*"', "platform-alerts-policy"),
    )),
    "sns-topic-policy-tls-only": Case(f.observability, (
        b(partial(f.observability, topic_policy=document({
            "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
            "Resource": "*"})), "add a Deny of sns:Publish", "platform-alerts-policy"),
    )),
    # EventBridge
    "eventbridge-target-dead-letter-queue": Case(f.events, (
        b(partial(f.events, target={"dead_letter_config": DROP}), "deadLetterConfig.arn", "model-approved-deploy"),
    )),
    "eventbridge-target-role": Case(f.events, (
        b(partial(f.events, target={"role_arn": DROP}), "the target (sagemaker) is invoked with an IAM role"),
    )),
    # VPC
    "vpc-flow-logs-enabled": Case(f.network, (
        b(partial(f.network, flow_log=False), "no FlowLog", "platform-vpc"),
    )),
    "vpc-default-security-group-closed": Case(f.network, (
        b(partial(f.network, default_security_group=None), "no DefaultSecurityGroup", "platform-vpc"),
        b(partial(f.network, default_security_group={"egress": [
            {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.20.0.0/16"]}]}),
          "remove the egress rules", "default-sg"),
    )),
    "vpc-security-group-no-public-ingress": Case(f.network, (
        b(partial(f.network, security_group={"ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22,
                                                          "cidr_blocks": ["0.0.0.0/0"], "description": "ssh"}]}),
          "ingress[0] (ports 22-22) is open to 0.0.0.0/0", "endpoints-sg"),
        b(partial(f.network, security_group={"ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443,
                                                          "ipv6_cidr_blocks": ["::/0"], "description": "v6"}]}),
          "open to ::/0"),
        b(partial(f.network, ingress_rule={"referenced_security_group_id": DROP, "cidr_ipv4": "0.0.0.0/0"}),
          "the rule (ports 443-443) is open to 0.0.0.0/0", "endpoints-from-workloads"),
    )),
    "vpc-subnet-no-public-ip": Case(f.network, (
        b(partial(f.network, subnets=({"map_public_ip_on_launch": True}, KEEP)), "mapPublicIpOnLaunch is true",
          "private-0"),
    )),
    "vpc-security-group-descriptions": Case(f.network, (
        b(partial(f.network, security_group={"description": DROP}), "add a description", "endpoints-sg"),
        e("endpoints-sg", ("egress", 0, "description"), DROP, "egress[0] has no description"),
        e("endpoints-from-workloads", ("description",), DROP, "saying what the rule allows"),
    )),
    "vpc-private-subnets-multi-az": Case(f.network, (
        b(partial(f.network, subnets=(KEEP,)), "span 1 Availability Zone(s) (us-east-1a", "platform-vpc"),
        e("private-1", ("mapPublicIpOnLaunch",), True, "span 1 Availability Zone"),
    )),
    "vpc-endpoints-for-ml-services": Case(f.network, (
        b(partial(f.network, services=f.ML_SERVICES[:-2]), "no VPC endpoint for sts, kms", "platform-vpc"),
    )),
}
