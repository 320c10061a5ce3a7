"""Promoting a registered model version to test or prod, behind a champion/challenger gate.

Checks run in this order, before anything is written: the input (environment, sign-off,
margin, catalog file), then the caller's right to promote (the catalog's approvers), then the
registry. A promotion holds the model's lock from reading the catalog to writing it, so two
promotions of one model run one after the other and the second sees what the first wrote.
Rules:
1. the version exists (by number, or the latest Approved one);
2. prod takes only Approved versions, test anything not Rejected;
3. prod takes only versions that have been pinned in test (now or before);
4. promoting the version already pinned there is a no-op (nothing written, `changed=False`);
5. the challenger's metric beats the champion's (the version pinned there now) by the margin.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mlops.delivery.approvers import require_approver
from mlops.delivery.catalog_edit import CatalogFile
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.gate import GateDecision
from mlops.delivery.lock import DEFAULT_WAIT_SECONDS, model_lock
from mlops.delivery.pinning import (
    environment_choice,
    new_pin_id,
    pin_version,
    pinning_refusal,
    settle_pending,
)
from mlops.delivery.registry import (
    ModelVersion,
    RegistryClients,
    describe_version,
    find_version,
    latest_approved_version,
    read_metric,
)
from mlops.delivery.signoff import Signoff


@dataclass(frozen=True)
class PromotionResult:
    """What a promotion did."""

    model: str
    environment: str
    version: ModelVersion
    previous_arn: str | None
    """The version pinned before (the champion), if any."""
    gate: GateDecision | None
    """The comparison with the champion; None when there was no champion or nothing changed."""
    phase: str
    changed: bool
    """False when the version was already pinned: nothing was written anywhere."""
    catalog_path: Path
    pin_id: str | None = None
    """The promotion's id in the catalog history and on the model package; None if unchanged."""


def next_phase(current: str, environment: str) -> str:
    """The model's phase once a version is pinned in `environment`."""
    if environment == "prod":
        return "activation"
    return "test-release" if current == "development" else current


def margin_choice(margin: float | None) -> float | None:
    """Check a `--margin` override.

    Raises:
        DeliveryError: (INVALID) when it is negative.
    """
    if margin is not None and margin < 0:
        raise DeliveryError(f"--margin is {margin:g}; it must be >= 0", Problem.INVALID)
    return margin


def metric_of(clients: RegistryClients, version: ModelVersion, metric: str) -> float:
    """A version's gate metric.

    Raises:
        DeliveryError: (REFUSED) when the version carries no such metric.
    """
    value = read_metric(clients, version, metric)
    if value is None:
        raise DeliveryError(
            f"{version.label} has no {metric} metric (neither metadata metric.{metric} nor "
            f"metrics.{metric}.value in its evaluation report), so the gate cannot compare it",
            Problem.REFUSED,
        )
    return value


def promote(
    clients: RegistryClients,
    catalog_dir: Path,
    model: str,
    *,
    group: str,
    to_env: str,
    version: int | None,
    by: str,
    reason: str,
    now: datetime,
    margin_override: float | None = None,
    promotion_id: str | None = None,
    lock_wait: float = DEFAULT_WAIT_SECONDS,
) -> PromotionResult:
    """Pin a registered version in test or prod and record who did it, why and when.

    Args:
        clients: Registry clients (see `registry_clients`).
        catalog_dir: The folder holding `<model>.yaml` (the project's `stacks/models`).
        model: The model's catalog name.
        group: Its model package group, `<prefix>-<model>`.
        to_env: "test" or "prod".
        version: Version number; None promotes the latest Approved version.
        by: Who promotes.
        reason: Why; kept verbatim in the catalog history.
        now: The time to record.
        margin_override: Replaces the catalog's `training.promotionMargin` for this promotion.
        promotion_id: The id recorded with the promotion; a fresh one by default.
        lock_wait: Seconds to wait for another promotion of the model to finish.

    Raises:
        DeliveryError: INVALID (unknown model/group/version, bad option or catalog), REFUSED
            (not an approver, approval status, promotion order, gate), UNAVAILABLE (registry,
            lock or write failed).
    """
    environment_choice(to_env)
    signoff = Signoff(by, reason)
    margin_choice(margin_override)
    catalog = CatalogFile.load(catalog_dir, model)
    _ = catalog.metric, catalog.direction, catalog.promotion_margin  # a bad catalog says so first
    principal = require_approver(clients, model, catalog.approvers, f"promote to {to_env}")
    with model_lock(catalog.path, f"promote {model} to {to_env}", wait_seconds=lock_wait):
        return _promote_locked(
            clients,
            CatalogFile.load(catalog_dir, model),  # as the previous holder of the lock left it
            group=group,
            to_env=to_env,
            version=version,
            signoff=signoff,
            now=now,
            margin_override=margin_override,
            pin_id=promotion_id or new_pin_id(),
            principal=principal,
        )


def _promote_locked(
    clients: RegistryClients,
    catalog: CatalogFile,
    *,
    group: str,
    to_env: str,
    version: int | None,
    signoff: Signoff,
    now: datetime,
    margin_override: float | None,
    pin_id: str,
    principal: str | None,
) -> PromotionResult:
    """`promote`, once the input is checked and the model's lock is held."""
    settle_pending(clients, catalog)
    model = catalog.model
    metric, direction = catalog.metric, catalog.direction
    margin = catalog.promotion_margin if margin_override is None else margin_override
    challenger = (
        latest_approved_version(clients, group)
        if version is None
        else find_version(clients, group, version)
    )
    refusal = pinning_refusal(challenger, to_env)
    if refusal:
        raise DeliveryError(f"cannot promote to {to_env}: {refusal}", Problem.REFUSED)
    if to_env == "prod" and not catalog.was_pinned("test", challenger.arn):
        raise DeliveryError(
            f"cannot promote to prod: {challenger.label} has never been pinned in test; "
            f"promote it to test first "
            f"(mlops promote {model} --to test --version {challenger.number})",
            Problem.REFUSED,
        )
    champion_arn = catalog.versions.get(to_env)
    if champion_arn == challenger.arn:
        return PromotionResult(
            model, to_env, challenger, champion_arn, None, catalog.phase, False, catalog.path
        )
    gate = None
    if champion_arn:
        champion = describe_version(clients, champion_arn)
        if champion is None:
            raise DeliveryError(
                f"the champion pinned in {catalog.path} versions.{to_env} ({champion_arn}) is not "
                f"in the registry at {clients.endpoint}, so the gate cannot compare; check the "
                "region and account",
                Problem.REFUSED,
            )
        gate = GateDecision(
            metric=metric,
            direction=direction,
            margin=margin,
            champion_version=champion.number,
            champion_value=metric_of(clients, champion, metric),
            challenger_version=challenger.number,
            challenger_value=metric_of(clients, challenger, metric),
        )
        if not gate.passed:
            raise DeliveryError(
                f"cannot promote {model} to {to_env}: {gate.explain()} (override with --margin)",
                Problem.REFUSED,
            )
    phase = next_phase(catalog.phase, to_env)
    pin_version(
        clients,
        catalog,
        challenger,
        environment=to_env,
        action="promote",
        signoff=signoff,
        phase=phase,
        now=now,
        pin_id=pin_id,
        principal=principal,
    )
    return PromotionResult(
        model, to_env, challenger, champion_arn, gate, phase, True, catalog.path, pin_id
    )
