"""IAM policy size quotas (IAM counts characters without white space)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex, policy_document

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
QUOTAS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length"
#: Role trust policy length (default quota), aggregate inline policies of a role, managed policy.
MAX_TRUST_POLICY = 2048
MAX_ROLE_INLINE_POLICIES = 10240
MAX_MANAGED_POLICY = 6144


def policy_size(value: object) -> int:
    """Characters IAM counts for a policy document: its JSON without white space between tokens."""
    document = policy_document(value)
    if document is None:
        return len(str(value or ""))
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def trust_policy_size(plan: PlanIndex) -> Iterator[DeployFinding]:
    """A role's trust policy fits the default 2,048-character quota."""
    for role in plan.of_type("aws:iam/role:Role"):
        size = policy_size(role["inputs"].get("assumeRolePolicy"))
        if size > MAX_TRUST_POLICY:
            yield DeployFinding("iam-trust-policy-size", "error", role["urn"], "assumeRolePolicy", f"trust policy of {size} characters; the quota is {MAX_TRUST_POLICY}", QUOTAS_DOC)


def inline_policy_size(plan: PlanIndex) -> Iterator[DeployFinding]:
    """All inline policies of one role together stay within 10,240 characters."""
    by_role: dict[str, list] = defaultdict(list)
    for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        by_role[str(policy["inputs"].get("role"))].append(policy)
    for role, policies in sorted(by_role.items()):
        total = sum(policy_size(p["inputs"].get("policy")) for p in policies)
        if total > MAX_ROLE_INLINE_POLICIES:
            largest = max(policies, key=lambda p: policy_size(p["inputs"].get("policy")))
            yield DeployFinding("iam-inline-policy-size", "error", largest["urn"], "policy",
                                f"inline policies of role {role} total {total} characters; the quota is {MAX_ROLE_INLINE_POLICIES}", QUOTAS_DOC)


def managed_policy_size(plan: PlanIndex) -> Iterator[DeployFinding]:
    """A managed policy stays within 6,144 characters."""
    for policy in plan.of_type("aws:iam/policy:Policy"):
        size = policy_size(policy["inputs"].get("policy"))
        if size > MAX_MANAGED_POLICY:
            yield DeployFinding("iam-managed-policy-size", "error", policy["urn"], "policy", f"managed policy of {size} characters; the quota is {MAX_MANAGED_POLICY}", QUOTAS_DOC)


RULES = (trust_policy_size, inline_policy_size, managed_policy_size)
