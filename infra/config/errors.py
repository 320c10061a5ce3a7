"""The one error type of the configuration edge and its one-line rendering."""

from __future__ import annotations


class ConfigError(Exception):
    """Invalid configuration: names the file, the key path, what is wrong and what is allowed.

    Rendered as one line, ``<file>: <key.path>: <what is wrong> (allowed: ...)``; the CLI
    prints it and exits 2, the Pulumi program raises it as a ``RunError``.
    """

    def __init__(self, file: str, key: str, problem: str, allowed: str | None = None):
        self.file = file
        self.key = key or "(root)"
        self.problem = problem
        self.allowed = allowed
        super().__init__(self.line())

    def line(self) -> str:
        """The single line shown to the user."""
        text = f"{self.file}: {self.key}: {self.problem}"
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text
