"""Every rule passes its compliant fixture and fires on each of its non-compliant fixtures.

Fixtures are built with real pulumi_aws constructors under Pulumi's mocks, so the rules read the
inputs Pulumi really produces.
"""

from __future__ import annotations

import policy_fixtures
import pytest
from policy_cases import CASES, Broken, Edit
from policy_harness import planned

from policy.engine import RULES, evaluate
from policy.framework import ENVIRONMENTS

RULE_BY_ID = {rule.id: rule for rule in RULES}
NONCOMPLIANT = [(rule_id, index, broken) for rule_id, case in CASES.items()
                for index, broken in enumerate(case.noncompliant)]


def fixture_plan(rule_id: str, broken: Broken | Edit) -> tuple[dict, ...]:
    """The plan of a non-compliant fixture."""
    if isinstance(broken, Edit):
        return tuple(broken.apply(planned(CASES[rule_id].compliant, "prod")))
    return planned(broken.build, broken.environment)


def test_every_rule_has_compliant_and_noncompliant_fixtures() -> None:
    assert sorted(CASES) == [rule.id for rule in RULES]
    # The first way to break each rule is built with the real constructors.
    assert all(case.compliant and isinstance(case.noncompliant[0], Broken) for case in CASES.values())


def test_there_are_at_least_35_rules_across_the_services() -> None:
    assert len(RULES) >= 35
    assert {rule.service for rule in RULES} >= {"s3", "kms", "ecr", "iam", "sagemaker", "cloudwatch", "sns",
                                                "eventbridge", "vpc"}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_compliant_fixture_passes(rule_id: str) -> None:
    case = CASES[rule_id]
    rule = RULE_BY_ID[rule_id]
    resources = planned(case.compliant, "prod")

    assert evaluate(resources, "prod", rules=[rule]) == []
    # Not vacuous: the fixture holds the resources the broken variants get flagged on.
    present = {r["type"] for r in resources}
    for broken in case.noncompliant:
        flagged = {v.resource_type for v in evaluate(fixture_plan(rule_id, broken), broken.environment,
                                                     rules=[rule])}
        assert flagged <= present


@pytest.mark.parametrize(("rule_id", "index", "broken"), NONCOMPLIANT,
                         ids=[f"{rule_id}-{index}" for rule_id, index, _ in NONCOMPLIANT])
def test_noncompliant_fixture_fires(rule_id: str, index: int, broken: Broken | Edit) -> None:
    violations = evaluate(fixture_plan(rule_id, broken), broken.environment, rules=[RULE_BY_ID[rule_id]])

    matching = [v for v in violations if broken.expect in v.message]
    assert matching, f"{rule_id} did not report {broken.expect!r}; it reported {[v.message for v in violations]}"
    if broken.flagged:
        assert broken.flagged in {v.resource_name for v in matching}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_whole_compliant_platform_has_no_violations(environment: str) -> None:
    # Rules take the environment from evaluate(), not from the URN, so one build serves all three.
    assert evaluate(planned(policy_fixtures.platform, "prod"), environment) == []
