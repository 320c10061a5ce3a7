"""Personal dev stacks reuse the shared dev foundation and add only their owner's pieces.

``mlops plan dev-alice`` (no stack file: derived from dev) plans alice's role, policy and Studio
profile on top of a StackReference to ``organization/mlops/dev``. A personal stack file can pick
catalog models: their pipelines run in the owner's data prefix (``users/<owner>[-<slug>]/``), on
new data only (no timer), with serverless endpoints. Only the migration's audience may have one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from catalog_plans import (
    ENDPOINT,
    ENDPOINT_CONFIG,
    EVENT_RULE,
    PACKAGE_GROUP,
    PERSONAL_STACK,
    PIPELINE,
    ROLE,
    ROLE_POLICY,
    STACK_REFERENCE,
    USER_PROFILE,
    event_pattern,
    policy,
    run_cli,
)

SHARED_ONLY = ("aws:ec2/vpc:Vpc", "aws:kms/key:Key", "aws:s3/bucket:Bucket", PACKAGE_GROUP, "aws:ecr/repository:Repository")


@pytest.fixture(scope="module")
def dev_alice(project_dir: Path) -> dict:
    """``mlops plan dev-alice --json`` of the example project (there is no Pulumi.dev-alice.yaml)."""
    assert not (project_dir / "stacks" / "Pulumi.dev-alice.yaml").exists()
    result = run_cli("plan", "dev-alice", "--json", "--project-dir", str(project_dir))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _custom(resources: list[dict]) -> list[dict]:
    return [r for r in resources if not r["type"].startswith("mlops:")]


def test_a_personal_stack_plans_a_small_fraction_of_dev(dev_alice, plan_of):
    dev = plan_of("dev")

    mine, shared = len(_custom(dev_alice["resources"])), len(_custom(dev.resources))

    assert mine < 0.1 * shared, f"dev-alice plans {mine} resources, dev plans {shared}"
    assert mine > 0, f"dev-alice plans {mine} resources, dev plans {shared}"


def test_a_personal_stack_reuses_the_shared_foundation_through_a_stack_reference(dev_alice):
    types = {r["type"] for r in dev_alice["resources"]}

    assert types.isdisjoint(SHARED_ONLY), sorted(types & set(SHARED_ONLY))
    assert [r["name"] for r in dev_alice["resources"] if r["type"] == STACK_REFERENCE] == ["organization/mlops/dev"]
    assert dev_alice["outputs"]["sharedStack"] == "organization/mlops/dev"


def test_a_personal_stack_gives_its_owner_a_role_and_a_studio_profile_in_the_shared_domain(dev_alice, plan_of):
    dev = plan_of("dev")
    resources = dev_alice["resources"]

    [role] = [r for r in resources if r["type"] == ROLE]
    [profile] = [r for r in resources if r["type"] == USER_PROFILE]

    assert role["inputs"]["name"] == "mlops-dev-alice"
    owner_trust = [s for s in policy(role, "assumeRolePolicy")["Statement"] if "AWS" in s["Principal"]]
    assert [s["Condition"]["StringEquals"]["aws:PrincipalTag/mlops-user"] for s in owner_trust] == ["alice"]
    assert profile["inputs"]["domainId"] == dev.outputs["studioDomainId"]
    assert profile["inputs"]["userSettings"]["executionRole"] == dev_alice["outputs"]["workspaceRoleArn"]
    assert profile["inputs"]["userProfileName"] not in [r["inputs"]["userProfileName"] for r in dev.of_type(USER_PROFILE)]


def test_users_outside_the_audience_get_no_personal_stack(project_dir: Path):
    result = run_cli("plan", "dev-carol", "--json", "--project-dir", str(project_dir))

    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("stacks/Pulumi.dev.yaml: mlops:personal.owner: 'carol' is not in the migration's current audience"), line
    assert "allowed: alice, bob" in line


# --- a personal stack file choosing churn (dev-alice-exp1) ---------------------------------------

PREFIX = "users/alice-exp1/"


@pytest.fixture(scope="module")
def exp1(plan_of):
    return plan_of(PERSONAL_STACK, "personal")


def test_the_chosen_model_trains_in_the_owners_prefix_on_new_data_only(exp1, plan_of):
    dev = plan_of("dev", "personal")
    own = exp1.model_resources("churn")
    assert [m.name for m in exp1.settings.models if exp1.model_component(m.name)] == ["churn"]

    [pipeline] = exp1.of_type(PIPELINE, own)
    rules = exp1.of_type(EVENT_RULE, own)

    assert pipeline["inputs"]["pipelineName"] == "mlops-dev-alice-exp1-churn-training"
    assert f"s3://{dev.outputs['buckets']['raw']}/{PREFIX}models/churn/" in pipeline["inputs"]["pipelineDefinition"]
    assert [r for r in rules if "scheduleExpression" in r["inputs"]] == [], "personal pipelines run on no timer"
    [rule] = rules  # no drift rule either: drift alarms of test and prod retrain the shared pipeline
    pattern = event_pattern(rule)
    assert pattern["detail"]["bucket"]["name"] == [dev.outputs["buckets"]["raw"]]
    assert pattern["detail"]["object"]["key"] == [{"prefix": f"{PREFIX}models/churn/"}]
    assert exp1.of_type(PACKAGE_GROUP) == [], "the registry stays in the shared dev stack"


def test_the_chosen_model_gets_a_serverless_endpoint(exp1):
    own = exp1.model_resources("churn")

    [endpoint] = exp1.of_type(ENDPOINT, own)
    [config] = exp1.of_type(ENDPOINT_CONFIG, own)

    assert endpoint["inputs"]["name"] == "mlops-dev-alice-exp1-churn"
    [variant] = config["inputs"]["productionVariants"]
    assert "serverlessConfig" in variant and "initialInstanceCount" not in variant


def test_the_owner_role_reaches_only_its_own_prefix_in_the_shared_buckets(exp1, plan_of):
    buckets = plan_of("dev", "personal").outputs["buckets"]
    [role] = exp1.with_input(ROLE, "name", "mlops-dev-alice-exp1")
    [access] = [p for p in exp1.of_type(ROLE_POLICY) if exp1.property_dependencies(p).get("role") == [role["urn"]]]

    s3 = [s for s in policy(access, "policy")["Statement"] if any(a.startswith("s3:") for a in s["Action"])]

    listing = [s for s in s3 if s["Action"] == ["s3:ListBucket"]]
    objects = [s for s in s3 if s not in listing]
    assert listing and objects
    for statement in listing:
        assert statement["Condition"] == {"StringLike": {"s3:prefix": [f"{PREFIX}*"]}}, statement
    for statement in objects:
        assert all(r.endswith(f"/{PREFIX}*") for r in statement["Resource"]), statement
    [writes] = [s for s in objects if "s3:PutObject" in s["Action"]]
    assert sorted(writes["Resource"]) == sorted(f"arn:aws:s3:::{buckets[b]}/{PREFIX}*" for b in ("raw", "curated", "artifacts"))
