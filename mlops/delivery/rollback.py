"""Rolling an environment back to the version it ran before the current one.

The target comes from `governance.history`: walking back from the current pin, the most recent
promoted version that differs from it, was not itself rolled away from since its promotion, still
exists and may still run there (Approved for prod, not Rejected for test). Repeated rollbacks
therefore walk further back instead of flipping between two versions. No gate applies: rollback
is the emergency path.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mlops.delivery.catalog_edit import CatalogFile, HistoryEntry
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.lock import DEFAULT_WAIT_SECONDS, model_lock
from mlops.delivery.pinning import (
    environment_choice,
    new_pin_id,
    pin_version,
    pinning_refusal,
    settle_pending,
)
from mlops.delivery.registry import ModelVersion, RegistryClients, describe_version
from mlops.delivery.signoff import Signoff


@dataclass(frozen=True)
class RollbackResult:
    """What a rollback did."""

    model: str
    environment: str
    version: ModelVersion
    """The version pinned now."""
    replaced_arn: str
    """The version that was pinned before the rollback."""
    catalog_path: Path


def rollback_candidates(history: list[HistoryEntry], environment: str, current: str) -> list[str]:
    """ARNs to roll back to, best first, judged from the history alone."""
    entries = [entry for entry in history if entry.environment == environment]
    rolled_away: set[str] = set()
    pinned: str | None = None
    for entry in entries:
        if entry.action == "rollback" and pinned:
            rolled_away.add(pinned)
        elif entry.action == "promote":
            rolled_away.discard(entry.version)
        pinned = entry.version
    current_at = max(
        (i for i, entry in enumerate(entries) if entry.version == current), default=len(entries)
    )
    candidates: list[str] = []
    for entry in reversed(entries[:current_at]):
        if (
            entry.action == "promote"
            and entry.version != current
            and entry.version not in rolled_away
            and entry.version not in candidates
        ):
            candidates.append(entry.version)
    return candidates


def rollback(
    clients: RegistryClients,
    catalog_dir: Path,
    model: str,
    *,
    env: str,
    by: str,
    reason: str,
    now: datetime,
    lock_wait: float = DEFAULT_WAIT_SECONDS,
) -> RollbackResult:
    """Pin the previously promoted version in `env` again and record it as a rollback.

    Args:
        clients: Registry clients (see `registry_clients`).
        catalog_dir: The folder holding `<model>.yaml`.
        model: The model's catalog name.
        env: "test" or "prod".
        by: Who rolls back.
        reason: Why; kept verbatim in the catalog history.
        now: The time to record.
        lock_wait: Seconds to wait for a promotion of the model to finish.

    Raises:
        DeliveryError: INVALID (unknown model, bad option or catalog), REFUSED (nothing pinned,
            no earlier version that may run there), UNAVAILABLE (registry or write failed).
    """
    environment_choice(env)
    signoff = Signoff(by, reason)
    path = CatalogFile.load(catalog_dir, model).path  # a bad catalog says so before the lock
    with model_lock(path, f"roll back {model} in {env}", wait_seconds=lock_wait):
        return _rollback_locked(clients, CatalogFile.load(catalog_dir, model), env, signoff, now)


def _rollback_locked(
    clients: RegistryClients, catalog: CatalogFile, env: str, signoff: Signoff, now: datetime
) -> RollbackResult:
    """`rollback`, once the input is checked and the model's lock is held."""
    settle_pending(clients, catalog)
    model = catalog.model
    current = catalog.versions.get(env)
    if not current:
        raise DeliveryError(
            f"nothing is pinned in {env} for {model} ({catalog.path}); nothing to roll back",
            Problem.REFUSED,
        )
    target = next(
        (
            version
            for arn in rollback_candidates(catalog.history, env, current)
            if (version := describe_version(clients, arn)) and not pinning_refusal(version, env)
        ),
        None,
    )
    if target is None:
        raise DeliveryError(
            f"cannot roll back {model} in {env}: governance.history in {catalog.path} has no "
            f"earlier promoted version that still exists and may run in {env}; current: {current}",
            Problem.REFUSED,
        )
    pin_version(
        clients,
        catalog,
        target,
        environment=env,
        action="rollback",
        signoff=signoff,
        phase=catalog.phase,
        now=now,
        pin_id=new_pin_id(),
    )
    return RollbackResult(model, env, target, current, catalog.path)
