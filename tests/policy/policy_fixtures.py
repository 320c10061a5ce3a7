"""Compliant platform building blocks, made with real pulumi_aws constructors.

Each family builds a small, fully compliant slice of the platform. A keyword argument holds
overrides for one resource's arguments (`DROP` removes an argument) or None to leave that
resource out; a policy-document argument holds the document or None. That is how the
non-compliant fixtures are made: a known-good fixture with one thing broken.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pulumi
import pulumi_aws as aws
from policy_harness import DROP

KEEP: Mapping[str, Any] = MappingProxyType({})
DEFAULT: Any = object()
PROTECTED = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
UNPROTECTED = pulumi.ResourceOptions()

ENDPOINT_NAME = "churn-prod"
CAPTURE_BUCKET = "mlops-capture"
LOG_BUCKET = "mlops-access-logs"
ROLLBACK_ALARMS = (f"{ENDPOINT_NAME}-5xx", f"{ENDPOINT_NAME}-latency")
PIPELINE_ARN = "arn:aws:sagemaker:us-east-1:111122223333:pipeline/churn-training"
ML_SERVICES = ("sagemaker.api", "sagemaker.runtime", "ecr.api", "ecr.dkr", "s3", "logs", "monitoring", "sts", "kms")


def args(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`defaults` with `overrides` applied; an override of DROP removes the argument."""
    merged = {**defaults, **overrides}
    return {key: value for key, value in merged.items() if value is not DROP}


def document(*statements: dict[str, Any]) -> pulumi.Output:
    """A policy document as the JSON string Pulumi programs pass (Outputs allowed inside)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def tls_deny(*resources: Any, action: str = "s3:*") -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": list(resources), "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def platform_key(name: str, opts: pulumi.ResourceOptions = PROTECTED, **overrides: Any) -> aws.kms.Key:
    """A symmetric CMK with rotation, a 30-day window and an account-scoped key policy."""
    policy = document({"Sid": "AccountAdmin", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::111122223333:role/platform-admin"},
                       "Action": "kms:*", "Resource": "*"})
    return aws.kms.Key(name, opts=opts, **args(dict(
        description=f"{name}: encrypts platform data", enable_key_rotation=True, deletion_window_in_days=30,
        bypass_policy_lockout_safety_check=False, policy=policy), overrides))


def bucket_with_controls(name: str, physical: str, key: aws.kms.Key, *,
                         opts: pulumi.ResourceOptions = PROTECTED, bucket: Mapping = KEEP,
                         public_access: Mapping | None = KEEP, encryption: Mapping | None = KEEP,
                         versioning: Mapping | None = KEEP, ownership: Mapping | None = KEEP,
                         policy: Any = DEFAULT, lifecycle: Mapping | None = KEEP,
                         logging: Mapping | None = KEEP) -> aws.s3.Bucket:
    """A bucket with every side resource the S3 rules expect."""
    resource = aws.s3.Bucket(name, opts=opts, **args(dict(bucket=physical, force_destroy=False), bucket))
    if public_access is not None:
        aws.s3.BucketPublicAccessBlock(f"{name}-public-access", **args(dict(
            bucket=resource.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
            restrict_public_buckets=True), public_access))
    if encryption is not None:
        aws.s3.BucketServerSideEncryptionConfiguration(f"{name}-encryption", **args(dict(
            bucket=resource.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True}]), encryption))
    if versioning is not None:
        aws.s3.BucketVersioning(f"{name}-versioning", **args(dict(
            bucket=resource.id, versioning_configuration={"status": "Enabled"}), versioning))
    if ownership is not None:
        aws.s3.BucketOwnershipControls(f"{name}-ownership", **args(dict(
            bucket=resource.id, rule={"object_ownership": "BucketOwnerEnforced"}), ownership))
    if policy is DEFAULT:
        policy = document(
            tls_deny(resource.arn, pulumi.Output.concat(resource.arn, "/*")),
            {"Sid": "ConsumerRead", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::444455556666:role/consumer-execution"},
             "Action": "s3:GetObject", "Resource": pulumi.Output.concat(resource.arn, "/models/*")})
    if policy is not None:
        aws.s3.BucketPolicy(f"{name}-policy", bucket=resource.id, policy=policy)
    if lifecycle is not None:
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", **args(dict(
            bucket=resource.id,
            rules=[{"id": "tidy", "status": "Enabled", "filter": {},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                    "noncurrent_version_expiration": {"noncurrent_days": 90}}]), lifecycle))
    if logging is not None:
        aws.s3.BucketLogging(f"{name}-logging", **args(dict(
            bucket=resource.id, target_bucket=LOG_BUCKET, target_prefix=f"{physical}/"), logging))
    return resource


def storage(**artifacts: Any) -> None:
    """The access-log bucket and a model-artifact bucket logging into it; overrides go to the latter."""
    key = platform_key("storage-key")
    # Log delivery only writes to SSE-S3 buckets.
    logs = bucket_with_controls("access-logs", LOG_BUCKET, key, logging=None, encryption={
        "rules": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]})
    bucket_with_controls("artifacts", "mlops-artifacts", key, **{"logging": {"target_bucket": logs.id}, **artifacts})


def key_only(opts: pulumi.ResourceOptions = PROTECTED, **overrides: Any) -> None:
    """A single platform key."""
    platform_key("platform-key", opts=opts, **overrides)


def images(*, repository: Mapping = KEEP, policy: Any = DEFAULT, lifecycle: bool = True,
           opts: pulumi.ResourceOptions = PROTECTED) -> None:
    """An inference image repository with a consumer-scoped policy and a lifecycle policy."""
    key = platform_key("images-key")
    repo = aws.ecr.Repository("inference-images", opts=opts, **args(dict(
        name="churn-inference", image_tag_mutability="IMMUTABLE",
        image_scanning_configuration={"scan_on_push": True},
        encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}]), repository))
    if policy is DEFAULT:
        policy = document({"Sid": "ConsumerPull", "Effect": "Allow",
                           "Principal": {"AWS": "arn:aws:iam::444455556666:role/consumer-execution"},
                           "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]})
    aws.ecr.RepositoryPolicy("inference-images-policy", repository=repo.name, policy=policy)
    if lifecycle:
        aws.ecr.LifecyclePolicy("inference-images-lifecycle", repository=repo.name, policy=pulumi.Output.json_dumps(
            {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                                         "countUnit": "days", "countNumber": 14},
                        "action": {"type": "expire"}}]}))


SAGEMAKER_TRUST = {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}


def execution_role(name: str) -> aws.iam.Role:
    """A SageMaker execution role trusted by the SageMaker service only."""
    return aws.iam.Role(name, name=name, assume_role_policy=document(SAGEMAKER_TRUST))


def identity(*, role: Mapping = KEEP, role_policy: Any = DEFAULT, policy: Any = DEFAULT,
             attachment: Mapping = KEEP) -> None:
    """An execution role with a scoped inline RolePolicy and a customer managed policy attached."""
    key = platform_key("identity-key")
    resource = aws.iam.Role("training-role", **args(dict(
        name="churn-training", assume_role_policy=document(SAGEMAKER_TRUST)), role))
    if role_policy is DEFAULT:
        role_policy = document(
            {"Sid": "ReadArtifacts", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": "arn:aws:s3:::mlops-artifacts/*"},
            {"Sid": "UseKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": key.arn})
    aws.iam.RolePolicy("training-role-access", role=resource.id, policy=role_policy)
    if policy is DEFAULT:
        policy = document({"Sid": "PassExecutionRole", "Effect": "Allow", "Action": "iam:PassRole",
                           "Resource": "arn:aws:iam::111122223333:role/churn-training",
                           "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}})
    managed = aws.iam.Policy("pipeline-pass-role", policy=policy)
    aws.iam.RolePolicyAttachment("training-role-pass-role", **args(dict(
        role=resource.name, policy_arn=managed.arn), attachment))


def network(*, vpc: Mapping = KEEP, subnets: tuple[Mapping, ...] = (KEEP, KEEP), security_group: Mapping = KEEP,
            ingress_rule: Mapping = KEEP, default_security_group: Mapping | None = KEEP,
            services: tuple[str, ...] = ML_SERVICES, flow_log: bool = True) -> None:
    """A private VPC: two AZs, a closed default group, endpoints for the ML services, flow logs."""
    key = platform_key("network-key")
    resource = aws.ec2.Vpc("platform-vpc", **args(dict(cidr_block="10.20.0.0/16", enable_dns_hostnames=True,
                                                       enable_dns_support=True), vpc))
    subnet_ids = [
        aws.ec2.Subnet(f"private-{index}", **args(dict(
            vpc_id=resource.id, cidr_block=f"10.20.{index}.0/24", availability_zone=f"us-east-1{'abc'[index]}",
            map_public_ip_on_launch=False), overrides)).id
        for index, overrides in enumerate(subnets)
    ]
    group = aws.ec2.SecurityGroup("endpoints-sg", **args(dict(
        vpc_id=resource.id, description="HTTPS from inside the VPC to interface endpoints",
        ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.20.0.0/16"],
                  "description": "HTTPS from the VPC"}],
        egress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.20.0.0/16"],
                 "description": "HTTPS within the VPC"}]), security_group))
    aws.vpc.SecurityGroupIngressRule("endpoints-from-workloads", **args(dict(
        security_group_id=group.id, referenced_security_group_id="sg-0workloads", ip_protocol="tcp",
        from_port=443, to_port=443, description="HTTPS from platform workloads"), ingress_rule))
    if default_security_group is not None:
        aws.ec2.DefaultSecurityGroup("default-sg", **args(dict(vpc_id=resource.id), default_security_group))
    for service in services:
        gateway = service == "s3"
        aws.ec2.VpcEndpoint(f"vpce-{service.replace('.', '-')}", vpc_id=resource.id,
                            service_name=f"com.amazonaws.us-east-1.{service}",
                            vpc_endpoint_type="Gateway" if gateway else "Interface",
                            **({} if gateway else dict(subnet_ids=subnet_ids, security_group_ids=[group.id],
                                                       private_dns_enabled=True)))
    if flow_log:
        logs = aws.cloudwatch.LogGroup("flow-logs", name="/mlops/vpc-flow-logs", kms_key_id=key.arn,
                                       retention_in_days=365, opts=PROTECTED)
        role = aws.iam.Role("flow-logs-role", name="mlops-flow-logs", assume_role_policy=document(
            {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
             "Action": "sts:AssumeRole"}))
        aws.ec2.FlowLog("platform-vpc-flow-log", vpc_id=resource.id, traffic_type="ALL",
                        log_destination=logs.arn, iam_role_arn=role.arn)


IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-inference@sha256:" + "ab" * 32
PRIVATE_SUBNETS = ["subnet-0a1b2c3d", "subnet-1a2b3c4d"]
ENDPOINT_SECURITY_GROUPS = ["sg-0endpoints"]


def _variant(name: str, model: aws.sagemaker.Model) -> dict[str, Any]:
    return {"variant_name": name, "model_name": model.name, "initial_instance_count": 2,
            "instance_type": "ml.c5.xlarge", "initial_variant_weight": 1}


def serving(*, model: Mapping = KEEP, config: Mapping = KEEP, endpoint: Mapping = KEEP, alarms: Mapping = KEEP,
            scaling: Mapping = KEEP, capture: aws.s3.Bucket | None = None) -> aws.iam.Role:
    """A prod endpoint: champion + shadow challenger, capture, canary rollout, rollback alarms, autoscaling.
    Returns the models' execution role.

    `alarms` overrides apply to both rollback alarms. Without a `capture` bucket a bare one is made
    (the serving rules only need its name).
    """
    key = platform_key("serving-key")
    capture = capture or aws.s3.Bucket("capture", bucket=CAPTURE_BUCKET)
    role = execution_role("churn-serving")
    network_config = {"subnets": PRIVATE_SUBNETS, "security_group_ids": ENDPOINT_SECURITY_GROUPS}
    champion = aws.sagemaker.Model("churn-champion", **args(dict(
        execution_role_arn=role.arn, enable_network_isolation=True, vpc_config=network_config,
        primary_container={"image": IMAGE, "model_data_url": "s3://mlops-artifacts/churn/7/model.tar.gz"}), model))
    # A challenger deployed straight from the registry runs the image its package pinned.
    challenger = aws.sagemaker.Model("churn-challenger", execution_role_arn=role.arn, enable_network_isolation=True,
                                     vpc_config=network_config, containers=[{
                                         "model_package_name": "arn:aws:sagemaker:us-east-1:111122223333:"
                                                               "model-package/churn/8"}])
    endpoint_config = aws.sagemaker.EndpointConfiguration("churn-config", **args(dict(
        kms_key_arn=key.arn,
        production_variants=[_variant("champion", champion)],
        shadow_production_variants=[_variant("challenger", challenger)],
        data_capture_config={"enable_capture": True, "initial_sampling_percentage": 20, "kms_key_id": key.arn,
                             "destination_s3_uri": pulumi.Output.concat("s3://", capture.id, "/churn"),
                             "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}]}), config))
    alerts = aws.sns.Topic("serving-alerts", name="mlops-serving-alerts", kms_master_key_id=key.arn)
    watched = {"EndpointName": ENDPOINT_NAME, "VariantName": "champion"}
    errors = aws.cloudwatch.MetricAlarm("rollback-5xx", **args(dict(
        name=ROLLBACK_ALARMS[0], namespace="AWS/SageMaker", metric_name="Invocation5XXErrors", dimensions=watched,
        statistic="Sum", period=60, evaluation_periods=2, threshold=1, comparison_operator="GreaterThanThreshold",
        alarm_actions=[alerts.arn], actions_enabled=True), alarms))
    # Metric math: the endpoint dimension sits inside the query.
    latency = aws.cloudwatch.MetricAlarm("rollback-latency", **args(dict(
        name=ROLLBACK_ALARMS[1], evaluation_periods=3, threshold=300, comparison_operator="GreaterThanThreshold",
        metric_queries=[{"id": "p99", "return_data": True, "metric": {
            "namespace": "AWS/SageMaker", "metric_name": "ModelLatency", "period": 60, "stat": "p99",
            "dimensions": watched}}],
        alarm_actions=[alerts.arn], actions_enabled=True), alarms))
    resource = aws.sagemaker.Endpoint("churn-endpoint", opts=pulumi.ResourceOptions(depends_on=[errors, latency]),
                                      **args(dict(
        name=ENDPOINT_NAME, endpoint_config_name=endpoint_config.name,
        deployment_config={
            "blue_green_update_policy": {
                "traffic_routing_configuration": {"type": "CANARY", "wait_interval_in_seconds": 600,
                                                  "canary_size": {"type": "CAPACITY_PERCENT", "value": 10}},
                "termination_wait_in_seconds": 600, "maximum_execution_timeout_in_seconds": 3600},
            "auto_rollback_configuration": {"alarms": [{"alarm_name": name} for name in ROLLBACK_ALARMS]}}),
        endpoint))
    aws.appautoscaling.Target("churn-scaling", **args(dict(
        min_capacity=2, max_capacity=6, service_namespace="sagemaker",
        scalable_dimension="sagemaker:variant:DesiredInstanceCount",
        resource_id=pulumi.Output.concat("endpoint/", resource.name, "/variant/champion")), scaling))
    return role


def _monitoring_job(key: aws.kms.Key, role: aws.iam.Role) -> dict[str, Any]:
    return {
        "role_arn": role.arn,
        "network_config": {"enable_network_isolation": True, "enable_inter_container_traffic_encryption": True,
                           "vpc_config": {"subnets": PRIVATE_SUBNETS,
                                          "security_group_ids": ENDPOINT_SECURITY_GROUPS}},
    }


def monitoring(*, job: Mapping = KEEP, inline_job: Mapping = KEEP) -> None:
    """A data-quality job definition with an hourly schedule, and a schedule with an inline definition."""
    key = platform_key("monitoring-key")
    role = execution_role("churn-monitor")
    analyzer = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    cluster = {"instance_count": 1, "instance_type": "ml.m5.large", "volume_size_in_gb": 20,
               "volume_kms_key_id": key.arn}
    output = {"s3_output": {"s3_uri": "s3://mlops-monitoring/churn", "local_path": "/opt/ml/processing/output"}}
    definition = aws.sagemaker.DataQualityJobDefinition("churn-data-quality", **args(dict(
        name="churn-data-quality",
        data_quality_app_specification={"image_uri": analyzer},
        data_quality_job_input={"endpoint_input": {"endpoint_name": ENDPOINT_NAME,
                                                   "local_path": "/opt/ml/processing/input"}},
        data_quality_job_output_config={"kms_key_id": key.arn, "monitoring_outputs": output},
        job_resources={"cluster_config": cluster},
        **_monitoring_job(key, role)), job))
    schedule = {"monitoring_type": "DataQuality", "schedule_config": {"schedule_expression": "cron(0 * ? * * *)"}}
    aws.sagemaker.MonitoringSchedule("churn-data-quality-hourly", monitoring_schedule_config={
        **schedule, "monitoring_job_definition_name": definition.name})
    aws.sagemaker.MonitoringSchedule("churn-data-quality-inline", monitoring_schedule_config={
        **schedule, "monitoring_job_definition": args(dict(
            monitoring_app_specification={"image_uri": analyzer},
            monitoring_inputs={"endpoint_input": {"endpoint_name": ENDPOINT_NAME,
                                                  "local_path": "/opt/ml/processing/input"}},
            monitoring_output_config={"kms_key_id": key.arn, "monitoring_outputs": output},
            monitoring_resources={"cluster_config": cluster},
            **_monitoring_job(key, role)), inline_job)})


def registry(*, policy: Any = DEFAULT, opts: pulumi.ResourceOptions = PROTECTED) -> None:
    """The churn model package group, shared read-only (plus CreateModel) with the consumer account."""
    group = aws.sagemaker.ModelPackageGroup("churn-registry", model_package_group_name="churn", opts=opts)
    if policy is DEFAULT:
        policy = document({
            "Sid": "ConsumerDeploy", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:role/consumer-deploy"},
            "Action": ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage",
                       "sagemaker:ListModelPackages", "sagemaker:CreateModel"],
            "Resource": ["arn:aws:sagemaker:us-east-1:111122223333:model-package-group/churn",
                         "arn:aws:sagemaker:us-east-1:111122223333:model-package/churn/*"]})
    aws.sagemaker.ModelPackageGroupPolicy("churn-registry-policy", resource_policy=policy,
                                          model_package_group_name=group.model_package_group_name)


def pipeline_definition(*, nested_transform_kms: bool = True) -> str:
    """A training pipeline definition as the SageMaker SDK renders it; keys may be pipeline parameters."""
    import json

    key = {"Get": "Parameters.KmsKeyArn"}
    transform_output = {"S3OutputPath": "s3://mlops-artifacts/churn/batch"}
    if nested_transform_kms:
        transform_output["KmsKeyId"] = key
    steps = [
        {"Name": "Preprocess", "Type": "Processing", "Arguments": {
            "NetworkConfig": {"VpcConfig": {"Subnets": PRIVATE_SUBNETS, "SecurityGroupIds": ENDPOINT_SECURITY_GROUPS}},
            "ProcessingOutputConfig": {"KmsKeyId": key, "Outputs": []},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                      "VolumeSizeInGB": 30, "VolumeKmsKeyId": key}}}},
        {"Name": "Train", "Type": "Training", "Arguments": {
            "OutputDataConfig": {"KmsKeyId": key, "S3OutputPath": "s3://mlops-artifacts/churn/models"},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30,
                               "VolumeKmsKeyId": key}}},
        {"Name": "GoodEnough", "Type": "Condition", "Arguments": {
            "Conditions": [], "ElseSteps": [],
            "IfSteps": [{"Name": "ScoreHoldout", "Type": "Transform", "Arguments": {
                "TransformOutput": transform_output,
                "TransformResources": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeKmsKeyId": key}}}]}},
    ]
    return json.dumps({"Version": "2020-12-01", "Parameters": [{"Name": "KmsKeyArn", "Type": "String"}],
                       "Steps": steps})


def pipelines(*, definition: Any = DEFAULT, s3_location: Mapping = KEEP) -> None:
    """A pipeline defined inline and one whose definition is a versioned S3 object."""
    role = execution_role("churn-pipeline")
    aws.sagemaker.Pipeline("churn-training", pipeline_name="churn-training", pipeline_display_name="churn-training",
                           role_arn=role.arn,
                           pipeline_definition=pipeline_definition() if definition is DEFAULT else definition)
    aws.sagemaker.Pipeline("churn-batch", pipeline_name="churn-batch", pipeline_display_name="churn-batch",
                           role_arn=role.arn, pipeline_definition_s3_location=args(dict(
                               bucket="mlops-artifacts", object_key="pipelines/churn-batch.json",
                               version_id="3HL4kqtJvjVBH40Nrjfkd"), s3_location))


def studio(*, domain: Mapping = KEEP, user: Mapping = KEEP, opts: pulumi.ResourceOptions = PROTECTED) -> None:
    """A VpcOnly, KMS-encrypted Studio domain with one user, who runs as a role of their own."""
    key = platform_key("studio-key")
    role = execution_role("churn-studio")
    resource = aws.sagemaker.Domain("studio", opts=opts, **args(dict(
        domain_name="mlops-studio", auth_mode="IAM", vpc_id="vpc-0platform", subnet_ids=PRIVATE_SUBNETS,
        app_network_access_type="VpcOnly", kms_key_id=key.arn,
        default_user_settings={"execution_role": role.arn}), domain))
    aws.sagemaker.UserProfile("studio-alice", **args(dict(
        domain_id=resource.id, user_profile_name="alice", user_settings={"execution_role": role.arn}), user))


def workspace_beside_serving(*, users_run_as_serving_role: bool = False, domain_default_is_serving_role: bool = False) -> None:
    """A Studio domain next to a served model; optionally its users run as the model's role."""
    serving_role = serving()
    studio(user={"user_settings": {"execution_role": serving_role.arn}} if users_run_as_serving_role else KEEP,
           domain={"default_user_settings": {"execution_role": serving_role.arn}} if domain_default_is_serving_role else KEEP)


def observability(*, log_group: Mapping = KEEP, log_group_opts: pulumi.ResourceOptions = PROTECTED,
                  topic: Mapping = KEEP, topic_policy: Any = DEFAULT) -> None:
    """An encrypted endpoint log group and the platform alert topic with its policy."""
    key = platform_key("observability-key")
    aws.cloudwatch.LogGroup("endpoint-logs", opts=log_group_opts, **args(dict(
        name=f"/aws/sagemaker/Endpoints/{ENDPOINT_NAME}", kms_key_id=key.arn, retention_in_days=365), log_group))
    alerts = aws.sns.Topic("platform-alerts", **args(dict(name="mlops-alerts", kms_master_key_id=key.arn), topic))
    if topic_policy is DEFAULT:
        topic_policy = document(
            tls_deny(alerts.arn, action="sns:Publish"),
            {"Sid": "CloudWatchPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "sns:Publish", "Resource": alerts.arn})
    aws.sns.TopicPolicy("platform-alerts-policy", arn=alerts.arn, policy=topic_policy)
    aws.cloudwatch.Dashboard("platform-dashboard", dashboard_name="mlops", dashboard_body='{"widgets": []}')


def events(*, target: Mapping = KEEP) -> None:
    """Model approval events start the deploy pipeline, with a role, retries and a dead-letter queue."""
    role = aws.iam.Role("events-role", name="mlops-events", assume_role_policy=document(
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    rule = aws.cloudwatch.EventRule("model-approved", event_pattern=pulumi.Output.json_dumps({
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]}))
    aws.cloudwatch.EventTarget("model-approved-deploy", **args(dict(
        rule=rule.name, arn=PIPELINE_ARN, role_arn=role.arn,
        dead_letter_config={"arn": "arn:aws:sqs:us-east-1:111122223333:mlops-events-dlq"},
        retry_policy={"maximum_retry_attempts": 4, "maximum_event_age_in_seconds": 3600}), target))


def monitoring_definition(*, vpc: bool = True,
                          capture: str = f"s3://{CAPTURE_BUCKET}/endpoints/{ENDPOINT_NAME}/{ENDPOINT_NAME}/champion/") -> str:
    """A monitoring pipeline definition as the SDK renders it: a drift step reading the endpoint's capture."""
    import json

    network = {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": False}
    if vpc:
        network["VpcConfig"] = {"Subnets": PRIVATE_SUBNETS, "SecurityGroupIds": ENDPOINT_SECURITY_GROUPS}
    key = "arn:aws:kms:us-east-1:111122223333:key/platform"
    drift = {"Name": "DriftCheck", "Type": "Processing", "Arguments": {
        "AppSpecification": {"ContainerArguments": ["--capture", {"Get": "Parameters.CaptureUri"}]},
        "NetworkConfig": network,
        "ProcessingOutputConfig": {"KmsKeyId": key, "Outputs": []},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 30, "VolumeKmsKeyId": key}}}}
    parameters = [{"Name": "CaptureUri", "Type": "String", "DefaultValue": capture}]
    return json.dumps({"Version": "2020-12-01", "Parameters": parameters, "Steps": [drift]})


def monitored_serving(*, definition: Any = DEFAULT, schedule: Mapping = KEEP) -> None:
    """The prod endpoint with its monitoring pipeline, started hourly by EventBridge."""
    serving()
    role = execution_role("churn-monitoring")
    pipeline = aws.sagemaker.Pipeline("churn-monitoring", pipeline_name="churn-monitoring",
                                      pipeline_display_name="churn-monitoring", role_arn=role.arn,
                                      pipeline_definition=monitoring_definition() if definition is DEFAULT else definition)
    rule = aws.cloudwatch.EventRule("churn-monitoring-schedule", **args(dict(schedule_expression="cron(0 * ? * * *)"), schedule))
    aws.cloudwatch.EventTarget("churn-monitoring-start", rule=rule.name, arn=pipeline.arn, role_arn=role.arn,
                               dead_letter_config={"arn": "arn:aws:sqs:us-east-1:111122223333:mlops-events-dlq"},
                               retry_policy={"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 3600})


def platform() -> None:
    """The whole compliant platform: every family together."""
    aws.Provider("aws-platform", region="us-east-1", default_tags={"tags": {"project": "mlops"}})
    for family in (storage, key_only, images, identity, network, monitoring, registry, pipelines, studio,
                   observability, events):
        family()
    serving(capture=bucket_with_controls("capture", CAPTURE_BUCKET, platform_key("capture-key")))
