"""The configuration edge: stack files, the model catalog and the migration plan, validated once."""

from infra.config.errors import ConfigError
from infra.config.layout import find_project_dir, stack_names
from infra.config.loader import Settings, load_settings, team_stacks

__all__ = ["ConfigError", "Settings", "find_project_dir", "load_settings", "stack_names", "team_stacks"]
