"""Documented cross-field rules and quotas, one small function per rule, grouped by service.

Each rule takes the stack's ``PlanIndex`` and yields ``DeployFinding``s citing the AWS page it
comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex
from mlops.deploy.rules import cloudwatch, encryption, iam, s3, sagemaker, tagging

Rule = Callable[[PlanIndex], Iterable[DeployFinding]]

#: Every rule the deploy check applies to one stack's plan.
ALL_RULES: tuple[Rule, ...] = (*sagemaker.RULES, *cloudwatch.RULES, *iam.RULES, *tagging.RULES, *s3.RULES, *encryption.RULES)
