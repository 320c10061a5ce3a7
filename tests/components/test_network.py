"""PlatformNetwork: private subnets only, no way to the internet, AWS services through endpoints."""

from __future__ import annotations

import ipaddress

import pytest
from rendering import ACCOUNT, KEY_ARN, REGION, statements

from components.network import INTERFACE_SERVICES, STUDIO_SERVICES, PlatformNetwork, PlatformNetworkArgs

CIDR = "10.20.0.0/16"


def network(**overrides) -> PlatformNetwork:
    args = {
        "cidr": CIDR, "zone_count": 3, "region": REGION, "interface_endpoints": True, "flow_logs": True,
        "log_retention_days": 365, "kms_key_arn": KEY_ARN, "account_id": ACCOUNT, "name_prefix": "mlops-prod", **overrides,
    }
    return PlatformNetwork("mlops-prod", PlatformNetworkArgs(**args))


@pytest.fixture(scope="module")
def vpc(render):
    return render(network)


def test_no_internet_gateway_nat_or_default_route(vpc):
    assert not {"aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"} & vpc.types()
    assert not vpc.of_type("aws:ec2/route:Route")
    assert "routes" not in vpc.one("aws:ec2/routeTable:RouteTable").inputs
    for rule in vpc.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"):
        assert rule.inputs.get("cidrIpv4") in (None, CIDR), rule.name


def test_one_private_subnet_per_zone_inside_the_vpc(vpc):
    subnets = vpc.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 3
    ranges = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert len(set(ranges)) == 3 and all(r.subnet_of(ipaddress.IPv4Network(CIDR)) for r in ranges)
    assert sorted(s.inputs["availabilityZone"] for s in subnets) == [f"{REGION}{z}" for z in "abc"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_default_security_group_has_no_rules(vpc):
    default = vpc.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["ingress"] == [] and default["egress"] == []


def test_every_service_is_reached_through_a_private_endpoint(vpc):
    endpoints = vpc.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    by_service = {e.inputs["serviceName"]: e.inputs for e in endpoints}
    assert by_service[f"com.amazonaws.{REGION}.s3"]["vpcEndpointType"] == "Gateway"
    expected = {f"com.amazonaws.{REGION}.{s}" for s in INTERFACE_SERVICES} | {f"aws.sagemaker.{REGION}.{s}" for s in STUDIO_SERVICES}
    interfaces = {name: e for name, e in by_service.items() if e["vpcEndpointType"] == "Interface"}
    assert set(interfaces) == expected
    assert all(e["privateDnsEnabled"] is True and len(e["subnetIds"]) == 3 for e in interfaces.values())


def test_without_interface_endpoints_only_the_s3_gateway_remains(render):
    endpoints = render(lambda: network(interface_endpoints=False)).of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e.inputs["vpcEndpointType"] for e in endpoints] == ["Gateway"]


def test_flow_logs_record_all_traffic_to_an_encrypted_protected_group(render):
    out = render(lambda: network(protect=True))
    flow = out.one("aws:ec2/flowLog:FlowLog").inputs
    assert flow["trafficType"] == "ALL"
    assert flow["logDestinationType"] == "cloud-watch-logs"
    group = out.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["kmsKeyId"] == KEY_ARN and group.inputs["retentionInDays"] == 365
    assert group.protect and group.retain_on_delete
    trust = statements(out.policy("aws:iam/role:Role", "assumeRolePolicy"))["VpcFlowLogsDelivery"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_flow_logs_can_be_left_out(render):
    out = render(lambda: network(flow_logs=False))
    assert not out.of_type("aws:ec2/flowLog:FlowLog") and not out.of_type("aws:iam/role:Role")
