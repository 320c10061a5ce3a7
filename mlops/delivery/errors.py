"""The one error type of the delivery workflow.

Every operation in `mlops.delivery` raises `DeliveryError` with a one-line message that says
what was wrong, where, and what to do. Its `problem` tells a caller (the CLI) which kind of
failure it was, so the exit code can follow without parsing messages.
"""

from enum import Enum


class Problem(Enum):
    """Why an operation stopped."""

    INVALID = "invalid"
    """Bad input or catalog: unknown model, group or version, malformed catalog file, bad option."""

    REFUSED = "refused"
    """A delivery rule said no: champion/challenger gate, approval status, promotion order."""

    UNAVAILABLE = "unavailable"
    """The registry, S3 or the file system failed: unreachable, throttled past retries, I/O."""


class DeliveryError(Exception):
    """A delivery operation could not be carried out; nothing was left half-done unless it says so.

    Args:
        message: For a person: what was wrong, where, and what to do. Whitespace runs (including
            newlines from service responses) are collapsed so it always prints as one line.
        problem: The kind of failure.
    """

    def __init__(self, message: str, problem: Problem) -> None:
        self.message = " ".join(message.split())
        self.problem = problem
        super().__init__(self.message)
