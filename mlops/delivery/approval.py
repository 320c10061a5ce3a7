"""Approving or rejecting a registered model version: the model approver's decision.

The decision goes to the registry (ModelApprovalStatus, ApprovalDescription `"<by>: <reason>"`);
the catalog is not touched. A Rejected version can never be promoted; only Approved ones reach
prod.
"""

from dataclasses import dataclass

from mlops.delivery.registry import (
    APPROVED,
    REJECTED,
    ModelVersion,
    RegistryClients,
    find_version,
    update_version,
)
from mlops.delivery.signoff import Signoff


@dataclass(frozen=True)
class ApprovalResult:
    """A version's approval status before and after a decision."""

    version: ModelVersion
    """The version as it is now."""
    previous_status: str


def _decide(
    clients: RegistryClients, group: str, version: int, status: str, signoff: Signoff
) -> ApprovalResult:
    description = signoff.approval_description
    found = find_version(clients, group, version)
    updated = update_version(clients, found, status=status, approval_description=description)
    return ApprovalResult(updated, found.status)


def approve(
    clients: RegistryClients, group: str, version: int, *, by: str, reason: str
) -> ApprovalResult:
    """Mark a version Approved, recording who and why.

    Raises:
        DeliveryError: INVALID (unknown group/version, empty or too long sign-off),
            UNAVAILABLE (registry failed).
    """
    return _decide(clients, group, version, APPROVED, Signoff(by, reason))


def reject(
    clients: RegistryClients, group: str, version: int, *, by: str, reason: str
) -> ApprovalResult:
    """Mark a version Rejected, recording who and why.

    Rejecting does not unpin a version; roll the environment back if it runs there.

    Raises:
        DeliveryError: INVALID (unknown group/version, empty or too long sign-off),
            UNAVAILABLE (registry failed).
    """
    return _decide(clients, group, version, REJECTED, Signoff(by, reason))
