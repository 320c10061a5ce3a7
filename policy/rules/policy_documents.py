"""Reading IAM-style policy documents: identity policies, trust policies and resource policies.

Documents arrive as JSON strings (what `json.dumps` or `Output.json_dumps` produce); a mapping is
accepted too. `Action`, `Resource` and principal values may be a string or a list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from policy.framework import as_list

_ACCOUNT_ROOT = re.compile(r"^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")


@dataclass(frozen=True)
class Statement:
    """One statement of a policy document, normalised to tuples."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: Mapping[str, tuple[str, ...]]
    condition: Mapping[str, Any]
    sid: str

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Statement:
        """Normalise one raw statement."""
        principal = raw.get("Principal")
        if isinstance(principal, Mapping):
            principals = {kind: tuple(str(v) for v in as_list(values)) for kind, values in principal.items()}
        else:
            principals = {"*": tuple(str(v) for v in as_list(principal))} if principal else {}
        condition = raw.get("Condition")
        return cls(
            effect=str(raw.get("Effect", "")),
            actions=tuple(str(a) for a in as_list(raw.get("Action"))),
            resources=tuple(str(r) for r in as_list(raw.get("Resource"))),
            principals=principals,
            condition=condition if isinstance(condition, Mapping) else {},
            sid=str(raw.get("Sid", "")),
        )

    @property
    def allows(self) -> bool:
        """True for an Allow statement."""
        return self.effect == "Allow"

    @property
    def label(self) -> str:
        """How messages name the statement."""
        return f"statement {self.sid!r}" if self.sid else "a statement"

    @property
    def public(self) -> bool:
        """True when the principal is everyone (`"*"` or `{"AWS": "*"}`)."""
        return any("*" in values for kind, values in self.principals.items() if kind in ("*", "AWS"))

    @property
    def account_roots(self) -> tuple[str, ...]:
        """AWS principals that name a whole account (`123456789012` or `arn:aws:iam::...:root`)."""
        return tuple(p for p in self.principals.get("AWS", ()) if _ACCOUNT_ROOT.match(p))

    def denies_insecure_transport(self, *actions: str) -> bool:
        """True for a Deny of `actions` to everyone when `aws:SecureTransport` is false."""
        bool_condition = self.condition.get("Bool")
        secure = bool_condition.get("aws:SecureTransport") if isinstance(bool_condition, Mapping) else None
        return (self.effect == "Deny" and self.public
                and any(str(value).lower() == "false" for value in as_list(secure))
                and all(self.grants(action) for action in actions))

    def grants(self, action: str) -> list[str]:
        """The statement's action patterns that match `action` (IAM matching is case-insensitive)."""
        return [pattern for pattern in self.actions if fnmatchcase(action.lower(), pattern.lower())]


class InvalidDocument(ValueError):
    """The policy document is not a JSON object with statements."""


def statements(document: Any) -> list[Statement]:
    """The statements of a policy document; an absent document has none.

    Raises:
        InvalidDocument: the document is not valid JSON or not an object.
    """
    if document is None or document == "":
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise InvalidDocument(f"policy document is not valid JSON ({error.msg})") from None
    if not isinstance(document, Mapping):
        raise InvalidDocument("policy document is not a JSON object")
    return [Statement.parse(raw) for raw in as_list(document.get("Statement")) if isinstance(raw, Mapping)]


def findings(document: Any, finder: Callable[[Statement], str | None]) -> list[str]:
    """Apply `finder` to every statement and collect its messages.

    An unreadable document is itself a finding: a rule that cannot read the policy cannot pass it.
    """
    try:
        parsed = statements(document)
    except InvalidDocument as error:
        return [str(error)]
    return [message for statement in parsed if (message := finder(statement))]
