"""The rule framework: resources as the rules see them, rules, waivers and violations.

Rules read a resource's *inputs* exactly as Pulumi hands them over (camelCase keys, nested
mappings and sequences, no provider defaults filled in), so every read tolerates missing keys.
The same check functions run in two places: over the offline plan (`policy.engine.evaluate`) and
inside the Pulumi policy pack (`policy.pack`), which adapts `pulumi_policy` arguments to these
types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

ENVIRONMENTS: tuple[str, ...] = ("dev", "test", "prod")
EVERYWHERE: frozenset[str] = frozenset(ENVIRONMENTS)
"""P0: the rule blocks a deployment in every environment."""
PROD_ONLY: frozenset[str] = frozenset({"prod"})
"""P1 (and P0 rules that only concern prod): blocks in prod, advisory elsewhere."""
NOWHERE: frozenset[str] = frozenset()
"""P2: always advisory."""

Severity = Literal["critical", "high", "medium", "low"]
Enforcement = Literal["mandatory", "advisory", "waived"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")

_RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")


def environment_of_stack(stack: str) -> str | None:
    """Return the environment a stack belongs to, or None if its name says nothing.

    `prod` is prod; on-demand stacks are named `<environment>-<owner>[-<slug>]`, so `dev-alice`
    is dev.
    """
    head = stack.split("-", 1)[0]
    return head if head in ENVIRONMENTS else None


def stack_of_urn(urn: str) -> str:
    """Return the stack name inside a URN (`urn:pulumi:<stack>::<project>::...`)."""
    parts = urn.split(":", 3)
    if len(parts) < 4 or parts[:2] != ["urn", "pulumi"]:
        return ""
    return parts[2].split("::", 1)[0]


def as_list(value: Any) -> list[Any]:
    """Return `value` as a list: a sequence's items, `[value]` for a scalar, `[]` for None."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """Follow mapping keys and sequence indexes into nested inputs.

    Missing keys, out-of-range indexes, non-container intermediates and None give `default`.
    """
    for step in path:
        if isinstance(step, int):
            if isinstance(value, str) or not isinstance(value, Sequence) or not -len(value) <= step < len(value):
                return default
            value = value[step]
        elif isinstance(value, Mapping) and step in value:
            value = value[step]
        else:
            return default
    return default if value is None else value


def show(value: Any) -> str:
    """A value as messages print it: `2` not `2.0` (Pulumi delivers numbers as floats), `unset` for None."""
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_true(value: Any) -> bool:
    """True for a boolean true; explicit providers deliver booleans as the string "true"."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass(frozen=True)
class ResourceOptions:
    """The resource options the rules look at.

    Attributes:
        protect: `ResourceOptions(protect=True)`.
        retain_on_delete: `ResourceOptions(retain_on_delete=True)`; None when the source cannot
            tell (the policy-pack engine does not pass it to analyzers).
        depends_on: URNs of every resource this one depends on, explicit and implicit.
        property_dependencies: per input key, the URNs that input was computed from, when the
            source reports them; this is what ties a side resource to the bucket or VPC it names.
    """

    protect: bool = False
    retain_on_delete: bool | None = False
    depends_on: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """One resource of a stack, as the rules see it."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]
    options: ResourceOptions = field(default_factory=ResourceOptions)
    parent: str | None = None

    @classmethod
    def from_plan(cls, entry: Mapping[str, Any]) -> Resource:
        """Build a resource from one entry of `mlops plan STACK --json`.

        Raises:
            ValueError: the entry lacks `urn`, `type` or `name`, or its inputs are not a mapping.
        """
        missing = [key for key in ("urn", "type", "name") if not entry.get(key)]
        if missing:
            raise ValueError(f"plan entry {entry!r:.120} has no {', '.join(missing)}")
        inputs = entry.get("inputs") or {}
        if not isinstance(inputs, Mapping):
            raise ValueError(f"plan entry {entry['urn']}: inputs must be a mapping")
        options = entry.get("options") or {}
        return cls(
            urn=entry["urn"],
            type=entry["type"],
            name=entry["name"],
            inputs=inputs,
            options=ResourceOptions(
                protect=options.get("protect") is True,
                retain_on_delete=options.get("retain_on_delete") is True,
                depends_on=tuple(options.get("depends_on") or ()),
                property_dependencies={
                    key: tuple(urns)
                    for key, urns in (options.get("property_dependencies") or {}).items()
                },
            ),
            parent=entry.get("parent"),
        )

    def get(self, *path: str | int, default: Any = None) -> Any:
        """Read a nested input, e.g. `get("deploymentConfig", "blueGreenUpdatePolicy")`; see `dig`."""
        return dig(self.inputs, *path, default=default)

    @property
    def identifiers(self) -> frozenset[str]:
        """Strings other resources may use to refer to this one: URN, name, physical name."""
        names = {self.urn, self.name}
        names.update(v for key in ("bucket", "name") if isinstance(v := self.inputs.get(key), str))
        return frozenset(names)


@dataclass(frozen=True)
class Context:
    """What a check may know besides the resource: the environment being evaluated."""

    environment: str


class Stack:
    """All resources of a stack, with the lookups cross-resource rules need."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources: tuple[Resource, ...] = tuple(resources)

    def of_type(self, *types: str) -> list[Resource]:
        """The resources of the given types, in stack order."""
        return [r for r in self.resources if r.type in types]

    def referring(self, target: Resource, side_type: str, key: str, *,
                  by_dependency: bool = True) -> list[Resource]:
        """Resources of `side_type` whose input `key` refers to `target`.

        A reference is recognised, in order, by the property dependencies of `key` (exact when the
        source reports them), by the input's value being one of the target's identifiers, or, when
        the source reports no property dependencies and `by_dependency` is set, by the target being
        the side resource's only dependency of its type (the value is then an id only the provider
        knows, such as a VPC id).
        """
        return [side for side in self.of_type(side_type) if self._refers(side, key, target, by_dependency)]

    def _refers(self, side: Resource, key: str, target: Resource, by_dependency: bool) -> bool:
        property_dependencies = side.options.property_dependencies
        if key in property_dependencies:
            return target.urn in property_dependencies[key]
        value = side.inputs.get(key)
        if isinstance(value, str) and value in target.identifiers:
            return True
        # Sources that report property dependencies report them for every input computed from
        # another resource, so a key without any was written literally.
        if property_dependencies or not by_dependency or value is None:
            return False
        same_type = {r.urn for r in self.of_type(target.type)}
        return [urn for urn in side.options.depends_on if urn in same_type] == [target.urn]


ResourceCheck = Callable[[Resource, Context], Iterable[str]]
"""Check one resource; yield one message per problem found."""
StackCheck = Callable[[Stack, Context], Iterable[tuple[Resource, str]]]
"""Check the whole stack; yield (resource at fault, message) pairs."""


@dataclass(frozen=True)
class Rule:
    """A policy rule with the metadata that anchors it in the standards.

    Exactly one of `check` (with `resource_types`) or `check_stack` is set.

    Attributes:
        id: kebab-case, starting with the service (`s3-`, `sagemaker-`, ...).
        title: one line saying what must hold.
        severity: critical, high, medium or low.
        anchors: IDs from the security-and-reliability reference (cdk-nag, checkov, Security Hub,
            Pulumi packs, ML Lens) that this rule re-implements.
        mandatory_in: environments where a violation blocks; elsewhere it is advisory.
    """

    id: str
    title: str
    severity: Severity
    anchors: tuple[str, ...]
    mandatory_in: frozenset[str]
    resource_types: tuple[str, ...] = ()
    check: ResourceCheck | None = None
    check_stack: StackCheck | None = None

    def __post_init__(self) -> None:
        problems = []
        if not _RULE_ID.match(self.id):
            problems.append("id must be kebab-case with a service prefix")
        if self.severity not in SEVERITIES:
            problems.append(f"severity must be one of {', '.join(SEVERITIES)}")
        if not self.anchors:
            problems.append("at least one anchor ID is required")
        if not self.mandatory_in <= EVERYWHERE:
            problems.append(f"mandatory_in must be a subset of {', '.join(ENVIRONMENTS)}")
        if (self.check is None) == (self.check_stack is None):
            problems.append("set exactly one of check and check_stack")
        if bool(self.resource_types) != (self.check is not None):
            problems.append("resource rules, and only they, list resource_types")
        if problems:
            raise ValueError(f"rule {self.id!r}: {'; '.join(problems)}")

    @property
    def service(self) -> str:
        """The service the rule belongs to, taken from its id prefix."""
        return self.id.split("-", 1)[0]

    @property
    def kind(self) -> Literal["resource", "stack"]:
        """`resource` for per-resource rules, `stack` for cross-resource rules."""
        return "resource" if self.check is not None else "stack"

    def enforcement(self, environment: str) -> Literal["mandatory", "advisory"]:
        """How a violation of this rule is enforced in `environment`."""
        return "mandatory" if environment in self.mandatory_in else "advisory"


def resource_rule(*, id: str, title: str, severity: Severity, anchors: tuple[str, ...],
                  mandatory_in: frozenset[str], types: tuple[str, ...]) -> Callable[[ResourceCheck], Rule]:
    """Decorate a check function to make it a resource rule."""
    def wrap(check: ResourceCheck) -> Rule:
        return Rule(id=id, title=title, severity=severity, anchors=anchors,
                    mandatory_in=mandatory_in, resource_types=types, check=check)
    return wrap


def stack_rule(*, id: str, title: str, severity: Severity, anchors: tuple[str, ...],
               mandatory_in: frozenset[str]) -> Callable[[StackCheck], Rule]:
    """Decorate a check function to make it a stack (cross-resource) rule."""
    def wrap(check: StackCheck) -> Rule:
        return Rule(id=id, title=title, severity=severity, anchors=anchors,
                    mandatory_in=mandatory_in, check_stack=check)
    return wrap


def build_registry(*rule_groups: Iterable[Rule]) -> tuple[Rule, ...]:
    """Merge rule groups into one tuple sorted by id.

    Raises:
        ValueError: two rules share an id.
    """
    rules = sorted((rule for group in rule_groups for rule in group), key=lambda rule: rule.id)
    duplicates = sorted({a.id for a, b in zip(rules, rules[1:]) if a.id == b.id})
    if duplicates:
        raise ValueError(f"duplicate rule ids: {', '.join(duplicates)}")
    return tuple(rules)


@dataclass(frozen=True)
class Waiver:
    """A recorded, owned and expiring exception to one rule for some resources.

    Attributes:
        rule: the rule id.
        resource: a resource name or an fnmatch glob over resource names (`prod-*-capture`).
        reason: why the exception is acceptable; required.
        owner: who answers for it; required.
        expires: last day (ISO date) on which the waiver applies.
    """

    rule: str
    resource: str
    reason: str
    owner: str
    expires: str

    def __post_init__(self) -> None:
        blank = [name for name in ("rule", "resource", "reason", "owner") if not getattr(self, name).strip()]
        if blank:
            raise ValueError(f"waiver for {self.rule or '?'}/{self.resource or '?'}: "
                             f"{', '.join(blank)} must not be empty")
        try:
            date.fromisoformat(self.expires)
        except ValueError:
            raise ValueError(f"waiver for {self.rule}/{self.resource}: expires {self.expires!r} "
                             "is not an ISO date (YYYY-MM-DD)") from None

    def expired(self, today: date) -> bool:
        """True once `today` is past the expiry date."""
        return today > date.fromisoformat(self.expires)

    def to_json(self) -> dict[str, str]:
        """The waiver's record as shown next to a violation."""
        return {"reason": self.reason, "owner": self.owner, "expires": self.expires}


@dataclass(frozen=True)
class Violation:
    """One finding of one rule on one resource.

    `waiver` is the waiver that matched: applied when `enforcement` is "waived", otherwise expired.
    """

    rule: str
    severity: Severity
    resource: str
    message: str
    enforcement: Enforcement
    resource_name: str = ""
    resource_type: str = ""
    waiver: Waiver | None = None

    def to_json(self) -> dict[str, Any]:
        """The violation as emitted by `mlops plan`/`mlops policy check --json`."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "resource": self.resource,
            "resource_name": self.resource_name,
            "resource_type": self.resource_type,
            "message": self.message,
            "enforcement": self.enforcement,
        }
        if self.waiver is not None:
            out["waiver"] = {**self.waiver.to_json(), "expired": self.enforcement != "waived"}
        return out
