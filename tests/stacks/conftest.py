"""The example stacks, each planned once per session with the offline engine the CLI uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.config import Settings, load_settings
from infra.config.rules import SHARED_STACKS
from mlops.plan import PlanResult, plan_stack

#: Runs the real CLI once per shared stack in one fresh interpreter (printing each JSON plan).
_CLI_PER_STACK = (
    "import sys\n"
    "from mlops.cli import app\n"
    "for stack in sys.argv[1:]:\n"
    "    app(['plan', stack, '--json'], standalone_mode=False)\n"
)


@dataclass(frozen=True)
class Plan:
    """One stack's plan as a user sees it: the JSON contract, plus the settings it came from."""

    result: PlanResult
    doc: dict[str, Any]
    settings: Settings

    def of_type(self, type_token: str) -> list[dict[str, Any]]:
        """Resources of one Pulumi type token, as printed by ``mlops plan --json``."""
        return [r for r in self.doc["resources"] if r["type"] == type_token]

    def one(self, type_token: str) -> dict[str, Any]:
        """The single resource of ``type_token`` (fails if there are none or several)."""
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {[r['name'] for r in found]}"
        return found[0]

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack outputs."""
        return self.doc["outputs"]

    @property
    def exit_code(self) -> int:
        """The exit code ``mlops plan`` must give this plan: 1 with mandatory violations, else 0."""
        return 1 if any(v.enforcement == "mandatory" for v in self.result.violations) else 0


@pytest.fixture(scope="session")
def plan_of(project_dir: Path) -> Callable[[str], Plan]:
    """Plan a stack of the real project, once per session."""
    cache: dict[str, Plan] = {}

    def plan(stack: str) -> Plan:
        if stack not in cache:
            result = plan_stack(project_dir, stack)
            cache[stack] = Plan(result, json.loads(result.dumps()), load_settings(project_dir, stack))
        return cache[stack]

    return plan


@dataclass(frozen=True)
class FreshInterpreterPlans:
    """``mlops plan <stack> --json`` for every shared stack, run by another interpreter."""

    process: subprocess.Popen
    stdout: Path
    stderr: Path
    hash_seed: str
    stacks: tuple[str, ...]

    def wait(self, timeout: float) -> tuple[int, bytes, str]:
        """Exit code, the concatenated JSON plans, and stderr."""
        code = self.process.wait(timeout=timeout)
        return code, self.stdout.read_bytes(), self.stderr.read_text()


@pytest.fixture(scope="session", autouse=True)
def fresh_interpreter_plans(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshInterpreterPlans]:
    """Start the other interpreter as soon as the stack tests start, so it plans while this one does.

    Its hash seed differs from this process's (random unless PYTHONHASHSEED is set), so the
    determinism test compares plans made under two different string-hash orders.
    """
    ours = os.environ.get("PYTHONHASHSEED", "random")
    seed = "0" if ours == "random" else str(int(ours) + 1)
    folder = tmp_path_factory.mktemp("fresh-interpreter")
    stdout, stderr = folder / "stdout", folder / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", _CLI_PER_STACK, *SHARED_STACKS],
            cwd=project_dir,
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=out,
            stderr=err,
        )
    plans = FreshInterpreterPlans(process, stdout, stderr, seed, SHARED_STACKS)
    yield plans
    if process.poll() is None:
        process.kill()
    process.wait()
