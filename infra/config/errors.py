"""The one error type of the configuration edge and its one-line-per-problem rendering."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Longest rendered part (file, key path, problem, allowed); longer text is elided in the middle
#: so a huge echoed value never floods a terminal and the explanation at the end survives.
MAX_PART = 240

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str, limit: int = MAX_PART) -> str:
    """``text`` with control characters escaped and, past ``limit`` characters, its middle elided."""
    text = _CONTROL.sub(lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(m[0], f"\\x{ord(m[0]):02x}"), text)
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head - 1
    return f"{text[:head]}…{text[-tail:]}"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem of one file: where it is (file, line, key path), what is wrong, what is allowed."""

    file: str
    line_number: int | None
    key: str
    problem: str
    allowed: str | None = None

    def render(self) -> str:
        """``<file>:<line>: <key.path>: <problem> (allowed: ...)``; ``:<line>`` only when known."""
        where = one_line(self.file) + (f":{self.line_number}" if self.line_number else "")
        text = f"{where}: {one_line(self.key or '(root)')}: {one_line(self.problem)}"
        if self.allowed:
            text += f" (allowed: {one_line(self.allowed)})"
        return text


class ConfigError(Exception):
    """Invalid configuration: every problem found, each naming file, line, key path, what is
    wrong and what is allowed.

    Each problem renders as one line, ``<file>:<line>: <key.path>: <problem> (allowed: ...)``;
    the CLI prints them all and exits 2, the Pulumi program raises them as a ``RunError``.
    ``file``, ``key``, ``problem`` and ``allowed`` are those of the first problem.
    """

    def __init__(self, file: str, key: str, problem: str, allowed: str | None = None, *, line: int | None = None):
        self.problems: tuple[Problem, ...] = (Problem(file, line, key or "(root)", problem, allowed),)
        super().__init__(self.line())

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> ConfigError:
        """One error holding ``problems`` (at least one), sorted by file, line and key."""
        ordered = tuple(sorted(set(problems), key=lambda p: (p.file, p.line_number or 0, p.key, p.problem, p.allowed or "")))
        if not ordered:
            raise ValueError("a ConfigError needs at least one problem")
        error = cls.__new__(cls)
        error.problems = ordered
        Exception.__init__(error, error.line())
        return error

    @property
    def file(self) -> str:
        """The file of the first problem."""
        return self.problems[0].file

    @property
    def key(self) -> str:
        """The key path of the first problem."""
        return self.problems[0].key

    @property
    def problem(self) -> str:
        """What is wrong, for the first problem."""
        return self.problems[0].problem

    @property
    def allowed(self) -> str | None:
        """What is allowed, for the first problem."""
        return self.problems[0].allowed

    def line(self) -> str:
        """The first problem as one line (callers that show a single reason)."""
        return self.problems[0].render()

    def lines(self) -> list[str]:
        """Every problem, one line each, in file and line order."""
        return [p.render() for p in self.problems]

    def __str__(self) -> str:
        return "\n".join(self.lines())
