"""Turning pydantic validation errors into ``ConfigError``s: every problem of a file, one line each.

Every model field carries its "allowed" text in ``Field(description=...)``. Each problem names
the line of its key when the data came from ``read_mapping`` (which remembers lines), echoes
values only as a short prefix, and suggests the closest key or value for a misspelling: an
unknown key next to a missing required key of the same mapping is reported once, as the
misspelling it most likely is.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections import defaultdict
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from infra.config.errors import ConfigError, Problem
from infra.config.yamlfile import YamlList, YamlMapping, describe, key_path, short

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


_WRAPPERS = {"function-after", "function-before", "function-wrap", "function-plain", "[key]"}


def _clean(loc: tuple) -> tuple:
    """``loc`` without pydantic's validator and dict-key markers."""
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _WRAPPERS or p.startswith("function-"))))


def _split_key(key: str) -> tuple:
    """A ``KeyedError`` key such as ``pilotUsers[0]`` or ``overrides.prod.maxInstances`` as loc parts."""
    parts: list[Any] = []
    for part in key.split("."):
        name, *indexes = re.split(r"\[(\d+)\]", part)
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indexes if i)
    return tuple(parts)


def line_at(data: Any, loc: tuple) -> int | None:
    """The line of the deepest key along ``loc`` that ``data`` knows (None for plain data)."""
    node, line = data, getattr(data, "line", None)
    for part in loc:
        if isinstance(node, YamlMapping) and isinstance(part, str) and part in node.key_lines:
            line = node.key_lines[part]
        elif isinstance(node, YamlList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
        elif isinstance(node, dict) and part in node and isinstance(node[part], (YamlMapping, YamlList)):
            line = node[part].line  # a plain copy of a read mapping: its values still know their lines
        else:
            break
        node = node[part]
    return line


def _suggest(value: Any, options: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest option to ``value``, or nothing."""
    if not isinstance(value, str) or not options:
        return ""
    lowered = {o.lower(): o for o in options}
    match = difflib.get_close_matches(value[:100].lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""


def _expected(error: dict) -> list[str]:
    """The options of a Literal/enum error, from pydantic's ``'a', 'b' or 'c'``."""
    return re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))


def _message(error: dict, model: type[BaseModel], loc: tuple) -> tuple[str, str | None]:
    kind = error["type"]
    owner, info = _field_at(model, loc)
    allowed = info.description if info is not None else None
    value = error.get("input")
    if kind == "missing":
        return "required key is missing", allowed
    if kind == "extra_forbidden":
        keys = sorted((f.alias or n) for n, f in owner.model_fields.items()) if owner else []
        return f"unknown key {short(loc[-1])}{_suggest(loc[-1], keys)}", ", ".join(keys) or None
    if kind in _KINDS:
        return f"expected {_KINDS[kind]}, got {describe(value)}", allowed
    if kind in {"literal_error", "enum"}:
        options = _expected(error)
        return f"{short(value)} is not allowed{_suggest(value, options)}", allowed or ", ".join(options) or None
    if kind == "finite_number":
        return f"expected a finite number, got {short(value)}", allowed
    if kind == "string_pattern_mismatch":
        return f"{short(value)} has the wrong format", allowed
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        text = error["msg"].replace("Input should be", "must be")
        return f"{text}, got {short(value)}", allowed
    if kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
        return error["msg"].replace("Value should", "must").replace("String should", "must"), allowed
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"])), allowed
    return error["msg"], allowed


def _paired(errors: list[dict]) -> tuple[dict[int, str], set[int]]:
    """Misspellings: for each unknown key, the missing required key of the same mapping it most
    resembles. Returns {index of the unknown-key error: the key meant} and the indexes of the
    missing-key errors that pairing explains."""
    missing: dict[tuple, dict[str, int]] = defaultdict(dict)
    for index, error in enumerate(errors):
        loc = _clean(tuple(error["loc"]))
        if error["type"] == "missing" and loc and isinstance(loc[-1], str):
            missing[loc[:-1]][loc[-1]] = index
    meant: dict[int, str] = {}
    explained: set[int] = set()
    for index, error in enumerate(errors):
        loc = _clean(tuple(error["loc"]))
        if error["type"] != "extra_forbidden" or not loc or not isinstance(loc[-1], str):
            continue
        candidates = {k: i for k, i in missing[loc[:-1]].items() if i not in explained}
        lowered = {k.lower(): k for k in candidates}
        match = difflib.get_close_matches(loc[-1][:100].lower(), list(lowered), n=1, cutoff=0.6)
        if match:
            meant[index] = lowered[match[0]]
            explained.add(candidates[lowered[match[0]]])
    return meant, explained


def problems_of(exc: ValidationError, model: type[BaseModel], data: Any, file: str, prefix: str = "") -> list[Problem]:
    """Every error of ``exc`` as a ``Problem``, misspelt keys paired with the keys they stand for."""
    errors = exc.errors(include_url=False)
    meant, explained = _paired(errors)
    base = _split_key(prefix) if prefix else ()
    problems = []
    for index, error in enumerate(errors):
        if index in explained:
            continue
        loc = _clean(tuple(error["loc"]))
        keyed = error.get("ctx", {}).get("error")
        if isinstance(keyed, KeyedError):
            loc = loc + _split_key(keyed.key)
            problem, allowed = keyed.problem, keyed.allowed
        elif index in meant:
            _, info = _field_at(model, loc[:-1] + (meant[index],))
            problem = f"unknown key {short(loc[-1])} (did you mean {meant[index]!r}?)"
            allowed = info.description if info is not None and info.description else meant[index]
        else:
            problem, allowed = _message(error, model, loc)
        problems.append(Problem(file, line_at(data, loc), key_path(base + loc), problem, allowed))
    return problems


def validate(model: type[M], data: Any, file: str, prefix: str = "") -> M:
    """Validate ``data`` as ``model``; every problem is reported at once in one ``ConfigError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.of(problems_of(exc, model, data, file, prefix)) from None


def fail(file: str, key: str, problem: str, allowed: str | None = None) -> typing.NoReturn:
    """Raise a ``ConfigError`` (for cross-field and cross-file checks after validation)."""
    raise ConfigError(file, key, problem, allowed)
