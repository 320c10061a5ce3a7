"""The environment's private network: no internet route, AWS services through VPC endpoints."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, statement

#: Interface endpoints SageMaker jobs, endpoints and Studio need without a NAT gateway.
INTERFACE_SERVICES = (
    "ecr.api",
    "ecr.dkr",
    "events",
    "kms",
    "logs",
    "monitoring",
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
)
#: Studio's own endpoints use the ``aws.sagemaker.<region>.`` prefix.
STUDIO_SERVICES = ("notebook", "studio")


@dataclass(frozen=True)
class PlatformNetworkArgs:
    """Inputs of a ``PlatformNetwork``.

    Attributes:
        cidr: The VPC's private IPv4 range.
        zone_count: Private subnets, one per availability zone (>= 2).
        region: The VPC's region (endpoint service names).
        interface_endpoints: Create the interface endpoints (gateway S3 is always there).
        flow_logs: Record all traffic to a KMS-encrypted log group.
        log_retention_days: Flow-log retention.
        kms_key_arn: CMK for the flow-log group.
        account_id: Owner account (flow-log delivery role condition).
        name_prefix: Prefix of physical names.
        protect: Protect and retain the flow-log group (prod audit data).
    """

    cidr: str
    zone_count: int
    region: str
    interface_endpoints: bool
    flow_logs: bool
    log_retention_days: int
    kms_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    name_prefix: str
    protect: bool = False


class PlatformNetwork(pulumi.ComponentResource):
    """VPC with private subnets across zones, a closed default security group, a workload
    security group, S3 gateway and interface endpoints, and flow logs."""

    vpc: aws.ec2.Vpc
    vpc_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    workload_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:network:PlatformNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{args.name_prefix}-vpc"},
            opts=child,
        )
        self.vpc_id = self.vpc.id
        # No rules: nothing may use the default group by accident (EC2.2).
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=child)

        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        subnet_ranges = list(ipaddress.IPv4Network(args.cidr).subnets(new_prefix=ipaddress.IPv4Network(args.cidr).prefixlen + 4))
        route_table = aws.ec2.RouteTable(
            f"{name}-private-routes", vpc_id=self.vpc.id, tags={"Name": f"{args.name_prefix}-private"}, opts=child
        )
        self.subnet_ids = []
        for index in range(args.zone_count):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=str(subnet_ranges[index]),
                availability_zone=zones.names.apply(lambda names, i=index: names[i]),
                map_public_ip_on_launch=False,
                tags={"Name": f"{args.name_prefix}-private-{index}", "tier": "private"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-routes", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
            )
            self.subnet_ids.append(subnet.id)

        workloads = aws.ec2.SecurityGroup(
            f"{name}-workloads-sg",
            vpc_id=self.vpc.id,
            description="SageMaker jobs, endpoints and Studio apps",
            opts=child,
        )
        self.workload_security_group_id = workloads.id
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-workloads-from-self",
            security_group_id=workloads.id,
            referenced_security_group_id=workloads.id,
            ip_protocol="-1",
            description="Studio apps and distributed jobs talk to each other",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workloads-to-self",
            security_group_id=workloads.id,
            referenced_security_group_id=workloads.id,
            ip_protocol="-1",
            description="Studio apps and distributed jobs talk to each other",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workloads-to-endpoints",
            security_group_id=workloads.id,
            cidr_ipv4=args.cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to the VPC interface endpoints",
            opts=child,
        )
        s3 = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[route_table.id],
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workloads-to-s3",
            security_group_id=workloads.id,
            prefix_list_id=s3.prefix_list_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to S3 through the gateway endpoint",
            opts=child,
        )
        if args.interface_endpoints:
            endpoints_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg", vpc_id=self.vpc.id, description="VPC interface endpoints", opts=child
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-from-workloads",
                security_group_id=endpoints_sg.id,
                referenced_security_group_id=workloads.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="HTTPS from platform workloads",
                opts=child,
            )
            services = [(s, f"com.amazonaws.{args.region}.{s}") for s in INTERFACE_SERVICES]
            services += [(f"studio-{s}", f"aws.sagemaker.{args.region}.{s}") for s in STUDIO_SERVICES]
            for short, service in services:
                aws.ec2.VpcEndpoint(
                    f"{name}-{short.replace('.', '-')}",
                    vpc_id=self.vpc.id,
                    service_name=service,
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.subnet_ids,
                    security_group_ids=[endpoints_sg.id],
                    opts=child,
                )
        if args.flow_logs:
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-flow-logs",
                name=f"/{args.name_prefix}/vpc-flow-logs",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.kms_key_arn,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
            )
            role = aws.iam.Role(
                f"{name}-flow-logs-role",
                name=f"{args.name_prefix}-flow-logs",
                assume_role_policy=document(
                    statement(
                        "VpcFlowLogsDelivery",
                        ["sts:AssumeRole"],
                        principal={"Service": "vpc-flow-logs.amazonaws.com"},
                        condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
                    )
                ),
                opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-flow-logs-delivery",
                role=role.id,
                policy=document(
                    statement(
                        "WriteFlowLogs",
                        ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                        [log_group.arn, pulumi.Output.concat(log_group.arn, ":*")],
                    )
                ),
                opts=child,
            )
            aws.ec2.FlowLog(
                f"{name}-flow-log",
                vpc_id=self.vpc.id,
                traffic_type="ALL",
                log_destination_type="cloud-watch-logs",
                log_destination=log_group.arn,
                iam_role_arn=role.arn,
                max_aggregation_interval=60,
                opts=child,
            )
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids})
