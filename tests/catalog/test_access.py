"""Who has access before and after scale-out opens: persona role trust, Studio profiles, dashboard.

Until the pilot is activated and signed off only the pilot users (alice, bob) may assume the
data-scientist and model-approver personas and have Studio profiles; afterwards every user of
``allUsers`` has. The environment dashboard's title says where the migration stands.
"""

from __future__ import annotations

import json

import pytest
from catalog_plans import DASHBOARD, ROLE, USER_PROFILE, policy

PILOT_USERS = ["alice", "bob"]
ALL_USERS = ["alice", "bob", "carol", "dmitri", "erin", "farah"]
STACKS = ("dev", "test", "prod")
AUDIENCES = [("example", PILOT_USERS), ("scale-out-open", ALL_USERS)]


def _trusted_users(role: dict) -> list[str]:
    """Users whose ``mlops-user`` principal tag lets them assume ``role``."""
    users: list[str] = []
    for statement in policy(role, "assumeRolePolicy")["Statement"]:
        assert statement["Effect"] == "Allow"
        tagged = statement.get("Condition", {}).get("StringEquals", {}).get("aws:PrincipalTag/mlops-user")
        assert tagged is not None, f"{role['name']}: a trust statement without the mlops-user condition"
        users += [tagged] if isinstance(tagged, str) else tagged
    return sorted(users)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("variant", "audience"), AUDIENCES, ids=[a[0] for a in AUDIENCES])
@pytest.mark.parametrize("persona", ["data-scientist", "model-approver"])
def test_persona_roles_trust_exactly_the_current_audience(plan_of, persona, variant, audience, stack):
    plan = plan_of(stack, variant)

    [role] = plan.with_input(ROLE, "name", f"mlops-{stack}-{persona}")

    assert _trusted_users(role) == audience


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("variant", "audience"), AUDIENCES, ids=[a[0] for a in AUDIENCES])
def test_studio_user_profiles_are_exactly_the_current_audience(plan_of, variant, audience, stack):
    plan = plan_of(stack, variant)

    profiles = sorted(r["inputs"]["userProfileName"] for r in plan.of_type(USER_PROFILE))

    assert profiles == audience


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    ("variant", "progress"),
    [
        ("example", "pilot 1/2 activated; scale-out closed: waiting for fraud → activation, pilot sign-off"),
        ("scale-out-open", "pilot 2/2 activated; scale-out open: 0/4 activated"),
    ],
    ids=["example", "scale-out-open"],
)
def test_the_dashboard_title_shows_migration_progress(plan_of, variant, progress, stack):
    plan = plan_of(stack, variant)

    [dashboard] = plan.with_input(DASHBOARD, "dashboardName", f"mlops-{stack}-overview")
    header = json.loads(dashboard["inputs"]["dashboardBody"])["widgets"][0]

    assert header["type"] == "text"
    assert header["properties"]["markdown"].startswith(f"# MLOps platform - {stack}")
    assert header["properties"]["markdown"].endswith(f": {progress}")
