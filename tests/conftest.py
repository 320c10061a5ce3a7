"""Fixtures every test folder may use: the project under test and throwaway copies of its settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The real project folder (read only: tests never write into it)."""
    return PROJECT_DIR


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's ``Pulumi.yaml`` and ``stacks/`` in a temporary folder."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy2(PROJECT_DIR / "Pulumi.yaml", copy / "Pulumi.yaml")
    shutil.copytree(PROJECT_DIR / "stacks", copy / "stacks")
    return copy


@pytest.fixture(scope="session", autouse=True)
def private_definition_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pipeline definitions are cached per session, never in the user's cache: every session
    builds them with the SDK at least once (subprocesses inherit the setting)."""
    folder = tmp_path_factory.mktemp("definition-cache")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLOPS_CACHE_DIR", str(folder))
        yield folder
