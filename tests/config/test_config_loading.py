"""The good path of the configuration edge: the example files load, personal stacks derive from dev."""

from __future__ import annotations

import pytest

from infra.config import load_settings, stack_names
from infra.config.rules import SHARED_STACKS


@pytest.mark.parametrize("stack", SHARED_STACKS)
def test_the_example_stacks_load(project_dir, stack):
    settings = load_settings(project_dir, stack)

    assert settings.stack == stack
    assert settings.env.environment == stack
    assert settings.personal is False
    assert [m.name for m in settings.models] == sorted(p.stem for p in (project_dir / "stacks" / "models").glob("*.yaml"))
    assert set(settings.migration.pilot_users) <= set(settings.migration.all_users)


def test_the_shared_stacks_are_the_stack_files(project_dir):
    assert set(stack_names(project_dir)) >= set(SHARED_STACKS)


def test_a_personal_stack_without_a_file_derives_from_dev(project_dir):
    dev = load_settings(project_dir, "dev")

    alice = load_settings(project_dir, "dev-alice")

    assert alice.stack == "dev-alice"
    assert alice.personal is True
    assert alice.env.personal.owner == "alice"
    assert alice.env.personal.slug is None
    assert alice.env.environment == "dev"
    assert alice.env.model_dump(exclude={"personal"}) == dev.env.model_dump(exclude={"personal"})
    assert alice.models == dev.models


def test_a_personal_stack_slug_is_read_from_the_stack_name(project_dir):
    settings = load_settings(project_dir, "dev-alice-churn-v2")

    assert (settings.env.personal.owner, settings.env.personal.slug) == ("alice", "churn-v2")


def test_a_personal_stack_file_is_used_when_it_exists(project_copy):
    dev_file = (project_copy / "stacks" / "Pulumi.dev.yaml").read_text()
    assert "monthlyLimitUsd: 1500" in dev_file
    own = dev_file.replace("monthlyLimitUsd: 1500", "monthlyLimitUsd: 200") + "  mlops:personal:\n    owner: bob\n"
    (project_copy / "stacks" / "Pulumi.dev-bob.yaml").write_text(own)

    settings = load_settings(project_copy, "dev-bob")

    assert settings.env.budget.monthly_limit_usd == 200
    assert settings.env.personal.owner == "bob"
