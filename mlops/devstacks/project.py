"""The project on disk as personal dev stacks read it: `Pulumi.yaml`, the shared dev settings they
copy, and the model catalog they choose from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError

from infra.config.rules import (
    is_model_name,
)
from mlops.devstacks.names import DevStackError


class _ConfigConstructor(SafeConstructor):
    """Safe YAML construction that keeps timestamps as the strings Pulumi sees."""


_ConfigConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _config_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _ConfigConstructor
    return yaml


@dataclass(frozen=True)
class ProjectLayout:
    """Where the project keeps stack settings and the model catalog.

    Attributes:
        root: The folder holding `Pulumi.yaml`.
        stack_config_dir: `stackConfigDir` from `Pulumi.yaml` (the root if unset).
    """

    root: Path
    stack_config_dir: Path

    @classmethod
    def at(cls, root: Path) -> ProjectLayout:
        """Read `Pulumi.yaml` at `root`.

        Raises:
            DevStackError: `Pulumi.yaml` is missing or unreadable.
        """
        project = _load_yaml_file(root, root / "Pulumi.yaml")
        if not isinstance(project, dict):
            raise DevStackError("Pulumi.yaml: expected a mapping with name, runtime and main")
        return cls(root=root, stack_config_dir=root / str(project.get("stackConfigDir") or "."))

    @property
    def dev_settings_file(self) -> Path:
        """The shared dev stack's settings, which personal stacks copy."""
        return self.stack_config_dir / "Pulumi.dev.yaml"

    @property
    def models_dir(self) -> Path:
        """The model catalog: one `<name>.yaml` per model."""
        return self.stack_config_dir / "models"

    def relative(self, path: Path) -> str:
        """`path` as the project names it, e.g. `stacks/Pulumi.dev.yaml`."""
        return path.relative_to(self.root).as_posix()


def _load_yaml_file(root: Path, path: Path) -> Any:
    shown = path.relative_to(root).as_posix()
    try:
        return _config_yaml().load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DevStackError(f"{shown}: not found") from None
    except (OSError, YAMLError) as error:
        reason = " ".join(str(error).split())
        raise DevStackError(f"{shown}: cannot read it: {reason}") from None


@dataclass(frozen=True)
class DevSettings:
    """The shared dev stack's config, as personal stacks copy it.

    Attributes:
        config: Every copyable key of `stacks/Pulumi.dev.yaml`'s `config:` map.
        secret_keys: Keys left out because they are encrypted for the dev stack only.
        imports_environments: Whether the dev settings import Pulumi ESC environments.
    """

    config: Mapping[str, Any]
    secret_keys: tuple[str, ...]
    imports_environments: bool


def load_dev_settings(layout: ProjectLayout) -> DevSettings:
    """Read the shared dev stack's settings file.

    Raises:
        DevStackError: the file is missing, unreadable or has no `config:` map.
    """
    shown = layout.relative(layout.dev_settings_file)
    settings = _load_yaml_file(layout.root, layout.dev_settings_file)
    config = settings.get("config") if isinstance(settings, dict) else None
    if not isinstance(config, dict):
        raise DevStackError(f"{shown}: config: expected a map of stack settings (e.g. aws:region)")
    secret_keys = tuple(key for key, value in config.items() if _holds_secret(value))
    return DevSettings(
        config={key: value for key, value in config.items() if key not in secret_keys},
        secret_keys=secret_keys,
        imports_environments=bool(settings.get("environment")),
    )


def _holds_secret(value: Any) -> bool:
    """Whether a config value is, or contains, a `secure:` ciphertext."""
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def check_models(layout: ProjectLayout, models: Sequence[str]) -> tuple[str, ...]:
    """The requested models, de-duplicated in order, each checked against the catalog.

    Raises:
        DevStackError: a name is malformed or has no `stacks/models/<name>.yaml`.
    """
    known = sorted(path.stem for path in layout.models_dir.glob("*.yaml")) if layout.models_dir.is_dir() else []
    checked: list[str] = []
    for model in models:
        if not is_model_name(model) or model not in known:
            listing = ", ".join(known) or "none"
            raise DevStackError(
                f"unknown model {model!r}: no {layout.relative(layout.models_dir)}/{model}.yaml (known: {listing})"
            )
        if model not in checked:
            checked.append(model)
    return tuple(checked)

