"""What every ``mlops`` command shares: one project finder, one exit-code table, one-line errors,
the common options and atomic writes.

Exit codes (every subcommand):
    0  done
    1  findings or a failed operation: mandatory policy violations or deploy errors, a refused
       promotion, an unreachable registry, a failed Pulumi operation
    2  invalid input: configuration, options, names (one line per problem, nothing written)
    3  a tool is missing: the Pulumi CLI for the commands that need it
"""

from __future__ import annotations

import os
import tempfile
from enum import IntEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from infra.config import ConfigError, find_project_dir
from mlops.cli.progress import STATUS

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


class ExitCode(IntEnum):
    """The exit codes of every ``mlops`` command."""

    OK = 0
    FAILED = 1
    INVALID = 2
    MISSING_TOOL = 3


EXIT_CODES_HELP = "Exit codes: 0 done, 1 findings or operation failed, 2 invalid input, 3 tool missing."

ProjectDir = Annotated[
    Path | None,
    typer.Option("--project-dir", help="Project folder (default: the nearest folder upwards holding Pulumi.yaml)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")]
StackOption = Annotated[
    str | None, typer.Option("--stack", "-s", help="Stack: dev, test, prod or dev-<owner>[-<slug>].")
]


def project_dir(option: Path | None) -> Path:
    """The project folder: the option, else the nearest folder upwards holding Pulumi.yaml."""
    try:
        return find_project_dir(option or Path.cwd())
    except ConfigError as error:
        fail_config(error)


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` as red lines on stderr (verbatim: no markup) and exit with ``code``."""
    STATUS.stop()
    errors.print(Text(message, style="red"), soft_wrap=True)
    raise typer.Exit(code)


#: The stacks a command that plans takes, for its usage message.
PLANNED_STACKS = "dev, test, prod, dev-<owner>[-<slug>], <environment>.<team>"


def one_stack(stack: str | None, stack_option: str | None, allowed: str = PLANNED_STACKS) -> str:
    """The stack named as the STACK argument or ``-s/--stack`` (exactly one of them), else exit 2."""
    if (stack is None) == (stack_option is None):
        fail(f"stack: name one stack, as STACK or -s/--stack (allowed: {allowed})", ExitCode.INVALID)
    return stack or stack_option  # type: ignore[return-value]


def fail_config(error: ConfigError) -> NoReturn:
    """Print every problem of a configuration error, one line each, and exit 2."""
    fail(str(error), ExitCode.INVALID)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written.

    A target that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe) is
    written in place: renaming over it would replace the device with a file.
    """
    path = path.resolve()
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text)
        return
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
