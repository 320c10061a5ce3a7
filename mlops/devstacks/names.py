"""Personal dev stack names, lifetimes and timestamps: `dev-<owner>[-<slug>]`, `72h`, ISO-8601 UTC.

Owners, slugs and the whole name follow infra/config/rules.py, the rules the program itself applies.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from infra.config.rules import (
    PERSONAL_OWNER,
    PERSONAL_SLUG,
    PERSONAL_SLUG_MAX,
    PERSONAL_STACK_MAX,
    SHARED_STACKS,
    TIMESTAMP_FORMAT,
)

PERSONAL_PREFIX = "dev-"
MAX_STACK_NAME_LENGTH = PERSONAL_STACK_MAX
DEFAULT_TTL = "72h"
MAX_TTL = timedelta(days=14)

TAG_KIND = "mlops:kind"
KIND_PERSONAL = "personal-dev"
TAG_OWNER = "mlops:owner"
TAG_EXPIRES_AT = "mlops:expires-at"
TAG_CREATED_AT = "mlops:created-at"
PERSONAL_CONFIG_KEY = "mlops:personal"

# Owners, slugs and names follow infra/config/rules.py, the rules the program itself applies.
_PERSONAL_NAME_RE = re.compile(rf"^{PERSONAL_PREFIX}(?P<owner>[a-z0-9]+)(?:-(?P<slug>.+))?$")
_TTL_RE = re.compile(r"^(\d+)([mhd])$")
_TTL_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class DevStackError(Exception):
    """The request is invalid or not allowed (bad name, TTL or model, or a protected stack)."""




def personal_stack_name(owner: str, slug: str | None = None) -> str:
    """The stack name `dev-<owner>[-<slug>]`, validated.

    Raises:
        DevStackError: the owner is not 2-20 lowercase letters/digits starting with a letter,
            the slug not up to 16 lowercase letters/digits/single hyphens starting with a
            letter, or the whole name is longer than MAX_STACK_NAME_LENGTH.
    """
    problems = []
    if not re.fullmatch(PERSONAL_OWNER, owner):
        problems.append(f"owner {owner!r}: use 2-20 lowercase letters and digits, starting with a letter (e.g. alice)")
    if slug is not None and (not re.fullmatch(PERSONAL_SLUG, slug) or len(slug) > PERSONAL_SLUG_MAX):
        problems.append(f"slug {slug!r}: use up to 16 lowercase letters, digits and single hyphens, starting with a letter (e.g. exp1)")
    if problems:
        raise DevStackError("\n".join(problems))
    name = f"{PERSONAL_PREFIX}{owner}" + (f"-{slug}" if slug else "")
    if len(name) > MAX_STACK_NAME_LENGTH:
        raise DevStackError(
            f"stack name {name!r} is {len(name)} characters; the limit is {MAX_STACK_NAME_LENGTH} "
            "(use a shorter --slug)"
        )
    return name


def is_personal_name(name: str) -> bool:
    match = _PERSONAL_NAME_RE.match(name)
    if match is None:
        return False
    try:
        return personal_stack_name(match["owner"], match["slug"]) == name
    except DevStackError:
        return False


def check_personal_stack_name(name: str) -> None:
    """Refuse shared stacks and anything not shaped like `dev-<owner>[-<slug>]`.

    Raises:
        DevStackError: with the reason.
    """
    if name in SHARED_STACKS:
        raise DevStackError(
            f"{name} is a shared stack: personal-stack commands never touch dev, test or prod "
            "(use `pulumi` and the infrastructure workflow for those)"
        )
    if not is_personal_name(name):
        raise DevStackError(
            f"{name!r} is not a personal dev stack name: expected dev-<owner>[-<slug>], lowercase, "
            f"at most {MAX_STACK_NAME_LENGTH} characters"
        )


def parse_ttl(text: str) -> timedelta:
    """Parse a lifetime such as `90m`, `72h` or `3d` (at most MAX_TTL).

    Raises:
        DevStackError: the text is not `<number><m|h|d>`, is zero, or exceeds MAX_TTL.
    """
    match = _TTL_RE.match(text.strip())
    if not match:
        raise DevStackError(f"ttl {text!r}: use a whole number followed by m, h or d, e.g. 90m, 72h or 3d")
    too_long = DevStackError(f"ttl {text!r}: the maximum is {MAX_TTL.days}d; re-run `mlops dev create` later to renew")
    try:
        ttl = timedelta(**{_TTL_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise too_long from None
    if ttl <= timedelta(0):
        raise DevStackError(f"ttl {text!r}: must be longer than zero")
    if ttl > MAX_TTL:
        raise too_long
    return ttl


def expiry(now: datetime, ttl: timedelta) -> datetime:
    """When a stack created or renewed at `now` expires, in UTC to the second."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return (now + ttl).astimezone(timezone.utc).replace(microsecond=0)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC to the second, e.g. `2026-11-25T04:00:00Z`, as stored in tags and config."""
    return moment.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str | None) -> datetime | None:
    """The UTC datetime of an ISO-8601 timestamp, or None if `text` is missing or not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


