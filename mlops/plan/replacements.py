"""Which input changes make Pulumi replace a resource instead of updating it in place.

pulumi-aws is bridged from the Terraform AWS provider: an attribute marked ``ForceNew: true`` in
the provider's schema becomes a replacement in ``pulumi preview``/``pulumi up``. Each entry below
names the provider source file that declares the schema
(https://github.com/hashicorp/terraform-provider-aws, path under ``internal/service/``) and the
pulumi-aws registry page of the resource (https://www.pulumi.com/registry/packages/aws/api-docs/).
Attribute names are the Pulumi (camelCase) input names.

``ALL_INPUTS`` marks resources whose every argument is ``ForceNew`` except the tags: the provider
has no update call for them beyond tagging.

Checked line by line against the provider source (commit in the comment): Pipeline,
MlflowTrackingServer. The rest follow the provider's schema as documented; ``verified=False``
says so, and ``tests/mlops`` pins the entries the platform's own changes rely on.

How to refresh: for a type, open its file in the provider repository, list the schema attributes
with ``ForceNew: true`` (nested blocks: the block is replaced when any nested ForceNew attribute
changes) and convert snake_case to camelCase.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every input except tags forces a replacement.
ALL_INPUTS = "*"

#: Inputs that never force a replacement on their own (tagging is an in-place call everywhere).
_TAG_KEYS = frozenset({"tags", "tagsAll"})

_PROVIDER = "terraform-provider-aws internal/service/"


@dataclass(frozen=True)
class ReplaceRule:
    """The replace-on-change inputs of one resource type and where that comes from."""

    type: str
    inputs: tuple[str, ...]
    source: str
    verified: bool = False

    def forces_replacement(self, path: str) -> bool:
        """Whether a change at ``path`` (``a.b[0].c``) replaces the resource."""
        top = path.split(".", 1)[0].split("[", 1)[0]
        if self.inputs == (ALL_INPUTS,):
            return top not in _TAG_KEYS
        return top in self.inputs


def _rule(type_: str, inputs: tuple[str, ...], file: str, verified: bool = False) -> ReplaceRule:
    module, resource = type_.split(":")[1].split("/")
    page = f"https://www.pulumi.com/registry/packages/aws/api-docs/{module}/{resource.lower()}/"
    return ReplaceRule(type_, inputs, f"{_PROVIDER}{file} (ForceNew); {page}", verified)


_BUCKET_PART = ("bucket", "expectedBucketOwner")

REPLACE_RULES: dict[str, ReplaceRule] = {
    rule.type: rule
    for rule in (
        # SageMaker
        _rule("aws:sagemaker/endpointConfiguration:EndpointConfiguration", (ALL_INPUTS,), "sagemaker/endpoint_configuration.go"),
        _rule("aws:sagemaker/model:Model", (ALL_INPUTS,), "sagemaker/model.go"),
        _rule("aws:sagemaker/endpoint:Endpoint", ("name",), "sagemaker/endpoint.go"),
        # commit 1a3007b2a118bde6571cfba0c0c0c915e4c67483: only pipeline_name is ForceNew
        _rule("aws:sagemaker/pipeline:Pipeline", ("pipelineName",), "sagemaker/pipeline.go", verified=True),
        # commit 07eed3b0ddd7e6809a9599d7ab9f08848a8e51cf: name, role and MLflow version; size updates in place
        _rule(
            "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
            ("trackingServerName", "roleArn", "mlflowVersion"),
            "sagemaker/mlflow_tracking_server.go",
            verified=True,
        ),
        _rule("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", (ALL_INPUTS,), "sagemaker/data_quality_job_definition.go"),
        _rule("aws:sagemaker/monitoringSchedule:MonitoringSchedule", ("name",), "sagemaker/monitoring_schedule.go"),
        _rule(
            "aws:sagemaker/modelPackageGroup:ModelPackageGroup",
            ("modelPackageGroupName", "modelPackageGroupDescription"),
            "sagemaker/model_package_group.go",
        ),
        _rule("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy", ("modelPackageGroupName",), "sagemaker/model_package_group_policy.go"),
        _rule("aws:sagemaker/modelCard:ModelCard", ("modelCardName",), "sagemaker/model_card.go"),
        _rule("aws:sagemaker/domain:Domain", ("domainName", "authMode", "vpcId", "kmsKeyId"), "sagemaker/domain.go"),
        _rule(
            "aws:sagemaker/userProfile:UserProfile",
            ("domainId", "userProfileName", "singleSignOnUserIdentifier", "singleSignOnUserValue"),
            "sagemaker/user_profile.go",
        ),
        # Autoscaling
        _rule("aws:appautoscaling/target:Target", ("resourceId", "scalableDimension", "serviceNamespace"), "appautoscaling/target.go"),
        _rule("aws:appautoscaling/policy:Policy", ("name", "resourceId", "scalableDimension", "serviceNamespace"), "appautoscaling/policy.go"),
        # Budgets
        _rule("aws:budgets/budget:Budget", ("accountId", "name", "namePrefix"), "budgets/budget.go"),
        # CloudWatch, EventBridge, Logs
        _rule("aws:cloudwatch/dashboard:Dashboard", ("dashboardName",), "cloudwatch/dashboard.go"),
        _rule("aws:cloudwatch/metricAlarm:MetricAlarm", ("name",), "cloudwatch/metric_alarm.go"),
        _rule("aws:cloudwatch/eventRule:EventRule", ("name", "namePrefix", "eventBusName"), "events/rule.go"),
        _rule("aws:cloudwatch/eventTarget:EventTarget", ("rule", "targetId", "eventBusName"), "events/target.go"),
        _rule("aws:cloudwatch/eventBusPolicy:EventBusPolicy", ("eventBusName",), "events/bus_policy.go"),
        _rule("aws:cloudwatch/logGroup:LogGroup", ("name", "namePrefix", "logGroupClass"), "logs/group.go"),
        # EC2 / VPC
        _rule("aws:ec2/vpc:Vpc", ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"), "ec2/vpc_.go"),
        _rule(
            "aws:ec2/subnet:Subnet",
            ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn"),
            "ec2/vpc_subnet.go",
        ),
        _rule("aws:ec2/routeTable:RouteTable", ("vpcId",), "ec2/vpc_route_table.go"),
        _rule("aws:ec2/routeTableAssociation:RouteTableAssociation", ("subnetId", "gatewayId"), "ec2/vpc_route_table_association.go"),
        _rule("aws:ec2/securityGroup:SecurityGroup", ("name", "namePrefix", "description", "vpcId"), "ec2/vpc_security_group.go"),
        _rule("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ("vpcId",), "ec2/vpc_default_security_group.go"),
        _rule(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            ("vpcId", "serviceName", "vpcEndpointType", "serviceRegion"),
            "ec2/vpc_endpoint.go",
        ),
        _rule("aws:ec2/flowLog:FlowLog", (ALL_INPUTS,), "ec2/vpc_flow_log.go"),
        _rule("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", ("securityGroupId",), "vpc/security_group_egress_rule.go"),
        _rule("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", ("securityGroupId",), "vpc/security_group_ingress_rule.go"),
        _rule("aws:ec2/natGateway:NatGateway", ("allocationId", "subnetId", "connectivityType", "privateIp"), "ec2/vpc_nat_gateway.go"),
        # ECR
        _rule("aws:ecr/repository:Repository", ("name", "encryptionConfigurations"), "ecr/repository.go"),
        _rule("aws:ecr/lifecyclePolicy:LifecyclePolicy", ("repository",), "ecr/lifecycle_policy.go"),
        _rule("aws:ecr/repositoryPolicy:RepositoryPolicy", ("repository",), "ecr/repository_policy.go"),
        # IAM
        _rule("aws:iam/role:Role", ("name", "namePrefix", "path"), "iam/role.go"),
        _rule("aws:iam/rolePolicy:RolePolicy", ("name", "namePrefix", "role"), "iam/role_policy.go"),
        # KMS
        _rule(
            "aws:kms/key:Key",
            ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
            "kms/key.go",
        ),
        _rule("aws:kms/alias:Alias", ("name", "namePrefix"), "kms/alias.go"),
        # S3: the bucket and its configuration resources (each bound to one bucket)
        _rule("aws:s3/bucket:Bucket", ("bucket", "bucketPrefix", "objectLockEnabled"), "s3/bucket.go"),
        _rule("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", _BUCKET_PART, "s3/bucket_lifecycle_configuration.go"),
        _rule("aws:s3/bucketLogging:BucketLogging", _BUCKET_PART, "s3/bucket_logging.go"),
        _rule("aws:s3/bucketNotification:BucketNotification", ("bucket",), "s3/bucket_notification.go"),
        _rule("aws:s3/bucketObjectv2:BucketObjectv2", ("bucket", "key"), "s3/object.go"),
        _rule("aws:s3/bucketOwnershipControls:BucketOwnershipControls", ("bucket",), "s3/bucket_ownership_controls.go"),
        _rule("aws:s3/bucketPolicy:BucketPolicy", ("bucket",), "s3/bucket_policy.go"),
        _rule("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", ("bucket",), "s3/bucket_public_access_block.go"),
        _rule(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            _BUCKET_PART,
            "s3/bucket_server_side_encryption_configuration.go",
        ),
        _rule("aws:s3/bucketVersioning:BucketVersioning", _BUCKET_PART, "s3/bucket_versioning.go"),
        # SNS, SQS
        _rule("aws:sns/topic:Topic", ("name", "namePrefix", "fifoTopic"), "sns/topic.go"),
        _rule("aws:sns/topicPolicy:TopicPolicy", ("arn",), "sns/topic_policy.go"),
        _rule("aws:sns/topicSubscription:TopicSubscription", ("topic", "protocol", "endpoint"), "sns/topic_subscription.go"),
        _rule("aws:sqs/queue:Queue", ("name", "namePrefix", "fifoQueue"), "sqs/queue.go"),
        _rule("aws:sqs/queuePolicy:QueuePolicy", ("queueUrl",), "sqs/queue_policy.go"),
    )
}


def replace_rule(type_token: str) -> ReplaceRule | None:
    """The replace-on-change rule for ``type_token``, or None when the table has none."""
    return REPLACE_RULES.get(type_token)
