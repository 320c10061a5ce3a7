"""`mlops dev ...` through typer's CliRunner, with the fake backend behind `backend_factory`."""

from __future__ import annotations

import json

import pytest

from mlops.cli import dev as devstacks_cli

EXPIRED = {"mlops:kind": "personal-dev", "mlops:owner": "alice", "mlops:expires-at": "2026-11-21T09:00:00Z"}
ALIVE = {"mlops:kind": "personal-dev", "mlops:owner": "bob", "mlops:expires-at": "2026-11-23T09:00:00Z"}


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_create_builds_the_stack_and_tells_the_owner_what_next(cli):
    result = cli.run("create", "--owner", "alice", "--slug", "exp1", "--models", "churn, fraud", "--ttl", "3d")

    assert result.exit_code == 0, result.stderr
    assert "created dev-alice-exp1" in result.stdout
    assert "2026-11-25T09:00:00Z" in result.stdout
    assert "mlops dev destroy dev-alice-exp1 --yes" in result.stdout
    assert cli.backend.stacks["dev-alice-exp1"].config["mlops:personal"]["models"] == ["churn", "fraud"]
    assert cli.opened == [cli.project]


def test_create_twice_reports_the_existing_stack(cli):
    cli.run("create", "--owner", "alice", "--no-up")
    again = cli.run("create", "--owner", "alice", "--no-up")

    assert again.exit_code == 0, again.stderr
    assert "updated (already existed; lease renewed) dev-alice" in again.stdout


def test_create_no_up_skips_pulumi_up(cli):
    result = cli.run("create", "--owner", "alice", "--no-up")

    assert result.exit_code == 0
    assert "skipped (--no-up)" in result.stdout
    assert ("up", "dev-alice") not in cli.backend.calls


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--owner", "Alice"], "error: owner 'Alice': use 2-20 lowercase letters"),
        (["--owner", "alice", "--ttl", "5w"], "error: ttl '5w': use a whole number"),
        (["--owner", "alice", "--ttl", "30d"], "error: ttl '30d': the maximum is 14d"),
        (["--owner", "alice", "--models", "churn,nope"], "error: unknown model 'nope'"),
    ],
)
def test_bad_create_input_exits_2_before_touching_pulumi(cli, args, message):
    result = cli.run("create", *args)

    assert result.exit_code == 2
    assert one_error_line(result).startswith(message)
    assert cli.opened == []


def test_every_problem_of_a_create_request_is_reported_at_once_one_line_each(cli):
    result = cli.run("create", "--owner", "Alice", "--slug", "bad slug", "--ttl", "5w", "--models", "churn,nope")

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(":", 2)[1].split("'")[0].strip() for line in lines] == ["owner", "slug", "ttl", "unknown model"]
    assert all(line.startswith("error: ") for line in lines)
    assert cli.opened == []


def test_list_json_is_for_machines(cli):
    cli.backend.add("dev-alice", {**EXPIRED, "mlops:created-at": "2026-11-20T09:00:00Z"}, resource_count=4)
    cli.backend.add("prod", {}, resource_count=100)

    result = cli.run("list", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "now": "2026-11-22T09:00:00Z",
        "stacks": [
            {
                "name": "dev-alice",
                "owner": "alice",
                "created_at": "2026-11-20T09:00:00Z",
                "expires_at": "2026-11-21T09:00:00Z",
                "expired": True,
                "age_seconds": 172800,
                "resource_count": 4,
                "last_update": None,
            }
        ],
    }


def test_list_table_is_for_people(cli):
    cli.backend.add("dev-alice", EXPIRED, resource_count=4)
    cli.backend.add("dev-bob", ALIVE, resource_count=2)

    result = cli.run("list")

    assert result.exit_code == 0
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if "dev-" in line}
    assert "expired 1d 0h ago" in rows["dev-alice"]
    assert "in 1d 0h" in rows["dev-bob"]


def test_list_with_no_stacks_says_how_to_create_one(cli):
    result = cli.run("list")
    assert "No personal dev stacks. Create one with `mlops dev create --owner <you>`." in result.stdout


@pytest.mark.parametrize("name", ["dev", "test", "prod"])
def test_destroy_refuses_shared_stacks_with_exit_2(cli, name):
    cli.backend.add(name, {})

    result = cli.run("destroy", name, "--yes")

    assert result.exit_code == 2
    assert "shared stack" in one_error_line(result)
    assert name in cli.backend.stacks


def test_destroy_refuses_an_untagged_stack_before_asking(cli):
    cli.backend.add("dev-carol", {"mlops:owner": "carol"})

    result = cli.run("destroy", "dev-carol", input="y\n")

    assert result.exit_code == 2
    assert "not a personal dev stack" in one_error_line(result)
    assert "Destroy every resource" not in result.stdout
    assert "dev-carol" in cli.backend.stacks


def test_destroy_asks_first_and_keeps_the_stack_on_no(cli):
    cli.backend.add("dev-alice", EXPIRED)

    result = cli.run("destroy", "dev-alice", input="n\n")

    assert result.exit_code == 1
    assert "Destroy every resource in dev-alice (owner alice) and remove the stack?" in result.stdout
    assert "dev-alice was not destroyed" in result.stderr
    assert "dev-alice" in cli.backend.stacks


def test_destroy_with_yes_removes_the_stack(cli):
    cli.backend.add("dev-alice", EXPIRED, resource_count=3)

    result = cli.run("destroy", "dev-alice", "--yes")

    assert result.exit_code == 0, result.stderr
    assert "destroyed dev-alice (owner alice): 3 delete" in result.stdout
    assert "dev-alice" not in cli.backend.stacks


def test_reap_reports_partial_failure_and_exits_1(cli):
    cli.backend.add("dev-alice", EXPIRED)
    cli.backend.add("dev-alice-exp2", EXPIRED)
    cli.backend.add("dev-bob", ALIVE)
    cli.backend.fail("destroy", "dev-alice")

    result = cli.run("reap", "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(s["name"], s["action"]) for s in report["stacks"]] == [
        ("dev-alice", "failed"),
        ("dev-alice-exp2", "destroyed"),
        ("dev-bob", "kept"),
    ]
    assert report["failed"] == 1
    assert "1 expired stack(s) could not be destroyed: dev-alice" in result.stderr


def test_reap_dry_run_destroys_nothing(cli):
    cli.backend.add("dev-alice", EXPIRED)

    result = cli.run("reap", "--dry-run")

    assert result.exit_code == 0
    assert "would-destroy" in result.stdout
    assert "dev-alice" in cli.backend.stacks


def test_backend_failure_is_one_red_line_and_exit_1(cli):
    cli.backend.fail("list", "(all stacks)")

    result = cli.run("list")

    assert result.exit_code == 1
    assert "simulated failure" in one_error_line(result)


def test_project_root_is_found_from_a_subfolder(cli, monkeypatch):
    monkeypatch.chdir(cli.project / "infra")

    assert cli.run("list").exit_code == 0
    assert cli.opened == [cli.project]


def test_project_dir_overrides_the_search(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert cli.run("list", "--project-dir", str(cli.project)).exit_code == 0
    assert cli.opened == [cli.project]


def test_outside_a_project_is_an_input_error(cli, tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)

    result = cli.run("list")

    assert result.exit_code == 2
    assert "elsewhere: (project): no Pulumi.yaml here or in any parent folder" in one_error_line(result)


# --- without the Pulumi CLI -------------------------------------------------------------------


@pytest.fixture
def real_factory_cli(cli, monkeypatch):
    """The CLI with the real backend factory, so the live path's CLI check runs."""
    monkeypatch.setattr(devstacks_cli, "backend_factory", devstacks_cli.open_backend)
    return cli


@pytest.mark.parametrize(
    "args",
    [
        ["create", "--owner", "alice", "--models", "churn"],
        ["list"],
        ["list", "--json"],
        ["destroy", "dev-alice", "--yes"],
        ["reap"],
        ["reap", "--dry-run"],
    ],
)
def test_without_pulumi_every_command_exits_3_saying_what_to_install(real_factory_cli, no_pulumi_on_path, args):
    result = real_factory_cli.run(*args)

    assert result.exit_code == 3
    line = one_error_line(result)
    assert "the Pulumi CLI is not installed" in line
    assert "https://www.pulumi.com/docs/iac/download-install/" in line
    assert "pulumi plugin install resource aws" in line
    assert "`mlops plan` works offline without it" in line
    assert not (real_factory_cli.project / ".pulumi-state").exists()


def test_without_pulumi_bad_input_is_still_reported_as_bad_input(real_factory_cli, no_pulumi_on_path):
    assert real_factory_cli.run("create", "--owner", "alice", "--ttl", "1y").exit_code == 2
    assert real_factory_cli.run("destroy", "prod", "--yes").exit_code == 2
