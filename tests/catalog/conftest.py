"""Session fixtures: the catalog variants and their plans, each planned once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from catalog_plans import Plan, Variants


@pytest.fixture(scope="session")
def variants(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Variants]:
    """The session's variants and plan cache."""
    yield Variants(example=project_dir, root=tmp_path_factory.mktemp("catalog-variants"))


@pytest.fixture(scope="session")
def plan_of(variants: Variants) -> Callable[..., Plan]:
    """``plan_of(stack, variant="example")``: a cached plan."""

    def plan(stack: str, variant: str = "example") -> Plan:
        return variants.plan(variant, stack)

    return plan
