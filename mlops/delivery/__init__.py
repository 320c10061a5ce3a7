"""The delivery workflow: approve, promote and roll back registered model versions (boto3).

A model approver approves a version in the SageMaker model registry, promotes it to test, then
to prod behind a champion/challenger gate; each promotion or rollback is recorded on the model
package and written to the model's catalog file, which a pull request reviews and `pulumi up`
applies. Every operation raises only `DeliveryError`.
"""

from mlops.delivery.approval import ApprovalResult, approve, reject
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.gate import GateDecision
from mlops.delivery.promotion import PromotionResult, promote
from mlops.delivery.registry import (
    ModelVersion,
    RegistryClients,
    list_versions,
    read_metric,
    registry_clients,
)
from mlops.delivery.rollback import RollbackResult, rollback

__all__ = [
    "ApprovalResult",
    "DeliveryError",
    "GateDecision",
    "ModelVersion",
    "Problem",
    "PromotionResult",
    "RegistryClients",
    "RollbackResult",
    "approve",
    "list_versions",
    "promote",
    "read_metric",
    "registry_clients",
    "reject",
    "rollback",
]
