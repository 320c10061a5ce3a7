"""VPC rules: the private network endpoints, monitoring jobs and Studio run in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policy.framework import (
    EVERYWHERE,
    NOWHERE,
    PROD_ONLY,
    Context,
    Resource,
    Stack,
    as_list,
    is_true,
    resource_rule,
    show,
    stack_rule,
)

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

ANYWHERE = ("0.0.0.0/0", "::/0")
# pulumi_aws fills this in when a program gives no description.
PULUMI_DEFAULT_DESCRIPTION = "Managed by Pulumi"
PROD_MIN_AVAILABILITY_ZONES = 2
# With network isolation and no NAT, these are the only ways out (reference 1.7).
ML_SERVICE_ENDPOINTS = ("sagemaker.api", "sagemaker.runtime", "ecr.api", "ecr.dkr", "s3", "logs", "monitoring",
                        "sts", "kms")


def _rules(group: Resource, direction: str) -> list[Mapping]:
    return [rule for rule in as_list(group.inputs.get(direction)) if isinstance(rule, Mapping)]


@stack_rule(
    id="vpc-flow-logs-enabled",
    title="Every VPC has flow logs",
    severity="medium",
    anchors=("AwsSolutions-VPC7", "NIST.800.53.R5-VPCFlowLogsEnabled", "CKV2_AWS_11", "SecurityHub EC2.6"),
    # Everywhere: dev owns the registry and the artifacts bucket that test and prod deploy from,
    # so its network is no less worth recording than theirs (the cost at dev traffic is small).
    mandatory_in=EVERYWHERE,
)
def flow_logs_enabled(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for vpc in stack.of_type(VPC):
        if not stack.referring(vpc, FLOW_LOG, "vpcId"):
            yield vpc, "no FlowLog refers to this VPC; log ALL traffic to an encrypted log group"


@stack_rule(
    id="vpc-default-security-group-closed",
    title="Every VPC's default security group is adopted and allows no traffic",
    severity="medium",
    anchors=("NIST.800.53.R5-VPCDefaultSecurityGroupClosed", "CKV2_AWS_12", "SecurityHub EC2.2"),
    mandatory_in=PROD_ONLY,
)
def default_security_group_closed(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for vpc in stack.of_type(VPC):
        if not stack.referring(vpc, DEFAULT_SECURITY_GROUP, "vpcId"):
            yield vpc, ("no DefaultSecurityGroup adopts this VPC's default group, which allows all traffic "
                        "between its members; adopt it with no ingress and no egress")
    for group in stack.of_type(DEFAULT_SECURITY_GROUP):
        open_directions = [direction for direction in ("ingress", "egress") if _rules(group, direction)]
        if open_directions:
            yield group, f"remove the {' and '.join(open_directions)} rules; use dedicated security groups"


@resource_rule(
    id="vpc-security-group-no-public-ingress",
    title="Security groups and ingress rules allow no traffic from 0.0.0.0/0 or ::/0",
    severity="critical",
    anchors=("AwsSolutions-EC23", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "SecurityHub EC2.18",
             "SecurityHub EC2.19", "aws-ec2-securitygroup-disallow-public-internet-ingress"),
    mandatory_in=EVERYWHERE,
    types=(SECURITY_GROUP, DEFAULT_SECURITY_GROUP, INGRESS_RULE),
)
def no_public_ingress(resource: Resource, context: Context) -> Iterator[str]:
    # Inline rules (cidrBlocks/ipv6CidrBlocks) or a standalone rule resource (cidrIpv4/cidrIpv6).
    if resource.type == INGRESS_RULE:
        labelled = [("the rule", resource.inputs, ("cidrIpv4", "cidrIpv6"))]
    else:
        labelled = [(f"ingress[{index}]", rule, ("cidrBlocks", "ipv6CidrBlocks"))
                    for index, rule in enumerate(_rules(resource, "ingress"))]
    for label, rule, keys in labelled:
        anywhere = [cidr for key in keys for cidr in as_list(rule.get(key)) if cidr in ANYWHERE]
        if anywhere:
            yield (f"{label} (ports {show(rule.get('fromPort'))}-{show(rule.get('toPort'))}) is open to "
                   f"{', '.join(anywhere)}; allow only the VPC CIDR or named security groups")


@resource_rule(
    id="vpc-subnet-no-public-ip",
    title="Subnets do not give instances public IP addresses",
    severity="medium",
    anchors=("NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled", "CKV_AWS_130", "SecurityHub EC2.15"),
    mandatory_in=PROD_ONLY,
    types=(SUBNET,),
)
def subnet_no_public_ip(resource: Resource, context: Context) -> Iterator[str]:
    if is_true(resource.inputs.get("mapPublicIpOnLaunch")):
        yield "mapPublicIpOnLaunch is true; endpoints and jobs belong in private subnets"


@resource_rule(
    id="vpc-security-group-descriptions",
    title="Security groups and their rules (inline or standalone) have descriptions",
    severity="low",
    anchors=("AwsSolutions-EC27", "CKV_AWS_23", "aws-ec2-securitygroup-missing-description"),
    mandatory_in=NOWHERE,
    types=(SECURITY_GROUP, INGRESS_RULE),
)
def security_group_descriptions(resource: Resource, context: Context) -> Iterator[str]:
    if resource.inputs.get("description") in (None, "", PULUMI_DEFAULT_DESCRIPTION):
        subject = "rule allows" if resource.type == INGRESS_RULE else "group protects"
        yield f"add a description saying what the {subject}"
    for direction in ("ingress", "egress"):
        for index, rule in enumerate(_rules(resource, direction)):
            if not rule.get("description"):
                yield f"{direction}[{index}] has no description; say why the traffic is allowed"


@stack_rule(
    id="vpc-private-subnets-multi-az",
    title="Prod VPCs have private subnets in at least two Availability Zones",
    severity="high",
    anchors=("SecurityHub SageMaker.4", "MLREL-12"),
    mandatory_in=PROD_ONLY,
)
def private_subnets_multi_az(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    if context.environment != "prod":
        return
    for vpc in stack.of_type(VPC):
        zones = {zone for subnet in stack.referring(vpc, SUBNET, "vpcId")
                 if not is_true(subnet.inputs.get("mapPublicIpOnLaunch"))
                 for zone in [subnet.inputs.get("availabilityZone") or subnet.inputs.get("availabilityZoneId")]
                 if zone}
        if len(zones) < PROD_MIN_AVAILABILITY_ZONES:
            yield vpc, (f"private subnets span {len(zones)} Availability Zone(s) ({', '.join(sorted(zones)) or 'none'}"
                        f" named); use at least {PROD_MIN_AVAILABILITY_ZONES} so endpoints survive an AZ outage")


@stack_rule(
    id="vpc-endpoints-for-ml-services",
    title="Every VPC has endpoints for SageMaker, ECR, S3, CloudWatch, STS and KMS",
    severity="medium",
    anchors=("MLSEC-04", "MLSEC-08", "SecurityHub EC2.10"),
    mandatory_in=PROD_ONLY,
)
def endpoints_for_ml_services(stack: Stack, context: Context) -> Iterator[tuple[Resource, str]]:
    for vpc in stack.of_type(VPC):
        services = [str(endpoint.inputs.get("serviceName") or "")
                    for endpoint in stack.referring(vpc, VPC_ENDPOINT, "vpcId")]
        missing = [name for name in ML_SERVICE_ENDPOINTS if not any(s.endswith(f".{name}") for s in services)]
        if missing:
            yield vpc, (f"no VPC endpoint for {', '.join(missing)}; isolated endpoints and jobs cannot reach "
                        "these services without them")


RULES = (
    flow_logs_enabled,
    default_security_group_closed,
    no_public_ingress,
    subnet_no_public_ip,
    security_group_descriptions,
    private_subnets_multi_az,
    endpoints_for_ml_services,
)
