"""A per-model lock so that promotions and rollbacks of one model run one after the other.

The lock is a file beside the catalog file (`.<model>.yaml.lock`), created with O_EXCL so only
one process can hold it; it names its holder (pid, host, start time, operation, a token). A
second promotion waits for it, then reads the catalog the first one wrote. A lock left by a
process that died on this host is taken over; one from another host is reported with its age
and never broken silently, because its holder may still be running.
"""

import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from mlops.delivery.errors import DeliveryError, Problem

DEFAULT_WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.05
# Tokens of the locks this process holds now: a lock file naming this process but none of
# these was left behind by a block that could not delete it, and is stale.
_HELD: set[str] = set()


@dataclass(frozen=True)
class LockHolder:
    """Who holds a model's lock, as written in the lock file."""

    pid: int
    host: str
    started: str
    operation: str
    token: str

    def describe(self) -> str:
        """`"promote churn to test (pid 123 on build-7 since 2026-11-20T09:30:00Z)"`."""
        return f"{self.operation} (pid {self.pid} on {self.host} since {self.started})"

    @property
    def dead(self) -> bool:
        """Whether the holder is a process on this host that no longer exists (or this process,
        which no longer holds it)."""
        if self.host != socket.gethostname():
            return False
        if self.pid == os.getpid():
            return self.token not in _HELD
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # alive, owned by someone else
        return False


def lock_path(catalog_path: Path) -> Path:
    """The lock file of a catalog file: `.<name>.yaml.lock` in the same folder."""
    return catalog_path.with_name(f".{catalog_path.name}.lock")


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd` (os.write may write fewer than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_holder(path: Path) -> LockHolder | None:
    """The lock file's holder; None when the file is gone or does not name one."""
    try:
        return LockHolder(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _create(path: Path, holder: LockHolder) -> bool:
    """Create the lock file naming `holder`; False when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        write_all(fd, json.dumps(asdict(holder), sort_keys=True).encode("utf-8"))
        os.fsync(fd)
    except OSError:
        os.close(fd)
        with suppress(OSError):  # the write error is the one to report
            path.unlink(missing_ok=True)  # a half-written lock would look like a foreign holder
        raise
    os.close(fd)
    return True


def _break_stale(path: Path, stale: LockHolder) -> None:
    """Remove a dead holder's lock, but only if the file still names that holder.

    Renaming first makes the removal atomic: if another process took the lock over in between,
    the renamed file is theirs and is put back.
    """
    aside = path.with_name(f"{path.name}.stale-{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if _read_holder(aside) == stale:
        aside.unlink(missing_ok=True)
        return
    with suppress(FileExistsError):  # a third process holds the lock by now: theirs wins
        os.link(aside, path)
    aside.unlink(missing_ok=True)


@contextmanager
def model_lock(
    catalog_path: Path, operation: str, *, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> Iterator[LockHolder]:
    """Hold the model's lock for the block, waiting up to `wait_seconds` for another holder.

    Raises:
        DeliveryError: (UNAVAILABLE) the lock is still held after the wait, or the lock file
            cannot be created (unwritable folder, full disk); nothing was changed.
    """
    path = lock_path(catalog_path)
    holder = LockHolder(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        operation=operation,
        token=secrets.token_hex(8),
    )
    deadline = time.monotonic() + wait_seconds
    _HELD.add(holder.token)  # before the file exists, so no other thread takes it for stale
    try:
        _acquire(path, holder, catalog_path, wait_seconds, deadline)
        yield holder
    finally:
        _HELD.discard(holder.token)
        if _read_holder(path) == holder:  # never remove a lock someone else took over
            with suppress(OSError):  # if left behind, it names a finished holder: taken over
                path.unlink(missing_ok=True)


def _acquire(
    path: Path, holder: LockHolder, catalog_path: Path, wait_seconds: float, deadline: float
) -> None:
    """Create the lock file, taking over a dead holder's, polling until `deadline`."""
    while True:
        try:
            if _create(path, holder):
                return
            current = _read_holder(path)
            if current is not None and current.dead:
                _break_stale(path, current)
                continue
        except OSError as error:
            raise DeliveryError(
                f"cannot create the lock file {path}: {error}; nothing changed",
                Problem.UNAVAILABLE,
            ) from error
        if time.monotonic() >= deadline:
            who = current.describe() if current else "an unknown holder"
            raise DeliveryError(
                f"{catalog_path.stem} is locked by {who} after waiting {wait_seconds:g}s; "
                f"retry when it is done, or delete {path} if no such operation is running",
                Problem.UNAVAILABLE,
            )
        time.sleep(_POLL_SECONDS)
