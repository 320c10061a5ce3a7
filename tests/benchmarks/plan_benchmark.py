"""Benchmark: how long an offline plan takes and how big each environment is.

Run with ``make bench``. Each stack is planned in a fresh interpreter (as a user's
``mlops plan`` is), so the figures include imports and the SageMaker SDK building pipeline
definitions; test and prod include planning dev for their StackReference.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "test", "prod", "dev-alice")
RUNS = 3


def plan(stack: str) -> tuple[float, dict]:
    """Plan ``stack`` in a fresh interpreter; (wall seconds, plan JSON)."""
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", "from mlops.cli import app; app()", "plan", stack, "--json", "--project-dir", str(PROJECT)],
        capture_output=True, text=True, check=True,
    )
    return time.perf_counter() - start, json.loads(completed.stdout)


def main() -> None:
    models = {p.stem for p in (PROJECT / "stacks" / "models").glob("*.yaml")}
    per_model: dict[str, Counter] = defaultdict(Counter)
    print(f"{'stack':<10} {'resources':>9} {'components':>10} {'protected':>9} {'median s':>9} {'runs':>16}")
    for stack in STACKS:
        times, doc = [], {}
        for _ in range(RUNS):
            seconds, doc = plan(stack)
            times.append(seconds)
        custom = [r for r in doc["resources"] if not r["type"].startswith("mlops:")]
        components = len(doc["resources"]) - len(custom)
        protected = sum(1 for r in doc["resources"] if r["options"]["protect"])
        runs = " ".join(f"{t:.1f}" for t in times)
        print(f"{stack:<10} {len(custom):>9} {components:>10} {protected:>9} {statistics.median(times):>9.1f} {runs:>16}")
        prefix = f"mlops-{stack}"
        for resource in custom:
            model = next((m for m in sorted(models, key=len, reverse=True) if f"::{prefix}-{m}-" in resource["urn"]), None)
            if model:
                per_model[model][stack] += 1
    print()
    print(f"{'model':<16} " + " ".join(f"{s:>9}" for s in STACKS))
    for model in sorted(models):
        print(f"{model:<16} " + " ".join(f"{per_model[model][s]:>9}" for s in STACKS))


if __name__ == "__main__":
    main()
