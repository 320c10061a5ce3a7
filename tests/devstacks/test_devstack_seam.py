"""The live seam's offline behaviour: backend and secrets settings, config shape, CLI checks.

Nothing here runs Pulumi; the live path is covered by tests/integration/test_live_devstack.py.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from mlops.devstacks.automation import (
    BackendError,
    PulumiCliUnavailableError,
    PulumiStackBackend,
    config_json,
    pulumi_error_summary,
    require_pulumi_cli,
    resolve_backend_settings,
)


def test_default_backend_is_a_local_state_folder_in_the_project(project):
    settings = resolve_backend_settings(project, {"PULUMI_CONFIG_PASSPHRASE": "x"})

    state = (project / ".pulumi-state").resolve()
    assert state.is_dir()
    assert settings.backend_url == f"file://{state.as_posix()}"
    assert settings.env_vars == {"PULUMI_BACKEND_URL": settings.backend_url}


def test_backend_url_from_the_environment_wins(project):
    settings = resolve_backend_settings(project, {"PULUMI_BACKEND_URL": "s3://team-state"})

    assert settings.backend_url == "s3://team-state"
    assert settings.env_vars == {}
    assert not (project / ".pulumi-state").exists()


def test_backend_url_pinned_in_pulumi_yaml_is_respected(project):
    pulumi_yaml = project / "Pulumi.yaml"
    pulumi_yaml.write_text(pulumi_yaml.read_text() + "backend:\n  url: s3://pinned-state\n", encoding="utf-8")

    settings = resolve_backend_settings(project, {})

    assert settings.backend_url == "s3://pinned-state"
    assert settings.env_vars == {}


def test_passphrase_provider_without_a_passphrase_says_what_to_set(project):
    settings = resolve_backend_settings(project, {})

    assert settings.secrets_provider == "passphrase"
    with pytest.raises(BackendError, match="dev-alice: PULUMI_CONFIG_PASSPHRASE is not set.*PULUMI_SECRETS_PROVIDER"):
        settings.require_secrets("dev-alice")


@pytest.mark.parametrize(
    "environ",
    [
        {"PULUMI_CONFIG_PASSPHRASE": ""},
        {"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/secrets/pulumi"},
        {"PULUMI_SECRETS_PROVIDER": "awskms://alias/mlops-pulumi"},
    ],
)
def test_secrets_are_usable_with_a_passphrase_or_another_provider(project, environ):
    resolve_backend_settings(project, environ).require_secrets("dev-alice")


def test_config_is_shaped_for_config_set_all_json():
    shaped = config_json(
        {
            "aws:region": "eu-west-1",
            "mlops:forceDestroy": True,
            "mlops:budgetUsd": 500,
            "mlops:personal": {"owner": "alice", "models": ("churn", "fraud")},
        }
    )

    assert shaped["aws:region"] == {"value": "eu-west-1", "secret": False}
    assert shaped["mlops:forceDestroy"] == {"value": "true", "secret": False}
    assert shaped["mlops:budgetUsd"] == {"value": "500", "secret": False}
    personal = shaped["mlops:personal"]
    assert personal["objectValue"] == {"owner": "alice", "models": ["churn", "fraud"]}
    assert json.loads(personal["value"]) == personal["objectValue"]
    assert personal["secret"] is False


def test_pulumi_failures_are_summarised_by_their_error_lines():
    output = (
        "\n code: 255\n stdout: Updating (dev-alice)\n stderr: warning: A new version is available\n"
        "error: update failed\nerror: aws:s3:Bucket bucket: AccessDenied\n"
    )
    assert pulumi_error_summary(Exception(output)) == "error: update failed; error: aws:s3:Bucket bucket: AccessDenied"


def test_missing_cli_names_the_install_page_the_aws_plugin_and_the_offline_plan(no_pulumi_on_path):
    with pytest.raises(PulumiCliUnavailableError) as raised:
        require_pulumi_cli()

    message = str(raised.value)
    assert "https://www.pulumi.com/docs/iac/download-install/" in message
    assert "`pulumi plugin install resource aws`" in message
    assert "`mlops plan` works offline" in message


def test_real_backend_refuses_to_open_without_the_cli(project, no_pulumi_on_path):
    with pytest.raises(PulumiCliUnavailableError, match="not installed"):
        PulumiStackBackend(project, {})


@pytest.mark.skipif(os.name == "nt", reason="uses a POSIX shell script as a stand-in executable")
def test_real_backend_refuses_a_cli_older_than_3_211(project, tmp_path, monkeypatch):
    # A stand-in that only answers `pulumi version`: enough to prove the version gate, and it
    # fails loudly if anything else is asked of it.
    bin_dir = tmp_path / "old-bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "pulumi"
    stand_in.write_text(
        '#!/bin/sh\nif [ "$1" = "version" ]; then echo v3.150.0; exit 0; fi\necho "unexpected: $*" >&2; exit 99\n',
        encoding="utf-8",
    )
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(bin_dir))

    with pytest.raises(PulumiCliUnavailableError, match=r"Pulumi CLI 3\.150\.0 is too old.*3\.211\.0 or newer"):
        PulumiStackBackend(project, {"PULUMI_CONFIG_PASSPHRASE": "x"})
