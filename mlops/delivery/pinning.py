"""Pinning a registered version in an environment: the step promotion and rollback share.

Order matters so that a failure leaves no half-state: the catalog's new text is staged first
(a temporary file), then the registry records who pinned the version, why, and the pin's id,
then the staged file replaces the catalog file. A registry failure is reported only after the
version is re-read (a lost response may hide an applied update); if the last step fails, the
registry record is undone if it is still this run's, and the error says what happened.
"""

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

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


@dataclass(frozen=True)
class RegistryRecord:
    """A pin's record on a model package, and what taking it back means: put `restore` back,
    remove `remove` (the keys the version did not carry before)."""

    arn: str
    label: str
    id_key: str
    pin_id: str
    restore: dict[str, str]
    remove: tuple[str, ...]

    def undo(self, clients: RegistryClients) -> str:
        """Take the record back if the version still carries this pin's id; say what happened.

        Raises:
            DeliveryError: (UNAVAILABLE) the registry could not be read or updated.
        """
        current = describe_version(clients, self.arn)
        found = current.metadata.get(self.id_key) if current else None
        if current is None or found != self.pin_id:
            return (
                f"the registry record on {self.label} is not this run's ({self.id_key} is "
                f"{found or 'absent'}, this run's was {self.pin_id}): left as it is"
            )
        update_version(clients, current, metadata=self.restore, remove=self.remove)
        return f"the registry record on {self.label} was undone, nothing changed"


def pending_path(catalog_path: Path) -> Path:
    """Where a record the registry may hold, unknown to the catalog, is noted until settled."""
    return catalog_path.with_name(f".{catalog_path.name}.pending")


def _note_pending(catalog: CatalogFile, record: RegistryRecord) -> str:
    """Note `record` beside the catalog so the next promotion or rollback settles it."""
    path = pending_path(catalog.path)
    try:
        path.write_text(json.dumps(asdict(record), sort_keys=True), encoding="utf-8")
    except OSError as error:
        return f"it could not be noted in {path} ({error.strerror})"
    return f"noted in {path}: the next promote or rollback of {catalog.model} settles it, run it again"


def settle_pending(clients: RegistryClients, catalog: CatalogFile) -> None:
    """Settle a record an interrupted run left noted: take it back unless the catalog has it.

    Called with the model's lock held, before anything else is read from the registry.

    Raises:
        DeliveryError: (UNAVAILABLE) the registry cannot be reached to settle it.
    """
    path = pending_path(catalog.path)
    try:
        noted = json.loads(path.read_text(encoding="utf-8"))
        record = RegistryRecord(**{**noted, "remove": tuple(noted["remove"])})
    except FileNotFoundError:
        return
    except (OSError, ValueError, TypeError, KeyError):
        path.unlink(missing_ok=True)  # unreadable: nothing can be settled from it
        return
    if record.pin_id not in {entry.id for entry in catalog.history}:
        try:
            record.undo(clients)
        except DeliveryError as error:
            raise DeliveryError(
                f"cannot settle the interrupted pin noted in {path}: {error.message}; "
                "nothing changed",
                Problem.UNAVAILABLE,
            ) from error
    path.unlink(missing_ok=True)


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
    if it carries this run's id. When the registry cannot even be re-read, the record is noted
    beside the catalog file and the next promotion or rollback settles it.

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
    written = {
        f"promoted.{environment}.action": action,
        f"promoted.{environment}.by": metadata_value(signoff.by),
        f"promoted.{environment}.reason": metadata_value(signoff.reason),
        f"promoted.{environment}.at": at,
        f"promoted.{environment}.id": pin_id,
    }
    if principal:
        written[f"promoted.{environment}.principal"] = metadata_value(principal)
    record = RegistryRecord(
        arn=version.arn,
        label=version.label,
        id_key=f"promoted.{environment}.id",
        pin_id=pin_id,
        restore={key: version.metadata[key] for key in written if key in version.metadata},
        remove=tuple(key for key in written if key not in version.metadata),
    )
    with catalog.stage() as staged:
        _write(clients, version, written, record, catalog)
        try:
            staged.commit()
        except DeliveryError as error:
            try:
                undone = record.undo(clients)
            except DeliveryError as undo_error:
                undone = (
                    f"the registry may still record the pin on {version.label} "
                    f"({record.id_key}={pin_id}) and could not be undone ({undo_error.message}); "
                    f"{_note_pending(catalog, record)}"
                )
            raise DeliveryError(f"{error.message}; {undone}", Problem.UNAVAILABLE) from error


def _write(
    clients: RegistryClients,
    version: ModelVersion,
    written: dict[str, str],
    record: RegistryRecord,
    catalog: CatalogFile,
) -> None:
    """Write the pin's metadata on the version; when the call fails, re-read the version to
    tell whether the registry applied it anyway (a lost answer) before reporting anything."""
    try:
        update_version(clients, version, metadata=written)
        return
    except DeliveryError as error:
        failure = error
    try:
        now_recorded = describe_version(clients, version.arn)
    except DeliveryError:
        raise DeliveryError(
            f"{failure.message}; the registry could not be re-read, so it may or may not record "
            f"{record.id_key}={record.pin_id} on {version.label}; {catalog.path} is unchanged; "
            f"{_note_pending(catalog, record)}",
            failure.problem,
        ) from failure
    if now_recorded is not None and now_recorded.metadata.get(record.id_key) == record.pin_id:
        return  # applied, only the answer was lost: go on and write the catalog
    raise DeliveryError(
        f"{failure.message}; re-read: the registry does not record it; {catalog.path} is unchanged",
        failure.problem,
    ) from failure
