"""Rules AWS (and Pulumi) apply to values of the configuration, checked locally before a plan.

Each function returns why a value would be refused, or None when it is accepted, so that a
pydantic validator can raise it as the field's problem. Each rule cites the page it encodes.
"""

from __future__ import annotations

import ipaddress
import re

# --- EventBridge schedule expressions -------------------------------------------------------
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
# (cron: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html,
#  rate: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html)
# Six fields: minutes hours day-of-month month day-of-week year. Only the forms the pages
# document are accepted: lists (,), ranges (-), all (*), increments (/), any (?) in exactly one
# of the day fields, L in the day fields, nW in day-of-month, d#n alone in day-of-week.

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class _CronField:
    """One cron field: its name, range, the names standing for its numbers and its wildcards."""

    def __init__(self, name: str, low: int, high: int, wildcards: str, names: tuple[str, ...] = ()):
        self.name, self.low, self.high, self.wildcards, self.names = name, low, high, wildcards, names

    @property
    def values(self) -> str:
        """The field's values as the page lists them, e.g. ``1-12 or JAN-DEC``."""
        return f"{self.low}-{self.high}" + (f" or {self.names[0]}-{self.names[-1]}" if self.names else "")

    def number(self, text: str) -> int | None:
        """The number ``text`` stands for in this field, or None if it is none of its values."""
        if text in self.names:
            return self.names.index(text) + self.low
        if _DIGITS.fullmatch(text) and self.low <= int(text) <= self.high:
            return int(text)
        return None


CRON_FIELDS = (
    _CronField("minutes", 0, 59, ",-*/"),
    _CronField("hours", 0, 23, ",-*/"),
    _CronField("day-of-month", 1, 31, ",-*?/LW"),
    _CronField("month", 1, 12, ",-*/", MONTHS),
    _CronField("day-of-week", 1, 7, ",-*?L#", WEEKDAYS),
    _CronField("year", 1970, 2199, ",-*/"),
)

_RATE = re.compile(r"rate\((?P<value>[0-9]{1,9}) (?P<unit>minute|minutes|hour|hours|day|days)\)")
_DIGITS = re.compile(r"[0-9]{1,4}")


def _range_problem(field: _CronField, text: str) -> str | None:
    """Why ``text`` (a value, ``a-b`` or ``*``) is not a range of ``field``."""
    if text == "*":
        return None
    start, dash, end = text.partition("-")
    first = field.number(start)
    if first is None:
        return f"{start[:20]!r} is not {field.values}"
    if not dash:
        return None
    last = field.number(end)
    if last is None:
        return f"{end[:20]!r} is not {field.values}"
    if last < first:
        return f"range {text[:20]!r} runs backwards"
    return None


def _item_problem(field: _CronField, item: str, alone: bool) -> str | None:
    """Why one comma-separated item of ``field`` is invalid."""
    if field.name == "day-of-month":
        if item == "L" or (item.endswith("W") and field.number(item[:-1]) is not None):
            return None
    if field.name == "day-of-week":
        if item == "L":
            return None
        if "#" in item and "#" in field.wildcards:
            day, _, nth = item.partition("#")
            if not alone:
                return "a '#' expression must be the only day-of-week value"
            if field.number(day) is None or nth not in {"1", "2", "3", "4", "5"}:
                return f"{item!r} is not <day>#<1-5>"
            return None
    base, slash, step = item.partition("/")
    if slash:
        if "/" not in field.wildcards:
            return f"'/' is not allowed (it takes {' '.join(field.wildcards)})"
        if not _DIGITS.fullmatch(step) or not 1 <= int(step) <= field.high:
            return f"increment {step!r} is not 1-{field.high}"
    return _range_problem(field, base)


def cron_problem(expression: str) -> str | None:
    """Why ``cron(...)`` ``expression`` is not one EventBridge accepts, or None."""
    fields = expression[len("cron(") : -1].split(" ")
    if len(fields) != 6:
        return f"cron needs 6 fields separated by single spaces (minutes hours day-of-month month day-of-week year), got {len(fields)}"
    for field, text in zip(CRON_FIELDS, fields):
        if text == "?":
            if "?" not in field.wildcards:
                return f"'?' is only allowed in day-of-month and day-of-week, not {field.name}"
            continue
        items = text.split(",")
        for item in items:
            problem = _item_problem(field, item, alone=len(items) == 1)
            if problem:
                return f"{field.name} field {text[:20]!r}: {problem}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "exactly one of day-of-month and day-of-week must be '?'"
    return None


def rate_problem(expression: str) -> str | None:
    """Why ``rate(...)`` ``expression`` is not one EventBridge accepts, or None."""
    match = _RATE.fullmatch(expression)
    if not match:
        return "rate needs a positive whole number and a unit: rate(1 day), rate(6 hours)"
    value, unit = int(match["value"]), match["unit"]
    if value < 1:
        return "rate value must be a positive number"
    singular = unit.rstrip("s")
    if (value == 1) != (unit == singular):
        return f"use '{singular}' for 1 and '{singular}s' otherwise"
    return None


def schedule_problem(expression: str) -> str | None:
    """Why ``expression`` is not an EventBridge schedule expression, or None if it is."""
    if expression.startswith("rate(") and expression.endswith(")"):
        return rate_problem(expression)
    if expression.startswith("cron(") and expression.endswith(")"):
        return cron_problem(expression)
    return "not an EventBridge schedule expression: rate(<n> <unit>) or cron(<6 fields>)"


def runs_more_than_hourly(expression: str) -> bool:
    """Whether a valid schedule ``expression`` may fire more than once in an hour."""
    rate = _RATE.fullmatch(expression)
    if rate:
        return rate["unit"].startswith("minute") and int(rate["value"]) < 60
    minutes = expression[len("cron(") :].split(" ", 1)[0]
    # A single minute value fires at most once an hour; lists, ranges, steps and * more often.
    return not _DIGITS.fullmatch(minutes)


# --- VPC address ranges ---------------------------------------------------------------------
# https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html: "The allowed block
# size is between a /16 netmask (65,536 IP addresses) and /28 netmask (16 IP addresses)", from
# the RFC 1918 ranges below. Python's ``is_private`` also accepts 100.64/10, 192.0.0/24,
# 198.18/15 and others that are not RFC 1918. The same page warns that 172.17.0.0/16 conflicts
# with SageMaker (Docker's default bridge), which this platform runs on.

RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
VPC_PREFIXES = (16, 28)
SAGEMAKER_RESERVED = ipaddress.IPv4Network("172.17.0.0/16")


def vpc_cidr_problem(value: str) -> str | None:
    """Why ``value`` cannot be this platform's VPC range in AWS, or None."""
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        # e.g. "has host bits set" for 10.40.1.0/16.
        return f"not a valid IPv4 network: {error}"
    if not any(net.subnet_of(block) for block in RFC1918):
        return "not inside an RFC 1918 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"
    low, high = VPC_PREFIXES
    if not low <= net.prefixlen <= high:
        return f"/{net.prefixlen} is outside the VPC sizes AWS allows (/{low} to /{high})"
    if net.overlaps(SAGEMAKER_RESERVED):
        return f"overlaps {SAGEMAKER_RESERVED}, which SageMaker uses (AWS advises against it)"
    return None


# --- Pulumi stack references ----------------------------------------------------------------
# https://www.pulumi.com/docs/iac/concepts/stacks/#stackreferences: a stack in another project
# is named <organization>/<project>/<stack>; stack names "may only contain alphanumeric
# characters, hyphens, underscores, or periods" (https://www.pulumi.com/docs/iac/concepts/stacks/).

_STACK_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def stack_reference_problem(value: str) -> str | None:
    """Why ``value`` is not a fully qualified ``organization/project/stack`` name, or None."""
    parts = value.split("/")
    if len(parts) != 3:
        return f"has {len(parts)} part{'s' * (len(parts) != 1)}, not organization/project/stack"
    for label, part in zip(("organization", "project", "stack"), parts):
        if not _STACK_PART.fullmatch(part):
            return f"the {label} {part[:40]!r} is not 1-100 letters, digits, '-', '_' or '.'"
    return None
