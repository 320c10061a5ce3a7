"""What every ``mlops`` command shares: finding the project, one-line errors, atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from infra.config import ConfigError, find_project_dir

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

ProjectDirOption = typer.Option(None, "--project-dir", help="Project folder (default: nearest Pulumi.yaml upwards).")


def project_dir(option: Path | None) -> Path:
    """The project folder: the option, else the nearest folder upwards holding Pulumi.yaml."""
    try:
        return find_project_dir(option or Path.cwd())
    except ConfigError as error:
        fail(str(error), 2)


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` in red on stderr (verbatim: no markup; one line per problem) and exit with ``code``."""
    errors.print(Text(message, style="red"), soft_wrap=True)
    raise typer.Exit(code)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    path = path.resolve()
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
