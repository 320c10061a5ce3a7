"""Fixtures for personal dev stacks: an in-memory StackBackend and a small project on disk."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlops.cli import dev as devstacks_cli
from mlops.devstacks.automation import (
    BackendError,
    OutputSink,
    StackNotFoundError,
    StackSummary,
)

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)

PULUMI_YAML = """\
name: mlops
runtime:
  name: python
  options:
    toolchain: uv
main: infra/
stackConfigDir: stacks
"""

DEV_SETTINGS_YAML = """\
secretsprovider: passphrase
encryptionsalt: v1:abc
config:
  aws:region: eu-west-1
  mlops:environment: dev
  mlops:forceDestroy: true
  mlops:launchDate: 2026-01-15
  mlops:budget:
    monthlyUsd: 500
    alertEmails:
      - platform@example.com
"""

DEV_CONFIG = {
    "aws:region": "eu-west-1",
    "mlops:environment": "dev",
    "mlops:forceDestroy": True,
    "mlops:launchDate": "2026-01-15",
    "mlops:budget": {"monthlyUsd": 500, "alertEmails": ["platform@example.com"]},
}


@dataclass
class FakeStack:
    """One stack in the fake backend."""

    config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    resource_count: int = 0
    last_update: datetime | None = None
    outputs: dict[str, Any] = field(default_factory=dict)


class FakeBackend:
    """In-memory StackBackend with Pulumi's semantics: config and tags are upserted, destroy removes."""

    def __init__(self) -> None:
        self.stacks: dict[str, FakeStack] = {}
        self.calls: list[tuple[str, str]] = []
        self.failing: set[tuple[str, str]] = set()

    def add(self, name: str, tags: Mapping[str, str] | None = None, resource_count: int = 0) -> None:
        """Put a stack in the backend as if someone had created it earlier."""
        self.stacks[name] = FakeStack(tags=dict(tags or {}), resource_count=resource_count)

    def fail(self, operation: str, name: str) -> None:
        """Make `operation` ('up', 'destroy', 'list') on `name` raise a BackendError."""
        self.failing.add((operation, name))

    def _check(self, operation: str, name: str) -> None:
        self.calls.append((operation, name))
        if (operation, name) in self.failing:
            raise BackendError(f"{name}: pulumi {operation} failed: error: simulated failure")

    def _stack(self, name: str) -> FakeStack:
        if name not in self.stacks:
            raise StackNotFoundError(f"{name}: no such stack in the fake backend")
        return self.stacks[name]

    def create_or_select(self, name: str, config: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
        self._check("create_or_select", name)
        created = name not in self.stacks
        stack = self.stacks.setdefault(name, FakeStack())
        stack.config.update(copy.deepcopy(dict(config)))
        stack.tags.update(tags)
        return created

    def up(self, name: str, on_output: OutputSink | None = None) -> Mapping[str, int]:
        self._check("up", name)
        stack = self._stack(name)
        if on_output:
            on_output(f"Updating ({name}):")
        stack.resource_count = 7
        stack.last_update = NOW
        return {"create": 7}

    def destroy(self, name: str, *, remove: bool = True, on_output: OutputSink | None = None) -> Mapping[str, int]:
        self._check("destroy", name)
        deleted = self._stack(name).resource_count
        if remove:
            del self.stacks[name]
        return {"delete": deleted}

    def list_stacks(self) -> list[StackSummary]:
        self._check("list", "(all stacks)")
        return [
            StackSummary(name=name, tags=dict(stack.tags), last_update=stack.last_update, resource_count=stack.resource_count)
            for name, stack in self.stacks.items()
        ]

    def get_tags(self, name: str) -> Mapping[str, str]:
        self._check("get_tags", name)
        return dict(self._stack(name).tags)

    def outputs(self, name: str) -> Mapping[str, Any]:
        self._check("outputs", name)
        return copy.deepcopy(self._stack(name).outputs)


@pytest.fixture
def backend() -> FakeBackend:
    """An empty fake backend."""
    return FakeBackend()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with Pulumi.yaml, the dev settings and two catalog models."""
    root = tmp_path / "project"
    (root / "stacks" / "models").mkdir(parents=True)
    (root / "infra").mkdir()
    (root / "Pulumi.yaml").write_text(PULUMI_YAML, encoding="utf-8")
    (root / "stacks" / "Pulumi.dev.yaml").write_text(DEV_SETTINGS_YAML, encoding="utf-8")
    for model in ("churn", "fraud"):
        (root / "stacks" / "models" / f"{model}.yaml").write_text(f"name: {model}\n", encoding="utf-8")
    return root


@dataclass
class CliHarness:
    """Runs `mlops dev ...` with the fake backend injected and the clock fixed at NOW."""

    backend: FakeBackend
    project: Path
    opened: list[Path]

    def run(self, *args: str, input: str | None = None):
        """Invoke the dev sub-app with `args`; returns click's Result (exit_code, stdout, stderr)."""
        return CliRunner().invoke(devstacks_cli.dev_app, list(args), input=input)


@pytest.fixture
def cli(backend: FakeBackend, project: Path, monkeypatch: pytest.MonkeyPatch) -> CliHarness:
    """The CLI inside `project`, with the fake backend behind the factory."""
    opened: list[Path] = []

    def factory(root: Path) -> FakeBackend:
        opened.append(root)
        return backend

    monkeypatch.setattr(devstacks_cli, "backend_factory", factory)
    monkeypatch.setattr(devstacks_cli, "clock", lambda: NOW)
    monkeypatch.chdir(project)
    return CliHarness(backend=backend, project=project, opened=opened)


@pytest.fixture
def no_pulumi_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH without any `pulumi` executable."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def now() -> datetime:
    """The fixed 'now' of every test (2026-11-22 09:00 UTC)."""
    return NOW


@pytest.fixture
def dev_config() -> dict[str, Any]:
    """The config map of the project's stacks/Pulumi.dev.yaml, as Pulumi sees it."""
    return copy.deepcopy(DEV_CONFIG)
