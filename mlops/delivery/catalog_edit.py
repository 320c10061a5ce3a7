"""Editing one model catalog file (`stacks/models/<name>.yaml`) without disturbing it.

The file is a reviewed document: edits go through ruamel.yaml's round-trip mode so comments, key
order and quoting survive, and only the keys delivery owns change (`phase`, `versions.<env>`,
`governance.history`). Writing is atomic and checked: the new text goes to a temporary file in
the same folder, then replaces the original only if nobody changed it since it was read. A
failed cleanup never hides the error that caused it: it is added to that error's message.
"""

import io
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from infra.config.rules import is_model_name
from mlops.delivery.errors import DeliveryError, Problem
from mlops.delivery.lock import write_all

ENVIRONMENTS = ("dev", "test", "prod")
DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class HistoryEntry:
    """One line of `governance.history`: a version pinned in an environment, by whom and why."""

    environment: str
    version: str
    action: str
    by: str
    reason: str
    at: str
    id: str = ""
    """The promotion's id, also recorded on the model package (`promoted.<env>.id`)."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long descriptions
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class CatalogFile:
    """One model's catalog file, read for editing.

    Read accessors validate only what delivery relies on; the catalog schema itself is checked
    by infra/config. Use `pin` to change it in memory and `stage` to write it.
    """

    def __init__(self, path: Path, model: str, original: bytes, document: CommentedMap) -> None:
        self.path = path
        self.model = model
        self._original = original
        self._document = document

    @classmethod
    def load(cls, catalog_dir: Path, model: str) -> "CatalogFile":
        """Read `<catalog_dir>/<model>.yaml`.

        Raises:
            DeliveryError: (INVALID) unknown model, unreadable or malformed file, or a file
                whose `name` is not the model's.
        """
        path = Path(catalog_dir) / f"{model}.yaml"
        if not is_model_name(model) or not path.is_file():
            known = sorted(p.stem for p in Path(catalog_dir).glob("*.yaml"))
            raise DeliveryError(
                f"unknown model {model!r}: no {path}; known models: {', '.join(known) or 'none'}",
                Problem.INVALID,
            )
        try:
            original = path.read_bytes()
            document = _yaml().load(original.decode("utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise DeliveryError(f"{path}: cannot read: {error}", Problem.INVALID) from None
        except YAMLError as error:
            raise DeliveryError(f"{path}: not valid YAML: {error}", Problem.INVALID) from None
        if not isinstance(document, CommentedMap):
            raise DeliveryError(f"{path}: expected a mapping of catalog keys", Problem.INVALID)
        catalog = cls(path, model, original, document)
        if document.get("name") != model:
            found = document.get("name")
            catalog._invalid("name", f"is {found!r}, expected {model!r} (the file name)")
        return catalog

    def _invalid(self, key_path: str, reason: str) -> NoReturn:
        raise DeliveryError(f"{self.path}: {key_path}: {reason}", Problem.INVALID)

    def _section(self, key: str, *, create: bool = False) -> CommentedMap:
        """A top-level mapping; an empty one when absent, added to the file if `create`."""
        section = self._document.get(key)
        if section is None:
            section = CommentedMap()
            if create:
                self._document[key] = section
        if not isinstance(section, CommentedMap):
            self._invalid(key, "expected a mapping")
        return section

    @property
    def phase(self) -> str:
        """The model's migration phase: development, test-release or activation."""
        return str(self._document.get("phase", ""))

    @property
    def metric(self) -> str:
        """`training.metric`, the metric the champion/challenger gate compares."""
        metric = self._section("training").get("metric")
        if not isinstance(metric, str) or not metric:
            self._invalid("training.metric", "missing: name the metric promotions compare")
        return metric

    @property
    def direction(self) -> str:
        """`training.direction`: maximize or minimize."""
        direction = self._section("training").get("direction")
        if direction not in DIRECTIONS:
            self._invalid("training.direction", f"is {direction!r}, expected maximize or minimize")
        return direction

    @property
    def promotion_margin(self) -> float:
        """`training.promotionMargin`, 0.0 when absent."""
        margin = self._section("training").get("promotionMargin", 0.0)
        if isinstance(margin, bool) or not isinstance(margin, int | float) or margin < 0:
            self._invalid("training.promotionMargin", f"is {margin!r}, expected a number >= 0")
        return float(margin)

    @property
    def versions(self) -> dict[str, str]:
        """Pinned model package ARN per environment."""
        return {str(env): str(arn) for env, arn in self._section("versions").items()}

    @property
    def history(self) -> list[HistoryEntry]:
        """`governance.history`, oldest first."""
        entries = self._section("governance").get("history") or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self._invalid("governance.history", "expected a list of entries")
        return [
            HistoryEntry(
                **{key: str(entry.get(key, "")) for key in HistoryEntry.__dataclass_fields__}
            )
            for entry in entries
        ]

    @property
    def approvers(self) -> tuple[str, ...] | None:
        """`governance.approvers`: principal ARN patterns allowed to approve and promote; None
        when the catalog names none (then IAM alone decides)."""
        approvers = self._section("governance").get("approvers")
        if approvers is None:
            return None
        if not isinstance(approvers, list) or not all(isinstance(a, str) for a in approvers):
            self._invalid("governance.approvers", "expected a list of IAM role/user ARNs")
        return tuple(approvers)

    @property
    def region_hint(self) -> str | None:
        """The region named by a pinned or historical ARN, for when the environment names none."""
        arns = [*self.versions.values(), *(entry.version for entry in self.history)]
        regions = [arn.split(":")[3] for arn in arns if arn.count(":") >= 5]
        return regions[0] if regions else None

    def was_pinned(self, environment: str, arn: str) -> bool:
        """Whether `arn` is, or once was, pinned in `environment`."""
        return self.versions.get(environment) == arn or any(
            entry.environment == environment and entry.version == arn for entry in self.history
        )

    def pin(self, entry: HistoryEntry, *, phase: str) -> None:
        """Pin `entry.version` in `entry.environment`, set the phase, append `entry` to history."""
        self._document["phase"] = phase
        versions = self._section("versions", create=True)
        if entry.environment in versions:
            versions[entry.environment] = entry.version
        else:
            rank = ENVIRONMENTS.index(entry.environment)
            later = [i for i, env in enumerate(versions) if env in ENVIRONMENTS[rank + 1 :]]
            versions.insert(later[0] if later else len(versions), entry.environment, entry.version)
        versions.fa.set_block_style()  # `versions: {}` must not become a one-line flow map
        governance = self._section("governance", create=True)
        history = governance.get("history")
        if history is None:
            history = governance["history"] = CommentedSeq()
        record = CommentedMap(
            environment=entry.environment,
            version=entry.version,
            action=entry.action,
            by=entry.by,
            reason=entry.reason,
            at=DoubleQuotedScalarString(entry.at),
        )
        if entry.id:
            record["id"] = entry.id
        history.append(record)

    def render(self) -> str:
        """The file's text as it would be written now."""
        stream = io.StringIO()
        _yaml().dump(self._document, stream)
        return stream.getvalue()

    @contextmanager
    def stage(self) -> Iterator["StagedWrite"]:
        """Write the edited text to a temporary file beside the catalog file.

        Inside the block, call `commit()` on the staged write to put it in place; leaving the
        block without committing (or on an error) removes the temporary file, so the catalog
        file is never touched. The caller holds the model's lock, so temporary files of this
        catalog file left by a run that died are removed first.

        Raises:
            DeliveryError: (UNAVAILABLE) the temporary file cannot be written.
        """
        text = self.render().encode("utf-8")
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            _remove(leftover)
        temp: Path | None = None
        try:
            handle, temp_name = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
            )
            temp = Path(temp_name)
            try:
                write_all(handle, text)
                os.fsync(handle)
                os.fchmod(handle, stat.S_IMODE(self.path.stat().st_mode))
            finally:
                os.close(handle)
        except OSError as error:
            raise DeliveryError(
                f"{self.path}: cannot write beside it: {error}; nothing changed{_remove(temp)}",
                Problem.UNAVAILABLE,
            ) from error
        try:
            yield StagedWrite(self.path, temp, self._original)
        except DeliveryError as error:
            left = _remove(temp)
            if left:
                raise DeliveryError(f"{error.message}{left}", error.problem) from error
            raise
        finally:
            _remove(temp)


def _remove(temp: Path | None) -> str:
    """Delete a temporary file; never raises. Returns "" or a note that it is left behind."""
    if temp is None:
        return ""
    try:
        temp.unlink(missing_ok=True)
    except OSError as error:
        return f"; the temporary file {temp} is left behind ({error.strerror}): delete it"
    return ""


@dataclass(frozen=True)
class StagedWrite:
    """A catalog file's new text, written to a temporary file and ready to replace it."""

    path: Path
    temp: Path
    original: bytes

    def commit(self) -> None:
        """Atomically replace the catalog file with the staged text.

        Raises:
            DeliveryError: (UNAVAILABLE) the file changed on disk since it was read, or the
                replace failed; the catalog file is then unchanged.
        """
        try:
            if self.path.read_bytes() != self.original:
                raise DeliveryError(
                    f"{self.path} changed on disk while this ran; it was not written: "
                    "review the change and run again",
                    Problem.UNAVAILABLE,
                )
            os.replace(self.temp, self.path)
        except OSError as error:
            raise DeliveryError(
                f"{self.path}: could not be written: {error}; it is unchanged", Problem.UNAVAILABLE
            ) from error
