"""Hand-made args and a view of what one component registered under the offline engine's mocks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.config.aws_data import AUTO_NAME_SUFFIX
from mlops.plan.mocks import Registration

ACCOUNT = "111111111111"
REGION = "eu-west-1"
#: Accounts of the other environments (test, prod) in hand-made args.
READERS = ("222222222222", "333333333333")
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlops-dev-alerts"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:mlops-dev-dead-letters"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/mlops-dev-sagemaker-execution"
SUBNETS = ("subnet-0a", "subnet-0b")
SECURITY_GROUPS = ("sg-0workloads",)
PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/mlops-churn/3"


@dataclass(frozen=True)
class Rendered:
    """What a component registered (itself and its children), and the component object."""

    component: Any
    registrations: tuple[Registration, ...]

    def of_type(self, type_token: str) -> list[Registration]:
        """Registrations of one type token, by URN."""
        return [r for r in self.registrations if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registration:
        """The single registration of ``type_token`` (named ``name`` if given); fails otherwise."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_token} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def types(self) -> set[str]:
        """Every type token registered."""
        return {r.type for r in self.registrations}

    def policy(self, type_token: str, key: str = "policy", name: str | None = None) -> dict[str, Any]:
        """The JSON policy document in input ``key`` of the single ``type_token`` resource."""
        return json.loads(self.one(type_token, name).inputs[key])


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid."""
    return {s["Sid"]: s for s in policy["Statement"]}


def auto_named_length(registration: Registration) -> int:
    """Length of the physical name Pulumi gives a resource named only by its logical name:
    ``<logical name>-<7 hex>``."""
    return len(registration.name) + AUTO_NAME_SUFFIX


#: A personal stack's prefix and a model name, each as long as the naming rules allow.
LONG_BASE = "mlops-dev-alexandrina-experiment-twelve-customer-lifetime-value-regression"
