"""A deploy finding: what AWS would reject or mishandle, where, and the page that says so."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class DeployFinding:
    """One thing a real account would reject (error) or let through to misbehave (warning).

    Sorting groups findings by rule, errors before warnings, then by resource and field.

    Attributes:
        rule: Rule id, ``<service>-<what>`` (e.g. ``sagemaker-canary-size``, ``api-model``).
        severity: ``error`` fails the deployment; ``warning`` deploys but misbehaves.
        resource: The planned resource's URN (or the stack-level subject of a cross-stack finding).
        field: Key path of the offending value in the resource's inputs or in the API request.
        message: What is wrong and what to do.
        doc: The AWS page (or botocore shape) the rule comes from.
    """

    rule: str
    severity: Severity
    resource: str
    field: str
    message: str
    doc: str

    def to_json(self) -> dict[str, str]:
        """The finding as the plan JSON prints it (``deploy.findings[]``)."""
        return {key: value for key, value in sorted(asdict(self).items())}
