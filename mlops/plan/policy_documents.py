"""Every IAM policy document a plan holds, ready for a policy linter.

Trust, ECR repository and key policies leave out ``Resource`` (it is the role, repository or key
itself); linters such as parliament read every document as an identity policy, so the implied
resource is written in, and a key policy's ``"*"`` (which means "this key") becomes the key's ARN.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_DOCUMENT_INPUTS = ("assumeRolePolicy", "policy", "resourcePolicy")


@dataclass(frozen=True)
class PlannedDocument:
    """One policy document of one planned resource."""

    resource: str
    type: str
    field: str
    document: dict[str, Any]


def _implied_resource(resource: Mapping[str, Any], account: str, region: str) -> str:
    inputs, name = resource.get("inputs") or {}, resource["name"]
    if resource["type"] == "aws:iam/role:Role":
        return f"arn:aws:iam::{account}:role/{inputs.get('name') or name}"
    if resource["type"] == "aws:ecr/repositoryPolicy:RepositoryPolicy":
        return f"arn:aws:ecr:{region}:{account}:repository/{inputs.get('repository') or name}"
    if resource["type"] == "aws:kms/key:Key":
        return f"arn:aws:kms:{region}:{account}:key/{name}"
    service = resource["type"].split(":")[1].split("/")[0]
    return f"arn:aws:{service}:{region}:{account}:{name}"


def planned_documents(plan: Mapping[str, Any]) -> Iterator[PlannedDocument]:
    """Every policy document of ``plan`` (``mlops plan --json``), in plan order."""
    outputs = plan.get("outputs") or {}
    account, region = str(outputs.get("accountId", "")), str(outputs.get("region", ""))
    for resource in plan["resources"]:
        inputs = resource.get("inputs") or {}
        found = [(key, inputs.get(key)) for key in _DOCUMENT_INPUTS]
        found += [(f"inlinePolicies[{i}]", inline.get("policy")) for i, inline in enumerate(inputs.get("inlinePolicies") or [])
                  if isinstance(inline, Mapping)]
        for field, raw in found:
            document = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(document, Mapping) or "Statement" not in document:
                continue
            implied = _implied_resource(resource, account, region)
            statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
            fixed = []
            for statement in statements:
                statement = dict(statement)
                if "Resource" not in statement and "NotResource" not in statement:
                    statement["Resource"] = implied
                elif resource["type"] == "aws:kms/key:Key" and statement.get("Resource") == "*":
                    statement["Resource"] = implied
                fixed.append(statement)
            yield PlannedDocument(resource["name"], resource["type"], field, {**document, "Statement": fixed})
