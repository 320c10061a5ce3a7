"""The configuration edge: stack files, the model catalog and the migration plan, validated once."""

from infra.config.errors import ConfigError
from infra.config.loader import Settings, find_project_dir, load_settings, stack_names

__all__ = ["ConfigError", "Settings", "find_project_dir", "load_settings", "stack_names"]
