"""A planned stack's resources, indexed for rules that join one resource to another."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from mlops.deploy.requests import names_resource


class PlanIndex:
    """The planned resources of one stack, by type and by physical name.

    Args:
        resources: ``resources[]`` exactly as ``mlops plan --json`` prints them.
    """

    def __init__(self, resources: Sequence[Mapping[str, Any]]):
        self.resources = tuple(resources)
        self._by_type: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for resource in self.resources:
            self._by_type[resource["type"]].append(resource)

    def of_type(self, type_token: str) -> list[Mapping[str, Any]]:
        """Resources of one Pulumi type token, in plan order."""
        return self._by_type.get(type_token, [])

    def named(self, type_token: str, name: Any) -> Mapping[str, Any] | None:
        """The resource of ``type_token`` whose physical name is ``name`` (explicit or auto-named)."""
        return next((r for r in self.of_type(type_token) if names_resource(name, r)), None)

    @cached_property
    def default_tags(self) -> dict[str, str]:
        """The AWS provider's default tags (the provider adds them to every taggable resource)."""
        for provider in self.of_type("pulumi:providers:aws"):
            raw = provider["inputs"].get("defaultTags")
            value = json.loads(raw) if isinstance(raw, str) else (raw or {})
            return dict(value.get("tags", {}))
        return {}


def policy_document(value: Any) -> dict[str, Any] | None:
    """A policy input (JSON text or already parsed) as a dict, or None when absent or invalid."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None
