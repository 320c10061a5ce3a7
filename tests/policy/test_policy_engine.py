"""The engine over a plan: enforcement per environment, waivers, determinism, the rules table."""

from __future__ import annotations

import json
import random
from datetime import date

import policy_fixtures as f
import pytest
from policy_harness import DROP, edited, planned

from policy.engine import RULES, Waiver, evaluate, rules_table
from policy.framework import ENVIRONMENTS

TODAY = date(2026, 6, 1)


def _broken_platform_slice() -> list[dict]:
    """Storage and a key with one P0, one P1, one P2 and one prod-only problem."""
    storage = edited(planned(f.storage), "artifacts-public-access", ("restrictPublicBuckets",), False)  # P0
    storage = edited(storage, "artifacts-lifecycle", (), DROP)  # P1
    storage = edited(storage, "artifacts", ("forceDestroy",), True)  # P0, prod only
    key = edited(planned(f.key_only), "platform-key", ("description",), DROP)  # P2
    return [*storage, *key]


def _enforcement(violations, rule: str) -> set[str]:
    return {v.enforcement for v in violations if v.rule == rule}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_p0_rules_block_in_every_environment(environment: str) -> None:
    violations = evaluate(_broken_platform_slice(), environment)

    assert _enforcement(violations, "s3-bucket-public-access-blocked") == {"mandatory"}


@pytest.mark.parametrize(("environment", "expected"),
                         [("dev", "advisory"), ("test", "advisory"), ("prod", "mandatory")])
def test_p1_rules_block_in_prod_and_warn_elsewhere(environment: str, expected: str) -> None:
    violations = evaluate(_broken_platform_slice(), environment)

    assert _enforcement(violations, "s3-bucket-lifecycle-configured") == {expected}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_p2_rules_never_block(environment: str) -> None:
    violations = evaluate(_broken_platform_slice(), environment)

    assert _enforcement(violations, "kms-key-description") == {"advisory"}


def test_prod_only_checks_do_not_fire_outside_prod() -> None:
    resources = _broken_platform_slice()

    assert _enforcement(evaluate(resources, "prod"), "s3-bucket-no-force-destroy-in-prod") == {"mandatory"}
    assert _enforcement(evaluate(resources, "dev"), "s3-bucket-no-force-destroy-in-prod") == set()


def _waived(waiver: Waiver, today: date = TODAY) -> list:
    violations = evaluate(_broken_platform_slice(), "prod", [waiver], today=today)
    return [v for v in violations if v.rule == waiver.rule]


def test_a_matching_waiver_marks_the_violation_waived_and_keeps_it_visible() -> None:
    waiver = Waiver(rule="s3-bucket-public-access-blocked", resource="artifacts-public-access",
                    reason="public dataset mirror", owner="data-platform", expires="2026-06-01")

    [violation] = _waived(waiver)

    assert violation.enforcement == "waived"
    assert violation.to_json()["waiver"] == {"reason": "public dataset mirror", "owner": "data-platform",
                                             "expires": "2026-06-01", "expired": False}


def test_a_waiver_glob_matches_resource_names() -> None:
    waiver = Waiver(rule="s3-bucket-public-access-blocked", resource="artifacts-*", reason="r", owner="o",
                    expires="2026-12-31")

    assert [v.enforcement for v in _waived(waiver)] == ["waived"]


def test_a_waiver_whose_glob_does_not_match_changes_nothing() -> None:
    waiver = Waiver(rule="s3-bucket-public-access-blocked", resource="prod-*", reason="r", owner="o",
                    expires="2026-12-31")

    [violation] = _waived(waiver)

    assert violation.enforcement == "mandatory"
    assert "waiver" not in violation.to_json()


def test_an_expired_waiver_no_longer_applies_but_is_reported() -> None:
    waiver = Waiver(rule="s3-bucket-public-access-blocked", resource="artifacts-public-access", reason="r",
                    owner="o", expires="2026-05-31")

    [violation] = _waived(waiver)

    assert violation.enforcement == "mandatory"
    assert violation.to_json()["waiver"]["expired"] is True


def test_waived_violations_never_count_as_mandatory() -> None:
    waivers = [Waiver(rule=rule.id, resource="*", reason="r", owner="o", expires="2026-12-31") for rule in RULES]

    violations = evaluate(_broken_platform_slice(), "prod", waivers, today=TODAY)

    assert violations
    assert {v.enforcement for v in violations} == {"waived"}


def test_waivers_need_a_date_to_judge_expiry() -> None:
    waiver = Waiver(rule="kms-key-description", resource="*", reason="r", owner="o", expires="2026-12-31")

    with pytest.raises(ValueError, match="today"):
        evaluate([], "prod", [waiver])


def test_a_waiver_for_an_unknown_rule_is_rejected() -> None:
    waiver = Waiver(rule="s3-bucket-encryptd", resource="*", reason="r", owner="o", expires="2026-12-31")

    with pytest.raises(ValueError, match="s3-bucket-encryptd"):
        evaluate([], "prod", [waiver], today=TODAY)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reason", " ", "reason must not be empty"),
    ("owner", "", "owner must not be empty"),
    ("expires", "next year", "not an ISO date"),
])
def test_a_waiver_without_reason_owner_or_valid_expiry_is_rejected(field: str, value: str, message: str) -> None:
    fields = dict(rule="kms-key-description", resource="*", reason="r", owner="o", expires="2026-12-31")

    with pytest.raises(ValueError, match=message):
        Waiver(**{**fields, field: value})


def test_evaluation_is_deterministic_and_sorted() -> None:
    resources = _broken_platform_slice()
    shuffled = list(resources)
    random.Random(7).shuffle(shuffled)

    first = evaluate(resources, "prod")

    assert first == evaluate(shuffled, "prod") == evaluate(resources, "prod")
    assert first == sorted(first, key=lambda v: (v.rule, v.resource, v.message))
    assert json.dumps([v.to_json() for v in first]) == json.dumps([v.to_json() for v in evaluate(shuffled, "prod")])


def test_violations_serialise_for_the_plan_json() -> None:
    violation = evaluate(_broken_platform_slice(), "prod")[0]

    assert set(violation.to_json()) >= {"rule", "severity", "resource", "message", "enforcement"}
    assert violation.to_json()["resource"].startswith("urn:pulumi:")


def test_an_unknown_environment_is_rejected() -> None:
    with pytest.raises(ValueError, match="staging"):
        evaluate([], "staging")


def test_a_plan_entry_without_urn_is_rejected_with_its_content() -> None:
    with pytest.raises(ValueError, match="has no urn"):
        evaluate([{"type": "aws:s3/bucket:Bucket", "name": "raw", "inputs": {}}], "dev")


def test_rules_table_lists_every_rule_for_the_cli() -> None:
    table = rules_table()

    assert [row["id"] for row in table] == sorted({rule.id for rule in RULES})
    bucket_block = next(row for row in table if row["id"] == "s3-bucket-public-access-blocked")
    assert bucket_block == {
        "id": "s3-bucket-public-access-blocked",
        "title": "Every bucket has a public access block with all four flags true",
        "severity": "critical",
        "service": "s3",
        "kind": "stack",
        "anchors": ["AwsSolutions-S2", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6",
                    "SecurityHub S3.8"],
        "mandatory_in": ["dev", "test", "prod"],
    }
    assert json.loads(json.dumps(table)) == table
