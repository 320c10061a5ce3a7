"""The deploy check of one stack's plan: API models first, then the documented rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex
from mlops.deploy.models import validate_request
from mlops.deploy.requests import requests_for
from mlops.deploy.rules import ALL_RULES


def check_resources(resources: Sequence[Mapping[str, Any]]) -> tuple[DeployFinding, ...]:
    """Everything AWS would reject (errors) or mishandle (warnings) in a stack's planned resources.

    Args:
        resources: ``resources[]`` exactly as ``mlops plan STACK --json`` prints them.

    Returns:
        The findings, sorted and without duplicates (same input, same output).
    """
    plan = PlanIndex(resources)
    findings: set[DeployFinding] = set()
    for resource in plan.resources:
        for request in requests_for(resource, plan.default_tags):
            findings.update(validate_request(request))
    for rule in ALL_RULES:
        findings.update(rule(plan))
    return tuple(sorted(findings))
