"""A monthly cost estimate of a planned stack, per resource, per model and for the environment.

Pure functions over the plan JSON (``mlops plan --json``) and a price table: what each resource
costs a month under stated usage assumptions. Resources AWS does not charge for (IAM, policies,
S3 configuration, model registry, EventBridge rules on schedules and AWS events) cost 0 and are
not listed. Training and processing follow the pipeline's schedule (runs a month from its cron or
rate expression); real-time endpoints run 730 hours a month at their initial instance count
(autoscaling above it is traffic the assumptions do not model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mlops.cost.prices import PriceMissing, PriceTable, load_prices
from mlops.cost.schedule import HOURS_PER_MONTH, runs_per_month
from mlops.plan.diff import FOUNDATION, resource_groups

_GB_KB = 1024 * 1024


@dataclass(frozen=True)
class UsageAssumptions:
    """What the plan cannot know: traffic, data and run lengths (per model; the catalog may override)."""

    requests_per_month: int = 1_000_000
    payload_kb: float = 4.0
    inference_seconds: float = 0.1
    training_hours_per_run: float = 0.5
    processing_hours_per_step: float = 0.25
    monitoring_hours_per_run: float = 0.1
    triggered_runs_per_month: float = 0.0
    bucket_storage_gb: float = 50.0
    bucket_put_requests: int = 10_000
    bucket_get_requests: int = 100_000
    log_gb_per_month: float = 1.0
    endpoint_data_gb_per_month: float = 5.0
    kms_requests_per_month: int = 100_000
    image_gb_per_repository: float = 2.0
    notifications_per_month: int = 100


@dataclass(frozen=True)
class CostLine:
    """One resource's monthly cost and how it was reached."""

    urn: str
    type: str
    name: str
    group: str
    monthly_usd: float
    basis: str


@dataclass(frozen=True)
class CostEstimate:
    """Monthly cost of one stack."""

    stack: str
    environment: str
    region: str
    lines: tuple[CostLine, ...]
    budget_usd: float | None
    assumptions: UsageAssumptions
    prices_as_of: str
    estimated_prices: tuple[str, ...] = field(default=())
    #: Resources left out of the total for want of a price, each with what is missing.
    unpriced: tuple[str, ...] = field(default=())
    #: Models whose catalog ``usage`` differs from ``assumptions``: model -> the differing values.
    model_assumptions: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Monthly USD of the whole stack, rounded to cents."""
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def by_group(self) -> dict[str, float]:
        """Monthly USD per model and for the foundation (sorted: foundation first)."""
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.group] = totals.get(line.group, 0.0) + line.monthly_usd
        return {g: round(totals[g], 2) for g in sorted(totals, key=lambda g: (g != FOUNDATION, g))}

    @property
    def warnings(self) -> tuple[str, ...]:
        """Over budget, and figures that are estimates."""
        found = []
        if self.budget_usd is not None and self.total > self.budget_usd:
            found.append(f"estimated {self.total:,.2f} USD a month is over the stack budget of {self.budget_usd:,.2f} USD")
        found += [f"left out of the total (no price): {item}" for item in self.unpriced]
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        """The plan's ``cost`` section: deterministic, rounded to cents."""
        return {
            "currency": "USD",
            "region": self.region,
            "monthlyUsd": self.total,
            "groups": self.by_group(),
            "budgetUsd": self.budget_usd,
            "overBudget": bool(self.budget_usd is not None and self.total > self.budget_usd),
            "warnings": list(self.warnings),
            "pricesAsOf": self.prices_as_of,
            "estimatedPrices": list(self.estimated_prices),
            "assumptions": asdict(self.assumptions),
            "modelAssumptions": self.model_assumptions,
            "resources": [
                {"urn": l.urn, "type": l.type, "name": l.name, "group": l.group, "monthlyUsd": l.monthly_usd, "basis": l.basis}
                for l in self.lines
            ],
        }


@dataclass(frozen=True)
class _Context:
    plan: dict[str, Any]
    by_urn: dict[str, dict[str, Any]]
    children: dict[str | None, list[dict[str, Any]]]
    region: str
    prices: PriceTable
    used: set[str] = field(default_factory=set)

    def price(self, key: str) -> float:
        self.used.add(key)
        return self.prices.unit(self.region, key)

    def instance_hour(self, instance_type: str, use: str) -> float:
        self.used.add(f"instance {instance_type}")
        return self.prices.instance_hour(self.region, instance_type, use)  # type: ignore[arg-type]


def estimate(
    plan: dict[str, Any],
    usage: UsageAssumptions = UsageAssumptions(),
    per_model: Mapping[str, UsageAssumptions] | None = None,
    prices: PriceTable | None = None,
    region: str | None = None,
) -> CostEstimate:
    """The monthly cost of ``plan`` under ``usage`` (``per_model`` overrides it for named models).

    The region is the plan's ``region`` output, else ``region`` (personal stacks export none).
    """
    prices = prices or load_prices()
    resources = plan.get("resources", [])
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in resources:
        children.setdefault(resource.get("parent"), []).append(resource)
    context = _Context(plan, {r["urn"]: r for r in resources}, children, _region(plan, region), prices)
    groups = resource_groups(plan)
    lines = []
    unpriced: list[str] = []
    for resource in resources:
        pricer = _PRICERS.get(resource["type"])
        if pricer is None:
            continue
        group = groups.get(resource["urn"], FOUNDATION)
        assumptions = (per_model or {}).get(group, usage)
        try:
            monthly, basis = pricer(resource, assumptions, context)
        except PriceMissing as missing:
            # An instance type or region the table lacks: say so, never guess and never fail the plan.
            unpriced.append(f"{resource['name']}: {missing}")
            continue
        if round(monthly, 2):
            lines.append(CostLine(resource["urn"], resource["type"], resource["name"], group, round(monthly, 2), basis))
    lines.sort(key=lambda l: (l.group != FOUNDATION, l.group, l.type, l.name))
    return CostEstimate(
        stack=plan.get("stack", ""),
        environment=plan.get("environment", ""),
        region=context.region,
        lines=tuple(lines),
        budget_usd=_budget(resources),
        assumptions=usage,
        prices_as_of=prices.as_of,
        estimated_prices=tuple(k for k in prices.estimated(context.region) if k in context.used),
        unpriced=tuple(unpriced),
        model_assumptions=_differences(usage, per_model or {}, {line.group for line in lines}),
    )


def _differences(usage: UsageAssumptions, per_model: Mapping[str, UsageAssumptions], planned: set[str]) -> dict[str, dict[str, Any]]:
    # Only models in this plan, only values that differ: the section stays short and deterministic.
    defaults = asdict(usage)
    found = {}
    for model in sorted(set(per_model) & planned):
        changed = {k: v for k, v in asdict(per_model[model]).items() if defaults[k] != v}
        if changed:
            found[model] = changed
    return found


def _region(plan: dict[str, Any], fallback: str | None = None) -> str:
    region = (plan.get("outputs") or {}).get("region") or fallback
    if not region:
        raise ValueError("the plan has no region output: cannot price it")
    return region


def _budget(resources: list[dict[str, Any]]) -> float | None:
    limits = [float(r["inputs"]["limitAmount"]) for r in resources if r["type"] == "aws:budgets/budget:Budget" and "limitAmount" in r["inputs"]]
    return round(sum(limits), 2) if limits else None


# --- pricers: resource -> (monthly USD, basis) -------------------------------------------------


def _variants(resource: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = resource["inputs"]
    return list(inputs.get("productionVariants") or []) + list(inputs.get("shadowProductionVariants") or [])


def _endpoint_configuration(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    inputs = resource["inputs"]
    variants = _variants(resource)
    data_gb = usage.requests_per_month * usage.payload_kb * 2 / _GB_KB
    total = data_gb * ctx.price("sagemaker.inference.dataGb")
    parts = []
    for variant in variants:
        weight = float(variant.get("initialVariantWeight", 1) or 0)
        share = weight / max(sum(float(v.get("initialVariantWeight", 1) or 0) for v in variants), 1e-9)
        if "serverlessConfig" in variant:
            memory_gb = variant["serverlessConfig"]["memorySizeInMb"] / 1024
            seconds = usage.requests_per_month * share * usage.inference_seconds
            total += seconds * memory_gb * ctx.price("sagemaker.serverless.gbSecond")
            parts.append(f"{variant['variantName']}: serverless {memory_gb:g} GB x {seconds:,.0f} s")
            continue
        instance = variant["instanceType"]
        count = int(variant.get("initialInstanceCount", 1))
        hourly = ctx.instance_hour(instance, "hosting")
        if "asyncInferenceConfig" in inputs:
            busy = min(HOURS_PER_MONTH * count, usage.requests_per_month * share * usage.inference_seconds / 3600)
            total += busy * hourly
            parts.append(f"{variant['variantName']}: async {instance} {busy:,.1f} busy h")
        else:
            total += count * HOURS_PER_MONTH * hourly
            parts.append(f"{variant['variantName']}: {count} x {instance} x 730 h")
    return total, "; ".join(parts) + f"; {data_gb:,.1f} GB in+out"


def _parameter(value: Any, defaults: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "Get" in value:
        return defaults.get(value["Get"].removeprefix("Parameters."))
    return value


def _pipeline(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    definition = json.loads(resource["inputs"].get("pipelineDefinition") or "{}")
    defaults = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}
    schedules = [
        r["inputs"]["scheduleExpression"]
        for r in ctx.children.get(resource.get("parent"), [])
        if r["type"] == "aws:cloudwatch/eventRule:EventRule" and r["inputs"].get("scheduleExpression")
    ]
    runs = sum(runs_per_month(s) for s in schedules) + usage.triggered_runs_per_month
    per_run = 0.0
    steps = []
    for step in definition.get("Steps", []):
        arguments = step.get("Arguments", {})
        if step.get("Type") == "Processing":
            cluster, use, hours = arguments["ProcessingResources"]["ClusterConfig"], "processing", usage.processing_hours_per_step
        elif step.get("Type") == "Training":
            cluster, use, hours = arguments["ResourceConfig"], "training", usage.training_hours_per_run
        else:
            continue
        instance = _parameter(cluster["InstanceType"], defaults)
        count = int(_parameter(cluster.get("InstanceCount", 1), defaults))
        per_run += count * hours * ctx.instance_hour(instance, use)
        steps.append(f"{step['Name']} {count} x {instance} {hours:g} h")
    return runs * per_run, f"{runs:,.2f} runs/month ({', '.join(schedules) or 'no schedule'}) x [{'; '.join(steps)}]"


def _monitoring_schedule(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    config = resource["inputs"]["monitoringScheduleConfig"]
    expression = config.get("scheduleConfig", {}).get("scheduleExpression")
    definitions = [ctx.by_urn[u] for u in resource["options"].get("depends_on", []) if u in ctx.by_urn and "JobDefinition" in ctx.by_urn[u]["type"]]
    if not expression or not definitions:
        return 0.0, "no schedule"
    cluster = definitions[0]["inputs"]["jobResources"]["clusterConfig"]
    limit = definitions[0]["inputs"].get("stoppingCondition", {}).get("maxRuntimeInSeconds", 3600) / 3600
    hours = min(usage.monitoring_hours_per_run, limit)
    runs = runs_per_month(expression)
    hourly = ctx.instance_hour(cluster["instanceType"], "processing")
    count = int(cluster.get("instanceCount", 1))
    return runs * hours * count * hourly, f"{runs:,.0f} runs/month ({expression}) x {count} x {cluster['instanceType']} {hours:g} h"


def _mlflow(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    size = resource["inputs"].get("trackingServerSize", "Small")
    return HOURS_PER_MONTH * ctx.price(f"sagemaker.mlflow.{size}.hour"), f"{size} tracking server x 730 h"


def _vpc_endpoint(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    inputs = resource["inputs"]
    if inputs.get("vpcEndpointType", "Gateway") != "Interface":
        return 0.0, "gateway endpoint: no charge"
    zones = len(inputs.get("subnetIds") or []) or 1
    hours = zones * HOURS_PER_MONTH * ctx.price("vpc.interfaceEndpoint.azHour")
    data = usage.endpoint_data_gb_per_month * ctx.price("vpc.interfaceEndpoint.dataGb")
    return hours + data, f"{zones} AZ x 730 h + {usage.endpoint_data_gb_per_month:g} GB"


def _nat(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    data = usage.endpoint_data_gb_per_month
    return HOURS_PER_MONTH * ctx.price("vpc.natGateway.hour") + data * ctx.price("vpc.natGateway.dataGb"), f"730 h + {data:g} GB"


def _kms_key(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    requests = usage.kms_requests_per_month
    return ctx.price("kms.key.month") + requests / 10_000 * ctx.price("kms.requests.10k"), f"1 key + {requests:,} requests"


def _alarm(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    inputs = resource["inputs"]
    queries = inputs.get("metricQueries") or []
    metrics = [q["metric"] for q in queries if q.get("metric")] or [inputs]
    high = [m for m in metrics if 0 < int(m.get("period", 60) or 60) < 60]
    cost = (len(metrics) - len(high)) * ctx.price("cloudwatch.alarm.metricMonth") + len(high) * ctx.price("cloudwatch.alarm.highResolutionMetricMonth")
    return cost, f"{len(metrics)} alarm metric(s)"


def _dashboard(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    return ctx.price("cloudwatch.dashboard.month"), "1 dashboard"


def _custom_metrics(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    # Metrics the monitoring publishes are custom metrics: counted where an alarm reads them
    # (namespaces outside AWS/ are not AWS service metrics).
    cost, basis = _alarm(resource, usage, ctx)
    queries = resource["inputs"].get("metricQueries") or []
    custom = {json.dumps(q["metric"], sort_keys=True) for q in queries if q.get("metric") and not q["metric"].get("namespace", "").startswith("AWS/")}
    if not queries and not resource["inputs"].get("namespace", "AWS/").startswith("AWS/"):
        custom = {resource["name"]}
    if custom:
        cost += len(custom) * ctx.price("cloudwatch.customMetric.month")
        basis += f" + {len(custom)} custom metric(s)"
    return cost, basis


def _log_group(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    gb = usage.log_gb_per_month
    return gb * ctx.price("cloudwatch.logs.ingestGb") + gb * ctx.price("cloudwatch.logs.storageGbMonth"), f"{gb:g} GB ingested and kept"


def _bucket(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    storage = usage.bucket_storage_gb * ctx.price("s3.standard.gbMonth")
    requests = usage.bucket_put_requests / 1000 * ctx.price("s3.put.1k") + usage.bucket_get_requests / 1000 * ctx.price("s3.get.1k")
    return storage + requests, f"{usage.bucket_storage_gb:g} GB Standard + {usage.bucket_put_requests:,} PUT + {usage.bucket_get_requests:,} GET"


def _topic(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    n = usage.notifications_per_month
    return n / 1e6 * ctx.price("sns.publish.million"), f"{n:,} publishes"


def _subscription(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    if resource["inputs"].get("protocol") != "email":
        return 0.0, ""
    n = usage.notifications_per_month
    return n / 1e5 * ctx.price("sns.email.100k"), f"{n:,} emails"


def _queue(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    n = usage.notifications_per_month * 3  # send, receive, delete per dead letter
    return n / 1e6 * ctx.price("sqs.request.million"), f"{n:,} requests"


def _repository(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    gb = usage.image_gb_per_repository
    return gb * ctx.price("ecr.storage.gbMonth"), f"{gb:g} GB of images"


def _budget_line(resource: dict[str, Any], usage: UsageAssumptions, ctx: _Context) -> tuple[float, str]:
    return ctx.price("budgets.budget.month"), "1 budget"


_PRICERS: dict[str, Callable[[dict[str, Any], UsageAssumptions, _Context], tuple[float, str]]] = {
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": _endpoint_configuration,
    "aws:sagemaker/pipeline:Pipeline": _pipeline,
    "aws:sagemaker/monitoringSchedule:MonitoringSchedule": _monitoring_schedule,
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": _mlflow,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:kms/key:Key": _kms_key,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _custom_metrics,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:sqs/queue:Queue": _queue,
    "aws:ecr/repository:Repository": _repository,
    "aws:budgets/budget:Budget": _budget_line,
}
