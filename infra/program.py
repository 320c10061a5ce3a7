"""The Pulumi program: settings in, resources out. ``__main__.py`` and the offline plan both call it."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.config import ConfigError, Settings, find_project_dir, load_settings
from infra.foundation import Foundation, FoundationArgs

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
        registry_account_id: pulumi.Input[str] = registry.require_output("registryAccountId")
    else:
        registry_account_id = account_id
    audience = sorted(settings.migration.pilot_users)
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
    outputs = {**foundation.outputs(), "environment": env.environment, "registryAccountId": registry_account_id}
    for key, value in sorted(outputs.items()):
        pulumi.export(key, value)
    return outputs


def main() -> None:
    """Entry point under ``pulumi up``: settings from the stack's files, errors as one line."""
    try:
        settings = load_settings(find_project_dir(Path.cwd()), pulumi.get_stack())
    except ConfigError as error:
        raise pulumi.RunError(error.line()) from None
    build(settings)
