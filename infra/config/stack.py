"""Settings of one stack (``stacks/Pulumi.<stack>.yaml``): environment-level choices only.

Keys are the ones ``pulumi config`` reads: ``aws:region`` and the project's ``mlops:*`` keys.
The environment matrix of the design (serverless dev, A/B test, HA prod, protection in prod)
is enforced here so that an unsafe prod file never reaches the program.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from infra.config import aws_data
from infra.config.aws_rules import stack_reference_problem, vpc_cidr_problem
from infra.config.personas import Personas
from infra.config.rules import (
    NAME_PREFIX,
    PERSONAL_OWNER,
    PERSONAL_SLUG,
    PERSONAL_SLUG_MAX,
    TEAM_NAME,
)
from infra.config.validation import ConfigModel, KeyedError
from policy.rules import RULES

Environment = Literal["dev", "test", "prod"]
#: ``environment``: one stack per environment holds the foundation and every model.
#: ``team-stacks``: the environment stack holds the foundation, the audience and the shared
#: dashboard; each team's models live in the stack ``<environment>.<team>`` on top of it.
Layout = Literal["environment", "team-stacks"]
#: The project's stacks as a StackReference names them (``organization/<project>/<stack>``).
STACK_REFERENCE_ORGANIZATION = "organization/mlops"

#: CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

ACCOUNT_ID = r"^\d{12}$"
EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
REGION = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
TAG_VALUE = r"^[A-Za-z0-9 _.:/=+\-@]{1,256}$"
#: The platform carves a VPC into subnets 4 bits longer (components/network.py); /22 keeps them
#: at /26, room for SageMaker and interface endpoints after AWS's 5 reserved addresses.
SMALLEST_VPC_PREFIX = 22


def _stack_reference(value: str | None) -> str | None:
    problem = None if value is None else stack_reference_problem(value)
    if problem:
        raise ValueError(f"{value[:60]!r} {problem}")
    return value


class Tags(ConfigModel):
    """Organisation tags put on every resource through the provider's default tags."""

    owner: str = Field(pattern=TAG_VALUE, description="a team name, 1-256 characters")
    cost_center: str = Field(pattern=TAG_VALUE, description="the cost-center code, 1-256 characters")
    data_classification: Literal["public", "internal", "confidential", "restricted"] = Field(
        "internal", description="public, internal, confidential, restricted"
    )


class Alerts(ConfigModel):
    """Where platform alerts go."""

    email: str = Field(pattern=EMAIL, description="an e-mail address such as team@example.com")


class Budget(ConfigModel):
    """The environment's monthly AWS Budget; alerts fire at 80% (forecast) and 100% (actual)."""

    monthly_limit_usd: float = Field(gt=0, le=10_000_000, description="a number of US dollars > 0")


class Network(ConfigModel):
    """The environment's VPC."""

    cidr: str = Field(description="an RFC 1918 IPv4 CIDR from /16 to /22, e.g. 10.40.0.0/16")
    availability_zones: int = Field(2, ge=2, le=3, description="2 or 3")
    interface_endpoints: bool = Field(True, description="true or false")
    flow_logs: bool = Field(True, description="true or false")

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        problem = vpc_cidr_problem(value)
        if problem is None and ipaddress.IPv4Network(value).prefixlen > SMALLEST_VPC_PREFIX:
            problem = f"smaller than /{SMALLEST_VPC_PREFIX}, too small for the platform's subnets"
        if problem:
            raise ValueError(f"{value[:40]!r}: {problem}")
        return value


class Retention(ConfigModel):
    """How long logs and old object versions are kept."""

    log_days: int = Field(description="one of " + ", ".join(map(str, LOG_RETENTION_DAYS)))
    noncurrent_version_days: int = Field(ge=1, le=3650, description="1-3650 days")
    capture_days: int = Field(ge=1, le=3650, description="1-3650 days")

    @field_validator("log_days")
    @classmethod
    def _log_days(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a CloudWatch Logs retention period")
        return value


class Protection(ConfigModel):
    """Protection of stateful resources against deletion."""

    protect_stateful: bool = Field(description="true or false (must be true in prod)")
    force_destroy: bool = Field(description="true or false (must be false in prod)")
    kms_deletion_window_days: int = Field(ge=7, le=30, description="7-30 days (30 in prod)")


class Studio(ConfigModel):
    """SageMaker Studio domain and MLflow tracking for the current audience."""

    enabled: bool = Field(True, description="true or false")
    mlflow_size: Literal["Small", "Medium", "Large"] = Field("Small", description="Small, Medium, Large")
    idle_timeout_minutes: int = Field(120, ge=60, le=525600, description="60-525600 minutes")


class Registry(ConfigModel):
    """Where the model registry lives: dev owns it; test and prod read it."""

    source_stack: str | None = Field(
        None, description="the registry-owning stack, e.g. organization/mlops/dev (test and prod only)"
    )
    account_id: str | None = Field(
        None, pattern=ACCOUNT_ID, description="the registry-owning account, 12 digits quoted (test and prod only)"
    )
    protect: bool = Field(True, description="true or false: protect model package groups and repositories")
    reader_accounts: list[str] = Field(
        [], description="12-digit AWS account ids of the test and prod environments (dev only)"
    )

    _source_stack = field_validator("source_stack")(_stack_reference)

    @field_validator("reader_accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        for account in value:
            if not re.fullmatch(ACCOUNT_ID, account):
                raise ValueError(f"{account!r} is not a 12-digit AWS account id")
        return value


class Serving(ConfigModel):
    """The environment's endpoint profile (the design's environment matrix)."""

    mode: Literal["serverless", "realtime"] = Field(description="serverless, realtime")
    min_instances: int = Field(1, ge=1, le=20, description="1-20 (at least 2 in prod)")
    challenger: bool = Field(False, description="true or false")
    autoscaling: bool = Field(False, description="true or false (true in prod)")
    deployment: Literal["all-at-once", "canary", "linear"] = Field(
        "all-at-once", description="all-at-once, canary, linear (canary or linear in prod)"
    )
    canary_percent: int = Field(10, ge=1, le=50, description="1-50 percent of capacity")
    wait_seconds: int = Field(600, ge=0, le=3600, description="0-3600 seconds")
    termination_wait_seconds: int = Field(600, ge=0, le=3600, description="0-3600 seconds")


class Monitoring(ConfigModel):
    """Data capture and Model Monitor for the environment's endpoints."""

    data_capture: bool = Field(description="true or false")
    sampling_percent: int = Field(100, ge=1, le=100, description="1-100")
    schedule: Literal["off", "daily", "hourly"] = Field(description="off, daily, hourly")

    @model_validator(mode="after")
    def _schedule_needs_capture(self) -> "Monitoring":
        if self.schedule != "off" and not self.data_capture:
            raise KeyedError("schedule", "a monitoring schedule needs captured data (dataCapture: true)", '"off", or dataCapture: true')
        return self


class KubernetesCluster(ConfigModel):
    """The team cluster that serves models whose catalog target is ``kubernetes``."""

    context: str = Field(pattern=r"^[A-Za-z0-9_.:@/-]{1,253}$", description="a kubeconfig context name")
    ingress_namespace: str = Field(
        "ingress-nginx", pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", description="the ingress controller's namespace"
    )


class Waiver(ConfigModel):
    """An explicit, reasoned and expiring exception to one policy rule."""

    rule: str = Field(pattern=r"^[a-z0-9-]+$", description="a policy rule id (mlops policy list)")
    resource: str = Field(min_length=1, description="a resource name or glob, e.g. prod-raw*")
    reason: str = Field(min_length=10, description="why the exception is acceptable, at least 10 characters")
    owner: str = Field(min_length=1, description="who answers for the exception")
    expires: date = Field(description="an ISO date, e.g. 2027-03-31")

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        known = sorted(rule.id for rule in RULES)
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{value!r} is not a rule of the policy pack{hint}; mlops policy list shows them")
        return value


class Personal(ConfigModel):
    """Settings of an on-demand personal stack ``dev-<owner>[-<slug>]``."""

    owner: str = Field(pattern=PERSONAL_OWNER, description="2-20 lowercase letters and digits, starting with a letter")
    slug: str | None = Field(
        None, pattern=PERSONAL_SLUG, max_length=PERSONAL_SLUG_MAX,
        description=f"up to {PERSONAL_SLUG_MAX} lowercase letters, digits and single hyphens",
    )
    models: list[str] = Field(
        [], description="names of catalog models to build in the stack")
    expires_at: str | None = Field(None, description="an ISO-8601 UTC timestamp")
    shared_stack: str = Field(
        "organization/mlops/dev", description="the shared dev stack whose foundation is reused, organization/project/stack"
    )

    _shared_stack = field_validator("shared_stack")(_stack_reference)


class StackSettings(ConfigModel):
    """Everything a ``Pulumi.<stack>.yaml`` may set."""

    region: str = Field(alias="aws:region", pattern=REGION, description="an AWS region such as eu-west-1")

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        # botocore's partition data lists every region; a well-formed name may still not exist.
        partition = aws_data.partition_of_region(value)
        if partition is None or value not in aws_data.regions(partition):
            raise ValueError(f"{value!r} is not an AWS region botocore knows")
        return value
    profile: str | None = Field(None, alias="aws:profile", description="a named AWS CLI profile")
    environment: Environment = Field(alias="mlops:environment", description="dev, test, prod")
    account_id: str | None = Field(
        None, alias="mlops:accountId", pattern=ACCOUNT_ID, description="a 12-digit AWS account id, quoted"
    )
    name_prefix: str = Field(
        "mlops", alias="mlops:namePrefix", pattern=NAME_PREFIX, description="2-12 lowercase letters/digits"
    )
    tags: Tags = Field(alias="mlops:tags", description="owner, costCenter, dataClassification")
    alerts: Alerts = Field(alias="mlops:alerts", description="email")
    budget: Budget = Field(alias="mlops:budget", description="monthlyLimitUsd")
    network: Network = Field(alias="mlops:network", description="cidr, availabilityZones, interfaceEndpoints, flowLogs")
    retention: Retention = Field(alias="mlops:retention", description="logDays, noncurrentVersionDays, captureDays")
    protection: Protection = Field(
        alias="mlops:protection", description="protectStateful, forceDestroy, kmsDeletionWindowDays"
    )
    studio: Studio = Field(Studio(), alias="mlops:studio", description="enabled, mlflowSize, idleTimeoutMinutes")
    registry: Registry = Field(Registry(), alias="mlops:registry", description="sourceStack, readerAccounts")
    serving: Serving = Field(alias="mlops:serving", description="mode, minInstances, challenger, autoscaling, deployment, ...")
    monitoring: Monitoring = Field(alias="mlops:monitoring", description="dataCapture, samplingPercent, schedule")
    kubernetes: KubernetesCluster | None = Field(
        None, alias="mlops:kubernetes", description="context, ingressNamespace (needed to serve kubernetes-target models)"
    )
    policy_waivers: list[Waiver] = Field(
        [], alias="mlops:policyWaivers", description="a list of {rule, resource, reason, owner, expires}"
    )
    personal: Personal | None = Field(None, alias="mlops:personal", description="owner, slug, models, expiresAt")
    layout: Layout = Field(
        "environment", alias="mlops:layout",
        description="environment (one stack holds every model) or team-stacks (a stack <environment>.<team> per team)",
    )
    team: str | None = Field(
        None, alias="mlops:team", pattern=TEAM_NAME,
        description="set from the stack name <environment>.<team>, never in a file",
    )
    personas: Personas = Field(
        Personas(), alias="mlops:personas", description="platformAdmin, dataScientist, modelApprover: principal ARN lists"
    )

    @model_validator(mode="after")
    def _environment_matrix(self) -> "StackSettings":
        if self.environment == "prod":
            required = [
                (self.protection.protect_stateful, "mlops:protection.protectStateful", "prod must protect stateful resources", "true"),
                (not self.protection.force_destroy, "mlops:protection.forceDestroy", "prod buckets must not be force-destroyed", "false"),
                (self.protection.kms_deletion_window_days == 30, "mlops:protection.kmsDeletionWindowDays", "prod keys need the full deletion window", "30"),
                (self.serving.mode == "realtime", "mlops:serving.mode", "prod endpoints must be real-time", "realtime"),
                (self.serving.min_instances >= 2, "mlops:serving.minInstances", "prod endpoints need at least 2 instances across AZs", "2-20"),
                (self.serving.autoscaling, "mlops:serving.autoscaling", "prod endpoints must autoscale", "true"),
                (self.serving.deployment != "all-at-once", "mlops:serving.deployment", "prod needs a canary or linear rollout with auto-rollback", "canary, linear"),
                (self.network.flow_logs, "mlops:network.flowLogs", "prod needs VPC flow logs", "true"),
                (self.monitoring.data_capture, "mlops:monitoring.dataCapture", "prod endpoints must capture data", "true"),
                (self.monitoring.schedule != "off", "mlops:monitoring.schedule", "prod endpoints must be monitored", "hourly, daily"),
                (self.network.interface_endpoints, "mlops:network.interfaceEndpoints", "prod has no NAT: without interface endpoints nothing reaches AWS APIs", "true"),
            ]
            for ok, key, problem, allowed in required:
                if not ok:
                    raise KeyedError(key, problem, allowed)
        if self.environment == "test" and (not self.monitoring.data_capture or self.monitoring.schedule == "off"):
            key = "mlops:monitoring.dataCapture" if not self.monitoring.data_capture else "mlops:monitoring.schedule"
            raise KeyedError(key, "test rehearses prod monitoring: capture on and a schedule", "dataCapture: true, schedule daily or hourly")
        if self.serving.deployment != "all-at-once":
            # https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html and
            # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
            if self.serving.challenger:
                raise KeyedError("mlops:serving.deployment", "guarded updates need the same variant names before and after; a challenger comes and goes", "all-at-once with mlops:serving.challenger true")
            if self.serving.min_instances < 2:
                raise KeyedError("mlops:serving.minInstances", "a canary or linear step is whole instances and at most half the fleet", "2-20 with a canary or linear deployment")
        if self.serving.mode == "serverless":
            # Serverless endpoints exclude data capture, Model Monitor and multiple variants.
            if self.monitoring.data_capture:
                raise KeyedError("mlops:monitoring.dataCapture", "serverless endpoints cannot capture data", "false with mlops:serving.mode serverless")
            if self.serving.challenger:
                raise KeyedError("mlops:serving.challenger", "serverless endpoints serve a single variant", "false with mlops:serving.mode serverless")
        if self.environment != "dev" and self.registry.reader_accounts:
            raise KeyedError("mlops:registry.readerAccounts", "only dev owns the registry and grants readers", "an empty list outside dev")
        if self.environment == "dev" and self.registry.source_stack:
            raise KeyedError("mlops:registry.sourceStack", "dev owns the registry and reads no other stack", "unset in dev")
        if self.personal is not None and self.environment != "dev":
            raise KeyedError("mlops:personal", "personal stacks use the dev environment", "mlops:environment: dev")
        if self.team is not None and self.layout != "team-stacks":
            raise KeyedError("mlops:layout", f"team stack {self.environment}.{self.team} needs the team-stacks layout", "team-stacks")
        if self.team is not None and self.personal is not None:
            raise KeyedError("mlops:team", "a personal stack is not a team stack", "unset in personal stacks")
        return self

    @property
    def foundation_stack(self) -> str | None:
        """The environment stack a team stack reads its foundation from, or None."""
        return None if self.team is None else f"{STACK_REFERENCE_ORGANIZATION}/{self.environment}"
