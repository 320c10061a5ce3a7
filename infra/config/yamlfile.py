"""Reading the YAML files of the configuration edge, with errors that name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from infra.config.errors import ConfigError

_YAML_HELP = "YAML with consistent indentation, closed quotes and each key once"


def read_mapping(path: Path, display: str) -> dict[str, Any]:
    """Parse ``path`` as a YAML mapping; any problem becomes a ``ConfigError`` naming ``display``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(display, "(file)", "file not found", f"{display} as in the example project") from None
    except OSError as exc:
        raise ConfigError(display, "(file)", f"cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            display, "(file)", f"not UTF-8 text (byte {exc.start})", "UTF-8 encoded YAML"
        ) from None
    if not text.strip():
        raise ConfigError(display, "(root)", "file is empty", "a YAML mapping")
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else "(root)"
        problem = (exc.problem or exc.context or "syntax error").strip()
        raise ConfigError(display, where, f"invalid YAML: {problem}", _YAML_HELP) from None
    except YAMLError as exc:
        raise ConfigError(display, "(root)", f"invalid YAML: {exc}", _YAML_HELP) from None
    if data is None:
        raise ConfigError(display, "(root)", "file holds no data", "a YAML mapping")
    if not isinstance(data, dict):
        raise ConfigError(display, "(root)", f"expected a mapping, got {type(data).__name__}", "a YAML mapping")
    return data
