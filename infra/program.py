"""The Pulumi program: settings in, resources out. ``__main__.py`` and the offline plan both call it."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.dashboard import PlatformDashboard, PlatformDashboardArgs, page_models
from components.eventing import (
    DriftForwarding,
    DriftForwardingArgs,
    SharedEventBus,
    SharedEventBusArgs,
)
from components.kubernetes_serving import TeamNamespace, TeamNamespaceArgs
from components.model import ModelComponent
from components.personal import PersonalWorkspace, PersonalWorkspaceArgs
from infra.config import ConfigError, Settings, find_project_dir, load_settings, names
from infra.foundation import BUCKETS, Foundation, FoundationArgs, FoundationView
from infra.models import group_name, model_args

PROJECT = "mlops"


def default_tags(settings: Settings) -> dict[str, str]:
    """Tags the provider puts on every taggable resource."""
    env = settings.env
    tags = {
        "project": PROJECT,
        "environment": env.environment,
        "stack": settings.stack,
        "owner": env.tags.owner,
        "cost-center": env.tags.cost_center,
        "data-classification": env.tags.data_classification,
        "managed-by": "pulumi",
    }
    if env.personal is not None:
        tags["personal-owner"] = env.personal.owner
        if env.personal.expires_at:
            tags["expires-at"] = env.personal.expires_at
    return tags


def build(settings: Settings) -> dict[str, pulumi.Input]:
    """Register every resource of the stack and return its outputs (also exported)."""
    env = settings.env
    provider = aws.Provider(
        "aws",
        region=env.region,
        profile=env.profile,
        allowed_account_ids=[env.account_id] if env.account_id else None,
        default_tags={"tags": default_tags(settings)},
    )
    opts = pulumi.ResourceOptions(providers={"aws": provider})
    account_id: pulumi.Input[str] = env.account_id or aws.get_caller_identity_output(
        opts=pulumi.InvokeOptions(provider=provider)
    ).account_id
    if settings.personal:
        outputs = _build_personal(settings, account_id, opts)
    elif settings.env.team is not None:
        outputs = _build_team(settings, account_id, opts)
    else:
        outputs = _build_shared(settings, account_id, opts)
    for key, value in sorted(outputs.items()):
        pulumi.export(key, value)
    return outputs


def _build_shared(settings: Settings, account_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> dict[str, pulumi.Input]:
    """A shared environment (dev, test, prod): its foundation and its models."""
    env = settings.env
    if env.registry.source_stack:
        registry = pulumi.StackReference(env.registry.source_stack)
        registry_account_id: pulumi.Input[str] = env.registry.account_id or registry.require_output("registryAccountId")
        registry_artifacts: pulumi.Input[str] = registry.require_output("buckets").apply(lambda b: b["artifacts"])
        registry_key: pulumi.Input[str] | None = registry.require_output("kmsKeyArn")
    else:
        registry_account_id = account_id
        registry_key = None
    migration = settings.plan
    audience = list(migration.audience())
    foundation = Foundation(
        names.environment_prefix(env.name_prefix, env.environment),
        FoundationArgs(
            env=env, account_id=account_id, registry_account_id=registry_account_id, audience=audience, admins=audience,
            registry_artifacts_bucket=registry_artifacts if registry_key is not None else None, registry_kms_key_arn=registry_key,
        ),
        opts=opts,
    )
    if not env.registry.source_stack:
        registry_artifacts = foundation.buckets["artifacts"].name
    view = foundation.view()
    _link_drift_events(settings, account_id, registry_account_id, foundation.dead_letters.arn, opts)
    if env.layout == "team-stacks":
        # Models live in the team stacks; the overview finds their pipelines by name, so adding a
        # model changes nothing here.
        _environment_dashboard(settings, view, opts)
        return {
            **foundation.outputs(),
            "environment": env.environment,
            "registryAccountId": registry_account_id,
            "registryArtifactsBucket": registry_artifacts,
        }
    models = _models(settings, migration.in_environment(env.environment), view, registry_artifacts, opts)
    _dashboard(settings, view, models, migration.progress(), opts)
    return {
        **foundation.outputs(),
        "environment": env.environment,
        "registryAccountId": registry_account_id,
        "models": _model_outputs(settings, models),
    }


def _build_team(settings: Settings, account_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> dict[str, pulumi.Input]:
    """A team stack ``<environment>.<team>``: the team's models on the environment stack's foundation.

    Logical and physical names are the environment layout's, so moving a model between the layouts
    (``pulumi state move``) replaces nothing.
    """
    env = settings.env
    foundation = pulumi.StackReference(env.foundation_stack)
    prefix = names.environment_prefix(env.name_prefix, env.environment)
    view = _referenced_view(foundation, account_id, prefix, foundation.require_output("registryAccountId"))
    specs = [m for m in settings.plan.in_environment(env.environment) if m.owner == env.team]
    models = _models(settings, specs, view, foundation.require_output("registryArtifactsBucket"), opts)
    _team_dashboards(settings, view, models, opts)
    return {
        "environment": env.environment,
        "team": env.team,
        "foundationStack": env.foundation_stack,
        "models": _model_outputs(settings, models),
    }


def _build_personal(settings: Settings, account_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> dict[str, pulumi.Input]:
    """A personal dev stack: the owner's pieces on top of the shared dev foundation."""
    env, personal = settings.env, settings.env.personal
    shared = pulumi.StackReference(personal.shared_stack)
    prefix = names.stack_prefix(env.name_prefix, settings.stack)
    data_prefix = f"users/{settings.stack.removeprefix('dev-')}/"
    view = _referenced_view(shared, account_id, prefix, account_id, data_prefix)
    workspace = PersonalWorkspace(
        prefix,
        PersonalWorkspaceArgs(
            owner=personal.owner,
            principals=pulumi.Output.from_input(account_id).apply(lambda account: env.personas.principals("data-scientist", account)),
            role_name=prefix,
            profile_name=settings.stack.removeprefix("dev-") + ("" if personal.slug else "-sandbox"),
            resource_prefix=prefix,
            data_prefix=data_prefix,
            account_id=account_id,
            region=env.region,
            kms_key_arn=view.kms_key_arn,
            bucket_names={role: view.bucket_names[role] for role in ("raw", "curated", "artifacts")},
            domain_id=shared.require_output("studioDomainId"),
            security_group_ids=[view.security_group_id],
        ),
        opts=opts,
    )
    chosen = [m for m in settings.models if m.name in personal.models]
    models = _models(settings, chosen, view, view.bucket_names["artifacts"], opts)
    return {
        "environment": env.environment,
        "owner": personal.owner,
        "expiresAt": personal.expires_at,
        "sharedStack": personal.shared_stack,
        "workspaceRoleArn": workspace.role.arn,
        "dataPrefix": pulumi.Output.concat("s3://", view.bucket_names["raw"], "/", data_prefix),
        "models": _model_outputs(settings, models),
    }


def _referenced_view(
    shared: pulumi.StackReference,
    account_id: pulumi.Input[str],
    prefix: str,
    registry_account_id: pulumi.Input[str],
    data_prefix: str = "",
) -> FoundationView:
    """The foundation of another stack (its outputs) as this stack's models see it."""
    field = lambda key, item: shared.require_output(key).apply(lambda value: value[item])  # noqa: E731
    return FoundationView(
        account_id=account_id,
        kms_key_arn=shared.require_output("kmsKeyArn"),
        bucket_names={role: field("buckets", role) for role in BUCKETS},
        role_arns={role: field("roleArns", role) for role in ("sagemaker-execution", "pipeline", "pipeline-trigger")},
        subnet_ids=shared.require_output("subnetIds"),
        security_group_id=shared.require_output("workloadSecurityGroupId"),
        alert_topic_arn=shared.require_output("alertTopicArn"),
        resource_prefix=prefix,
        registry_account_id=registry_account_id,
        dead_letter_arn=shared.require_output("deadLetterQueueArn"),
        data_prefix=data_prefix,
    )


def _models(settings: Settings, specs, view: FoundationView, registry_artifacts: pulumi.Input[str], opts: pulumi.ResourceOptions) -> list[tuple]:
    """A ``ModelComponent`` per catalog entry, paired with its entry; a namespace per team that
    serves on Kubernetes here."""
    environment = settings.env.environment
    teams = sorted({s.owner for s in specs if s.serving.target == "kubernetes" and s.versions.pinned(environment)})
    if teams:
        # Only a stack that serves on Kubernetes needs the cluster (the loader checked it is configured).
        cluster = k8s.Provider("kubernetes", context=settings.env.kubernetes.context, enable_server_side_apply=True)
        opts = pulumi.ResourceOptions(providers={**dict(opts.providers), "kubernetes": cluster})
    namespaces = {
        team: TeamNamespace(f"{view.resource_prefix}-{team}", TeamNamespaceArgs(team=team, environment=environment), opts=opts).name
        for team in teams
    }
    built = []
    for spec in specs:
        args = model_args(settings, spec, view, registry_artifacts, namespaces)
        built.append((spec, args, ModelComponent(f"{view.resource_prefix}-{spec.name}", args, opts=opts)))
    return built


def _model_outputs(settings: Settings, models: list[tuple]) -> dict[str, dict]:
    return {
        spec.name: {
            "modelPackageGroup": group_name(settings, spec),
            "pipeline": args.pipeline.pipeline_name if args.pipeline else None,
            "endpoint": args.endpoint.endpoint_name if args.endpoint else None,
            "kubernetesService": f"{spec.owner}/{spec.name}" if args.kubernetes else None,
        }
        for spec, args, _ in models
    }


def _dashboard(settings: Settings, view: FoundationView, models: list[tuple], progress: str, opts: pulumi.ResourceOptions) -> None:
    env = settings.env
    PlatformDashboard(
        names.dashboard_name(view.resource_prefix),
        PlatformDashboardArgs(
            dashboard_name=names.dashboard_name(view.resource_prefix),
            title=f"MLOps platform - {env.environment} ({settings.stack}): {progress}",
            pipeline_names=[args.pipeline.pipeline_name for _, args, _ in models if args.pipeline],
            region=env.region,
            widgets=[w for _, _, c in models for w in c.widgets],
        ),
        opts=opts,
    )


def _environment_dashboard(settings: Settings, view: FoundationView, opts: pulumi.ResourceOptions) -> None:
    """The environment stack's overview in the team-stacks layout: nothing in it names a model."""
    env = settings.env
    PlatformDashboard(
        names.dashboard_name(view.resource_prefix),
        PlatformDashboardArgs(
            dashboard_name=names.dashboard_name(view.resource_prefix),
            title=f"MLOps platform - {env.environment} ({settings.stack}): team stacks, one dashboard per team",
            pipeline_names=[],
            region=env.region,
            widgets=[],
            pipeline_search_prefix=f"{view.resource_prefix}-",
        ),
        opts=opts,
    )


def _team_dashboards(settings: Settings, view: FoundationView, models: list[tuple], opts: pulumi.ResourceOptions) -> None:
    """The team's dashboards: its models in name order, paged within CloudWatch's quotas."""
    env = settings.env
    pages = page_models(
        [(args.pipeline.pipeline_name if args.pipeline else None, component.monitor.widgets if component.monitor else []) for _, args, component in models]
    )
    for number, page in enumerate(pages, start=1):
        name = names.team_dashboard_name(view.resource_prefix, env.team, number)
        suffix = f" (page {number} of {len(pages)})" if len(pages) > 1 else ""
        PlatformDashboard(
            name,
            PlatformDashboardArgs(
                dashboard_name=name,
                title=f"MLOps platform - {env.environment}, team {env.team}{suffix}",
                pipeline_names=page.pipeline_names,
                region=env.region,
                widgets=page.widgets,
            ),
            opts=opts,
        )


def _link_drift_events(
    settings: Settings,
    account_id: pulumi.Input[str],
    registry_account_id: pulumi.Input[str],
    dead_letter_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> None:
    """Route drift alarms to the registry account when it is another account than this one."""
    env = settings.env
    prefix = names.environment_prefix(env.name_prefix, env.environment)
    if env.environment == "dev" and env.registry.reader_accounts:
        bus = pulumi.Output.concat("arn:aws:events:", env.region, ":", account_id, ":event-bus/default")
        SharedEventBus(f"{prefix}-events", SharedEventBusArgs(sender_accounts=env.registry.reader_accounts, bus_arn=bus), opts=opts)
    elif env.environment != "dev" and env.registry.account_id and env.registry.account_id != env.account_id:
        DriftForwarding(
            f"{prefix}-drift-forwarding",
            DriftForwardingArgs(
                alarm_name_patterns=names.retraining_alarm_patterns(env.name_prefix, env.environment),
                target_bus_arn=f"arn:aws:events:{env.region}:{env.registry.account_id}:event-bus/default",
                role_name=f"{prefix}-drift-forwarding",
                account_id=account_id,
                dead_letter_arn=dead_letter_arn,
            ),
            opts=opts,
        )


def main() -> None:
    """Entry point under ``pulumi up``: settings from the stack's files, errors as one line."""
    try:
        settings = load_settings(find_project_dir(Path.cwd()), pulumi.get_stack())
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    build(settings)
