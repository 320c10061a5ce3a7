"""A small evaluator of planned IAM policy documents: does a statement allow (or deny) a request?

It implements what the platform's documents use: Allow/Deny, Action/NotAction, Resource/NotResource
with ``*``/``?`` wildcards, Principal (``*``, account ids and ``:root`` ARNs, role ARNs, services)
and the condition operators String*/Arn*/Bool (with ``IfExists``). A condition it cannot evaluate
(an unknown operator, or a key the request's context does not carry) is treated conservatively and
reported: an Allow that depends on it is not counted, a Deny that depends on it is assumed to apply.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class AccessRequest:
    """One call to evaluate.

    Attributes:
        action: ``service:Action``.
        resource: The ARN acted on.
        principal: The caller: a role ARN or a service principal (``budgets.amazonaws.com``).
        account: The caller's account (None for a service principal).
        context: Condition keys the call carries (``aws:SecureTransport``, ``kms:ViaService``...).
    """

    action: str
    resource: str
    principal: str
    account: str | None = None
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What one policy document says about one request.

    Attributes:
        allowed: An Allow statement matched (with every condition evaluated and true).
        denied: A Deny statement matched (or may match: it depends on an unevaluable condition).
        allowing: Sids (or indices) of the matching Allow statements.
        unevaluated: Conditions that could not be evaluated, as ``<Sid>: <operator> <key>``.
    """

    allowed: bool
    denied: bool
    allowing: tuple[str, ...] = ()
    unevaluated: tuple[str, ...] = ()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@cache
def _wildcard(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if case_insensitive else re.DOTALL)


def matches(pattern: str, value: str, case_insensitive: bool = False) -> bool:
    """IAM wildcard match (``*`` any run, ``?`` one character) of the whole value."""
    return _wildcard(pattern, case_insensitive).fullmatch(value) is not None


def _principal_matches(principal: Any, request: AccessRequest) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for kind, values in principal.items():
        for value in _as_list(values):
            if kind == "AWS":
                if value == "*" or value == request.principal:
                    return True
                account = value if re.fullmatch(r"\d{12}", str(value)) else None
                root = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):root", str(value))
                if request.account and request.account in {account, root.group(1) if root else None}:
                    return True
            elif kind == "Service" and value == request.principal:
                return True
    return False


def _condition(operator: str, key: str, expected: list[Any], context: Mapping[str, str]) -> bool | None:
    """True/False, or None when the operator is not implemented or the key is not in the context."""
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    actual = context.get(key, _MISSING)
    for k, v in context.items():  # condition keys are case-insensitive
        if actual is _MISSING and k.lower() == key.lower():
            actual = v
    if actual is _MISSING:
        if if_exists:
            return True
        return None
    value = str(actual)
    negated = "Not" in base
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        hit = any(value == str(e) for e in expected)
    elif base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        hit = any(value.lower() == str(e).lower() for e in expected)
    elif base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        hit = any(matches(str(e), value) for e in expected)
    elif base == "Bool":
        return any(value.lower() == str(e).lower() for e in expected)
    else:
        return None
    return not hit if negated else hit


def _conditions(statement: Mapping[str, Any], request: AccessRequest, label: str) -> tuple[bool, list[str]]:
    """(all evaluable conditions hold, unevaluable conditions)."""
    unknown = []
    for operator, block in (statement.get("Condition") or {}).items():
        for key, expected in block.items():
            result = _condition(operator, key, _as_list(expected), request.context)
            if result is None:
                unknown.append(f"{label}: {operator} {key}")
            elif not result:
                return False, []
    return True, unknown


def _statement_applies(statement: Mapping[str, Any], request: AccessRequest, resource_policy: bool) -> bool:
    if "Action" in statement:
        if not any(matches(a, request.action, True) for a in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(matches(a, request.action, True) for a in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(matches(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(matches(r, request.resource) for r in _as_list(statement["NotResource"])):
            return False
    elif not resource_policy:
        return False  # an identity policy statement without Resource is invalid
    if resource_policy:
        if "Principal" in statement:
            return _principal_matches(statement["Principal"], request)
        if "NotPrincipal" in statement:
            return not _principal_matches(statement["NotPrincipal"], request)
        return False
    return True


def evaluate(document: Mapping[str, Any] | None, request: AccessRequest, resource_policy: bool) -> Decision:
    """What ``document`` says about ``request``.

    Args:
        document: A parsed policy document (None counts as an empty policy).
        request: The call.
        resource_policy: True for bucket/key/repository/group policies (statements name a Principal),
            False for a role's identity policy.
    """
    allowing: list[str] = []
    unevaluated: list[str] = []
    denied = False
    for i, statement in enumerate(_as_list((document or {}).get("Statement"))):
        if not isinstance(statement, Mapping) or not _statement_applies(statement, request, resource_policy):
            continue
        label = str(statement.get("Sid") or i)
        holds, unknown = _conditions(statement, request, label)
        if not holds:
            continue
        unevaluated += unknown
        if statement.get("Effect") == "Deny":
            denied = True  # an unevaluable condition on a Deny is assumed to hold
        elif statement.get("Effect") == "Allow" and not unknown:
            allowing.append(label)
    return Decision(bool(allowing) and not denied, denied, tuple(allowing), tuple(unevaluated))


def evaluate_all(documents: Sequence[Mapping[str, Any] | None], request: AccessRequest, resource_policy: bool) -> Decision:
    """The combined decision of several documents of one side (a role's inline policies)."""
    decisions = [evaluate(d, request, resource_policy) for d in documents]
    denied = any(d.denied for d in decisions)
    allowing = tuple(s for d in decisions for s in d.allowing)
    unevaluated = tuple(s for d in decisions for s in d.unevaluated)
    return Decision(bool(allowing) and not denied, denied, allowing, unevaluated)
