"""Turning pydantic validation errors into one-line ``ConfigError``s.

Every model field carries its "allowed" text in ``Field(description=...)``; the first error
(pydantic reports them in field order, so the choice is deterministic) becomes the message.
"""

from __future__ import annotations

import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from infra.config.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

_KINDS = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "date_type": "a date (YYYY-MM-DD, unquoted)",
}


class KeyedError(ValueError):
    """A cross-field rule broken inside a model validator, naming the key it concerns.

    ``key`` is relative to the model being validated (joined to the caller's prefix).
    """

    def __init__(self, key: str, problem: str, allowed: str | None = None):
        super().__init__(problem)
        self.key, self.problem, self.allowed = key, problem, allowed


class ConfigModel(BaseModel):
    """Base of every configuration model: camelCase keys, strict types, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        populate_by_name=True,
        alias_generator=to_camel,
        # NaN and infinity are never meaningful settings (and NaN defeats every range check).
        allow_inf_nan=False,
    )


def _describe(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping"}.get(
        type(value), type(value).__name__
    )
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}" if not isinstance(value, (list, dict)) else kind


def _unwrap(annotation: Any) -> Any:
    """The model class inside Optional[...], list[...], tuple[...], dict[str, ...] if any."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    for arg in reversed(typing.get_args(annotation)):
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _is_mapping(annotation: Any) -> bool:
    """Whether ``annotation`` is ``dict[...]`` (possibly inside Optional)."""
    origin = typing.get_origin(annotation)
    if origin is dict:
        return True
    return origin is not None and any(_is_mapping(arg) for arg in typing.get_args(annotation))


def _field_at(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel] | None, Any]:
    """Walk ``loc`` through the model tree; return (model owning the last key, its FieldInfo)."""
    current: Any = model
    owner, info = None, None
    mapping_key = False
    for part in loc:
        if mapping_key:
            # The previous field is a mapping (e.g. overrides): this part is one of its keys.
            mapping_key = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        if not isinstance(part, str):
            continue
        match = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part or name == part), None
        )
        if match is None:
            owner, info = current, None
            break
        owner, info = current, match
        mapping_key = _is_mapping(match.annotation)
        current = _unwrap(match.annotation)
    return owner, info


def _key_path(loc: tuple, prefix: str) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"function-after", "function-before", "function-wrap", "function-plain", "[key]"}:
            continue
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _message(error: dict, model: type[BaseModel]) -> tuple[str, str | None]:
    kind = error["type"]
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    owner, info = _field_at(model, loc)
    allowed = info.description if info is not None else None
    value = error.get("input")
    if kind == "missing":
        return "required key is missing", allowed
    if kind == "extra_forbidden":
        keys = sorted((f.alias or n) for n, f in owner.model_fields.items()) if owner else []
        return "unknown key", ", ".join(keys) or None
    if kind in _KINDS:
        return f"expected {_KINDS[kind]}, got {_describe(value)}", allowed
    if kind in {"literal_error", "enum"}:
        expected = error.get("ctx", {}).get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"{value!r} is not allowed", allowed or expected or None
    if kind == "finite_number":
        return f"expected a finite number, got {value!r}", allowed
    if kind == "string_pattern_mismatch":
        return f"{value!r} has the wrong format", allowed
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        text = error["msg"].replace("Input should be", "must be")
        return f"{text}, got {value!r}", allowed
    if kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
        return error["msg"].replace("Value should", "must").replace("String should", "must"), allowed
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"])), allowed
    return error["msg"], allowed


def validate(model: type[M], data: Any, file: str, prefix: str = "") -> M:
    """Validate ``data`` as ``model``; the first problem raises a one-line ``ConfigError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        keyed = error.get("ctx", {}).get("error")
        if isinstance(keyed, KeyedError):
            loc = tuple(error["loc"]) + tuple(keyed.key.split("."))
            raise ConfigError(file, _key_path(loc, prefix), keyed.problem, keyed.allowed) from None
        problem, allowed = _message(error, model)
        raise ConfigError(file, _key_path(tuple(error["loc"]), prefix), problem, allowed) from None


def fail(file: str, key: str, problem: str, allowed: str | None = None) -> typing.NoReturn:
    """Raise a ``ConfigError`` (for cross-field and cross-file checks after validation)."""
    raise ConfigError(file, key, problem, allowed)
