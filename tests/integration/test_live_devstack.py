"""Live: create, list and destroy a real personal dev stack through the real seam.

Runs only where the Pulumi CLI is on PATH and AWS credentials (or AWS_ENDPOINT_URL for a local
endpoint) are present; anywhere else it is skipped and the skip says what is missing. The stack
is created without `pulumi up` unless MLOPS_LIVE_UP=1 (which needs the shared `dev` stack deployed),
and is always destroyed and removed at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mlops.devstacks.automation import PULUMI_INSTALL_URL, open_backend
from mlops.devstacks.lifecycle import (
    create_personal_stack,
    destroy_personal_stack,
    list_personal_stacks,
    plan_personal_stack,
)
from mlops.devstacks.project import (
    ProjectLayout,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.live

_AWS_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_ENDPOINT_URL",
)


def _has_aws_credentials() -> bool:
    if any(os.environ.get(name) for name in _AWS_CREDENTIAL_VARIABLES):
        return True
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or str(Path.home() / ".aws" / "credentials")
    return Path(shared).is_file()


def _missing_prerequisite() -> str | None:
    """Why the live path cannot run here, or None if it can."""
    if shutil.which("pulumi") is None:
        return f"Pulumi CLI not on PATH (install it from {PULUMI_INSTALL_URL})"
    if not _has_aws_credentials():
        return (
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, "
            "or AWS_ENDPOINT_URL for a local endpoint"
        )
    if not (PROJECT_ROOT / "Pulumi.yaml").is_file():
        return "no Pulumi.yaml at the project root"
    uses_passphrase = os.environ.get("PULUMI_SECRETS_PROVIDER", "passphrase") == "passphrase"
    if uses_passphrase and not {"PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"} & set(os.environ):
        return "PULUMI_CONFIG_PASSPHRASE not set (or set PULUMI_SECRETS_PROVIDER)"
    return None


def test_personal_stack_is_created_tagged_configured_and_destroyed_for_real():
    reason = _missing_prerequisite()
    if reason:
        pytest.skip(reason)

    backend = open_backend(PROJECT_ROOT)
    layout = ProjectLayout.at(PROJECT_ROOT)
    now = datetime.now(timezone.utc)
    plan = plan_personal_stack(layout, owner="ci", slug=f"it{secrets.token_hex(3)}", ttl="1h", models=[], now=now)
    run_up = os.environ.get("MLOPS_LIVE_UP") == "1"
    try:
        created = create_personal_stack(backend, plan, run_up=run_up, on_output=print)
        again = create_personal_stack(backend, plan, run_up=False)

        assert (created.status, again.status) == ("created", "exists")
        listed = {stack.name: stack for stack in list_personal_stacks(backend, now)}
        assert listed[plan.name].owner == "ci"
        assert listed[plan.name].expires_at == plan.expires_at
        settings = YAML(typ="safe").load(layout.stack_config_dir.joinpath(f"Pulumi.{plan.name}.yaml").read_text())
        assert settings["config"]["mlops:personal"]["owner"] == "ci"
        assert settings["config"]["mlops:environment"] == "dev"
    finally:
        if plan.name in {stack.name for stack in backend.list_stacks()}:
            destroy_personal_stack(backend, plan.name, on_output=print)

    assert plan.name not in {stack.name for stack in backend.list_stacks()}
    assert not layout.stack_config_dir.joinpath(f"Pulumi.{plan.name}.yaml").exists()
