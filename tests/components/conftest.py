"""Render one component alone under the offline engine's mocks and look at what it registered.

In the style of Pulumi's ``testing-unit-py`` example: each test builds a single component from
hand-made args (no stack settings, no foundation) and asserts the properties a user relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from rendering import ACCOUNT, REGION, Rendered

from mlops.plan.engine import run_program

Render = Callable[..., Rendered]


@pytest.fixture(scope="session")
def render() -> Render:
    """``render(factory)`` runs ``factory()`` (which builds one component and returns it) under the
    mock engine and returns the registrations; ``account_id``/``region``/``stack`` override the defaults."""

    def _render(factory: Callable[[], pulumi.ComponentResource], *, stack: str = "dev", account_id: str = ACCOUNT, region: str = REGION) -> Rendered:
        built: list[Any] = []

        def program() -> None:
            built.append(factory())

        registrations, _ = run_program(program, stack=stack, account_id=account_id, region=region)
        return Rendered(component=built[0], registrations=registrations)

    return _render
