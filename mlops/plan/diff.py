"""What a change does to a stack: two offline plans (plan JSON dicts) compared resource by resource.

Resources are matched by URN. A resource only in the head plan is created, one only in the base
is deleted; a resource in both whose inputs differ is updated, or replaced when a changed input
is replace-on-change for its type (``mlops.plan.replacements``). Component resources (``mlops:*``)
carry no inputs and are not counted; their children are. Each change is grouped under the model
whose ``mlops:model:ModelComponent`` it sits below, or under the foundation.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from mlops.plan.replacements import replace_rule

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")

#: The group of resources that belong to no model.
FOUNDATION = "foundation"

MODEL_COMPONENT = "mlops:model:ModelComponent"

#: Resource options whose change is a change of the stack's state (depends_on only orders work).
_OPTIONS = ("protect", "retain_on_delete")


@dataclass(frozen=True)
class ResourceChange:
    """One resource that the change creates, updates, replaces or deletes."""

    urn: str
    type: str
    name: str
    action: Action
    group: str
    paths: tuple[str, ...] = ()
    replace_paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data, for ``--json``."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "action": self.action,
            "group": self.group,
            "paths": list(self.paths),
            "replacePaths": list(self.replace_paths),
        }


@dataclass(frozen=True)
class CostDelta:
    """Monthly cost before and after (USD), in total and per group."""

    base: float
    head: float
    groups: tuple[tuple[str, float, float], ...]

    @property
    def delta(self) -> float:
        """head − base, rounded to cents."""
        return round(self.head - self.base, 2)

    def to_json(self) -> dict[str, Any]:
        """Plain data, for ``--json``."""
        return {
            "baseMonthlyUsd": self.base,
            "headMonthlyUsd": self.head,
            "deltaMonthlyUsd": self.delta,
            "groups": [{"group": g, "baseMonthlyUsd": b, "headMonthlyUsd": h, "deltaMonthlyUsd": round(h - b, 2)} for g, b, h in self.groups],
        }


@dataclass(frozen=True)
class PlanDiff:
    """The difference between a base plan and a head plan of one stack."""

    stack: str
    environment: str
    changes: tuple[ResourceChange, ...]
    unchanged: int
    violations_added: tuple[dict[str, Any], ...] = ()
    violations_removed: tuple[dict[str, Any], ...] = ()
    findings_added: tuple[dict[str, Any], ...] = ()
    findings_removed: tuple[dict[str, Any], ...] = ()
    cost: CostDelta | None = None
    groups: tuple[str, ...] = field(default=())

    def counts(self, group: str | None = None) -> dict[Action, int]:
        """How many resources each action touches (in ``group``, or in the whole stack)."""
        counted = Counter(c.action for c in self.changes if group is None or c.group == group)
        return {action: counted[action] for action in ACTIONS}

    def in_group(self, group: str) -> tuple[ResourceChange, ...]:
        """The changes of one group, in order."""
        return tuple(c for c in self.changes if c.group == group)

    @property
    def is_empty(self) -> bool:
        """Nothing changes: no resource, no finding, no violation."""
        return not (self.changes or self.violations_added or self.violations_removed or self.findings_added or self.findings_removed)

    def summary(self) -> str:
        """``N to create, N to update, N to replace, N to delete``."""
        counts = self.counts()
        return ", ".join(f"{counts[a]} to {a}" for a in ACTIONS)

    def to_json(self) -> dict[str, Any]:
        """The diff as plain, deterministic data."""
        return {
            "stack": self.stack,
            "environment": self.environment,
            "summary": self.counts(),
            "unchanged": self.unchanged,
            "groups": {g: self.counts(g) for g in self.groups},
            "changes": [c.to_json() for c in self.changes],
            "policy": {"added": list(self.violations_added), "removed": list(self.violations_removed)},
            "deploy": {"added": list(self.findings_added), "removed": list(self.findings_removed)},
            "cost": self.cost.to_json() if self.cost else None,
        }


def diff_plans(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    """Compare two plan JSON documents of the same stack (``mlops plan --json``)."""
    base_resources = _counted(base)
    head_resources = _counted(head)
    base_groups = resource_groups(base)
    head_groups = resource_groups(head)
    changes: list[ResourceChange] = []
    unchanged = 0
    for urn in sorted(base_resources.keys() | head_resources.keys()):
        old, new = base_resources.get(urn), head_resources.get(urn)
        if old is None:
            changes.append(ResourceChange(urn, new["type"], new["name"], "create", head_groups[urn]))
            continue
        if new is None:
            changes.append(ResourceChange(urn, old["type"], old["name"], "delete", base_groups[urn]))
            continue
        paths = changed_paths(old.get("inputs", {}), new.get("inputs", {}))
        paths += [f"options.{o}" for o in _OPTIONS if old.get("options", {}).get(o) != new.get("options", {}).get(o)]
        if not paths:
            unchanged += 1
            continue
        rule = replace_rule(new["type"])
        replacing = tuple(p for p in paths if rule and not p.startswith("options.") and rule.forces_replacement(p))
        action: Action = "replace" if replacing else "update"
        changes.append(ResourceChange(urn, new["type"], new["name"], action, head_groups[urn], tuple(paths), replacing))
    changes.sort(key=lambda c: (c.group != FOUNDATION, c.group, ACTIONS.index(c.action), c.type, c.name))
    groups = sorted({c.group for c in changes}, key=lambda g: (g != FOUNDATION, g))
    v_added, v_removed = _added_removed(_violations(base), _violations(head))
    f_added, f_removed = _added_removed(_findings(base), _findings(head))
    return PlanDiff(
        stack=head.get("stack", base.get("stack", "")),
        environment=head.get("environment", base.get("environment", "")),
        changes=tuple(changes),
        unchanged=unchanged,
        violations_added=v_added,
        violations_removed=v_removed,
        findings_added=f_added,
        findings_removed=f_removed,
        cost=_cost_delta(base.get("cost"), head.get("cost")),
        groups=tuple(groups),
    )


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Paths (``a.b[0].c``) at which ``new`` differs from ``old``, sorted.

    Strings holding JSON documents (policies, pipeline definitions, dashboards, event patterns) are
    compared as documents, so the path points inside them: ``pipelineDefinition:Steps[1].Name``.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[str] = []
        for key in sorted(old.keys() | new.keys()):
            child = f"{prefix}.{key}" if prefix and not prefix.endswith(":") else f"{prefix}{key}"
            if key not in old or key not in new:
                found.append(child)
            else:
                found.extend(changed_paths(old[key], new[key], child))
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for index in range(max(len(old), len(new))):
            child = f"{prefix}[{index}]"
            if index >= len(old) or index >= len(new):
                found.append(child)
            else:
                found.extend(changed_paths(old[index], new[index], child))
        return found
    if old == new:
        return []
    if isinstance(old, str) and isinstance(new, str):
        old_doc, new_doc = _document(old), _document(new)
        if old_doc is not None and new_doc is not None:
            inner = changed_paths(old_doc, new_doc, f"{prefix}:")
            return inner or [prefix]
    return [prefix or "."]


def _document(text: str) -> Any:
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _counted(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # Components group resources; what AWS sees are their children.
    return {r["urn"]: r for r in plan.get("resources", []) if not r["type"].startswith("mlops:")}


def model_names(plan: dict[str, Any]) -> dict[str, str]:
    """``ModelComponent`` URN → catalog model name (from the ``models`` output where present)."""
    known = sorted((plan.get("outputs", {}) or {}).get("models", {}) or {}, key=len, reverse=True)
    names = {}
    for resource in plan.get("resources", []):
        if resource["type"] == MODEL_COMPONENT:
            name = resource["name"]
            names[resource["urn"]] = next((m for m in known if name == m or name.endswith(f"-{m}")), name)
    return names


def resource_groups(plan: dict[str, Any]) -> dict[str, str]:
    """Every resource URN → the model it belongs to, or ``foundation``."""
    parents = {r["urn"]: r.get("parent") for r in plan.get("resources", [])}
    models = model_names(plan)
    groups: dict[str, str] = {}

    def group_of(urn: str) -> str:
        if urn in groups:
            return groups[urn]
        if urn in models:
            found = models[urn]
        else:
            parent = parents.get(urn)
            found = group_of(parent) if parent else FOUNDATION
        groups[urn] = found
        return found

    for urn in parents:
        group_of(urn)
    return groups



def _violations(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return list((plan.get("policy") or {}).get("violations") or [])


def _findings(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return list((plan.get("deploy") or {}).get("findings") or [])


def _identity(item: dict[str, Any]) -> str:
    # A violation is its rule on a resource; a deploy finding is its rule on a resource's field (one
    # resource can break a rule in two fields). Anything else is compared by content.
    if "rule" in item and "resource" in item:
        return json.dumps([item["rule"], item["resource"], item.get("field", "")])
    return json.dumps(item, sort_keys=True)


def _added_removed(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    base_ids = {_identity(i): i for i in base}
    head_ids = {_identity(i): i for i in head}
    added = tuple(head_ids[k] for k in sorted(head_ids.keys() - base_ids.keys()))
    removed = tuple(base_ids[k] for k in sorted(base_ids.keys() - head_ids.keys()))
    return added, removed


def _cost_delta(base: dict[str, Any] | None, head: dict[str, Any] | None) -> CostDelta | None:
    if not base or not head:
        return None
    base_groups, head_groups = base.get("groups", {}), head.get("groups", {})
    groups = tuple(
        (g, float(base_groups.get(g, 0.0)), float(head_groups.get(g, 0.0)))
        for g in sorted(base_groups.keys() | head_groups.keys(), key=lambda g: (g != FOUNDATION, g))
    )
    return CostDelta(float(base["monthlyUsd"]), float(head["monthlyUsd"]), groups)
