"""Pinning a registered version in an environment: the step promotion and rollback share.

Order matters so that a failure leaves no half-state: the catalog's new text is staged first
(a temporary file), then the registry records who pinned the version and why, then the staged
file replaces the catalog file. If that last step fails, the registry record is undone and the
error says whether the undo worked.
"""

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
        raise DeliveryError(f"refused, the catalog would break: {error.line()}; nothing changed", Problem.INVALID) from None


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
) -> None:
    """Record `version` as pinned in `environment` on the registry, then in the catalog file.

    The registry gets CustomerMetadataProperties `promoted.<env>.action|by|reason|at`; the
    catalog gets `versions.<env>`, `phase` and a `governance.history` entry.

    Raises:
        DeliveryError: from the registry (catalog untouched) or the write (registry undone).
    """
    at = timestamp(now)
    catalog.pin(
        HistoryEntry(environment, version.arn, action, signoff.by, signoff.reason, at), phase=phase
    )
    _check_catalog(catalog)
    record = {
        f"promoted.{environment}.action": action,
        f"promoted.{environment}.by": metadata_value(signoff.by),
        f"promoted.{environment}.reason": metadata_value(signoff.reason),
        f"promoted.{environment}.at": at,
    }
    with catalog.stage() as staged:
        try:
            recorded = update_version(clients, version, metadata=record)
        except DeliveryError as error:
            raise DeliveryError(
                f"{error.message}; {catalog.path} is unchanged", error.problem
            ) from None
        try:
            staged.commit()
        except DeliveryError as error:
            raise DeliveryError(
                f"{error.message}; {_undo(clients, version, recorded, tuple(record))}",
                Problem.UNAVAILABLE,
            ) from None


def _undo(
    clients: RegistryClients, before: ModelVersion, recorded: ModelVersion, keys: tuple[str, ...]
) -> str:
    """Put back the metadata `keys` as they were `before`; say what happened."""
    try:
        update_version(
            clients,
            recorded,
            metadata={key: before.metadata[key] for key in keys if key in before.metadata},
            remove=tuple(key for key in keys if key not in before.metadata),
        )
    except DeliveryError as error:
        return (
            f"the registry still records the pin on {recorded.label} ({', '.join(keys)}): "
            f"restore them by hand ({error.message})"
        )
    return f"the registry record on {recorded.label} was undone, nothing changed"
