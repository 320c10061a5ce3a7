"""AWS facts read from the service models and partition data botocore ships.

The configuration edge and the deploy check both ask here for regions, instance types per use and
name limits, so a limit is never typed by hand and never drifts from what the API accepts. Only the
service models a caller asks for are loaded, each once per process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import botocore
import botocore.session
from botocore.model import ServiceModel, Shape

#: What an instance runs, and the SageMaker enum shape that lists the instance types for it.
#: Characters Pulumi appends to a logical name when it auto-names a resource: "-" and 7 hex digits
#: (https://www.pulumi.com/docs/iac/concepts/resources/names/#autonaming).
AUTO_NAME_SUFFIX = 8

InstanceUse = Literal["endpoint", "training", "processing", "transform", "studio"]
_INSTANCE_SHAPES: dict[str, str] = {
    "endpoint": "ProductionVariantInstanceType",
    "training": "TrainingInstanceType",
    "processing": "ProcessingInstanceType",
    "transform": "TransformInstanceType",
    "studio": "AppInstanceType",
}


@dataclass(frozen=True)
class NameLimit:
    """Length and pattern an API accepts for one name shape.

    Attributes:
        service: botocore service name (``sagemaker``, ``events``, ``iam``...).
        shape: Shape name in that service's model (``EntityName``, ``RuleName``...).
        min_length: Shortest accepted value.
        max_length: Longest accepted value, or None when the model sets no maximum.
        pattern: The model's regular expression (matched against the whole value), or None.
    """

    service: str
    shape: str
    min_length: int
    max_length: int | None
    pattern: str | None

    def problem(self, value: str) -> str | None:
        """Why ``value`` is not accepted, or None when it is."""
        if len(value) < self.min_length:
            return f"{value!r} is shorter than {self.min_length} characters ({self.service} {self.shape})"
        if self.max_length is not None and len(value) > self.max_length:
            return f"{value!r} has {len(value)} characters; {self.service} {self.shape} allows at most {self.max_length}"
        regex = compiled_pattern(self.pattern) if self.pattern else None
        if regex is not None and not regex.fullmatch(value):
            return f"{value!r} does not match {self.service} {self.shape} pattern {self.pattern}"
        return None


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str) -> ServiceModel:
    """The botocore model of ``service`` (loaded once per process)."""
    return _session().get_service_model(service)


@cache
def compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` compiled for Python, or None when it uses syntax Python's ``re`` lacks
    (e.g. Java's ``\\p{...}`` classes); such patterns are not checked rather than guessed."""
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def shape(service: str, shape_name: str) -> Shape:
    """One shape of a service model."""
    return service_model(service).shape_for(shape_name)


def name_limit(service: str, shape_name: str) -> NameLimit:
    """The length and pattern limits of a string shape, e.g. ``name_limit("events", "RuleName")``."""
    meta = shape(service, shape_name).metadata
    return NameLimit(service, shape_name, int(meta.get("min", 0)), meta.get("max"), meta.get("pattern"))


@cache
def instance_types(use: InstanceUse) -> frozenset[str]:
    """Instance types SageMaker accepts for ``use`` (endpoint, training, processing, transform, studio)."""
    return frozenset(shape("sagemaker", _INSTANCE_SHAPES[use]).enum)


@cache
def _partitions() -> dict[str, dict]:
    data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())
    return {p["id"]: p for p in data["partitions"]}


def partitions() -> tuple[str, ...]:
    """Partition ids (``aws``, ``aws-cn``, ``aws-us-gov``...), sorted."""
    return tuple(sorted(_partitions()))


@cache
def regions(partition: str = "aws") -> frozenset[str]:
    """Regions botocore knows in ``partition`` (excluding the pseudo-region ``aws-global``)."""
    return frozenset(r for r in _partitions()[partition]["regions"] if not r.endswith("-global"))


def partition_of_region(region: str) -> str | None:
    """The partition a region belongs to, or None for an unknown region."""
    for pid, data in sorted(_partitions().items()):
        if region in data["regions"]:
            return pid
    for pid, data in sorted(_partitions().items()):
        if re.match(data["regionRegex"], region):
            return pid
    return None


def dns_suffix(partition: str = "aws") -> str:
    """The partition's DNS suffix (``amazonaws.com`` for ``aws``), used in service principals."""
    return _partitions()[partition]["outputs"]["dnsSuffix"]
