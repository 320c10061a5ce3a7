"""Fixtures for the pipeline tests: child interpreters that start fast."""

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def subprocess_env(tmp_path_factory) -> dict[str, str]:
    """Environment for child interpreters that share compiled bytecode.

    Every step script and offline build is a fresh interpreter importing scikit-learn or the
    SageMaker SDK; with bytecode writing disabled each would recompile them from source.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    return env


@pytest.fixture(scope="module")
def child_environment(subprocess_env) -> Iterator[None]:
    """Make subprocesses started by the code under test (run_locally) use ``subprocess_env``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        patch.setenv("PYTHONPYCACHEPREFIX", subprocess_env["PYTHONPYCACHEPREFIX"])
        yield

