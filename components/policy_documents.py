"""Building IAM policy documents from Outputs: one deterministic JSON shape for every policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]] | None = None,
    *,
    effect: str = "Allow",
    principal: Mapping[str, Any] | str | None = None,
    condition: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One IAM statement; ``resources`` None means a resource policy (the resource is implicit)."""
    body: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": sorted(actions)}
    if principal is not None:
        body["Principal"] = principal
    if resources is not None:
        body["Resource"] = list(resources)
    if condition:
        body["Condition"] = condition
    return body


def document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """A policy document JSON string (keys sorted, so the same inputs give the same bytes)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def deny_insecure_transport(actions: Sequence[str], resources: Sequence[pulumi.Input[str]]) -> dict[str, Any]:
    """The TLS-only statement every resource policy carries (a Deny, so broad actions are safe)."""
    return statement(
        "DenyInsecureTransport",
        actions,
        resources,
        effect="Deny",
        principal="*",
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )
