"""Planned Pulumi resources turned into the AWS API requests the provider sends for them.

pulumi-aws is bridged from the Terraform AWS provider: a resource's input names are the camelCase
of the Terraform attributes, which mostly are the snake_case of the API members. Each mapped type
names its API operation, the input holding its physical name, and the few inputs whose API member
has another name (``kmsKeyArn`` -> ``KmsKeyId``) or that the provider keeps to itself
(``forceDestroy``). Everything else is matched to the operation's input shape by name, walking the
shape: Terraform blocks (lists of one) become structures, maps become ``Key``/``Value`` lists where
the API wants them, numbers and booleans take the shape's type.

A resource without an explicit physical name is auto-named by Pulumi: ``<logical name>-<7 hex>``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

from infra.config.aws_data import service_model

#: Pipeline definition expressions (``{"Get": ...}``) resolved only when the pipeline runs.
_EXPRESSIONS = ("Get", "Std:Join", "Std:JsonGet")


class RuntimeValue(str):
    """A string a pipeline step gets only at run time (a step property, the execution id).

    It passes the type check; the length, pattern and enum checks skip it.
    """


@dataclass(frozen=True)
class ApiRequest:
    """One API call a planned resource (or a pipeline step it defines) turns into.

    Attributes:
        urn: The planned resource.
        resource_type: Its Pulumi type token.
        service: botocore service name.
        operation: API operation name.
        params: The request, in API member names.
        fields: API path (``ProductionVariants[0].InstanceType``) -> input path in the plan.
        unmapped: Input paths that have no API member and are not known provider-only settings.
        runtime_paths: API paths whose value exists only at pipeline run time (not checked).
        auto_name: The API path that holds a Pulumi auto-name, if the resource was auto-named.
    """

    urn: str
    resource_type: str
    service: str
    operation: str
    params: dict[str, Any]
    fields: Mapping[str, str]
    unmapped: tuple[str, ...] = ()
    runtime_paths: frozenset[str] = frozenset()
    auto_name: str | None = None

    def field_of(self, api_path: str) -> str:
        """The input path a user would look for, for an API path of this request."""
        probe = api_path
        while probe:
            if probe in self.fields:
                return self.fields[probe] + api_path[len(probe):]
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return api_path


@dataclass(frozen=True)
class RequestSpec:
    """How one Pulumi resource type becomes an API request.

    Attributes:
        service: botocore service name.
        operation: API operation.
        name_input: Input holding the physical name; when absent the resource is auto-named.
        renames: Input path (dotted, without list indices) -> API member, or None for inputs the
            provider handles with other calls or keeps to itself.
        fixed: Members the provider always fills (idempotency tokens, the caller's account).
        reshape: Rebuilds inputs whose nesting differs from the API's before they are matched.
    """

    service: str
    operation: str
    name_input: str | None = None
    renames: Mapping[str, str | None] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    reshape: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def auto_name(resource: Mapping[str, Any]) -> str:
    """The physical name Pulumi gives ``resource`` when its inputs set none (deterministic here)."""
    return f"{resource['name']}-{hashlib.sha256(resource['urn'].encode()).hexdigest()[:7]}"


def physical_name(resource: Mapping[str, Any]) -> str | None:
    """The resource's physical name: the explicit one, or its auto-name; None if the type has none."""
    spec = SPECS.get(resource["type"])
    if spec is None or spec.name_input is None:
        return None
    explicit = resource["inputs"].get(spec.name_input)
    return explicit if isinstance(explicit, str) else auto_name(resource)


def names_resource(value: Any, resource: Mapping[str, Any]) -> bool:
    """Whether ``value`` (a name seen in another resource's inputs) is ``resource``'s physical name.

    The offline engine returns auto-names with its own 7 hex digits, so an auto-named resource is
    matched by its logical name and the suffix's shape.
    """
    if not isinstance(value, str):
        return False
    spec = SPECS.get(resource["type"])
    explicit = resource["inputs"].get(spec.name_input) if spec and spec.name_input else None
    if isinstance(explicit, str):
        return value == explicit
    head, _, tail = value.rpartition("-")
    return head == resource["name"] and len(tail) == 7 and all(c in "0123456789abcdef" for c in tail)


# --- reshapers: inputs whose Terraform nesting differs from the API's -------------------------------


def _alarm(inputs: dict[str, Any]) -> dict[str, Any]:
    out = dict(inputs)
    queries = []
    for query in inputs.get("metricQueries", []):
        q = {k: v for k, v in query.items() if k != "metric"}
        metric = query.get("metric")
        if metric:
            stat = {"Metric": {k: metric[k] for k in ("metricName", "namespace", "dimensions") if k in metric}}
            stat.update({k: metric[k] for k in ("period", "stat", "unit") if k in metric})
            q["MetricStat"] = stat
        queries.append(q)
    if queries:
        out["metricQueries"] = queries
    return out


def _budget(inputs: dict[str, Any]) -> dict[str, Any]:
    notifications = []
    for n in inputs.get("notifications", []):
        subscribers = [{"SubscriptionType": "EMAIL", "Address": a} for a in n.get("subscriberEmailAddresses", [])]
        subscribers += [{"SubscriptionType": "SNS", "Address": a} for a in n.get("subscriberSnsTopicArns", [])]
        notification = {k: n[k] for k in ("notificationType", "comparisonOperator", "threshold", "thresholdType") if k in n}
        notifications.append({"Notification": notification, "Subscribers": subscribers})
    budget = {
        "BudgetName": inputs.get("name"),
        "BudgetType": inputs.get("budgetType"),
        "TimeUnit": inputs.get("timeUnit"),
        "BudgetLimit": {"Amount": inputs.get("limitAmount"), "Unit": inputs.get("limitUnit")},
        "CostFilters": {f["name"]: f["values"] for f in inputs.get("costFilters", [])},
    }
    return {
        "AccountId": inputs.get("accountId", "000000000000"),
        "Budget": {k: v for k, v in budget.items() if v not in (None, {})},
        "NotificationsWithSubscribers": notifications,
    }


def _attributes(names: Mapping[str, str], stringify: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Inputs that SNS/SQS take as an ``Attributes`` string map."""

    def reshape(inputs: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in inputs.items() if k not in names}
        attributes = {names[k]: (_text(v) if stringify else v) for k, v in inputs.items() if k in names}
        if attributes:
            out["Attributes"] = attributes
        return out

    return reshape


def _event_target(inputs: dict[str, Any]) -> dict[str, Any]:
    target = {k: v for k, v in inputs.items() if k not in ("rule", "eventBusName", "targetId")}
    # The provider generates an id when none is given (a unique 26-character id).
    target["Id"] = inputs.get("targetId", "terraform-00000000000000000000000000"[:26])
    out = {"Rule": inputs.get("rule"), "Targets": [target]}
    if "eventBusName" in inputs:
        out["EventBusName"] = inputs["eventBusName"]
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


_TOKEN = "0" * 32

#: Every ``aws:*`` type the platform plans that AWS validates at create time.
SPECS: dict[str, RequestSpec] = {
    # SageMaker
    "aws:sagemaker/model:Model": RequestSpec("sagemaker", "CreateModel", "name", {"name": "ModelName"}),
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": RequestSpec(
        "sagemaker", "CreateEndpointConfig", "name", {"name": "EndpointConfigName", "kmsKeyArn": "KmsKeyId", "namePrefix": None}
    ),
    "aws:sagemaker/endpoint:Endpoint": RequestSpec("sagemaker", "CreateEndpoint", "name", {"name": "EndpointName"}),
    "aws:sagemaker/pipeline:Pipeline": RequestSpec("sagemaker", "CreatePipeline", "pipelineName", fixed={"ClientRequestToken": _TOKEN}),
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": RequestSpec("sagemaker", "CreateModelPackageGroup", "modelPackageGroupName"),
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": RequestSpec("sagemaker", "PutModelPackageGroupPolicy"),
    "aws:sagemaker/domain:Domain": RequestSpec("sagemaker", "CreateDomain", "domainName", {"retentionPolicy": None}),
    "aws:sagemaker/userProfile:UserProfile": RequestSpec("sagemaker", "CreateUserProfile", "userProfileName"),
    "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": RequestSpec(
        "sagemaker", "CreateDataQualityJobDefinition", "name", {"name": "JobDefinitionName"}
    ),
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": RequestSpec(
        "sagemaker", "CreateMonitoringSchedule", "name", {"name": "MonitoringScheduleName"}
    ),
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": RequestSpec("sagemaker", "CreateMlflowTrackingServer", "trackingServerName"),
    "aws:sagemaker/modelCard:ModelCard": RequestSpec("sagemaker", "CreateModelCard", "modelCardName"),
    # EventBridge (CloudWatch Events in pulumi-aws)
    "aws:cloudwatch/eventRule:EventRule": RequestSpec("events", "PutRule", "name", {"namePrefix": None}),
    "aws:cloudwatch/eventTarget:EventTarget": RequestSpec("events", "PutTargets", reshape=_event_target),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": RequestSpec("events", "PutPermission"),
    # CloudWatch and Logs
    "aws:cloudwatch/metricAlarm:MetricAlarm": RequestSpec(
        "cloudwatch", "PutMetricAlarm", "name", {"name": "AlarmName", "metricQueries": "Metrics"}, reshape=_alarm
    ),
    "aws:cloudwatch/dashboard:Dashboard": RequestSpec("cloudwatch", "PutDashboard", "dashboardName"),
    "aws:cloudwatch/logGroup:LogGroup": RequestSpec("logs", "CreateLogGroup", "name", {"name": "logGroupName", "retentionInDays": None}),
    # IAM
    "aws:iam/role:Role": RequestSpec(
        "iam", "CreateRole", "name",
        {"name": "RoleName", "assumeRolePolicy": "AssumeRolePolicyDocument", "forceDetachPolicies": None, "managedPolicyArns": None, "inlinePolicies": None},
    ),
    "aws:iam/rolePolicy:RolePolicy": RequestSpec("iam", "PutRolePolicy", "name", {"name": "PolicyName", "role": "RoleName", "policy": "PolicyDocument"}),
    "aws:iam/policy:Policy": RequestSpec("iam", "CreatePolicy", "name", {"name": "PolicyName", "policy": "PolicyDocument"}),
    # S3
    "aws:s3/bucket:Bucket": RequestSpec("s3", "CreateBucket", "bucket", {"forceDestroy": None, "tags": None}),
    "aws:s3/bucketPolicy:BucketPolicy": RequestSpec("s3", "PutBucketPolicy"),
    # SNS and SQS
    "aws:sns/topic:Topic": RequestSpec(
        "sns", "CreateTopic", "name",
        reshape=_attributes({"kmsMasterKeyId": "KmsMasterKeyId", "displayName": "DisplayName", "policy": "Policy", "fifoTopic": "FifoTopic", "deliveryPolicy": "DeliveryPolicy"}, True),
    ),
    "aws:sns/topicPolicy:TopicPolicy": RequestSpec(
        "sns", "SetTopicAttributes", fixed={"AttributeName": "Policy"}, renames={"arn": "TopicArn", "policy": "AttributeValue"}
    ),
    "aws:sns/topicSubscription:TopicSubscription": RequestSpec("sns", "Subscribe", renames={"topic": "TopicArn"}),
    "aws:sqs/queue:Queue": RequestSpec(
        "sqs", "CreateQueue", "name", {"name": "QueueName"},
        reshape=_attributes(
            {"kmsMasterKeyId": "KmsMasterKeyId", "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds", "messageRetentionSeconds": "MessageRetentionPeriod",
             "visibilityTimeoutSeconds": "VisibilityTimeout", "delaySeconds": "DelaySeconds", "policy": "Policy", "fifoQueue": "FifoQueue"},
            True,
        ),
    ),
    "aws:sqs/queuePolicy:QueuePolicy": RequestSpec(
        "sqs", "SetQueueAttributes",
        # The queue URL is an output of the queue, unknown until it exists.
        reshape=lambda i: {"QueueUrl": i.get("queueUrl", RuntimeValue("queue-url")), "Attributes": {"Policy": i.get("policy")}},
    ),
    # KMS
    "aws:kms/key:Key": RequestSpec(
        "kms", "CreateKey",
        renames={"deletionWindowInDays": None, "enableKeyRotation": None, "rotationPeriodInDays": None, "isEnabled": None, "customerMasterKeySpec": "KeySpec"},
    ),
    "aws:kms/alias:Alias": RequestSpec("kms", "CreateAlias", "name", {"name": "AliasName"}),
    # ECR
    "aws:ecr/repository:Repository": RequestSpec(
        "ecr", "CreateRepository", "name", {"name": "repositoryName", "encryptionConfigurations": "encryptionConfiguration", "forceDelete": None}
    ),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": RequestSpec("ecr", "SetRepositoryPolicy", renames={"repository": "repositoryName", "policy": "policyText"}),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": RequestSpec("ecr", "PutLifecyclePolicy", renames={"repository": "repositoryName", "policy": "lifecyclePolicyText"}),
    # Budgets and Application Auto Scaling
    "aws:budgets/budget:Budget": RequestSpec("budgets", "CreateBudget", "name", reshape=_budget),
    "aws:appautoscaling/target:Target": RequestSpec("application-autoscaling", "RegisterScalableTarget"),
    "aws:appautoscaling/policy:Policy": RequestSpec("application-autoscaling", "PutScalingPolicy", "name", {"name": "PolicyName"}),
}


# --- the conversion --------------------------------------------------------------------------------


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


@dataclass
class _Walk:
    renames: Mapping[str, str | None]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    runtime: set[str] = field(default_factory=set)

    def value(self, value: Any, shape: Shape, api: str, source: str, generic: str) -> Any:
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _EXPRESSIONS:
            return self._expression(value, shape, api)
        kind = shape.type_name
        if kind == "structure":
            return self._structure(value, shape, api, source, generic)
        if kind == "list":
            return self._list(value, shape, api, source, generic)
        if kind == "map" and isinstance(value, dict):
            return {k: self.value(v, shape.value, f"{api}.{k}", f"{source}.{k}", f"{generic}.*") for k, v in sorted(value.items())}
        return _scalar(value, kind)

    def _structure(self, value: Any, shape: Shape, api: str, source: str, generic: str) -> Any:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # a Terraform block: a list of at most one
        if not isinstance(value, dict):
            return value
        members = {_norm(m): m for m in shape.members}
        out: dict[str, Any] = {}
        for key, item in sorted(value.items()):
            path = f"{generic}.{key}" if generic else key
            if path in self.renames:
                member = self.renames[path]
                if member is None:
                    continue
            else:
                member = members.get(_norm(key))
            if member not in shape.members:
                self.unmapped.append(f"{source}.{key}" if source else key)
                continue
            api_path = f"{api}.{member}" if api else member
            source_path = f"{source}.{key}" if source else key
            self.fields[api_path] = source_path
            out[member] = self.value(item, shape.members[member], api_path, source_path, path)
        return out

    def _list(self, value: Any, shape: Shape, api: str, source: str, generic: str) -> Any:
        member = shape.member
        if isinstance(value, dict) and member.type_name == "structure":
            pair = _pair_members(member)
            if pair is not None:
                key_member, value_member = pair
                value = [{key_member: k, value_member: v} for k, v in sorted(value.items())]
            else:
                value = [value]
        elif not isinstance(value, list):
            value = [value]
        return [self.value(v, member, f"{api}[{i}]", f"{source}[{i}]", generic) for i, v in enumerate(value)]

    def _expression(self, value: dict[str, Any], shape: Shape, api: str) -> Any:
        reference = value.get("Get")
        if isinstance(reference, str) and reference.startswith("Parameters."):
            name = reference.split(".", 1)[1]
            if name in self.parameters:
                return _scalar(self.parameters[name], shape.type_name)
        self.runtime.add(api)
        return RuntimeValue("resolved-at-run-time") if shape.type_name == "string" else None


def _pair_members(shape: Shape) -> tuple[str, str] | None:
    """``(Key, Value)`` or ``(Name, Value)``-like members of a structure a map turns into."""
    names = list(shape.members)
    if len(names) != 2:
        return None
    value = next((n for n in names if n.lower().endswith("value")), None)
    key = next((n for n in names if n != value and (n.lower().endswith("key") or n.lower() == "name")), None)
    return (key, value) if key and value else None


def _scalar(value: Any, kind: str) -> Any:
    if kind in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind in ("float", "double") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind == "string" and isinstance(value, (bool, int, float)):
        return _text(value)
    return value


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _build(urn: str, resource_type: str, service: str, operation: str, inputs: dict[str, Any], walk: _Walk, fixed: Mapping[str, Any], auto: str | None) -> ApiRequest:
    input_shape = service_model(service).operation_model(operation).input_shape
    params = _drop_none(walk.value(inputs, input_shape, "", "", ""))
    for member, value in fixed.items():
        params.setdefault(member, value)
    return ApiRequest(urn, resource_type, service, operation, params, dict(walk.fields), tuple(walk.unmapped), frozenset(walk.runtime), auto)


def requests_for(resource: Mapping[str, Any], default_tags: Mapping[str, str] | None = None) -> tuple[ApiRequest, ...]:
    """The API requests the provider sends to create ``resource`` (none for unmapped types).

    Args:
        resource: One planned resource as ``mlops plan --json`` prints it.
        default_tags: The AWS provider's default tags, merged under the resource's own tags.
    """
    spec = SPECS.get(resource["type"])
    if spec is None:
        return ()
    inputs = dict(resource["inputs"])
    auto = None
    if spec.name_input and spec.name_input not in inputs:
        inputs[spec.name_input] = auto_name(resource)
        auto = spec.name_input
    if default_tags and "tags" in _members(spec) and spec.renames.get("tags", "tags") is not None:
        inputs["tags"] = {**default_tags, **inputs.get("tags", {})}
    if spec.reshape is not None:
        inputs = spec.reshape(inputs)
    walk = _Walk(spec.renames)
    request = _build(resource["urn"], resource["type"], spec.service, spec.operation, inputs, walk, spec.fixed, None)
    if auto is not None:
        auto_path = next((api for api, src in request.fields.items() if src == auto), auto)
        request = ApiRequest(**{**request.__dict__, "auto_name": auto_path})
    if resource["type"] == "aws:sagemaker/pipeline:Pipeline":
        return (request, *pipeline_step_requests(resource))
    return (request,)


def _members(spec: RequestSpec) -> set[str]:
    shape = service_model(spec.service).operation_model(spec.operation).input_shape
    return {_norm(m) for m in shape.members}


#: Pipeline step types and the API call SageMaker makes for each, with the member it names the job by.
_STEP_OPERATIONS = {
    "Processing": ("CreateProcessingJob", "ProcessingJobName"),
    "Training": ("CreateTrainingJob", "TrainingJobName"),
    "Transform": ("CreateTransformJob", "TransformJobName"),
    "RegisterModel": ("CreateModelPackage", None),
    "Model": ("CreateModel", "ModelName"),
}


def _steps(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for step in steps:
        yield step
        arguments = step.get("Arguments", {})
        if step.get("Type") == "Condition":
            yield from _steps(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))


def pipeline_step_requests(resource: Mapping[str, Any]) -> tuple[ApiRequest, ...]:
    """The requests SageMaker sends for each step of a pipeline's definition, with every
    ``Parameters.*`` reference resolved to its default (what a scheduled run uses)."""
    definition = json.loads(resource["inputs"].get("pipelineDefinition") or "{}")
    parameters = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}
    out = []
    for step in _steps(definition.get("Steps", [])):
        if step.get("Type") not in _STEP_OPERATIONS:
            continue
        operation, job_member = _STEP_OPERATIONS[step["Type"]]
        arguments = dict(step.get("Arguments", {}))
        if job_member:
            # SageMaker names a step's job itself ("pipelines-<execution id>-<step>").
            arguments.setdefault(job_member, "pipelines-0123456789ab-" + step["Name"][:20])
        walk = _Walk({}, parameters)
        request = _build(resource["urn"], resource["type"], "sagemaker", operation, arguments, walk, {}, None)
        prefix = f"pipelineDefinition.Steps[{step['Name']}].Arguments"
        out.append(ApiRequest(**{**request.__dict__, "fields": {api: f"{prefix}.{api}" for api in request.fields}}))
    return tuple(out)
