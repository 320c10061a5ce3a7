"""Where the configuration lives in a project, and the one way to find the project."""

from __future__ import annotations

from pathlib import Path

from infra.config.errors import ConfigError

PROJECT_FILE = "Pulumi.yaml"
STACKS_DIR = "stacks"
MODELS_DIR = "stacks/models"
MIGRATION_FILE = "stacks/migration.yaml"


def find_project_dir(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``Pulumi.yaml``.

    Raises:
        ConfigError: when ``start`` is a file that is not ``Pulumi.yaml`` itself, or no folder has one.
    """
    start = start.resolve()
    if start.is_file():
        if start.name != PROJECT_FILE:
            raise ConfigError(str(start), "(project)", "is a file, not a project folder", f"the folder holding {PROJECT_FILE}")
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ConfigError(str(start), "(project)", f"no {PROJECT_FILE} here or in any parent folder", "run inside the project or pass --project-dir")


def model_file(name: str) -> str:
    """The catalog file of model ``name``, relative to the project."""
    return f"{MODELS_DIR}/{name}.yaml"


def stack_file(stack: str) -> str:
    """The settings file of ``stack``, relative to the project."""
    return f"{STACKS_DIR}/Pulumi.{stack}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """The stacks that have a settings file, sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (project_dir / STACKS_DIR).glob("Pulumi.*.yaml"))
