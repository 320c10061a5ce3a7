"""Tag limits common to AWS services, counted after the provider's default tags are merged."""

from __future__ import annotations

from collections.abc import Iterator

from mlops.deploy.findings import DeployFinding
from mlops.deploy.index import PlanIndex

# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
TAGS_DOC = "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions"
MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256


def tag_limits(plan: PlanIndex) -> Iterator[DeployFinding]:
    """At most 50 tags (default tags included), keys up to 128 and values up to 256 characters,
    and no key in the reserved ``aws:`` prefix."""
    defaults = plan.default_tags
    for resource in plan.resources:
        own = resource["inputs"].get("tags")
        if not resource["type"].startswith("aws:") or not isinstance(own, dict):
            continue
        tags = {**defaults, **own}
        finding = lambda field, message: DeployFinding("tag-limits", "error", resource["urn"], field, message, TAGS_DOC)  # noqa: E731
        if len(tags) > MAX_TAGS:
            yield finding("tags", f"{len(tags)} tags with the provider's {len(defaults)} default tags; at most {MAX_TAGS}")
        for key, value in sorted(tags.items()):
            if len(key) > MAX_KEY:
                yield finding(f"tags.{key}", f"tag key of {len(key)} characters; at most {MAX_KEY}")
            if len(str(value)) > MAX_VALUE:
                yield finding(f"tags.{key}", f"tag value of {len(str(value))} characters; at most {MAX_VALUE}")
            if key.lower().startswith("aws:"):
                yield finding(f"tags.{key}", "the aws: prefix is reserved for AWS")


RULES = (tag_limits,)
