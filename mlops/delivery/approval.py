"""Approving or rejecting a registered model version: the model approver's decision.

The decision goes to the registry (ModelApprovalStatus, ApprovalDescription `"<by>: <reason>"`,
and CustomerMetadataProperties `approval.principal`, the caller's verified identity, when the
catalog names approvers); the catalog is not touched. When it names approvers, only they decide. A Rejected version can never be promoted; only Approved ones reach
prod.
"""

from dataclasses import dataclass

from mlops.delivery.approvers import require_approver
from mlops.delivery.registry import (
    APPROVED,
    REJECTED,
    ModelVersion,
    RegistryClients,
    find_version,
    update_version,
)
from mlops.delivery.signoff import Signoff, metadata_value


@dataclass(frozen=True)
class ApprovalResult:
    """A version's approval status before and after a decision."""

    version: ModelVersion
    """The version as it is now."""
    previous_status: str


def _decide(
    clients: RegistryClients,
    group: str,
    version: int,
    status: str,
    signoff: Signoff,
    approvers: tuple[str, ...] | None,
    model: str | None,
) -> ApprovalResult:
    description = signoff.approval_description
    verb = "approve" if status == APPROVED else "reject"
    principal = require_approver(clients, model or group, approvers, f"{verb} versions of")
    found = find_version(clients, group, version)
    updated = update_version(
        clients,
        found,
        status=status,
        approval_description=description,
        metadata={"approval.principal": metadata_value(principal)} if principal else None,
    )
    return ApprovalResult(updated, found.status)


def approve(
    clients: RegistryClients,
    group: str,
    version: int,
    *,
    by: str,
    reason: str,
    approvers: tuple[str, ...] | None = None,
    model: str | None = None,
) -> ApprovalResult:
    """Mark a version Approved, recording who and why.

    Args:
        approvers: The model's `governance.approvers`; when given, the caller must be one.
        model: The model's catalog name, for messages (default: the group).

    Raises:
        DeliveryError: INVALID (unknown group/version, empty or too long sign-off), REFUSED
            (the caller is not an approver), UNAVAILABLE (registry or STS failed).
    """
    return _decide(clients, group, version, APPROVED, Signoff(by, reason), approvers, model)


def reject(
    clients: RegistryClients,
    group: str,
    version: int,
    *,
    by: str,
    reason: str,
    approvers: tuple[str, ...] | None = None,
    model: str | None = None,
) -> ApprovalResult:
    """Mark a version Rejected, recording who and why.

    Rejecting does not unpin a version; roll the environment back if it runs there.

    Args:
        approvers: The model's `governance.approvers`; when given, the caller must be one.
        model: The model's catalog name, for messages (default: the group).

    Raises:
        DeliveryError: INVALID (unknown group/version, empty or too long sign-off), REFUSED
            (the caller is not an approver), UNAVAILABLE (registry or STS failed).
    """
    return _decide(clients, group, version, REJECTED, Signoff(by, reason), approvers, model)
