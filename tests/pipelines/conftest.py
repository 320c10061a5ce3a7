"""Fixtures for the pipeline tests: interpreters that share compiled bytecode."""

import os
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def subprocess_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment for child interpreters; they and this one share compiled bytecode.

    Every step script and offline build is a fresh interpreter importing scikit-learn, pandas or
    the SageMaker SDK. With bytecode writing disabled (PYTHONDONTWRITEBYTECODE) each of them, and
    this process, would compile those packages from source again. Here all of them read and write
    one bytecode cache in a temporary folder instead, never in the source tree.
    """
    prefix = str(tmp_path_factory.mktemp("pycache"))
    saved = sys.pycache_prefix, sys.dont_write_bytecode
    sys.pycache_prefix, sys.dont_write_bytecode = prefix, False
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = prefix
    yield env
    sys.pycache_prefix, sys.dont_write_bytecode = saved


@pytest.fixture(scope="module")
def child_environment(subprocess_env) -> Iterator[None]:
    """Make subprocesses started by the code under test (run_locally) use ``subprocess_env``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        patch.setenv("PYTHONPYCACHEPREFIX", subprocess_env["PYTHONPYCACHEPREFIX"])
        yield
