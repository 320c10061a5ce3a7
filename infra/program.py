"""The Pulumi program: settings in, resources out. ``__main__.py`` and the offline plan both call it."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.dashboard import PlatformDashboard, PlatformDashboardArgs
from components.eventing import DriftForwarding, DriftForwardingArgs, SharedEventBus, SharedEventBusArgs
from components.model import ModelComponent
from infra.config import ConfigError, Settings, find_project_dir, load_settings
from infra.foundation import Foundation, FoundationArgs
from infra.migration import MigrationPlan
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
    account_id: pulumi.Input[str] = env.account_id or aws.get_caller_identity_output(
        opts=pulumi.InvokeOptions(provider=provider)
    ).account_id
    if env.registry.source_stack:
        registry = pulumi.StackReference(env.registry.source_stack)
        registry_account_id: pulumi.Input[str] = env.registry.account_id or registry.require_output("registryAccountId")
        registry_artifacts: pulumi.Input[str] = registry.require_output("buckets").apply(lambda b: b["artifacts"])
    else:
        registry_account_id = account_id
    migration = MigrationPlan(settings.models, settings.migration)
    audience = list(migration.audience())
    foundation = Foundation(
        f"{env.name_prefix}-{env.environment}",
        FoundationArgs(
            env=env,
            account_id=account_id,
            registry_account_id=registry_account_id,
            audience=audience,
            admins=audience,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": provider}),
    )
    if not env.registry.source_stack:
        registry_artifacts = foundation.buckets["artifacts"].name
    child = pulumi.ResourceOptions(providers={"aws": provider})
    prefix = f"{env.name_prefix}-{env.environment}"
    models = [
        ModelComponent(f"{prefix}-{model.name}", model_args(settings, model, foundation, registry_artifacts), opts=child)
        for model in migration.in_environment(env.environment)
    ]
    _link_drift_events(settings, account_id, registry_account_id, child)
    PlatformDashboard(
        f"{prefix}-overview",
        PlatformDashboardArgs(
            dashboard_name=f"{prefix}-overview",
            title=f"MLOps platform - {env.environment} ({settings.stack}): {migration.progress()}",
            pipeline_names=[f"{prefix}-{m.name}-training" for m, c in zip(migration.in_environment(env.environment), models) if c.pipeline],
            region=env.region,
            widgets=[w for m in models if m.monitor for w in m.monitor.widgets],
        ),
        opts=child,
    )
    outputs = {
        **foundation.outputs(),
        "environment": env.environment,
        "registryAccountId": registry_account_id,
        "models": {
            m.name: {"modelPackageGroup": group_name(settings, m), "endpoint": f"{prefix}-{m.name}" if m.versions.pinned(env.environment) and m.serving.target == "sagemaker" else None}
            for m in migration.in_environment(env.environment)
        },
    }
    for key, value in sorted(outputs.items()):
        pulumi.export(key, value)
    return outputs


def _link_drift_events(settings: Settings, account_id: pulumi.Input[str], registry_account_id: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
    """Route drift alarms to the registry account when it is another account than this one."""
    env = settings.env
    prefix = f"{env.name_prefix}-{env.environment}"
    if env.environment == "dev" and env.registry.reader_accounts:
        bus = pulumi.Output.concat("arn:aws:events:", env.region, ":", account_id, ":event-bus/default")
        SharedEventBus(f"{prefix}-events", SharedEventBusArgs(sender_accounts=env.registry.reader_accounts, bus_arn=bus), opts=opts)
    elif env.environment != "dev" and env.registry.account_id and env.registry.account_id != env.account_id:
        DriftForwarding(
            f"{prefix}-drift-forwarding",
            DriftForwardingArgs(
                alarm_name_pattern=f"{prefix}-*-drift",
                target_bus_arn=f"arn:aws:events:{env.region}:{env.registry.account_id}:event-bus/default",
                role_name=f"{prefix}-drift-forwarding",
                account_id=account_id,
            ),
            opts=opts,
        )


def main() -> None:
    """Entry point under ``pulumi up``: settings from the stack's files, errors as one line."""
    try:
        settings = load_settings(find_project_dir(Path.cwd()), pulumi.get_stack())
    except ConfigError as error:
        raise pulumi.RunError(error.line()) from None
    build(settings)
