"""Pinning a registered version in an environment: the step promotion and rollback share.

Order matters so that a failure leaves no half-state: the catalog's new text is staged first
(a temporary file), then the registry records who pinned the version, why, and the pin's id,
then the staged file replaces the catalog file. A registry failure is reported only after the
version is re-read (a lost response may hide an applied update); if the last step fails, the
registry record is undone if it is still this run's, and the error says what happened.
"""

import secrets
from datetime import UTC, datetime

from infra.config import ConfigError
from infra.config.layout import MIGRATION_FILE
from infra.config.loader import check_catalog_change
from infra.config.rules import TIMESTAMP_FORMAT
from mlops.delivery.catalog_edit import CatalogFile, HistoryEntry
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.registry import (
    APPROVED,
    REJECTED,
    ModelVersion,
    RegistryClients,
    describe_version,
    update_version,
)
from mlops.delivery.signoff import Signoff, metadata_value

PROMOTION_ENVIRONMENTS = ("test", "prod")


def environment_choice(environment: str) -> str:
    """Check the environment a person asked to promote to or roll back.

    Raises:
        DeliveryError: (INVALID) when it is not test or prod.
    """
    if environment not in PROMOTION_ENVIRONMENTS:
        raise DeliveryError(
            f"unknown environment {environment!r}: expected one of "
            f"{', '.join(PROMOTION_ENVIRONMENTS)}",
            Problem.INVALID,
        )
    return environment


def pinning_refusal(version: ModelVersion, environment: str) -> str | None:
    """Why `version` may not be pinned in `environment`, or None when it may.

    Prod runs only Approved versions; test runs anything not Rejected.
    """
    if environment == "prod" and version.status != APPROVED:
        return f"{version.label} is {version.status}; prod runs only Approved versions"
    if version.status == REJECTED:
        return f"{version.label} is Rejected; it may not run in {environment}"
    return None


def timestamp(now: datetime) -> str:
    """ISO-8601 UTC to the second, as in `governance.history` (a naive `now` is taken as UTC)."""
    aware = now if now.tzinfo else now.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def _check_catalog(catalog: CatalogFile) -> None:
    """Refuse, before anything is written, an edit the platform would reject at plan time."""
    project_dir = catalog.path.parent.parent.parent
    if not (project_dir / MIGRATION_FILE).is_file():
        return  # a catalog folder outside a project: the schema is all there is to check
    try:
        check_catalog_change(project_dir, catalog.path.stem, catalog.render())
    except ConfigError as error:
        raise DeliveryError(
            f"refused, the catalog would break: {error.line()}; nothing changed", Problem.INVALID
        ) from None


def new_pin_id() -> str:
    """A fresh id for one promotion or rollback (16 hex digits)."""
    return secrets.token_hex(8)


def pin_version(
    clients: RegistryClients,
    catalog: CatalogFile,
    version: ModelVersion,
    *,
    environment: str,
    action: str,
    signoff: Signoff,
    phase: str,
    now: datetime,
    pin_id: str,
    principal: str | None = None,
) -> None:
    """Record `version` as pinned in `environment` on the registry, then in the catalog file.

    The registry gets CustomerMetadataProperties `promoted.<env>.action|by|reason|at|id` (and
    `principal`, the caller's verified identity, when known); the catalog gets `versions.<env>`,
    `phase` and a `governance.history` entry with the same id. The id makes an ambiguous
    registry failure decidable: the version is re-read, and the record counts as written only
    if it carries this run's id.

    Raises:
        DeliveryError: from the registry (catalog untouched) or the write (registry undone if
            it still holds this run's record).
    """
    at = timestamp(now)
    catalog.pin(
        HistoryEntry(environment, version.arn, action, signoff.by, signoff.reason, at, pin_id),
        phase=phase,
    )
    _check_catalog(catalog)
    record = {
        f"promoted.{environment}.action": action,
        f"promoted.{environment}.by": metadata_value(signoff.by),
        f"promoted.{environment}.reason": metadata_value(signoff.reason),
        f"promoted.{environment}.at": at,
        f"promoted.{environment}.id": pin_id,
    }
    if principal:
        record[f"promoted.{environment}.principal"] = metadata_value(principal)
    with catalog.stage() as staged:
        _record(clients, version, record, f"promoted.{environment}.id", catalog)
        try:
            staged.commit()
        except DeliveryError as error:
            undone = _undo(clients, version, tuple(record), f"promoted.{environment}.id", pin_id)
            raise DeliveryError(f"{error.message}; {undone}", Problem.UNAVAILABLE) from error


def _record(
    clients: RegistryClients,
    version: ModelVersion,
    record: dict[str, str],
    id_key: str,
    catalog: CatalogFile,
) -> None:
    """Write `record` on the version; when the call fails, re-read the version to tell whether
    the registry applied it anyway (a lost response) before reporting anything."""
    try:
        update_version(clients, version, metadata=record)
        return
    except DeliveryError as error:
        failure = error
    try:
        now_recorded = describe_version(clients, version.arn)
    except DeliveryError:
        raise DeliveryError(
            f"{failure.message}; the registry could not be re-read, so it may or may not record "
            f"{id_key}={record[id_key]} on {version.label}; {catalog.path} is unchanged: run "
            "the same command again",
            failure.problem,
        ) from failure
    if now_recorded is not None and now_recorded.metadata.get(id_key) == record[id_key]:
        return  # applied, only the answer was lost: go on and write the catalog
    raise DeliveryError(
        f"{failure.message}; re-read: the registry does not record it; {catalog.path} is unchanged",
        failure.problem,
    ) from failure


def _undo(
    clients: RegistryClients,
    before: ModelVersion,
    keys: tuple[str, ...],
    id_key: str,
    pin_id: str,
) -> str:
    """Put back the metadata `keys` as they were `before`, if the registry still holds this
    run's record (`id_key` = `pin_id`); say what happened."""
    try:
        current = describe_version(clients, before.arn)
        if current is None or current.metadata.get(id_key) != pin_id:
            found = current.metadata.get(id_key) if current else None
            return (
                f"the registry record on {before.label} is no longer this run's ({id_key} is "
                f"{found or 'absent'}, this run's was {pin_id}): left as it is"
            )
        update_version(
            clients,
            current,
            metadata={key: before.metadata[key] for key in keys if key in before.metadata},
            remove=tuple(key for key in keys if key not in before.metadata),
        )
    except DeliveryError as error:
        return (
            f"the registry may still record the pin on {before.label} ({id_key}={pin_id}): "
            f"run the command again or restore {', '.join(keys)} by hand ({error.message})"
        )
    return f"the registry record on {before.label} was undone, nothing changed"
