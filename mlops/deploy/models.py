"""Requests checked against the API models botocore ships: what the service itself would refuse.

``botocore.validate.ParamValidator`` checks required members, types and minimums; AWS also
enforces each shape's ``max``, ``pattern`` and ``enum``, which ParamValidator leaves out, so
they are checked here by walking the same shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.model import Shape
from botocore.validate import ParamValidator

from infra.config.aws_data import AUTO_NAME_SUFFIX, compiled_pattern, service_model
from mlops.deploy.findings import DeployFinding
from mlops.deploy.requests import ApiRequest, RuntimeValue

RULE = "api-model"
NAME_RULE = "api-name-after-auto-naming"


def _doc(request: ApiRequest) -> str:
    return f"botocore {request.service} model: {request.operation} input"


def _constraint_problems(value: Any, shape: Shape, path: str) -> Iterator[tuple[str, str]]:
    """(API path, problem) for every max/pattern/enum constraint ``value`` breaks."""
    if value is None or isinstance(value, RuntimeValue):
        return
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for member, item in value.items():
            if member in shape.members:
                yield from _constraint_problems(item, shape.members[member], f"{path}.{member}" if path else member)
        return
    if kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            yield path, f"{len(value)} items; {shape.name} allows at most {meta['max']}"
        for i, item in enumerate(value):
            yield from _constraint_problems(item, shape.member, f"{path}[{i}]")
        return
    if kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            yield path, f"{len(value)} entries; {shape.name} allows at most {meta['max']}"
        for key, item in value.items():
            yield from _constraint_problems(key, shape.key, f"{path}.{key}")
            yield from _constraint_problems(item, shape.value, f"{path}.{key}")
        return
    if kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            yield path, f"{len(value)} characters; {shape.name} allows at most {meta['max']}"
            return  # the pattern's repetition bound would only repeat the length problem
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            yield path, f"{value!r} is not one of the {len(enum)} values {shape.name} accepts"
        pattern = meta.get("pattern")
        regex = compiled_pattern(pattern) if pattern else None
        if regex is not None and not regex.fullmatch(value):
            yield path, f"{value[:80]!r} does not match {shape.name} pattern {pattern}"
        return
    if kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if "max" in meta and value > meta["max"]:
            yield path, f"{value} is above the maximum {meta['max']} of {shape.name}"


def _finding(request: ApiRequest, path: str, message: str) -> DeployFinding:
    auto = request.auto_name is not None and path == request.auto_name
    rule = NAME_RULE if auto else RULE
    if auto:
        message = (f"{message} (Pulumi auto-named it '<logical name>-<7 hex>', {AUTO_NAME_SUFFIX} characters more: "
                   "use a shorter logical name or set the name explicitly)")
    return DeployFinding(rule, "error", request.urn, request.field_of(path), f"{request.operation}: {message}", _doc(request))


def validate_request(request: ApiRequest) -> tuple[DeployFinding, ...]:
    """Findings for everything in ``request`` the operation's API model refuses."""
    input_shape = service_model(request.service).operation_model(request.operation).input_shape
    report = ParamValidator().validate(request.params, input_shape)
    findings = []
    # ValidationErrors keeps (reason, name, details) per error; the formatted line names the member.
    for error in report._errors:
        reason, name, details = error
        path = name.lstrip(".")
        if reason == "missing required field":
            path = f"{path}.{details['required_name']}" if path else details["required_name"]
        if any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in request.runtime_paths):
            continue
        findings.append(_finding(request, path, report._format_error(error)))
    for path, problem in _constraint_problems(request.params, input_shape, ""):
        findings.append(_finding(request, path, problem))
    return tuple(findings)
