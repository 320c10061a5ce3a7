"""Pulumi's mock engine, made to answer like AWS would, deterministically.

``PlanMocks`` returns realistic outputs (ids, ARNs with the stack's account and region, provider
auto-names) derived from each resource's URN, so the same program always plans to the same bytes.
``RecordingMonitor`` keeps what the engine would: URN, type, parent, inputs and options.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import get_project, get_stack
from pulumi.runtime.sync_await import _ensure_event_loop

#: Type tokens whose id is the AWS-style prefixed hex id.
_EC2_IDS = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}
#: SageMaker type tokens and the ARN resource kind of each.
_SAGEMAKER_KINDS = {
    "aws:sagemaker/endpoint:Endpoint": "endpoint",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "endpoint-config",
    "aws:sagemaker/model:Model": "model",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "model-package-group",
    "aws:sagemaker/pipeline:Pipeline": "pipeline",
    "aws:sagemaker/userProfile:UserProfile": "user-profile",
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": "mlflow-tracking-server",
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": "monitoring-schedule",
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": "data-quality-job-definition",
    "aws:sagemaker/modelCard:ModelCard": "model-card",
}
#: Input keys that hold a resource's physical name, by type (default ``name``).
_NAME_KEYS = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "modelPackageGroupName",
    "aws:sagemaker/pipeline:Pipeline": "pipelineName",
    "aws:sagemaker/domain:Domain": "domainName",
    "aws:sagemaker/userProfile:UserProfile": "userProfileName",
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": "trackingServerName",
    "aws:sagemaker/modelCard:ModelCard": "modelCardName",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
}


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


@dataclass
class PlanMocks(mocks.Mocks):
    """Deterministic stand-ins for the AWS provider and the Pulumi service.

    Attributes:
        account_id: Account used in ARNs and returned by ``getCallerIdentity``.
        region: Region used in ARNs and availability zones.
        stack_references: Resolves a StackReference name to that stack's outputs.
    """

    account_id: str
    region: str
    stack_references: Callable[[str], dict[str, Any]]
    invokes: list[str] = field(default_factory=list)

    def call(self, args: mocks.MockCallArgs):
        """Answer the few invokes the program makes; any other is a program error."""
        self.invokes.append(args.token)
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
                "id": self.account_id,
            },
            "aws:index/getAvailabilityZones:getAvailabilityZones": lambda: {
                "names": [f"{self.region}{z}" for z in "abc"],
                "zoneIds": [f"{self.region[:2]}{self.region.split('-')[1][:1]}1-az{i}" for i in (1, 2, 3)],
                "id": self.region,
            },
            "aws:index/getRegion:getRegion": lambda: {"name": self.region, "region": self.region, "id": self.region},
            "aws:index/getPartition:getPartition": lambda: {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
        }
        if args.token not in answers:
            raise NotImplementedError(f"the offline plan does not know the invoke {args.token}")
        return answers[args.token](), []

    def new_resource(self, args: mocks.MockResourceArgs):
        """Return a physical id and the outputs AWS would report for this resource."""
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs["name"]
            return name, {"name": name, "outputs": self.stack_references(name), "secretOutputNames": []}
        if not args.custom:
            return "", {}
        state = dict(args.inputs)
        key = f"{args.typ}::{args.name}"
        name_key = _NAME_KEYS.get(args.typ, "name")
        physical = state.get(name_key) or f"{args.name}-{_digest(key, 7)}"
        state.setdefault(name_key, physical)
        resource_id, extra = self._identity(args.typ, physical, key, state)
        state.update(extra)
        return resource_id, state

    def _identity(self, typ: str, physical: str, key: str, state: dict) -> tuple[str, dict[str, Any]]:
        acct, region = self.account_id, self.region
        module = typ.split(":")[1].split("/")[0]
        if typ == "pulumi:providers:aws":
            return str(uuid.uuid5(uuid.NAMESPACE_URL, key)), {}
        if typ == "aws:s3/bucket:Bucket":
            return physical, {
                "arn": f"arn:aws:s3:::{physical}",
                "bucketDomainName": f"{physical}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{physical}.s3.{region}.amazonaws.com",
            }
        if typ == "aws:kms/key:Key":
            key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
            return key_id, {"keyId": key_id, "arn": f"arn:aws:kms:{region}:{acct}:key/{key_id}"}
        if typ == "aws:kms/alias:Alias":
            return physical, {"arn": f"arn:aws:kms:{region}:{acct}:{physical}"}
        if typ in ("aws:iam/role:Role", "aws:iam/policy:Policy"):
            kind = typ.split(":")[-1].lower()
            return physical, {"arn": f"arn:aws:iam::{acct}:{kind}/{physical}", "uniqueId": f"AROA{_digest(key, 17).upper()}"}
        if typ in _EC2_IDS:
            resource_id = f"{_EC2_IDS[typ]}-{_digest(key, 17)}"
            extra: dict[str, Any] = {"arn": f"arn:aws:ec2:{region}:{acct}:{_EC2_IDS[typ]}/{resource_id}"}
            if typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
                extra["prefixListId"] = f"pl-{_digest(key, 8)}"
            return resource_id, extra
        if typ == "aws:sagemaker/domain:Domain":
            domain_id = f"d-{_digest(key, 12)}"
            return domain_id, {"arn": f"arn:aws:sagemaker:{region}:{acct}:domain/{domain_id}", "homeEfsFileSystemId": f"fs-{_digest(key, 8)}"}
        if typ in _SAGEMAKER_KINDS:
            arn = f"arn:aws:sagemaker:{region}:{acct}:{_SAGEMAKER_KINDS[typ]}/{physical.lower()}"
            return physical, {"arn": arn}
        if typ == "aws:ecr/repository:Repository":
            return physical, {
                "arn": f"arn:aws:ecr:{region}:{acct}:repository/{physical}",
                "repositoryUrl": f"{acct}.dkr.ecr.{region}.amazonaws.com/{physical}",
                "registryId": acct,
            }
        if typ == "aws:sns/topic:Topic":
            arn = f"arn:aws:sns:{region}:{acct}:{physical}"
            return arn, {"arn": arn}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return physical, {"arn": f"arn:aws:logs:{region}:{acct}:log-group:{physical}"}
        if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            return physical, {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{physical}"}
        if typ == "aws:cloudwatch/eventRule:EventRule":
            return physical, {"arn": f"arn:aws:events:{region}:{acct}:rule/{physical}"}
        return f"{physical}", {"arn": f"arn:aws:{module}:{region}:{acct}:{physical}"}


@dataclass(frozen=True)
class Registration:
    """One resource as the engine registered it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    depends_on: tuple[str, ...]
    property_dependencies: dict[str, list[str]]


class RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that builds URNs as the engine does and records every registration."""

    def __init__(self, plan_mocks: PlanMocks, on_register: Callable[[Registration], None] | None = None):
        super().__init__(plan_mocks)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()
        self._on_register = on_register

    def _record(self, registration: Registration) -> None:
        with self._lock:
            self.registrations.append(registration)
        if self._on_register is not None:
            self._on_register(registration)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs carry the full chain of ancestor types, minus the root stack (as the engine's do)."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != "pulumi:pulumi:Stack":
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), type_, name])

    def ReadResource(self, request):  # noqa: N802 (gRPC method name)
        """Record reads too: a StackReference is one, and resources depend on it."""
        response = super().ReadResource(request)
        _ensure_event_loop()
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent if request.parent and "::pulumi:pulumi:Stack::" not in request.parent else None,
            custom=True,
            inputs=rpc.deserialize_properties(request.properties),
            protect=False,
            retain_on_delete=False,
            depends_on=tuple(sorted(set(request.dependencies))),
            property_dependencies={},
        )
        self._record(registration)
        return response

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        """Record the registration, then let the mock monitor answer it."""
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        _ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        properties = {key: sorted(set(deps.urns)) for key, deps in request.propertyDependencies.items() if deps.urns}
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent if request.parent and "::pulumi:pulumi:Stack::" not in request.parent else None,
            custom=bool(request.custom),
            inputs=inputs,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            # As in the engine's state: every dependency, explicit or through an input.
            depends_on=tuple(sorted(set(request.dependencies))),
            property_dependencies=dict(sorted(properties.items())),
        )
        self._record(registration)
        return response
