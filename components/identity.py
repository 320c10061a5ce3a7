"""IAM for an environment: service roles, persona roles, and their least-privilege policies.

Roles come first because the key policy names them; their permissions come after the key and
buckets exist, so the two halves are separate components.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, statement
from pipelines.definition.monitoring import DEFAULT_METRIC_NAMESPACE as MONITORING_NAMESPACE

SERVICE_ROLES = ("sagemaker-execution", "pipeline", "pipeline-trigger", "mlflow")
PERSONAS = ("platform-admin", "data-scientist", "model-approver")
#: Studio user execution roles, one per persona, distinct from the serving role (sagemaker-execution).
STUDIO_ROLES = tuple(f"{persona}-studio" for persona in PERSONAS)
_SERVICE_PRINCIPAL = {
    "sagemaker-execution": "sagemaker.amazonaws.com",
    "pipeline": "sagemaker.amazonaws.com",
    "pipeline-trigger": "events.amazonaws.com",
    "mlflow": "sagemaker.amazonaws.com",
    **{role: "sagemaker.amazonaws.com" for role in STUDIO_ROLES},
}


def account_roots(principal_arns: Sequence[str]) -> list[str]:
    """The account roots of ``principal_arns``: the Principal element that lets an ``aws:PrincipalArn``
    condition pick the named principals out of their accounts."""
    roots = set()
    for arn in principal_arns:
        _, partition, _, _, account = arn.split(":", 5)[:5]
        roots.add(f"arn:{partition}:iam::{account}:root")
    return sorted(roots)


@dataclass(frozen=True)
class PlatformRolesArgs:
    """Inputs of ``PlatformRoles``.

    Attributes:
        name_prefix: ``<prefix>-<environment>``; every role is ``<name_prefix>-<role>``.
        account_id: The environment's account.
        audience: Users allowed to assume the persona roles (the migration's current audience),
            matched against the ``mlops-user`` principal tag their identity provider sets.
        admins: Users allowed to assume ``platform-admin``.
        persona_principals: Per persona, the IAM role/user ARNs (``*`` allowed in the name, e.g. an
            Identity Center permission-set role) that may assume it; nobody else in the account can.
    """

    name_prefix: str
    account_id: pulumi.Input[str]
    audience: Sequence[str]
    admins: Sequence[str]
    persona_principals: Mapping[str, pulumi.Input[Sequence[str]]]


class PlatformRoles(pulumi.ComponentResource):
    """The environment's roles, with trust policies only."""

    roles: dict[str, aws.iam.Role]
    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: PlatformRolesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:identity:PlatformRoles", name, None, opts)
        self.roles = {}
        for role in (*SERVICE_ROLES, *STUDIO_ROLES):
            trust = statement(
                "ServiceAssumesRole",
                ["sts:AssumeRole"],
                principal={"Service": _SERVICE_PRINCIPAL[role]},
                condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
            )
            self.roles[role] = self._role(name, args, role, trust, f"Service role {role} of {args.name_prefix}")
        for persona in PERSONAS:
            users = list(args.admins if persona == "platform-admin" else args.audience)
            principals = pulumi.Output.from_input(args.persona_principals[persona]).apply(sorted)
            # Identity Center role names end in a random suffix, so the Principal element names the
            # account and aws:PrincipalArn picks the named roles out of it; the mlops-user tag keeps
            # the migration's audience. No sts:TagSession: a caller cannot bring its own tags.
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
            trust = statement(
                "NamedPrincipalsAssumePersona",
                ["sts:AssumeRole"],
                principal={"AWS": principals.apply(account_roots)},
                condition={
                    "ArnLike": {"aws:PrincipalArn": principals},
                    "StringEquals": {"aws:PrincipalTag/mlops-user": sorted(users)},
                },
            )
            self.roles[persona] = self._role(name, args, persona, trust, f"Persona {persona} of {args.name_prefix} for: {', '.join(sorted(users))}")
        self.arns = {role: r.arn for role, r in self.roles.items()}
        self.register_outputs({"arns": self.arns})

    def _role(self, name: str, args: PlatformRolesArgs, role: str, trust: dict, description: str) -> aws.iam.Role:
        return aws.iam.Role(
            f"{name}-{role}",
            name=f"{args.name_prefix}-{role}",
            description=description[:1000],
            assume_role_policy=document(trust),
            max_session_duration=3600 * (12 if role in PERSONAS else 1),
            opts=pulumi.ResourceOptions(parent=self),
        )


@dataclass(frozen=True)
class AccessPoliciesArgs:
    """Inputs of ``AccessPolicies``.

    Attributes:
        roles: The role resources from ``PlatformRoles``.
        region: The environment's region.
        account_id: The environment's account.
        registry_account_id: The account owning model package groups and ECR repositories.
        resource_prefix: Prefix of every SageMaker resource, ECR repository and role.
        registry_prefix: Prefix of model package groups and repositories (``<prefix>-``).
        kms_key_arn: The platform CMK.
        bucket_arns: Bucket ARNs by role (raw, curated, artifacts, capture, monitoring).
        vpc_id: The platform VPC: the only one whose network interfaces the roles may manage.
        registry_artifacts_bucket: Name of the registry stack's artifacts bucket when another stack
            owns the registry (test, prod read model data and baselines there), else None.
        registry_kms_key_arn: The registry stack's key those artifacts are encrypted with, else None.
    """

    roles: dict[str, aws.iam.Role]
    region: str
    account_id: pulumi.Input[str]
    registry_account_id: pulumi.Input[str]
    resource_prefix: str
    registry_prefix: str
    kms_key_arn: pulumi.Input[str]
    bucket_arns: dict[str, pulumi.Input[str]]
    vpc_id: pulumi.Input[str]
    registry_artifacts_bucket: pulumi.Input[str] | None = None
    registry_kms_key_arn: pulumi.Input[str] | None = None


class AccessPolicies(pulumi.ComponentResource):
    """Inline least-privilege policies of every platform role: no wildcard actions, no AWS-managed
    FullAccess policies, resources limited to this environment's prefix, buckets and key."""

    def __init__(self, name: str, args: AccessPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlops:identity:AccessPolicies", name, None, opts)
        a = args
        sm = lambda kind: pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.account_id, f":{kind}/{a.resource_prefix}-*")  # noqa: E731
        registry_groups = pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.registry_account_id, f":model-package-group/{a.registry_prefix}-*")
        registry_packages = pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.registry_account_id, f":model-package/{a.registry_prefix}-*")
        repos = pulumi.Output.concat("arn:aws:ecr:", a.region, ":", a.registry_account_id, f":repository/{a.registry_prefix}-*")
        buckets = sorted(a.bucket_arns)
        objects = [pulumi.Output.concat(a.bucket_arns[b], "/*") for b in buckets]
        bucket_list = [a.bucket_arns[b] for b in buckets]
        logs = pulumi.Output.concat("arn:aws:logs:", a.region, ":", a.account_id, ":log-group:/aws/sagemaker/*")
        key = statement("UsePlatformKey", ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], [a.kms_key_arn])
        data_rw = statement("ReadWritePlatformData", ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], objects)
        data_ro = statement("ReadPlatformData", ["s3:GetObject", "s3:GetObjectVersion"], objects)
        list_buckets = statement("ListPlatformBuckets", ["s3:GetBucketLocation", "s3:ListBucket"], bucket_list)
        pull = statement("PullPlatformImages", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [repos])
        # These actions do not support resource-level permissions (documented wildcard).
        token = statement("EcrAuthorization", ["ecr:GetAuthorizationToken"], ["*"])
        # ec2:Describe* accept no resource; the ENI actions accept network-interface (and, to create
        # one, subnet and security-group) ARNs, each with the ec2:Vpc condition key.
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
        # https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html
        ec2 = lambda kind: pulumi.Output.concat("arn:aws:ec2:", a.region, ":", a.account_id, f":{kind}/*")  # noqa: E731
        describe_network = statement(
            "DescribePlatformNetwork",
            ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
            ["*"],
        )
        manage_interfaces = statement(
            "RunInPlatformVpc",
            ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
            [ec2("network-interface"), ec2("security-group"), ec2("subnet")],
            condition={"ArnEquals": {"ec2:Vpc": pulumi.Output.concat("arn:aws:ec2:", a.region, ":", a.account_id, ":vpc/", a.vpc_id)}},
        )
        vpc = [describe_network, manage_interfaces]
        # Monitoring pipelines run as the pipeline role and publish only into the platform's namespace.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
        monitoring_metrics = statement(
            "PublishMonitoringMetrics", ["cloudwatch:PutMetricData"], ["*"],
            condition={"StringEquals": {"cloudwatch:namespace": MONITORING_NAMESPACE}},
        )
        metrics = statement("PublishSageMakerMetrics", ["cloudwatch:PutMetricData"], ["*"], condition={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}})
        write_logs = statement("WriteSageMakerLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], [logs, pulumi.Output.concat(logs, ":*")])
        read_registry = statement("ReadModelRegistry", ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"], [registry_groups, registry_packages])
        pass_execution = statement(
            "PassExecutionRoleToSageMaker",
            ["iam:PassRole"],
            [a.roles["sagemaker-execution"].arn],
            condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
        # Cross-account reads need the caller's identity policy as well as the owner's bucket and
        # key policy (which the registry stack grants):
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
        registry_reads = []
        if a.registry_artifacts_bucket is not None and a.registry_kms_key_arn is not None:
            registry_reads = [
                statement("ReadRegistryArtifacts", ["s3:GetObject", "s3:GetObjectVersion"], [pulumi.Output.concat("arn:aws:s3:::", a.registry_artifacts_bucket, "/models/*")]),
                statement("DecryptRegistryArtifacts", ["kms:Decrypt", "kms:DescribeKey"], [a.registry_kms_key_arn]),
            ]
        jobs = [sm(k) for k in ("processing-job", "training-job", "transform-job", "model", "pipeline", "experiment", "experiment-trial", "experiment-trial-component")]
        policies = {
            "sagemaker-execution": [key, data_rw, list_buckets, pull, token, *vpc, metrics, write_logs, read_registry, *registry_reads],
            "pipeline": [
                key, data_rw, list_buckets, *vpc, write_logs, read_registry, pass_execution, monitoring_metrics, *registry_reads,
                statement(
                    "RunPipelineSteps",
                    ["sagemaker:AddTags", "sagemaker:CreateModel", "sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:DescribeProcessingJob",
                     "sagemaker:DescribeTrainingJob", "sagemaker:StopProcessingJob", "sagemaker:StopTrainingJob",
                     # Batch scoring pipelines run transform jobs.
                     "sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob"],
                    jobs,
                ),
                statement("RegisterModelVersions", ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"], [registry_groups, registry_packages]),
            ],
            "pipeline-trigger": [statement("StartTrainingPipelines", ["sagemaker:StartPipelineExecution"], [sm("pipeline")])],
            "mlflow": [
                key, list_buckets,
                statement("TrackExperimentArtifacts", ["s3:GetObject", "s3:PutObject"], [pulumi.Output.concat(a.bucket_arns["artifacts"], "/mlflow/*")]),
                statement("RegisterMlflowModels", ["sagemaker:AddTags", "sagemaker:CreateModelPackage", "sagemaker:CreateModelPackageGroup", "sagemaker:DescribeModelPackageGroup"], [registry_groups, registry_packages]),
            ],
        }
        domain_scoped = lambda kind: pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.account_id, f":{kind}/*")  # noqa: E731
        personas = {
            "platform-admin": [
                key, data_ro, list_buckets, read_registry, pass_execution,
                # These List actions and Search accept no resource ARN, so only "*" grants them; the
                # list and describe actions that do accept one are scoped to the platform's resources.
                # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
                statement(
                    "ListPlatformResources",
                    ["sagemaker:ListEndpointConfigs", "sagemaker:ListEndpoints", "sagemaker:ListModelPackageGroups", "sagemaker:ListModels",
                     "sagemaker:ListMonitoringExecutions", "sagemaker:ListMonitoringSchedules", "sagemaker:ListPipelines",
                     "sagemaker:ListProcessingJobs", "sagemaker:ListTrainingJobs", "sagemaker:Search"],
                    ["*"],
                ),
                statement(
                    "DescribePlatformResources",
                    ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeMonitoringSchedule", "sagemaker:DescribePipeline",
                     "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps", "sagemaker:ListPipelineExecutions"],
                    [sm("endpoint"), sm("endpoint-config"), sm("monitoring-schedule"), sm("pipeline")],
                ),
                statement("OperatePlatform", ["sagemaker:StartPipelineExecution", "sagemaker:StopPipelineExecution", "sagemaker:UpdateEndpointWeightsAndCapacities"], [sm("endpoint"), sm("pipeline")]),
            ],
            "data-scientist": [
                key, data_ro, list_buckets, read_registry, pass_execution,
                statement("ExperimentWithData", ["s3:PutObject"], [pulumi.Output.concat(a.bucket_arns["curated"], "/experiments/*"), pulumi.Output.concat(a.bucket_arns["artifacts"], "/experiments/*")]),
                statement("RunTrainingPipelines", ["sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutionSteps", "sagemaker:ListPipelineExecutions", "sagemaker:StartPipelineExecution"], [sm("pipeline"), pulumi.Output.concat(sm("pipeline"), "/execution/*")]),
                statement("TrackExperiments", ["sagemaker-mlflow:CreateExperiment", "sagemaker-mlflow:CreateRun", "sagemaker-mlflow:GetExperiment", "sagemaker-mlflow:GetRun", "sagemaker-mlflow:LogBatch", "sagemaker-mlflow:LogMetric", "sagemaker-mlflow:LogParam", "sagemaker-mlflow:SearchExperiments", "sagemaker-mlflow:SearchRuns", "sagemaker-mlflow:UpdateRun"], [pulumi.Output.concat("arn:aws:sagemaker:", a.region, ":", a.account_id, f":mlflow-tracking-server/{a.resource_prefix}-*")]),
                # AccessUI accepts no resource ARN; opening a server still needs its presigned URL.
                statement("OpenMlflowUi", ["sagemaker-mlflow:AccessUI"], ["*"]),
            ],
            "model-approver": [
                read_registry,
                statement("ApproveModelVersions", ["sagemaker:UpdateModelPackage"], [registry_packages]),
                statement("ReadEvaluationReports", ["s3:GetObject"], [pulumi.Output.concat(a.bucket_arns["artifacts"], "/models/*")]),
                key,
            ],
        }
        use_studio = statement("UseStudio", ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile"], [domain_scoped("domain"), domain_scoped("user-profile")])
        # What a Studio user's own apps and spaces need; List* accept no resource ARN.
        studio_apps = [
            statement("RunStudioApps", ["sagemaker:CreateApp", "sagemaker:CreateSpace", "sagemaker:DeleteApp", "sagemaker:DeleteSpace", "sagemaker:DescribeApp", "sagemaker:DescribeSpace", "sagemaker:UpdateSpace"], [domain_scoped("app"), domain_scoped("space")]),
            statement("ListStudioApps", ["sagemaker:ListApps", "sagemaker:ListSpaces"], ["*"]),
            write_logs,
        ]
        for persona, statements in personas.items():
            # The human persona opens Studio; inside it the persona's Studio role does the work.
            policies[persona] = [*statements, *([use_studio] if persona == "data-scientist" else [])]
            policies[f"{persona}-studio"] = [*statements, *studio_apps]
        for role, statements in policies.items():
            aws.iam.RolePolicy(
                f"{name}-{role}",
                role=a.roles[role].id,
                policy=document(*statements),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
