"""Create, list, destroy and reap personal dev stacks against the in-memory backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mlops.devstacks.automation import BackendError
from mlops.devstacks.lifecycle import (
    create_personal_stack,
    destroy_personal_stack,
    list_personal_stacks,
    plan_personal_stack,
    reap_expired_stacks,
)
from mlops.devstacks.names import (
    DevStackError,
)
from mlops.devstacks.project import (
    ProjectLayout,
)

PERSONAL = {"mlops:kind": "personal-dev"}


def personal_tags(owner, expires_at, created_at="2026-11-20T09:00:00Z"):
    return {**PERSONAL, "mlops:owner": owner, "mlops:expires-at": expires_at, "mlops:created-at": created_at}


def plan(project, now, *, owner="alice", slug="exp1", ttl="72h", models=("churn", "fraud")):
    return plan_personal_stack(ProjectLayout.at(project), owner=owner, slug=slug, ttl=ttl, models=list(models), now=now)


# --- create -----------------------------------------------------------------------------------


def test_create_copies_every_dev_key_and_adds_the_personal_block(backend, project, now, dev_config):
    result = create_personal_stack(backend, plan(project, now))

    assert result.status == "created"
    assert backend.stacks["dev-alice-exp1"].config == {
        **dev_config,
        "mlops:personal": {
            "owner": "alice",
            "slug": "exp1",
            "models": ["churn", "fraud"],
            "expiresAt": "2026-11-25T09:00:00Z",
        },
    }


def test_create_tags_owner_kind_and_expiry(backend, project, now):
    create_personal_stack(backend, plan(project, now, ttl="3d"))

    assert backend.stacks["dev-alice-exp1"].tags == {
        "mlops:kind": "personal-dev",
        "mlops:owner": "alice",
        "mlops:expires-at": "2026-11-25T09:00:00Z",
        "mlops:created-at": "2026-11-22T09:00:00Z",
    }


def test_create_without_slug_leaves_slug_out_of_the_config(backend, project, now):
    create_personal_stack(backend, plan(project, now, slug=None, models=()))

    assert backend.stacks["dev-alice"].config["mlops:personal"] == {
        "owner": "alice",
        "models": [],
        "expiresAt": "2026-11-25T09:00:00Z",
    }


def test_create_runs_up_unless_told_not_to(backend, project, now):
    ran = create_personal_stack(backend, plan(project, now))
    skipped = create_personal_stack(backend, plan(project, now, slug="exp2"), run_up=False)

    assert ran.resource_changes == {"create": 7}
    assert skipped.resource_changes is None
    assert ("up", "dev-alice-exp1") in backend.calls
    assert ("up", "dev-alice-exp2") not in backend.calls


def test_create_again_updates_config_renews_the_lease_and_reports_exists(backend, project, now):
    create_personal_stack(backend, plan(project, now, models=("churn",)))
    later = now + timedelta(days=2)

    again = create_personal_stack(backend, plan(project, later, ttl="1d", models=("fraud",)))

    assert again.status == "exists"
    assert list(backend.stacks) == ["dev-alice-exp1"]
    stack = backend.stacks["dev-alice-exp1"]
    assert stack.config["mlops:personal"]["models"] == ["fraud"]
    assert stack.tags["mlops:expires-at"] == "2026-11-25T09:00:00Z"
    assert stack.tags["mlops:created-at"] == "2026-11-22T09:00:00Z"


def test_create_refuses_to_adopt_a_stack_that_is_not_personal(backend, project, now):
    backend.add("dev-alice-exp1", {"team": "platform"})

    with pytest.raises(DevStackError, match="not a personal dev stack"):
        create_personal_stack(backend, plan(project, now))
    assert backend.stacks["dev-alice-exp1"].tags == {"team": "platform"}
    assert backend.stacks["dev-alice-exp1"].config == {}


def test_create_refuses_a_personal_stack_of_another_owner(backend, project, now):
    backend.add("dev-alice-exp1", personal_tags("mallory", "2026-11-30T00:00:00Z"))

    with pytest.raises(DevStackError, match="belongs to 'mallory'"):
        create_personal_stack(backend, plan(project, now))


def test_unknown_model_is_refused_naming_the_known_ones(project, now):
    with pytest.raises(DevStackError, match=r"unknown model 'churnn': no stacks/models/churnn.yaml \(known: churn, fraud\)"):
        plan(project, now, models=("churn", "churnn"))


def test_model_names_cannot_escape_the_catalog(project, now):
    (project / "stacks" / "secret.yaml").write_text("x: 1\n", encoding="utf-8")
    with pytest.raises(DevStackError, match="unknown model"):
        plan(project, now, models=("../secret",))


def test_repeated_models_are_kept_once(project, now):
    assert plan(project, now, models=("fraud", "churn", "fraud")).models == ("fraud", "churn")


def test_secret_dev_values_are_not_copied_and_the_owner_is_told(backend, project, now):
    settings = project / "stacks" / "Pulumi.dev.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "  mlops:slackWebhook:\n    secure: v1:Zm9v:YmFy\n", encoding="utf-8"
    )

    result = create_personal_stack(backend, plan(project, now))

    assert "mlops:slackWebhook" not in backend.stacks["dev-alice-exp1"].config
    assert result.warnings == (
        "mlops:slackWebhook is encrypted for the dev stack in stacks/Pulumi.dev.yaml and was not copied; "
        "set it with `pulumi config set --secret mlops:slackWebhook --stack dev-alice-exp1`",
    )


def test_missing_dev_settings_are_an_input_error(project, now):
    (project / "stacks" / "Pulumi.dev.yaml").unlink()
    with pytest.raises(DevStackError, match=r"^stacks/Pulumi.dev.yaml: not found$"):
        plan(project, now)


def test_dev_settings_without_a_config_map_are_an_input_error(project, now):
    (project / "stacks" / "Pulumi.dev.yaml").write_text("config: [1, 2]\n", encoding="utf-8")
    with pytest.raises(DevStackError, match="stacks/Pulumi.dev.yaml: config: expected a map"):
        plan(project, now)


def test_failed_up_leaves_a_tagged_stack_and_says_how_to_recover(backend, project, now):
    backend.fail("up", "dev-alice-exp1")

    with pytest.raises(BackendError, match=r"re-run the same `mlops dev create`, or `mlops dev destroy dev-alice-exp1`"):
        create_personal_stack(backend, plan(project, now))
    assert backend.stacks["dev-alice-exp1"].tags["mlops:expires-at"] == "2026-11-25T09:00:00Z"


# --- list -------------------------------------------------------------------------------------


@pytest.fixture
def mixed_backend(backend):
    """Shared stacks, an untagged dev-* stack and personal stacks in several states."""
    backend.add("dev", {"mlops:kind": "personal-dev", "mlops:expires-at": "2020-01-01T00:00:00Z"}, resource_count=90)
    backend.add("test", {}, resource_count=80)
    backend.add("prod", {}, resource_count=120)
    backend.add("dev-carol", {"mlops:owner": "carol", "mlops:expires-at": "2020-01-01T00:00:00Z"}, resource_count=3)
    backend.add("dev-alice-exp1", personal_tags("alice", "2026-11-22T08:00:00Z"), resource_count=12)
    backend.add("dev-bob", personal_tags("bob", "2026-11-24T09:00:00Z"), resource_count=5)
    backend.add("dev-dan", personal_tags("dan", "whenever"), resource_count=1)
    backend.add("dev-erin", personal_tags("erin", "2026-11-22T09:00:00Z"), resource_count=2)
    return backend


def test_list_shows_only_personal_stacks_with_owner_age_and_expiry(mixed_backend, now):
    stacks = {stack.name: stack for stack in list_personal_stacks(mixed_backend, now)}

    assert list(stacks) == ["dev-alice-exp1", "dev-bob", "dev-dan", "dev-erin"]
    alice = stacks["dev-alice-exp1"]
    assert (alice.owner, alice.expired, alice.age, alice.resource_count) == ("alice", True, timedelta(days=2), 12)
    assert stacks["dev-bob"].expired is False
    assert stacks["dev-dan"].expires_at is None and stacks["dev-dan"].expired is False
    assert stacks["dev-erin"].expired is True, "a stack expires at its expiry instant"


# --- destroy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "test", "prod"])
def test_destroy_refuses_shared_stacks_even_when_tagged_personal(backend, name):
    backend.add(name, personal_tags("mallory", "2020-01-01T00:00:00Z"))

    with pytest.raises(DevStackError, match="shared stack"):
        destroy_personal_stack(backend, name)
    assert name in backend.stacks
    assert backend.calls == []


def test_destroy_refuses_an_untagged_stack(backend):
    backend.add("dev-carol", {"mlops:owner": "carol"})

    with pytest.raises(DevStackError, match="not a personal dev stack"):
        destroy_personal_stack(backend, "dev-carol")
    assert "dev-carol" in backend.stacks
    assert ("destroy", "dev-carol") not in backend.calls


def test_destroy_of_a_missing_stack_is_an_input_error(backend):
    with pytest.raises(DevStackError, match="no such stack.*mlops dev list"):
        destroy_personal_stack(backend, "dev-ghost")


def test_destroy_removes_a_personal_stack(backend):
    backend.add("dev-alice-exp1", personal_tags("alice", "2026-11-30T00:00:00Z"), resource_count=12)

    result = destroy_personal_stack(backend, "dev-alice-exp1")

    assert "dev-alice-exp1" not in backend.stacks
    assert (result.owner, result.resource_changes) == ("alice", {"delete": 12})


# --- reap -------------------------------------------------------------------------------------


def test_reap_destroys_only_expired_personal_stacks(mixed_backend, now):
    report = reap_expired_stacks(mixed_backend, now)

    actions = {outcome.name: outcome.action for outcome in report.outcomes}
    assert actions == {"dev-alice-exp1": "destroyed", "dev-bob": "kept", "dev-dan": "skipped", "dev-erin": "destroyed"}
    assert sorted(mixed_backend.stacks) == ["dev", "dev-bob", "dev-carol", "dev-dan", "prod", "test"]
    assert report.failures == ()


def test_reap_dry_run_changes_nothing(mixed_backend, now):
    before = sorted(mixed_backend.stacks)

    report = reap_expired_stacks(mixed_backend, now, dry_run=True)

    assert sorted(mixed_backend.stacks) == before
    assert [o.name for o in report.outcomes if o.action == "would-destroy"] == ["dev-alice-exp1", "dev-erin"]
    assert not any(call[0] == "destroy" for call in mixed_backend.calls)


def test_reap_carries_on_past_a_failure_and_reports_it(mixed_backend, now):
    mixed_backend.fail("destroy", "dev-alice-exp1")

    report = reap_expired_stacks(mixed_backend, now)

    assert [(o.name, o.action) for o in report.failures] == [("dev-alice-exp1", "failed")]
    assert "simulated failure" in report.failures[0].detail
    assert "dev-erin" not in mixed_backend.stacks, "the stack after the failure is still reaped"
    assert "dev-alice-exp1" in mixed_backend.stacks


def test_reap_with_nothing_to_do_reports_no_outcomes(backend, now):
    backend.add("prod", {})
    assert reap_expired_stacks(backend, now).outcomes == ()
