"""A live status line on stderr while a plan runs, for people at a terminal.

Only when stderr is a terminal (and ``TERM`` is not ``dumb``): off a tty, in CI logs and in tests
nothing is written, and stdout never carries any of it. The line is redrawn by a daemon thread
every 0.1 s, so it moves while the main thread builds pipeline definitions, and it is erased when
the command finishes. This module imports only the standard library: ``mlops.cli`` starts the
line before it imports the platform code, which takes seconds.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_INTERVAL = 0.1

#: The subcommands that plan stacks, and so show a status line.
PLANNING_COMMANDS = frozenset({"plan", "cost", "diagram"})


def _interactive(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):
        return False


class Status:
    """One status line: ``start`` it, ``update`` its text, ``stop`` it (idempotent)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._text = ""
        self._since = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        """Whether the line is being drawn."""
        return self._thread is not None

    def start(self, text: str) -> None:
        """Draw ``text`` now and keep it moving, if stderr is a terminal."""
        stream = self._stream or sys.stderr
        if self.active or not _interactive(stream):
            return
        self._stream = stream
        self._text, self._since = text, time.monotonic()
        self._stop.clear()
        self._draw(0)
        self._thread = threading.Thread(target=self._run, name="mlops-status", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def update(self, text: str) -> None:
        """Show ``text`` from the next frame on (nothing happens when the line is off)."""
        with self._lock:
            self._text = text

    def __call__(self, text: str) -> None:
        self.update(text)

    def stop(self) -> None:
        """Erase the line and stop drawing."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        with self._lock:
            self._write("\r\x1b[2K")

    def _run(self) -> None:
        frame = 1
        while not self._stop.wait(_INTERVAL):
            self._draw(frame)
            frame += 1

    def _draw(self, frame: int) -> None:
        with self._lock:
            elapsed = time.monotonic() - self._since
            self._write(f"\r\x1b[2K{_FRAMES[frame % len(_FRAMES)]} {self._text} ({elapsed:.0f} s)")

    def _write(self, text: str) -> None:
        try:
            assert self._stream is not None
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            pass


#: The status line of this process.
STATUS = Status()


def start_for(argv: list[str]) -> None:
    """Start the status line when ``argv`` runs a planning subcommand (before the heavy imports)."""
    if not argv or Path(argv[0]).name != "mlops":
        return
    command = next((a for a in argv[1:] if not a.startswith("-")), None)
    if command in PLANNING_COMMANDS and not any(a in ("--help", "-h") for a in argv[1:]):
        STATUS.start("loading the platform code")
