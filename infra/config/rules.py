"""Naming rules: the one copy of every pattern a name, owner, slug or stack must match.

Every module that checks a name imports it from here: the catalog and stack settings (pydantic),
the personal-stack lifecycle, catalog edits by ``mlops promote`` and the demo. Lengths are bounded by
the longest physical name each feeds (``infra/config/names.py``).
"""

from __future__ import annotations

import re

#: A catalog model name: lowercase letters and digits in hyphen-separated words (``demand-forecast``).
MODEL_NAME = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
MODEL_NAME_MAX = 32
#: The owning team of a model; also a Kubernetes namespace part, so DNS-label shaped.
TEAM_NAME = r"^[a-z][a-z0-9-]{1,62}$"
#: A person in the migration's audience: a Studio user profile name.
USER_NAME = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"
#: The owner part of a personal stack: no hyphens, so ``dev-<owner>-<slug>`` splits one way only.
PERSONAL_OWNER = r"^[a-z][a-z0-9]{1,19}$"
#: The optional slug of a personal stack: up to 16 lowercase letters, digits and single hyphens
#: (no look-ahead: pydantic's regex engine has none, so the length is a separate bound).
PERSONAL_SLUG = r"^[a-z](?:-?[a-z0-9])*$"
PERSONAL_SLUG_MAX = 16
#: The personal stack name built from the two.
PERSONAL_STACK = re.compile(
    r"^dev-(?P<owner>" + PERSONAL_OWNER[1:-1] + r")(?:-(?P<slug>" + PERSONAL_SLUG[1:-1] + r"))?$"
)
PERSONAL_STACK_MAX = 40
#: The environments that own their own stack file and foundation.
SHARED_STACKS = ("dev", "test", "prod")
#: A team stack ``<environment>.<team>`` (``mlops:layout: team-stacks``). Pulumi stack names allow
#: letters, digits, ``-``, ``_`` and ``.``; the period keeps team stacks apart from personal stacks
#: (``dev-<owner>``: a team ``risk`` must not collide with the personal stack of owner ``risk``)
#: and splits one way only, since neither part may contain one.
TEAM_STACK = re.compile(r"^(?P<environment>dev|test|prod)\.(?P<team>" + TEAM_NAME[1:-1] + r")$")
#: Any stack name Pulumi accepts.
STACK_NAME = r"^[A-Za-z0-9_.-]{1,100}$"
#: The prefix of every physical name (``<prefix>-<env>-...``).
NAME_PREFIX = r"^[a-z][a-z0-9]{1,11}$"
#: A SageMaker model package version ARN.
MODEL_PACKAGE_ARN = r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}/\d+$"
#: Where a model's ground-truth labels land: ``<bucket role>/<key prefix>/`` in one of the platform's
#: data buckets, e.g. ``curated/labels/churn/`` (S3 key characters safe for any use, per
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
GROUND_TRUTH_BUCKETS = ("raw", "curated")
GROUND_TRUTH_PREFIX = r"^(raw|curated)/([A-Za-z0-9!_.*'()-]+/){1,16}$"
#: Timestamps written to catalog history and stack tags: ISO-8601 UTC to the second.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


def is_model_name(name: str) -> bool:
    """Whether ``name`` is a valid catalog model name."""
    return len(name) <= MODEL_NAME_MAX and re.fullmatch(MODEL_NAME, name) is not None


def team_stack_name(environment: str, team: str) -> str:
    """The stack holding ``team``'s models in ``environment``."""
    return f"{environment}.{team}"


def personal_stack_parts(stack: str) -> tuple[str, str | None] | None:
    """``(owner, slug)`` of a personal stack name, or ``None`` when ``stack`` is not one."""
    match = PERSONAL_STACK.fullmatch(stack)
    if match is None or len(stack) > PERSONAL_STACK_MAX or len(match["slug"] or "") > PERSONAL_SLUG_MAX:
        return None
    return match["owner"], match["slug"]
