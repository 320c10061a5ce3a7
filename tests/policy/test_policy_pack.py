"""The Pulumi policy pack adapter, exercised without constructing a PolicyPack (that blocks).

The validate functions get hand-built pulumi_policy arguments whose props are wrapped the way the
analyzer wraps them (`unknown_checking_proxy`), from the same plan entries the engine tests use.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import policy_fixtures as f
import pulumi_policy
import pytest
from policy_harness import DROP, edited, planned
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

import policy
from policy.engine import RULES, evaluate
from policy.pack import PACK_NAME, build_policies

RULE_BY_ID = {rule.id: rule for rule in RULES}


def _options(entry: dict) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=entry["options"]["protect"], ignore_changes=[], delete_before_replace=None,
                                 aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
                                 additional_secret_outputs=[], parent=entry["parent"])


def _resource_args(entry: dict) -> ResourceValidationArgs:
    return ResourceValidationArgs(resource_type=entry["type"], props=unknown_checking_proxy(entry["inputs"]),
                                  urn=entry["urn"], name=entry["name"], opts=_options(entry), provider=None)


def _stack_args(entries: list[dict]) -> StackValidationArgs:
    resources = {e["urn"]: PolicyResource(e["type"], unknown_checking_proxy(e["inputs"]), e["urn"], e["name"],
                                          _options(e), None, None, [], {}) for e in entries}
    for entry in entries:
        resource = resources[entry["urn"]]
        resource.dependencies = [resources[urn] for urn in entry["options"]["depends_on"] if urn in resources]
        resource.property_dependencies = {key: [resources[urn] for urn in urns if urn in resources]
                                          for key, urns in entry["options"]["property_dependencies"].items()}
    return StackValidationArgs(list(resources.values()))


def _run_pack(entries: list[dict], environment: str | None) -> set[tuple[str, str, str]]:
    """(policy, urn, message) for everything the pack's policies report over `entries`."""
    reported: set[tuple[str, str, str]] = set()
    for policy_ in build_policies(environment):
        if isinstance(policy_, ResourceValidationPolicy):
            for entry in entries:
                def report(message: str, urn: str | None = None, entry: dict = entry, name: str = policy_.name) -> None:
                    reported.add((name, entry["urn"], message))
                policy_.validate(_resource_args(entry), report)
        else:
            policy_.validate(_stack_args(entries),
                             lambda message, urn=None, p=policy_: reported.add((p.name, urn, message)))
    return reported


def _broken_platform() -> list[dict]:
    entries = list(planned(f.platform))
    entries = edited(entries, "artifacts-public-access", ("blockPublicAcls",), False)
    entries = edited(entries, "churn-endpoint", ("deploymentConfig", "autoRollbackConfiguration", "alarms", 0,
                                                 "alarmName"), "churn-prod-ghost")
    entries = edited(entries, "churn-champion", ("enableNetworkIsolation",), DROP)
    return edited(entries, "endpoint-logs", ("retentionInDays",), DROP)


def test_the_pack_reports_exactly_what_the_offline_plan_reports() -> None:
    entries = _broken_platform()

    expected = {(v.rule, v.resource, v.message) for v in evaluate(entries, "prod")}

    assert {rule for rule, _, _ in expected} == {"s3-bucket-public-access-blocked",
                                                 "sagemaker-endpoint-rollback-alarms-watch-endpoint",
                                                 "sagemaker-model-network-isolation", "cloudwatch-log-group-retention"}
    assert _run_pack(entries, "prod") == expected


def test_the_compliant_platform_passes_the_pack() -> None:
    assert _run_pack(list(planned(f.platform)), "prod") == set()


def test_one_policy_per_rule_with_the_rules_kind() -> None:
    policies = build_policies("prod")

    assert [p.name for p in policies] == [rule.id for rule in RULES]
    for policy_ in policies:
        expected = ResourceValidationPolicy if RULE_BY_ID[policy_.name].kind == "resource" else StackValidationPolicy
        assert isinstance(policy_, expected)
        assert policy_.severity.value == RULE_BY_ID[policy_.name].severity


@pytest.mark.parametrize(("environment", "p1_level"), [
    ("dev", EnforcementLevel.ADVISORY), ("test", EnforcementLevel.ADVISORY), ("prod", EnforcementLevel.MANDATORY),
    (None, EnforcementLevel.MANDATORY),
])
def test_enforcement_levels_follow_the_environment(environment: str | None, p1_level: EnforcementLevel) -> None:
    levels = {p.name: p.enforcement_level for p in build_policies(environment)}

    assert levels["s3-bucket-public-access-blocked"] == EnforcementLevel.MANDATORY  # P0
    assert levels["s3-bucket-lifecycle-configured"] == p1_level  # P1
    assert levels["kms-key-description"] == EnforcementLevel.ADVISORY  # P2


def _force_destroy_bucket(stack: str) -> dict:
    entry = next(e for e in edited(planned(f.storage), "artifacts", ("forceDestroy",), True)
                 if e["name"] == "artifacts")
    return {**entry, "urn": entry["urn"].replace("urn:pulumi:prod::", f"urn:pulumi:{stack}::")}


@pytest.mark.parametrize(("stack", "fires"), [("prod", True), ("dev-alice", False), ("sandbox", True)])
def test_without_a_known_stack_the_environment_comes_from_each_urn(stack: str, fires: bool) -> None:
    [policy_] = [p for p in build_policies(None) if p.name == "s3-bucket-no-force-destroy-in-prod"]
    reported: list[str] = []

    policy_.validate(_resource_args(_force_destroy_bucket(stack)), lambda message, urn=None: reported.append(message))

    # An unrecognised stack name is treated as prod, the strictest environment.
    assert bool(reported) is fires


def test_the_pack_checks_protect_only_because_the_engine_hides_retain_on_delete() -> None:
    [policy_] = [p for p in build_policies("prod") if p.name == "s3-bucket-protected-in-prod"]
    entry = next(e for e in planned(f.storage) if e["name"] == "artifacts")
    unprotected = {**entry, "options": {**entry["options"], "protect": False}}
    reported: list[str] = []

    policy_.validate(_resource_args(entry), lambda message, urn=None: reported.append(message))
    assert reported == []
    policy_.validate(_resource_args(unprotected), lambda message, urn=None: reported.append(message))
    assert len(reported) == 1 and "protect=True" in reported[0]


def test_values_unknown_during_preview_are_not_reported_as_violations() -> None:
    [policy_] = [p for p in build_policies("prod") if p.name == "sagemaker-domain-vpc-only"]
    entry = next(e for e in planned(f.studio) if e["name"] == "studio")
    unknown = {**entry, "inputs": {**entry["inputs"], "appNetworkAccessType": UNKNOWN_STRING_VALUE}}

    # pulumi_policy turns this into "can't run policy during preview", not a violation.
    with pytest.raises(UnknownValueError):
        policy_.validate(_resource_args(unknown), lambda message, urn=None: None)


def test_main_builds_the_pack_for_the_stack_the_cli_names(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.update(kwargs))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PULUMI_STACK", "dev-alice")

    runpy.run_path(str(Path(policy.__file__).with_name("__main__.py")), run_name="__main__")

    assert built["name"] == PACK_NAME
    levels = {p.name: p.enforcement_level for p in built["policies"]}
    assert levels["s3-bucket-lifecycle-configured"] == EnforcementLevel.ADVISORY
    assert levels["s3-bucket-public-access-blocked"] == EnforcementLevel.MANDATORY


def test_the_pack_project_file_names_a_python_runtime() -> None:
    text = Path(policy.__file__).with_name("PulumiPolicy.yaml").read_text()

    assert "name: python" in text and "virtualenv: ../.venv" in text
