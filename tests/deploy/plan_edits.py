"""Edits of planned resources for the failing case of each deploy rule."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any


def mutated(resources: tuple[dict[str, Any], ...], name: str, change: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    """A deep copy of ``resources`` with ``change`` applied to the inputs of the AWS resource named ``name``."""
    out = copy.deepcopy(list(resources))
    target = [r for r in out if r["name"] == name and r["type"].startswith("aws:")]
    assert len(target) == 1, f"expected one resource {name}"
    change(target[0]["inputs"])
    return out
